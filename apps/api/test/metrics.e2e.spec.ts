import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { freePort, http, type HttpOptions, strongPassword } from '@bouncer/testing';
import { startServer, startSharedPair, type TestServer } from './support/app';

const METRICS_TOKEN = 'scrape-' + strongPassword() + '-0123456789abcdef';
const FAMILIES = [
  'bouncer_http_requests_total',
  'bouncer_decisions_total',
  'bouncer_lifts_total',
  'bouncer_blocked_clients',
  'bouncer_suspicious_clients',
  'bouncer_sign_ins_total',
  'bouncer_token_misuse_events_total',
  'bouncer_store_round_trip_seconds',
  'bouncer_store_degraded',
  'bouncer_tracked_clients',
  'bouncer_tracked_client_evictions_total',
  'bouncer_unstored_decisions',
  'bouncer_unstored_revocations',
  'bouncer_event_loop_delay_seconds',
  'bouncer_process_cpu_seconds_total',
  'bouncer_process_resident_memory_bytes',
  'bouncer_process_start_time_seconds',
  'bouncer_nodejs_heap_size_used_bytes',
];

/** The value of one sample (`name{labels}`), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

function familiesIn(text: string): Set<string> {
  return new Set(text.split('\n').flatMap((l) => (l.startsWith('# TYPE ') ? [l.split(' ')[2] as string] : [])));
}

describe('Prometheus metrics (issue #14 point 1)', () => {
  let server: TestServer;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, opts);
  const scrape = () => req('/metrics', { token: METRICS_TOKEN, from: '127.0.0.1' });

  beforeAll(async () => {
    server = await startServer({ METRICS_TOKEN, PROBE_THRESHOLD: '10', AUTH_ROUTE_LIMIT: '1000' });
  });
  afterAll(() => server.close(true));

  it('M1 /metrics is 401 problem+json anonymously, with a wrong scrape token and with an invalid bearer', async () => {
    const anonymous = await req('/metrics', { from: '127.0.20.1' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.text).not.toMatch(/bouncer_/);
    expect((await req('/metrics', { from: '127.0.20.1', token: METRICS_TOKEN.slice(0, -1) + 'x' })).status).toBe(401);
    expect((await req('/metrics', { from: '127.0.20.1', token: 'not-a-jwt' })).status).toBe(401);
  });

  it('M2 an admin token reads every metric family in the Prometheus text format; no client address is a label', async () => {
    const res = await req('/metrics', { token: await server.adminToken(), from: '127.0.0.1' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = familiesIn(res.text);
    for (const f of FAMILIES) expect(families).toContain(f);
    expect(res.text).toMatch(/# HELP bouncer_blocked_clients .*cluster-wide/);
    // Every sample line is `name{labels} value` and no label carries an address.
    for (const line of res.text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^bouncer_[a-z0-9_]+(\{[^}]*\})? ([-+0-9.eE]+|NaN|\+Inf)$/);
      expect(line).not.toMatch(/127\.0\./);
    }
  });

  it('M3 METRICS_TOKEN alone reads the metrics', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.text).toContain('bouncer_http_requests_total');
  });

  it('M4 a probing scan and failed sign-ins from one loopback address move the counters', async () => {
    const before = (await scrape()).text;
    const from = '127.0.21.1';
    for (let i = 0; i < 12; i++) await req(`/wp-admin-${i}.php`, { from });
    expect((await req('/nope', { from })).status).toBe(403);
    for (let i = 0; i < 3; i++) {
      expect((await req('/token', { form: { username: 'admin', password: 'wrong-' + i }, from: '127.0.21.2' })).status).toBe(401);
    }
    const after = (await scrape()).text;
    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('bouncer_http_requests_total{route_class="other",outcome="4xx"}')).toBeGreaterThanOrEqual(10);
    expect(delta('bouncer_http_requests_total{route_class="other",outcome="blocked"}')).toBeGreaterThanOrEqual(1);
    expect(delta('bouncer_decisions_total{rule="probing",kind="probing",state="blocked"}')).toBe(1);
    expect(delta('bouncer_decisions_total{rule="probing",kind="probing",state="suspicious"}')).toBe(1);
    expect(delta('bouncer_sign_ins_total{outcome="failed"}')).toBe(3);
    expect(sample(after, 'bouncer_blocked_clients')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'bouncer_tracked_clients')).toBeGreaterThanOrEqual(2);
    expect(after).not.toContain('127.0.21.');

    // Lifted by an admin: counted by rule and by whom, never by name.
    const lift = await req('/admin/blocks?client=127.0.21.1', { method: 'DELETE', token: await server.adminToken(), from: '127.0.0.1' });
    expect(lift.status).toBeLessThan(300);
    expect(sample((await scrape()).text, 'bouncer_lifts_total{rule="probing",by="admin"}')).toBe(1);
  });

  it('M5 /metrics polled 100 times from one address is never counted nor blocked, even for a blocked client', async () => {
    const from = '127.0.22.1';
    for (let i = 0; i < 12; i++) await req(`/probe-${i}`, { from });
    expect((await req('/nope', { from })).status).toBe(403);
    for (let i = 0; i < 100; i++) {
      const res = await req('/metrics', { token: METRICS_TOKEN, from });
      expect(res.status).toBe(200);
    }
    // Anonymous polls are refused 401 each time, and 401s there do not count as probing either.
    for (let i = 0; i < 30; i++) expect((await req('/metrics', { from: '127.0.22.2' })).status).toBe(401);
    expect((await req('/health', { from: '127.0.22.2' })).status).toBe(200);
    expect((await req('/nope', { from: '127.0.22.2' })).status).toBe(404);
  });

  it('M6 the sample Grafana dashboard and the alert rules are valid and name only metrics a real /metrics answers', async () => {
    const root = join(__dirname, '../../../tools/monitoring');
    const families = familiesIn((await scrape()).text);
    const known = (name: string) =>
      families.has(name) || ['_bucket', '_sum', '_count'].some((s) => name.endsWith(s) && families.has(name.slice(0, -s.length)));
    const referenced = (text: string) => [...new Set(text.match(/\bbouncer_[a-z_]+\b/g) ?? [])];

    const dashboardText = await readFile(join(root, 'grafana-dashboard.json'), 'utf8');
    const dashboard = JSON.parse(dashboardText) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    for (const name of referenced(exprs.join('\n'))) expect([name, known(name)]).toEqual([name, true]);

    const alerts = parseYaml(await readFile(join(root, 'alerts.yml'), 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: object; annotations?: object }[] }[];
    };
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['BouncerAttackStarting', 'BouncerStoreDegraded', 'BouncerUnstoredQueue', 'BouncerInstanceDown']),
    );
    for (const r of rules) expect(typeof r.expr).toBe('string');
    expect(rules.find((r) => r.alert === 'BouncerUnstoredQueue')?.for).toBe('5m');
    for (const name of referenced(rules.map((r) => r.expr).join('\n'))) expect([name, known(name)]).toEqual([name, true]);
  });

  it('M7 two instances on Redis and PostgreSQL: each has its own registry; the store round trip is timed and the store is not degraded', async () => {
    const pair = await startSharedPair({ METRICS_TOKEN });
    try {
      for (let i = 0; i < 5; i++) expect((await http(pair.a.url, '/health', { from: '127.0.23.1' })).status).toBe(200);
      for (let i = 0; i < 5; i++) await http(pair.a.url, `/m7-${i}`, { from: '127.0.23.1' });
      const a = (await http(pair.a.url, '/metrics', { token: METRICS_TOKEN, from: '127.0.23.2' })).text;
      const b = (await http(pair.b.url, '/metrics', { token: METRICS_TOKEN, from: '127.0.23.2' })).text;
      expect(sample(a, 'bouncer_store_round_trip_seconds_count')).toBeGreaterThanOrEqual(5);
      expect(sample(a, 'bouncer_store_degraded')).toBe(0);
      expect(sample(a, 'bouncer_http_requests_total{route_class="other",outcome="4xx"}')).toBe(5);
      // The other instance's counters are its own (one registry per app, not prom-client's global one).
      expect(sample(b, 'bouncer_http_requests_total{route_class="other",outcome="4xx"}')).toBe(0);
    } finally {
      await pair.close();
    }
  });

  it('M8 clients beyond MAX_TRACKED_CLIENTS are evictions, counted without their addresses', async () => {
    const small = await startServer({ METRICS_TOKEN, MAX_TRACKED_CLIENTS: '100' });
    try {
      for (let i = 1; i <= 105; i++) expect((await http(small.url, '/.well-known/jwks.json', { from: `127.0.24.${i}` })).status).toBe(200);
      const text = (await http(small.url, '/metrics', { token: METRICS_TOKEN, from: '127.0.24.200' })).text;
      expect(sample(text, 'bouncer_tracked_clients')).toBe(100);
      expect(sample(text, 'bouncer_tracked_client_evictions_total')).toBe(5);
      expect(sample(text, 'bouncer_http_requests_total{route_class="auth",outcome="2xx"}')).toBe(105);
    } finally {
      await small.close(true);
    }
  });

  it('M9 a killed Redis shows as bouncer_store_degraded 1 on the next scrape', async () => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    // Waiting on another process is real time, bounded.
    const until = async (ok: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 100));
    };
    let withRedis: TestServer | undefined;
    try {
      await until(
        () =>
          new Promise<boolean>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => resolve(socket.end() !== null));
            socket.once('error', () => resolve(false));
          }),
      );
      withRedis = await startServer({ METRICS_TOKEN, REDIS_URL: `redis://127.0.0.1:${port}` });
      const degraded = async () =>
        sample((await http(withRedis!.url, '/metrics', { token: METRICS_TOKEN, from: '127.0.25.1' })).text, 'bouncer_store_degraded');
      expect(await degraded()).toBe(0);
      const exited = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGKILL');
      await exited;
      await until(async () => (await degraded()) === 1);
      expect(await degraded()).toBe(1);
    } finally {
      if (redis.exitCode === null) redis.kill('SIGKILL');
      await withRedis?.close(true);
    }
  });
});
