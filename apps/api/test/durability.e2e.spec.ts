import { Client } from 'pg';
import { eventually, freePort, http, type HttpResponse, sleep, strongPassword } from '@bouncer/testing';
import { type SharedPair, startServer, startSharedPair, type TestServer } from './support/app';
import { PrivateRedis } from './support/private-redis';
import { databaseBehindRelay, type Relay } from './support/relay';

/**
 * Durable or not at all (issue #10 point 2): faults are injected for real (the PostgreSQL
 * connection cut by a relay, a private redis-server killed with SIGKILL and restarted) while
 * requests flow. Waiting on the faults themselves (reconnects, the instances' periodic reads) is
 * real time, bounded; the service's own time is the manual clock.
 */

const runningTraffic = new Set<{ stop(): Promise<number[]> }>();
// A failed test must not leave its traffic running against servers that are gone.
afterEach(async () => {
  await Promise.all([...runningTraffic].map((t) => t.stop()));
});

/** Background traffic from its own address while a fault is injected: every answer's status (0: no answer at all). */
function trafficOn(urls: string[], from: string): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const paths = ['/health', '/validate-token', '/nothing-here', '/.well-known/jwks.json'];
  const loops = urls.map(async (url) => {
    for (let i = 0; running; i++) {
      statuses.push(
        await http(url, paths[i % paths.length] as string, { from }).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await sleep(25);
    }
  });
  const traffic = {
    async stop() {
      running = false;
      runningTraffic.delete(traffic);
      await Promise.all(loops);
      return statuses;
    },
  };
  runningTraffic.add(traffic);
  return traffic;
}

/** Every request answered, and no 5xx other than the documented 503 (storage unavailable). */
function expectNo5xxBut503(statuses: number[]): void {
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 0 || (s >= 500 && s !== 503))).toEqual([]);
}

const signIn = async (url: string, password: string, from: string): Promise<{ access: string; refresh: string }> => {
  const res = await http(url, '/token', { form: { username: 'admin', password }, from });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  return { access: res.json.access_token as string, refresh: res.json.refresh_token as string };
};
const refresh = (url: string, token: string, from: string) =>
  http(url, '/token', { form: { grant_type: 'refresh_token', refresh_token: token }, from });
const accepted = async (url: string, token: string) => (await http(url, '/validate-token', { token })).status === 200;
/** A blocked client is refused (403) on an ordinary route; otherwise /validate-token answers 401 (no token). */
const refused = async (url: string, from: string) => (await http(url, '/validate-token', { from })).status === 403;
/**
 * Whether the instance holds a block on the client (its memory, through the admin API): polling
 * this does not count as the client's own requests, which would trip the rate rule.
 */
const holdsBlock = async (url: string, token: string, client: string) => {
  const res = await http(url, '/admin/decisions?state=blocked&page_size=200', { token, from: '127.0.0.1' });
  if (res.status !== 200) throw new Error(`decisions: ${res.status} ${res.text}`);
  return (res.json.items as { client: string }[]).some((d) => d.client === client);
};

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

function expect503WithRetryAfter(res: HttpResponse): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.json).toMatchObject({ status: 503 });
}

