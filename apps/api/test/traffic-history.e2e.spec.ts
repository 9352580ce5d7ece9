import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type ApiProcess, eventually, http, sleep, startApiProcess, strongPassword } from '@bouncer/testing';
import { TrafficHistoryService } from '../src/stats/traffic-history.service';
import { type SharedPair, startServer, startSharedPair } from './support/app';

/**
 * The overview's traffic history survives a restart (issue #13): the built process is stopped
 * and started again on its data folder, as an operator restarts it; and two instances on
 * PostgreSQL + Redis, sampling the same merged series, store each bucket once.
 */

const MIN = 60_000;

/** The environment of a built process: ours, minus what would choose its admin or its store. */
function processEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of ['ADMIN_PASSWORD', 'ADMIN_USERNAME', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL', 'JWT_PRIVATE_KEY_FILE']) delete env[k];
  return { ...env, ...extra };
}

interface Point {
  t: string;
  requests: number;
  client_errors: number;
}

describe('traffic history across a restart (built process)', () => {
  const password = strongPassword();
  let dir: string;
  let api: ApiProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bouncer-history-'));
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the minutes before a restart in GET /admin/traffic?range=1h, and history_since goes back to them', async () => {
    const env = processEnv({ DATA_DIR: dir, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password, LOG_LEVEL: 'warn' });
    api = await startApiProcess({ env, probeFrom: '127.0.0.1' });
    const firstStart = Date.now();
    // 24 requests from 8 addresses (well under any rule), half of them 404s.
    const firstRequestAt = Date.now();
    for (let i = 0; i < 24; i++) {
      const res = await http(api.url, i % 2 ? '/nothing-here' : '/.well-known/jwks.json', { from: `127.0.41.${(i % 8) + 1}` });
      expect(res.status).toBe(i % 2 ? 404 : 200);
    }
    const lastRequestAt = Date.now();
    // The history keeps whole minutes: wait until the last request's minute has ended, then stop
    // (SIGTERM samples once more on the way out) and start again on the same data folder.
    const lastMinuteEnds = lastRequestAt - (lastRequestAt % MIN) + MIN;
    await sleep(Math.max(0, lastMinuteEnds - Date.now()) + 1_500);
    await api.stop();
    expect(api.exited()).toBe(0);

    api = await startApiProcess({ env, probeFrom: '127.0.0.1' });
    const token = (await http(api.url, '/token', { form: { username: 'admin', password }, from: '127.0.0.1' })).json.access_token as string;
    const res = await http(api.url, '/admin/traffic?range=1h', { token, from: '127.0.0.1' });
    expect(res.status).toBe(200);
    expect(res.json.bucket_seconds).toBe(60);
    const before = (res.json.points as Point[]).filter((p) => {
      const t = Date.parse(p.t);
      return t >= firstRequestAt - (firstRequestAt % MIN) && t < lastMinuteEnds;
    });
    const sum = (k: 'requests' | 'client_errors') => before.reduce((s, p) => s + p[k], 0);
    expect(sum('requests')).toBeGreaterThanOrEqual(24);
    expect(sum('client_errors')).toBeGreaterThanOrEqual(12);
    // The history reaches back before this start: to the first process's first minute.
    expect(Date.parse(res.json.history_since as string)).toBeLessThanOrEqual(firstStart);
  }, 180_000);
});

describe('traffic history shared by two instances (PostgreSQL + Redis)', () => {
  let pair: SharedPair;
  beforeAll(async () => {
    pair = await startSharedPair();
  });
  afterAll(() => pair?.close());

  async function rows(granularity: string, start: number): Promise<{ requests: string }[]> {
    const c = new Client({ connectionString: pair.env['DATABASE_URL'] });
    await c.connect();
    try {
      return (await c.query('select requests from traffic_buckets where granularity = $1 and start = $2', [granularity, new Date(start)]))
        .rows as { requests: string }[];
    } finally {
      await c.end();
    }
  }

  it('both sample the merged series into one row per bucket, not counted twice, and a restarted instance reads it back', async () => {
    const { a, b, clock } = pair;
    clock.set(Math.ceil(clock.now() / MIN) * MIN + 5_000);
    const minute = clock.now() - (clock.now() % MIN);
    for (let i = 0; i < 10; i++) expect((await http(a.url, '/.well-known/jwks.json', { from: `127.0.42.${i + 1}` })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await http(b.url, '/.well-known/jwks.json', { from: `127.0.43.${i + 1}` })).status).toBe(200);
    const history = (s: typeof a) => s.app.get(TrafficHistoryService);
    // Each instance flushes its sums to Redis once a second: wait until the merged series has all 20.
    await eventually(async () => {
      const s = await history(a).series({ range: '15m' });
      return s.points.reduce((n, p) => n + p.requests, 0) >= 20;
    }, 'the merged series holds both instances requests');
    clock.set(minute + MIN + 1_000);
    await history(a).sample();
    await history(b).sample();
    await history(a).sample();
    const [row] = await rows('minute', minute);
    expect(Number(row?.requests)).toBe(20);
    expect(Number((await rows('hour', minute - (minute % (60 * MIN))))[0]?.requests)).toBeGreaterThanOrEqual(20);

    // b restarts 20 minutes later, when the merged live series (15 minutes) no longer holds that
    // minute: only the table can bring it back.
    await b.close();
    clock.set(minute + 20 * MIN);
    const b2 = await startServer(pair.env, { dataDir: b.dataDir, adminPassword: b.adminPassword, clock });
    try {
      const res = await http(b2.url, '/admin/traffic?range=1h', { token: await b2.adminToken(), from: '127.0.0.1' });
      expect(res.status).toBe(200);
      expect((res.json.points as Point[]).find((p) => Date.parse(p.t) === minute)?.requests).toBe(20);
    } finally {
      await b2.close(true);
    }
  }, 60_000);
});
