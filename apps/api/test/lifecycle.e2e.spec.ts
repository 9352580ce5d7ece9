import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { API_MAIN, eventually, freePort, http, startApiProcess, strongPassword } from '@bouncer/testing';
import { createTestDatabaseUrl } from './support/postgres';
import { startServer, type TestServer } from './support/app';
import { databaseBehindRelay } from './support/relay';
import { PrivateRedis } from './support/private-redis';
import { type Exit, runBuiltToExit, WORKSPACE } from './support/built-server';

/**
 * The process lifecycle (issue #10 points 3-6): graceful shutdown under load (D5), instances
 * started together on an empty database (D6), probes that tell the truth (D8), and a start-up
 * that fails fast and clearly (D11-D13). Signals and start-up run against the built server
 * (`npx nx build api`), as an operator runs it.
 */

/** The built server with only what a start needs: PATH, and what the test sets. */
function runToExit(env: Record<string, string>): Promise<Exit> {
  return runBuiltToExit({ PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env });
}

/** A folder that does not exist yet: a failed start must not create it (or anything in it). */
function absentDataDir(): { dir: string; untouched: () => boolean; cleanup: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'bouncer-lifecycle-'));
  const dir = join(parent, 'data');
  return {
    dir,
    untouched: () => !existsSync(dir) || readdirSync(dir).length === 0,
    cleanup: () => rmSync(parent, { recursive: true, force: true }),
  };
}

/** A sign-in whose TCP connection is known to be established (accepted by the kernel) before the signal. */
function signIn(
  url: string,
  from: string,
  username: string,
  password: string,
): { connected: Promise<void>; answer: Promise<number | string> } {
  const body = new URLSearchParams({ username, password }).toString();
  let onConnect: () => void = () => undefined;
  const connected = new Promise<void>((r) => (onConnect = r));
  const answer = new Promise<number | string>((resolve) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest(
      {
        host: hostname,
        port,
        path: '/token',
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('socket', (s) => s.once('connect', onConnect));
    req.on('error', (err: NodeJS.ErrnoException) => {
      onConnect();
      resolve(err.code ?? err.message);
    });
    req.end(body);
  });
  return { connected, answer };
}

async function shutdownUnderLoad(env: Record<string, string>): Promise<void> {
  const data = absentDataDir();
  const password = strongPassword();
  let output = '';
  const api = await startApiProcess({
    env: {
      PATH: process.env['PATH'],
      DATA_DIR: data.dir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: password,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_SECONDS: '0',
      ...env,
    },
    onOutput: (c) => (output += c),
  });
  try {
    // One account per sign-in: concurrent sign-ins to one account are throttled (429), which is not the point here.
    const token = (await http(api.url, '/token', { form: { username: 'admin', password }, from: '127.0.0.1' })).json.access_token as string;
    const people = Array.from({ length: 60 }, (_, i) => `d5user${i}`);
    for (const username of people) {
      expect((await http(api.url, '/admin/users', { token, body: { username, password, role: 'user' }, from: '127.0.0.1' })).status).toBe(
        201,
      );
    }
    const exited = new Promise<number | null>((r) => api.process.once('exit', (code) => r(code)));
    const logins = people.map((username, i) => signIn(api.url, `127.0.${120 + Math.floor(i / 50)}.${(i % 50) + 1}`, username, password));
    await Promise.all(logins.map((l) => l.connected));
    api.process.kill('SIGTERM');
    const answers = await Promise.all(logins.map((l) => l.answer));
    expect(answers.filter((a) => a !== 200)).toEqual([]);
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGTERM received: shutting down/);
    expect(output).toMatch(/shutdown complete after SIGTERM/);
  } finally {
    await api.stop();
    data.cleanup();
  }
}

