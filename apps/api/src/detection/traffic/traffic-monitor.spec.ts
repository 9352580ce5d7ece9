import { BUCKETS, TrafficMonitor } from './traffic-monitor';

describe('TrafficMonitor', () => {
  it('counts requests per client in the window and names the busiest', () => {
    const m = new TrafficMonitor(100, 60_000);
    for (let i = 0; i < 5; i++) m.request('10.0.0.1', 1000);
    for (let i = 0; i < 3; i++) m.request('2001:db8::/64', 1000);
    m.request('10.0.0.2', 1000);
    expect(m.top(2, 2000)).toEqual([
      { client: '10.0.0.1', requests: 5 },
      { client: '2001:db8::/64', requests: 3 },
    ]);
    // A new window starts the count again.
    m.request('10.0.0.1', 62_000);
    expect(m.top(3, 62_000)).toEqual([{ client: '10.0.0.1', requests: 1 }]);
  });

  it('keeps at most maxClients, evicting the least recently seen and counting it', () => {
    let evicted = 0;
    const m = new TrafficMonitor(3, 60_000, () => evicted++);
    for (let i = 0; i < 10; i++) m.request(`10.0.0.${i}`, 1000 + i);
    expect(m.trackedClients()).toBe(3);
    expect(evicted).toBe(7);
    expect(
      m
        .top(10, 2000)
        .map((t) => t.client)
        .sort(),
    ).toEqual(['10.0.0.7', '10.0.0.8', '10.0.0.9']);
  });

  it('prunes idle clients and keeps a bounded series', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const m = new TrafficMonitor(100, 60_000);
    m.request('10.0.0.1', t0);
    m.request('10.0.0.2', t0 + 50_000);
    m.response(401, t0 + 50_000);
    expect(m.prune(t0 + 70_000)).toBe(1);
    expect(m.trackedClients()).toBe(1);
    const s = m.series(t0 + 50_000);
    expect(s.points).toHaveLength(BUCKETS);
    expect(s.points.at(-1)).toMatchObject({ requests: 1, client_errors: 1, unauthorized: 1 });
  });
});
