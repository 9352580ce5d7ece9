import { type GenerationFloor, nextFloor } from './revocation.service';

type Change = Parameters<typeof nextFloor>[1];
const fold = (changes: Change[]) => changes.reduce<GenerationFloor | undefined>((floor, c) => nextFloor(floor, c), undefined);
const permutations = <T>(xs: T[]): T[][] =>
  xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));

describe('nextFloor (a user token generation floor, from changes in any order)', () => {
  const created: Change = { kind: 'user', gen: 0, exp: 0 };
  const demoted: Change = { kind: 'user', gen: 1, exp: 0 };
  const deleted: Change = { kind: 'user-deleted', gen: 2, exp: 5_000 };
  const recreated: Change = { kind: 'user', gen: 2, exp: 0 };
  const deletedAgain: Change = { kind: 'user-deleted', gen: 3, exp: 9_000 };

  it('a deletion keeps the floor above every token of the account until they expire', () => {
    expect(fold([created, demoted, deleted])).toEqual({ gen: 2, until: 5_000, deleted: true });
  });

  it.each(permutations([created, demoted, deleted, recreated]))('a new account of the name is the newer fact (%#)', (...order) => {
    expect(fold(order)).toEqual({ gen: 2, until: Infinity, deleted: false });
  });

  it.each(permutations([demoted, deleted, recreated, deletedAgain]))('the last deletion wins (%#)', (...order) => {
    expect(fold(order)).toEqual({ gen: 3, until: 9_000, deleted: true });
  });

  it('a stale change never lowers the floor, and a repeated one changes nothing', () => {
    expect(fold([demoted, created])).toEqual({ gen: 1, until: Infinity, deleted: false });
    expect(fold([deleted, deleted])).toEqual(fold([deleted]));
  });
});