describe('lifecycle', () => {
  describe('D8 the probes', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ RATE_LIMIT: '20', PROBE_THRESHOLD: '5' });
    });
    afterAll(() => server?.close(true));

    it('D8 /health and /health/ready are never counted by the rate or probing rules, never refused by a block, and carry the security headers', async () => {
      const poller = '127.0.130.1';
      for (let i = 0; i < 60; i++) {
        expect((await http(server.url, i % 2 ? '/health' : '/health/ready', { from: poller })).status).toBe(200);
      }
      // Not counted: the same address is still an ordinary, unblocked client.
      expect((await http(server.url, '/.well-known/jwks.json', { from: poller })).status).toBe(200);

      const token = await server.adminToken();
      const blocked = '127.0.130.2';
      expect(
        (await http(server.url, '/admin/blocks', { token, body: { client: blocked, duration_seconds: 600, reason: 'D8 test' } })).status,
      ).toBe(201);
      expect((await http(server.url, '/.well-known/jwks.json', { from: blocked })).status).toBe(403);
      for (const path of ['/health', '/health/ready', '/health/ready?x=1']) {
        const res = await http(server.url, path, { from: blocked });
        expect(res.status).toBe(200);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-request-id']).toBeTruthy();
      }
      const ready = await http(server.url, '/health/ready', { from: blocked });
      expect(ready.json).toEqual({
        status: 'ready',
        database: 'embedded:ok',
        shared_store: 'none',
        degraded: false,
        fallbacks: [],
        unstored: { decisions: { queued: 0, dropped: 0 }, revocations: { queued: 0, dropped: 0 } },
        // No POLICY_FILE: one default class, which counts on this instance when a shared store is lost.
        route_classes: [{ name: 'default', on_store_down: 'local', now: 'normal' }],
      });
    });
  });

  it('D8 readiness stays 200 "degraded" naming what is down and what the instance does instead when Redis or PostgreSQL is lost', async () => {
    const db = await databaseBehindRelay();
    const relay = db.relay;
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const server = await startServer({ DATABASE_URL: db.url, REDIS_URL: redis.url });
    try {
      const ok = await http(server.url, '/health/ready');
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ status: 'ready', database: 'postgres:ok', shared_store: 'redis:ok', degraded: false });

      await redis.kill();
      const noRedis = await eventually(async () => {
        const r = await http(server.url, '/health/ready');
        return r.json?.status === 'degraded' && r;
      }, 'degraded after Redis loss');
      expect(noRedis.status).toBe(200);
      expect(noRedis.json.shared_store).toBe('redis:unreachable');
      expect(noRedis.json.fallbacks).toEqual([
        expect.objectContaining({ part: 'redis', instead: expect.stringMatching(/this instance alone/) }),
      ]);

      const token = await server.adminToken();
      await relay.cut();
      const noDb = await http(server.url, '/health/ready');
      expect(noDb.status).toBe(200);
      expect(noDb.json).toMatchObject({ status: 'degraded', database: 'postgres:unreachable', degraded: true });
      expect(noDb.json.fallbacks.map((f: { part: string }) => f.part).sort()).toEqual(['database', 'redis']);
      expect(noDb.json.fallbacks.find((f: { part: string }) => f.part === 'database').instead).toMatch(
        /tokens are still verified.*sign-ins.*503/,
      );
      // What it says is what it does.
      expect((await http(server.url, '/validate-token', { token, from: '127.0.131.1' })).status).toBe(200);
      expect(
        (await http(server.url, '/token', { form: { username: 'admin', password: server.adminPassword }, from: '127.0.131.2' })).status,
      ).toBe(503);
    } finally {
      await redis.kill();
      await server.close(true);
      await relay.cut().catch(() => undefined);
      await db.drop();
    }
  }, 90_000);

  describe('D5 graceful shutdown (built server)', () => {
    it('D5 SIGTERM with 60 sign-ins in flight on the embedded store: every one is answered 200, then the process exits 0 with a start and an end line', async () => {
      await shutdownUnderLoad({});
    }, 120_000);

    it('D5 SIGTERM with 60 sign-ins in flight on PostgreSQL: every one is answered 200, then exit 0', async () => {
      const db = await createTestDatabaseUrl();
      try {
        await shutdownUnderLoad({ DATABASE_URL: db.url });
      } finally {
        await db.drop();
      }
    }, 120_000);

    it('D5 during the drain delay readiness is 503 "draining" while requests are still served; a second signal ends it at once', async () => {
      const data = absentDataDir();
      const password = strongPassword();
      let output = '';
      const api = await startApiProcess({
        env: {
          PATH: process.env['PATH'],
          DATA_DIR: data.dir,
          ADMIN_USERNAME: 'admin',
          ADMIN_PASSWORD: password,
          SHUTDOWN_DRAIN_SECONDS: '20',
        },
        onOutput: (c) => (output += c),
      });
      try {
        const exited = new Promise<number | null>((r) => api.process.once('exit', (code) => r(code)));
        api.process.kill('SIGTERM');
        await eventually(async () => output.includes('SIGTERM received'), 'the shutdown line');
        const ready = await http(api.url, '/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.json.status).toBe('draining');
        expect((await http(api.url, '/health')).status).toBe(200);
        expect((await http(api.url, '/token', { form: { username: 'admin', password }, from: '127.0.132.1' })).status).toBe(200);
        const t0 = Date.now();
        api.process.kill('SIGINT');
        expect(await exited).toBe(1);
        expect(Date.now() - t0).toBeLessThan(2_000);
        expect(output).toMatch(/SIGINT again during shutdown: stopping now/);
      } finally {
        await api.stop();
        data.cleanup();
      }
    }, 120_000);
  });

  it('D6 three instances started together on an empty PostgreSQL database all come up, and the first admin is created exactly once', async () => {
    const db = await createTestDatabaseUrl();
    const password = strongPassword();
    const folders = [absentDataDir(), absentDataDir(), absentDataDir()];
    const outputs = ['', '', ''];
    const started = await Promise.allSettled(
      folders.map((f, i) =>
        startApiProcess({
          env: { PATH: process.env['PATH'], DATA_DIR: f.dir, DATABASE_URL: db.url, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password },
          onOutput: (c) => (outputs[i] += c),
        }),
      ),
    );
    try {
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'up'))).toEqual(['up', 'up', 'up']);
      expect(outputs.join('').match(/Created admin user/g)).toHaveLength(1);
      const c = new Client({ connectionString: db.url });
      await c.connect();
      const users = await c.query(`select username from users`);
      const audit = await c.query(`select count(*)::int as n from audit_log where type = 'user.created'`);
      await c.end();
      expect(users.rows).toEqual([{ username: 'admin' }]);
      expect(audit.rows[0].n).toBe(1);
      for (const s of started) {
        if (s.status === 'fulfilled')
          expect((await http(s.value.url, '/token', { form: { username: 'admin', password }, from: '127.0.133.1' })).status).toBe(200);
      }
    } finally {
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      for (const f of folders) f.cleanup();
      await db.drop();
    }
  }, 180_000);

  describe('D11-D13 start-up fails fast, with one line, creating nothing (built server)', () => {
    const FAST_MS = 5_000;
    const times: Record<string, number> = {};
    afterAll(() => process.stdout.write(`start-up refusal times (ms): ${JSON.stringify(times)}\n`));

    async function refused(name: string, env: Record<string, string>, message: RegExp): Promise<void> {
      const data = absentDataDir();
      try {
        const run = await runToExit({ DATA_DIR: data.dir, PORT: String(await freePort()), ...env });
        times[name] = run.ms;
        expect(run.code).toBe(1);
        const lines = run.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
        expect(run.ms).toBeLessThan(FAST_MS);
        expect(data.untouched()).toBe(true);
      } finally {
        data.cleanup();
      }
    }

    it('D11 a DATABASE_URL naming a missing database (3D000) stops the start, instead of retrying forever', async () => {
      const url = new URL((await createTestDatabaseUrl().then(async (d) => (await d.drop(), d))).url);
      await refused(
        'missing database',
        { DATABASE_URL: url.toString() },
        /^bouncer: failed to start: PostgreSQL refused DATABASE_URL: the database does not exist .*3D000/,
      );
    }, 60_000);

    it('D11 a DATABASE_URL naming a missing role (28000) stops the start', async () => {
      const db = await createTestDatabaseUrl();
      try {
        const url = new URL(db.url);
        url.username = 'no_such_role_d11';
        await refused(
          'missing role',
          { DATABASE_URL: url.toString() },
          /^bouncer: failed to start: PostgreSQL refused DATABASE_URL: the role .*28000/,
        );
      } finally {
        await db.drop();
      }
    }, 60_000);

    it('D13 a weak ADMIN_PASSWORD stops the start before the data folder, database or keys exist', async () => {
      await refused(
        'weak ADMIN_PASSWORD',
        { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'password' },
        /^bouncer: Invalid ADMIN_PASSWORD: the password must be at least 12 characters$/,
      );
      await refused(
        'common ADMIN_PASSWORD',
        { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'password1234' },
        /^bouncer: Invalid ADMIN_PASSWORD: the password is one of the most common/,
      );
    }, 60_000);

    it('D13 a missing key file stops the start, naming the variable and the file', async () => {
      await refused(
        'missing JWT key',
        { JWT_PRIVATE_KEY_FILE: '/nonexistent/d13.pem' },
        /^bouncer: Invalid JWT_PRIVATE_KEY_FILE: \/nonexistent\/d13\.pem: no such file$/,
      );
    }, 60_000);

    it('D13 a port already in use stops the start before anything is created', async () => {
      const busy = createServer();
      const port = await freePort();
      await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
      try {
        await refused('port in use', { PORT: String(port) }, /^bouncer: failed to start: 127\.0\.0\.1:\d+ is already in use/);
      } finally {
        busy.close();
      }
    }, 60_000);

    it('D11 a refused connection is transient: the start waits, logging each attempt and the back-off, with the port still closed', async () => {
      const data = absentDataDir();
      const port = await freePort();
      const closed = await freePort();
      const child = spawn(process.execPath, [API_MAIN], {
        cwd: WORKSPACE,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: data.dir,
          DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/x`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      try {
        await eventually(async () => /attempt 3 failed, next in 2 s/.test(output), 'three logged attempts', 20_000);
        expect(output).toMatch(/PostgreSQL unreachable \([^)]*ECONNREFUSED[^)]*\); attempt 1 failed, next in 0\.5 s/);
        expect(child.exitCode).toBeNull();
        await expect(http(`http://127.0.0.1:${port}`, '/health')).rejects.toThrow(/ECONNREFUSED/);
      } finally {
        child.kill('SIGKILL');
        data.cleanup();
      }
    }, 60_000);

    it('D12 a Redis missing at start is one warning line; the server starts and says degraded', async () => {
      const data = absentDataDir();
      let output = '';
      const api = await startApiProcess({
        env: { PATH: process.env['PATH'], DATA_DIR: data.dir, REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
        onOutput: (c) => (output += c),
      });
      try {
        await eventually(async () => (await http(api.url, '/health/ready')).json?.status === 'degraded', 'degraded');
        const warnings = output.split('\n').filter((l) => /unreachable at start/.test(l));
        expect(warnings).toHaveLength(1);
        expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, context: 'Redis' });
      } finally {
        await api.stop();
        data.cleanup();
      }
    }, 90_000);
  });
});
