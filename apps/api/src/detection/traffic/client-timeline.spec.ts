import { ClientTimeline, TIMELINE_BUCKETS } from './client-timeline';

const MIN = 60_000;
const T0 = 1_000 * MIN; // a minute boundary

describe('ClientTimeline', () => {
  it('counts requests per minute over the last hour, oldest first', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    t.request('10.0.0.1', T0 + 30_000);
    t.request('10.0.0.1', T0 + 5 * MIN);
    const r = t.read('10.0.0.1', T0 + 5 * MIN + 1);
    expect(r.requests).toHaveLength(TIMELINE_BUCKETS);
    expect(r.since).toBe(T0 + 5 * MIN - (TIMELINE_BUCKETS - 1) * MIN);
    expect(r.requests.at(-1)).toBe(1);
    expect(r.requests.at(-6)).toBe(2);
    expect(r.requests.reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.tracked).toBe(true);
  });

  it('drops minutes older than an hour, also when their slot is reused', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    expect(t.read('10.0.0.1', T0 + 60 * MIN).requests.every((n) => n === 0)).toBe(true);
    t.request('10.0.0.1', T0 + 60 * MIN); // the same slot of the ring, an hour later
    expect(t.read('10.0.0.1', T0 + 60 * MIN).requests.at(-1)).toBe(1);
  });

  it('sums the tracked clients inside a range, IPv6 client keys by their /64', () => {
    const t = new ClientTimeline(10);
    t.request('10.0.0.1', T0);
    t.request('10.0.0.2', T0);
    t.request('10.0.1.1', T0);
    t.request('2001:db8:0:1::/64', T0);
    expect(t.read('10.0.0.0/24', T0).requests.at(-1)).toBe(2);
    expect(t.read('2001:db8::/48', T0).requests.at(-1)).toBe(1);
    expect(t.read('192.0.2.0/24', T0).tracked).toBe(false);
  });

  it('keeps at most maxClients, and prune forgets clients idle for an hour', () => {
    const t = new ClientTimeline(3);
    for (let i = 0; i < 10; i++) t.request(`10.0.0.${i}`, T0);
    expect(t.size).toBe(3);
    expect(t.read('10.0.0.0', T0).tracked).toBe(false);
    t.request('10.0.0.9', T0 + 30 * MIN);
    expect(t.prune(T0 + 61 * MIN)).toBe(2);
    expect(t.size).toBe(1);
  });
});
