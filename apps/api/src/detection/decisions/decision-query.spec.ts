import type { DecisionView } from '@bouncer/contracts';
import { queryDecisions, rangesOverlap } from './decision-query';

const d = (over: Partial<DecisionView>): DecisionView => ({
  id: 'd-000000000000',
  client: '203.0.113.7',
  state: 'blocked',
  reason: 'r',
  rule: 'admin',
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T01:00:00.000Z',
  remaining_seconds: 3600,
  decided_by: 'admin:alice',
  enforced: true,
  ...over,
});

describe('queryDecisions', () => {
  const rows = [
    d({ id: 'd-000000000001', client: '10.0.0.10', created_at: '2026-01-01T00:00:01.000Z' }),
    d({ id: 'd-000000000002', client: '10.0.0.9', rule: 'probing', decided_by: 'rule:probing', created_at: '2026-01-01T00:00:02.000Z' }),
    d({ id: 'd-000000000003', client: '10.0.0.9', state: 'suspicious', rule: 'failed-logins', decided_by: 'rule:failed-logins' }),
    d({ id: 'd-000000000004', client: '192.0.2.0/24', created_at: '2026-01-01T00:00:03.000Z' }),
    d({ id: 'd-000000000005', client: '2001:db8::/64', state: 'suspicious', decided_by: 'rule:probing' }),
  ];

  it('finds decisions inside a CIDR and ranges that hold an address', () => {
    expect(queryDecisions(rows, { within: '10.0.0.0/24' }).map((x) => x.id)).toEqual([
      'd-000000000002',
      'd-000000000001',
      'd-000000000003',
    ]);
    expect(queryDecisions(rows, { within: '192.0.2.55' }).map((x) => x.client)).toEqual(['192.0.2.0/24']);
    expect(queryDecisions(rows, { within: '2001:db8::1' }).map((x) => x.client)).toEqual(['2001:db8::/64']);
  });

  it('filters by who decided, exactly or by prefix', () => {
    expect(queryDecisions(rows, { decidedBy: 'rule:' })).toHaveLength(3);
    expect(queryDecisions(rows, { decidedBy: 'admin:alice' })).toHaveLength(2);
    expect(queryDecisions(rows, { decidedBy: 'admin:bob' })).toHaveLength(0);
  });

  it('sorts addresses numerically and dates newest first by default', () => {
    expect(queryDecisions(rows, { sort: 'client', state: 'blocked' }).map((x) => x.client)).toEqual([
      '10.0.0.9',
      '10.0.0.10',
      '192.0.2.0/24',
    ]);
    expect(queryDecisions(rows, { state: 'blocked' }).map((x) => x.id)).toEqual(['d-000000000004', 'd-000000000002', 'd-000000000001']);
    expect(queryDecisions(rows, { state: 'blocked', order: 'asc' }).map((x) => x.id)[0]).toBe('d-000000000001');
  });

  it('shows a blocked client once, with its suspicion inside', () => {
    const one = queryDecisions(rows, { onePerClient: true });
    expect(one.filter((x) => x.client === '10.0.0.9')).toHaveLength(1);
    expect(one.find((x) => x.client === '10.0.0.9')?.suspicion?.rule).toBe('failed-logins');
    expect(one).toHaveLength(4);
    expect(queryDecisions(rows, { onePerClient: true, state: 'suspicious' }).map((x) => x.client)).toEqual(['2001:db8::/64']);
    // Blocked twice (a sign-in buffer and an admin's block): still one row.
    const twice = [...rows, d({ id: 'd-000000000006', client: '10.0.0.9', rule: 'failed-logins' })];
    expect(queryDecisions(twice, { onePerClient: true }).filter((x) => x.client === '10.0.0.9')).toHaveLength(1);
  });

  it('tells overlapping ranges', () => {
    expect(rangesOverlap('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(rangesOverlap('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(rangesOverlap('10.0.0.0/8', '11.0.0.0/8')).toBe(false);
    expect(rangesOverlap('10.0.0.1', '2001:db8::1')).toBe(false);
  });
});
