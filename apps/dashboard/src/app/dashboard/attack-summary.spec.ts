import type { DashboardDataResponse, SecurityEvent } from '@bouncer/contracts';
import { attackSummaries, listNames } from './attack-summary';

const ev = (type: string, client: string | null, actor: string | null): SecurityEvent => ({
  at: '2026-01-01T00:00:00Z',
  type,
  client,
  actor,
  detail: '',
});

function data(over: Partial<DashboardDataResponse>): DashboardDataResponse {
  return { brute_force_ips: [], successful_block_ips: [], events: [], ...over } as DashboardDataResponse;
}

describe('attack summary (D21)', () => {
  it('names the accounts tried and counts the addresses held, once per attack', () => {
    const d = data({
      brute_force_ips: [
        { ip: '10.0.0.1', remaining: 50 },
        { ip: '10.0.0.2', remaining: 20 },
        { ip: '10.0.0.3', remaining: 5 },
      ],
      events: [
        ev('login.failed', '10.0.0.1', 'dave'),
        ev('login.failed', '10.0.0.2', 'dave'),
        ev('login.failed', '10.0.0.2', 'root'),
        ev('login.failed', '192.0.2.9', 'alice'),
        ev('user.updated', '10.0.0.1', 'admin'),
      ],
    });
    expect(attackSummaries(d, 10)).toEqual([
      { kind: 'failed sign-ins', accounts: ['dave', 'root'], addresses: ['10.0.0.1', '10.0.0.2'], longestLeft: 40 },
    ]);
  });

  it('reports an account-level attack even with no address blocked', () => {
    const d = data({ events: [ev('account.delayed', '10.0.0.9', 'dave'), ev('login.failed', '10.0.0.9', 'dave')] });
    expect(attackSummaries(d, 0)).toEqual([{ kind: 'failed sign-ins', accounts: ['dave'], addresses: [], longestLeft: 0 }]);
  });

  it('keeps repeated successful sign-ins apart, and nothing when all waits are over', () => {
    const d = data({ successful_block_ips: [{ ip: '10.0.0.5', remaining: 30 }] });
    expect(attackSummaries(d, 0)[0]).toMatchObject({ kind: 'repeated successful sign-ins', addresses: ['10.0.0.5'] });
    expect(attackSummaries(d, 31)).toEqual([]);
    expect(listNames(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('a, b, c, d and 2 more');
  });
});
