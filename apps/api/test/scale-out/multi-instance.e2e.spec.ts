import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, http, type HttpOptions } from '@bouncer/testing';
import { Cluster } from '../support/cluster';
import { createTestDatabaseUrl } from '../support/postgres';

/**
 * Three built API processes behind nginx (Debian's, with tools/nginx/bouncer.conf.template),
 * sharing one PostgreSQL database and one Redis. The Redis here is a private server on a free
 * port, so the test can stop and restart it without touching the machine's own.
 */
class PrivateRedis {
  private proc?: ChildProcess;
  constructor(readonly port: number) {}
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const p = spawn('redis-cli', ['-p', String(this.port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        p.stdout?.on('data', (d) => (out += d));
        p.on('exit', () => resolve(out.includes('PONG')));
      });
      if (up) return;
      await sleepReal(100);
    }
    throw new Error('private redis did not start');
  }
  async stop(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc?.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

/** Waiting on other processes (propagation between instances) is real time, bounded. */
const sleepReal = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Probes until `ok`; `elapsed` is when the probe that passed was sent: "a request sent 300 ms
 * after the block is refused". Its answer may come later than that: under overload the
 * refusal pacing holds refusals (up to 1 s), which is the answer's timing, not the block's.
 */
async function within<T>(ms: number, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<{ value: T; elapsed: number }> {
  const start = Date.now();
  for (;;) {
    const sentAt = Date.now() - start;
    const value = await probe();
    if (ok(value)) return { value, elapsed: sentAt };
    if (Date.now() - start > ms) return { value, elapsed: Date.now() - start };
    await sleepReal(50);
  }
}

describe('several instances sharing Redis and PostgreSQL behind nginx', () => {
  let cluster: Cluster;
  let redis: PrivateRedis;
  let dropDb: () => Promise<void>;
  let adminToken: string;
  const viaNginx = (path: string, opts?: HttpOptions) => http(cluster.url, path, opts);
  const direct = (i: number, path: string, opts?: HttpOptions) => http(cluster.instances[i]!.url, path, opts);

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    const db = await createTestDatabaseUrl();
    dropDb = db.drop;
    cluster = new Cluster({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      ALLOWLIST: '127.0.0.1/32',
      HEALING_INTERVAL: '1',
    });
    // Start one first so the shared database is migrated and the admin created, then the rest together.
    await cluster.startInstance(0);
    await Promise.all([cluster.startInstance(1), cluster.startInstance(2)]);
    await cluster.startNginx();
    const res = await viaNginx('/token', { form: { username: 'admin', password: cluster.adminPassword } });
    expect(res.status).toBe(200);
    adminToken = res.json.access_token;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
    await dropDb?.();
  });

  it('accepts a token from any instance on every other (shared signing key)', async () => {
    for (let i = 0; i < 3; i++) expect((await direct(i, '/validate-token', { token: adminToken })).status).toBe(200);
  });

  it('counts failed logins exactly under a simultaneous burst spread over the instances', async () => {
    const burst = await Promise.all(
      Array.from({ length: 15 }, () =>
        viaNginx('/token', { form: { username: 'admin', password: 'wrong-password-xyz' }, from: '127.0.60.1' }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it('gives 160 simultaneous guesses at one account, spread over the instances, no more checks than 160 one by one', async () => {
    const burst = await Promise.all(
      Array.from({ length: 160 }, (_, k) =>
        direct(k % 3, '/token', { form: { username: 'cluster-target', password: `wrong-${k}-zz` }, from: `127.0.66.${(k % 40) + 1}` }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150);
  }, 60_000);

  it('enforces a block made on one instance on the others within 1 s', async () => {
    const made = await direct(0, '/admin/blocks', {
      token: adminToken,
      body: { client: '127.0.61.1', duration_seconds: 600, reason: 'cluster test' },
    });
    expect(made.status).toBe(201);
    for (const i of [1, 2]) {
      const { value, elapsed } = await within(
        1000,
        () => direct(i, '/.well-known/jwks.json', { from: '127.0.61.1' }),
        (r) => r.status === 403,
      );
      expect(value.status).toBe(403);
      expect(elapsed).toBeLessThan(1000);
    }
  });

  it('sees a token replayed through different instances as one token (rule 5)', async () => {
    const user = await viaNginx('/token', { form: { username: 'admin', password: cluster.adminPassword }, from: '127.0.0.1' });
    const token = user.json.access_token;
    expect((await direct(0, '/validate-token', { token, from: '127.0.65.1' })).status).toBe(200);
    expect((await direct(1, '/validate-token', { token, from: '127.0.65.2' })).status).toBe(200);
    expect((await direct(2, '/validate-token', { token, from: '127.0.65.3' })).status).toBe(200);
    // The fourth client, on yet another instance's turn: revoked and blocked.
    expect((await direct(0, '/validate-token', { token, from: '127.0.65.4' })).status).toBe(401);
    const { value } = await within(
      1000,
      () => direct(1, '/.well-known/jwks.json', { from: '127.0.65.4' }),
      (r) => r.status === 403,
    );
    expect(value.status).toBe(403);
  });

  it('shows every instance one merged dashboard: traffic series, top clients and events', async () => {
    for (let i = 0; i < 3; i++)
      for (let k = 0; k < 3; k++) expect((await direct(i, '/.well-known/jwks.json', { from: '127.0.64.1' })).status).toBe(200);
    const { value } = await within(
      3000,
      () => direct(2, '/dashboard-data', { token: adminToken }),
      (r) => (r.json?.top_clients ?? []).some((c: { client: string; requests: number }) => c.client === '127.0.64.1' && c.requests >= 9),
    );
    const row = value.json.top_clients.find((c: { client: string }) => c.client === '127.0.64.1');
    expect(row.requests).toBe(9);
    expect(value.json.series.points.reduce((n: number, p: { requests: number }) => n + p.requests, 0)).toBeGreaterThanOrEqual(9);
    // The block made on instance 0 is in instance 2's event feed.
    expect(value.json.events.some((e: { detail: string }) => /cluster test/.test(e.detail))).toBe(true);
  });

  it('keeps protecting while Redis is down, reports degraded, and reconciles when it returns', async () => {
    await redis.stop();
    const ready = await within(
      5000,
      () => direct(1, '/health/ready'),
      (r) => r.json?.degraded === true,
    );
    expect(ready.value.json).toMatchObject({ status: 'degraded', degraded: true });
    // Neither open to everyone nor closed to everyone: ordinary requests pass ...
    expect((await viaNginx('/.well-known/jwks.json', { from: '127.0.62.1' })).status).toBe(200);
    // ... and the sign-in rules still hold, per instance.
    const tries = [];
    for (let i = 0; i < 8; i++)
      tries.push((await direct(2, '/token', { form: { username: 'admin', password: 'wrong-again-xyz' }, from: '127.0.62.2' })).status);
    expect(tries.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(tries.slice(5)).toEqual([429, 429, 429]);
    // A block made during the outage reaches the others from the shared database within seconds (D18) ...
    expect(
      (
        await direct(0, '/admin/blocks', {
          token: adminToken,
          body: { client: '127.0.63.1', duration_seconds: 600, reason: 'made while degraded' },
        })
      ).status,
    ).toBe(201);
    const learned = await within(
      5_000,
      () => direct(1, '/.well-known/jwks.json', { from: '127.0.63.1' }),
      (r) => r.status === 403,
    );
    expect(learned.value.status).toBe(403);
    await redis.start();
    // ... and stays when Redis is back.
    const healed = await within(
      10_000,
      () => direct(1, '/.well-known/jwks.json', { from: '127.0.63.1' }),
      (r) => r.status === 403,
    );
    expect(healed.value.status).toBe(403);
    const readyAgain = await within(
      5000,
      () => direct(1, '/health/ready'),
      (r) => r.json?.degraded === false,
    );
    expect(readyAgain.value.json.status).toBe('ready');
  }, 60_000);

  it('keeps blocks, users and the audit log when an instance restarts', async () => {
    await cluster.stopInstance(2);
    await cluster.startInstance(2, cluster.instances[2]!.port);
    expect((await direct(2, '/.well-known/jwks.json', { from: '127.0.61.1' })).status).toBe(403);
    expect((await direct(2, '/validate-token', { token: adminToken })).status).toBe(200);
    const events = await direct(2, '/admin/events?limit=200', { token: adminToken });
    expect(events.json.some((e: { detail: string }) => /cluster test/.test(e.detail))).toBe(true);
  }, 60_000);
});
