import { Metrics } from './metrics';

/** The exposition prom-client renders for this app's metrics: names, labels and the bound counters' sums. */
describe('Metrics (prom-client)', () => {
  const sources = {
    decisionCounts: () => ({ blocked: 2, suspicious: 1 }),
    storeDegraded: () => false,
    trackedClients: () => 7,
    unstored: () => ({ decisions: 0, revocations: 0 }),
  };

  it('counts requests by route class and outcome; every pair shows from the start, at 0', async () => {
    const m = new Metrics();
    m.setSources(sources);
    const first = await m.render();
    expect(first).toContain('bouncer_http_requests_total{route_class="admin",outcome="blocked"} 0');
    m.request('other', '4xx');
    m.request('other', '4xx');
    m.request('auth', '2xx');
    const text = await m.render();
    expect(text).toContain('# TYPE bouncer_http_requests_total counter');
    expect(text).toContain('bouncer_http_requests_total{route_class="other",outcome="4xx"} 2');
    expect(text).toContain('bouncer_http_requests_total{route_class="auth",outcome="2xx"} 1');
    // Taken once: a second scrape does not add the same requests again.
    expect(await m.render()).toContain('bouncer_http_requests_total{route_class="other",outcome="4xx"} 2');
    m.onModuleDestroy();
  });

  it('decisions carry the rule kind; gauges read their sources at scrape time; a failing source is NaN, the rest answer', async () => {
    const m = new Metrics();
    m.setRuleKinds([['probing', 'probing']]);
    m.decided('probing', 'blocked');
    m.lifted('probing', 'admin:root');
    let tracked = 7;
    m.setSources({
      ...sources,
      trackedClients: () => tracked,
      storeDegraded: () => {
        throw new Error('down');
      },
    });
    tracked = 9;
    const text = await m.render();
    expect(text).toContain('bouncer_decisions_total{rule="probing",kind="probing",state="blocked"} 1');
    expect(text).toContain('bouncer_lifts_total{rule="probing",by="admin"} 1');
    expect(text).toContain('bouncer_tracked_clients 9');
    expect(text).toContain('bouncer_blocked_clients 2');
    // prom-client writes NaN as `Nan`; Prometheus parses either case.
    expect(text).toMatch(/^bouncer_store_degraded nan$/im);
    m.onModuleDestroy();
  });

  it('has the store round-trip histogram, the event-loop delay and the default process metrics under bouncer_', async () => {
    const m = new Metrics();
    m.setSources(sources);
    m.storeRoundTrip.observe(0.002);
    m.evictions.inc();
    const text = await m.render();
    expect(text).toContain('bouncer_store_round_trip_seconds_bucket{le="0.0025"} 1');
    expect(text).toContain('bouncer_store_round_trip_seconds_count 1');
    expect(text).toContain('bouncer_tracked_client_evictions_total 1');
    expect(text).toMatch(/bouncer_event_loop_delay_seconds\{stat="p99"\} [0-9.e-]+/);
    for (const name of [
      'bouncer_process_cpu_seconds_total',
      'bouncer_process_resident_memory_bytes',
      'bouncer_process_start_time_seconds',
      'bouncer_nodejs_heap_size_used_bytes',
      'bouncer_nodejs_eventloop_lag_p99_seconds',
      'bouncer_nodejs_version_info',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    m.onModuleDestroy();
  });

  it('two apps in one process keep separate counts', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.setSources(sources);
    b.setSources(sources);
    a.request('api', '2xx');
    expect(await a.render()).toContain('bouncer_http_requests_total{route_class="api",outcome="2xx"} 1');
    expect(await b.render()).toContain('bouncer_http_requests_total{route_class="api",outcome="2xx"} 0');
    a.onModuleDestroy();
    b.onModuleDestroy();
  });
});