describe('durable or not at all: PostgreSQL unreachable', () => {
  let server: TestServer;
  let relay: Relay;
  let directUrl: string;
  let dbUrl: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await databaseBehindRelay();
    ({ relay, directUrl, drop } = db);
    dbUrl = db.url;
    server = await startServer({ DATABASE_URL: dbUrl, RATE_LIMIT: '20', RATE_WINDOW: '60', ALLOWLIST: '127.0.0.1/32' });
  }, 60_000);
  // A failed test must not leave the next one without its database.
  afterEach(() => relay.open());
  afterAll(async () => {
    await server?.close(true);
    await relay?.cut().catch(() => undefined);
    await drop?.();
  });

  it('D2 a logout during a PostgreSQL outage is 503 and has no effect; a retry works and survives a restart', async () => {
    const session = await signIn(server.url, server.adminPassword, '127.0.9.1');
    const other = await signIn(server.url, server.adminPassword, '127.0.9.2');
    const traffic = trafficOn([server.url], '127.0.9.250');
    await relay.cut();

    for (const [path, token] of [
      ['/logout', session.access],
      ['/me/logout-everywhere', other.access],
    ] as const) {
      expect503WithRetryAfter(await http(server.url, path, { method: 'POST', token, from: '127.0.9.1' }));
    }
    const change = await http(server.url, '/me/password', {
      method: 'POST',
      token: other.access,
      from: '127.0.9.2',
      body: { current_password: server.adminPassword, new_password: strongPassword() },
    });
    expect503WithRetryAfter(change);
    // No effect: the tokens still work, so the person can retry.
    expect(await accepted(server.url, session.access)).toBe(true);
    expect(await accepted(server.url, other.access)).toBe(true);

    await relay.open();
    expect((await http(server.url, '/logout', { method: 'POST', token: session.access, from: '127.0.9.1' })).status).toBe(204);
    expect(await accepted(server.url, session.access)).toBe(false);
    expect((await refresh(server.url, session.refresh, '127.0.9.1')).status).toBe(401);
    // The session left alone by the failed "everywhere" still refreshes; the logged-out one never again.
    expect((await refresh(server.url, other.refresh, '127.0.9.2')).status).toBe(200);
    // The password did not change: it still signs in.
    await signIn(server.url, server.adminPassword, '127.0.9.3');
    expectNo5xxBut503(await traffic.stop());

    // Stored, so a restart does not bring the logged-out token back.
    const clock = server.clock;
    await server.close();
    server = await startServer(
      { DATABASE_URL: dbUrl, RATE_LIMIT: '20', RATE_WINDOW: '60', ALLOWLIST: '127.0.0.1/32' },
      { dataDir: server.dataDir, adminPassword: server.adminPassword, clock },
    );
    expect(await accepted(server.url, session.access)).toBe(false);
    const logouts = await query<{ n: string }>(directUrl, `select count(*) as n from audit_log where type = 'auth.logout'`);
    expect(Number(logouts[0]?.n)).toBe(1);
  }, 90_000);

  it('D4 a rule decision during a PostgreSQL outage is enforced, queued (seen in /health/ready), then stored and audited; an admin block is 503', async () => {
    const admin = await server.adminToken();
    const attacker = '127.0.9.20';
    const traffic = trafficOn([server.url], '127.0.9.251');
    await relay.cut();

    // An admin's block cannot be stored: 503, and no effect.
    expect503WithRetryAfter(
      await http(server.url, '/admin/blocks', {
        method: 'POST',
        token: admin,
        from: '127.0.0.1',
        body: { client: '127.0.9.21', reason: 'during the outage', duration_seconds: 600 },
      }),
    );
    expect(await refused(server.url, '127.0.9.21')).toBe(false);

    // A rule's block is enforced at once: refusing is the safe side.
    for (let i = 0; i < 25; i++) await http(server.url, '/nothing-here', { from: attacker });
    expect(await refused(server.url, attacker)).toBe(true);
    // PostgreSQL lost is `degraded` (200: pulling every instance would make it a total outage, D8),
    // and readiness says what waits to be stored.
    const ready = await http(server.url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('degraded');
    expect(ready.json.unstored.decisions.queued).toBeGreaterThan(0);

    await relay.open();
    // Written with its audit record as soon as the database answers; the queue empties.
    await eventually(
      async () => {
        const r = await http(server.url, '/health/ready');
        return r.status === 200 && r.json.unstored.decisions.queued === 0;
      },
      'the queue of unstored decisions to empty',
      15_000,
      200,
    );
    const rows = await query<{ rule: string }>(directUrl, `select rule from decisions where client = $1 and state = 'blocked'`, [attacker]);
    expect(rows.map((r) => r.rule)).toEqual(['request-rate']);
    const audited = await query<{ actor: string }>(
      directUrl,
      `select actor from audit_log where type = 'decision.blocked' and client = $1`,
      [attacker],
    );
    expect(audited).toHaveLength(1);
    expect(audited[0]?.actor).toMatch(/^rule:/);
    const adminBlock = await query(directUrl, `select 1 from decisions where client = '127.0.9.21'`);
    expect(adminBlock).toEqual([]);
    expectNo5xxBut503(await traffic.stop());

    // Stored: a restart keeps the block.
    const clock = server.clock;
    await server.close();
    server = await startServer(
      { DATABASE_URL: dbUrl, RATE_LIMIT: '20', RATE_WINDOW: '60', ALLOWLIST: '127.0.0.1/32' },
      { dataDir: server.dataDir, adminPassword: server.adminPassword, clock },
    );
    expect(await refused(server.url, attacker)).toBe(true);
  }, 90_000);
});

