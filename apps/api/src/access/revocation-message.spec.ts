import { parseRevocation } from './revocation.service';

describe('parseRevocation (messages on the shared revocation channel)', () => {
  it('reads the four kinds', () => {
    expect(parseRevocation('{"kind":"jti","id":"a","exp":1}')).toEqual({ kind: 'jti', id: 'a', exp: 1 });
    expect(parseRevocation('{"kind":"session","id":"s","exp":1}')).toEqual({ kind: 'session', id: 's', exp: 1 });
    expect(parseRevocation('{"kind":"user","id":"u","gen":2,"exp":3}')).toEqual({ kind: 'user', id: 'u', gen: 2, exp: 3 });
    expect(parseRevocation('{"kind":"user-deleted","id":"u","gen":3,"exp":4}')).toEqual({ kind: 'user-deleted', id: 'u', gen: 3, exp: 4 });
  });
  it.each([
    'not json',
    'null',
    '[]',
    '{"kind":"jti"}',
    '{"kind":"nope","id":"a","exp":1}',
    '{"kind":"session","id":1,"exp":1}',
    // The format before token generations: an instance on the old version is ignored, not misread.
    '{"kind":"user","id":"u","at":2}',
    '{"kind":"user","id":"u","gen":-1,"exp":1}',
    '{"kind":"user","id":"u","gen":1.5,"exp":1}',
  ])('ignores %s', (raw) => {
    expect(parseRevocation(raw)).toBeNull();
  });
});