describe('durable or not at all: two instances, Redis killed and restarted', () => {
  let pair: SharedPair;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    pair = await startSharedPair({ REDIS_URL: redis.url, RATE_LIMIT: '20', RATE_WINDOW: '60', ALLOWLIST: '127.0.0.1/32' });
  }, 90_000);
  afterAll(async () => {
    await pair?.close();
    await redis?.kill();
  });

  const readyBoth = async (degraded: boolean) =>
    (await Promise.all([pair.a, pair.b].map((s) => http(s.url, '/health/ready')))).every((r) => r.json?.degraded === degraded);

  it('D3 a lift and a logout made during a Redis outage stay when Redis returns: no instance publishes its stale memory again', async () => {
    const { a, b } = pair;
    const admin = await a.adminToken();
    const x = '127.0.9.30';
    const block = await http(a.url, '/admin/blocks', {
      method: 'POST',
      token: admin,
      from: '127.0.0.1',
      body: { client: x, reason: 'before the outage', duration_seconds: 3600 },
    });
    expect(block.status).toBe(201);
    await eventually(
      async () => (await holdsBlock(a.url, admin, x)) && (await holdsBlock(b.url, admin, x)),
      'the block on both',
      5_000,
      50,
    );
    expect(await refused(b.url, x)).toBe(true);
    const session = await signIn(a.url, a.adminPassword, '127.0.9.31');
    expect(await accepted(b.url, session.access)).toBe(true);

    const traffic = trafficOn([a.url, b.url], '127.0.9.252');
    await redis.kill();
    await eventually(() => readyBoth(true), 'both instances to see Redis down', 10_000, 50);
    expect((await http(a.url, `/admin/blocks?client=${x}`, { method: 'DELETE', token: admin, from: '127.0.0.1' })).status).toBe(204);
    expect((await http(a.url, '/logout', { method: 'POST', token: session.access, from: '127.0.9.31' })).status).toBe(204);
    expect(await holdsBlock(a.url, admin, x)).toBe(false);
    expect(await accepted(a.url, session.access)).toBe(false);
    // Revocations already reach B from the database during the outage (every 5 s): it is refused there before Redis returns.
    await eventually(async () => !(await accepted(b.url, session.access)), 'B to refuse the logged-out token', 10_000, 100);

    await redis.start();
    await eventually(() => readyBoth(false), 'both instances to reconnect', 15_000, 50);
    // For seconds after the reconnect, X stays lifted and the token dead, on both instances.
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      for (const s of [a, b]) {
        expect(await holdsBlock(s.url, admin, x)).toBe(false);
        expect(await accepted(s.url, session.access)).toBe(false);
      }
      await sleep(100);
    }
    // X's own requests pass on both (a few, below the rate rule); the session does not refresh.
    for (const s of [a, b]) expect(await refused(s.url, x)).toBe(false);
    expect((await refresh(b.url, session.refresh, '127.0.9.31')).status).toBe(401);
    expectNo5xxBut503(await traffic.stop());

    // The database and the audit log agree with what the instances do.
    const url = pair.env['DATABASE_URL'] as string;
    expect(await query(url, `select 1 from decisions where client = $1`, [x])).toEqual([]);
    const events = await query<{ type: string }>(url, `select type from audit_log where client = $1 order by id`, [x]);
    expect(events.map((e) => e.type)).toEqual(['decision.blocked', 'decision.unblocked']);
  }, 120_000);

  it('D18 during a Redis outage, a rule decision, an admin block and a lift made on one instance reach the other within seconds', async () => {
    const { a, b } = pair;
    const admin = await a.adminToken();
    const traffic = trafficOn([a.url, b.url], '127.0.9.253');
    await redis.kill();
    await eventually(() => readyBoth(true), 'both instances to see Redis down', 10_000, 50);

    const attacker = '127.0.9.40';
    for (let i = 0; i < 25; i++) await http(a.url, '/nothing-here', { from: attacker });
    expect(await refused(a.url, attacker)).toBe(true);
    const y = '127.0.9.41';
    const block = await http(a.url, '/admin/blocks', {
      method: 'POST',
      token: admin,
      from: '127.0.0.1',
      body: { client: y, reason: 'during the Redis outage', duration_seconds: 600 },
    });
    expect(block.status).toBe(201);
    let started = Date.now();
    await eventually(
      async () => (await holdsBlock(b.url, admin, attacker)) && (await holdsBlock(b.url, admin, y)),
      'B to hold A’s decisions without Redis',
      8_000,
      100,
    );
    const decisionSeenMs = Date.now() - started;
    expect(await refused(b.url, attacker)).toBe(true);
    expect(await refused(b.url, y)).toBe(true);

    expect((await http(a.url, `/admin/blocks?client=${y}`, { method: 'DELETE', token: admin, from: '127.0.0.1' })).status).toBe(204);
    started = Date.now();
    await eventually(async () => !(await holdsBlock(b.url, admin, y)), 'B to learn the lift without Redis', 8_000, 100);
    const liftSeenMs = Date.now() - started;
    // The poll runs every 2 s while Redis is down: both well inside the 8 s allowed above.
    expect(Math.max(decisionSeenMs, liftSeenMs)).toBeLessThan(5_000);

    await redis.start();
    await eventually(() => readyBoth(false), 'both instances to reconnect', 15_000, 50);
    for (const s of [a, b]) {
      expect(await holdsBlock(s.url, admin, attacker)).toBe(true);
      expect(await holdsBlock(s.url, admin, y)).toBe(false);
    }
    expectNo5xxBut503(await traffic.stop());
  }, 120_000);
});
