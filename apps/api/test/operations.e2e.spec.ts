import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { cookiesFrom, http, type HttpResponse, startApiProcess, strongPassword, type ApiProcess } from '@bouncer/testing';
import { runCli } from '../src/cli/bouncer-cli';
import { DecisionService } from '../src/detection';
import { startServer, type TestServer } from './support/app';
import { databaseBehindRelay } from './support/relay';
import { runBuiltToExit } from './support/built-server';

/**
 * Operations (issue #10 points 1, 7, 9): one writer per data folder, logs an operator can use,
 * backup and restore. The process tests run the build (`npx nx build api`): a second process,
 * a signal and what a supervisor's log collector receives are the point.
 */

/** The environment of a built process: ours, minus what would choose its admin or its store. */
function processEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of ['ADMIN_PASSWORD', 'ADMIN_USERNAME', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL', 'JWT_PRIVATE_KEY_FILE']) delete env[k];
  return { ...env, ...extra };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('one writer per data folder (built process)', () => {
  const password = 'Lock-test-password-5521';
  let dir: string;
  let holder: ApiProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bouncer-lock-'));
    holder = await startApiProcess({ env: processEnv({ DATA_DIR: dir, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password }) });
  });
  afterAll(async () => {
    await holder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('D1 a second process on the same DATA_DIR exits within seconds with one line naming the folder and the holding pid', async () => {
    const second = await runBuiltToExit(processEnv({ DATA_DIR: dir, LOG_LEVEL: 'info' }));
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBe('timeout');
    expect(second.ms).toBeLessThan(10_000);
    const output = lines(second.stdout + second.stderr);
    expect(output).toHaveLength(1); // no Nest error line, no stack: one line an operator reads
    expect(output[0]).toContain(dir);
    expect(output[0]).toContain(`pid ${holder?.process.pid}`);
    // The holder is untouched and still serves.
    expect((await http(holder?.url as string, '/token', { from: '127.0.30.1', form: { username: 'admin', password } })).status).toBe(200);
  });

  it('D1 after SIGKILL of the holder, the next start takes over the stale lock and finds its data', async () => {
    const killed = holder as ApiProcess;
    killed.process.kill('SIGKILL');
    await new Promise((r) => (killed.exited() !== null ? r(null) : killed.process.once('exit', r)));
    expect(readFileSync(join(dir, 'bouncer.lock'), 'utf8').trim()).toBe(String(killed.process.pid)); // left behind
    const started = Date.now();
    holder = await startApiProcess({ env: processEnv({ DATA_DIR: dir }) });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(readFileSync(join(dir, 'bouncer.lock'), 'utf8').trim()).toBe(String(holder.process.pid));
    expect((await http(holder.url, '/token', { from: '127.0.30.2', form: { username: 'admin', password } })).status).toBe(200);
  });
});

describe('start-up output (built process, stdout not a terminal)', () => {
  it('D17 every line is JSON, one start-up summary line, and the generated admin password only in a 0600 file that a password change removes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-summary-'));
    let output = '';
    const api = await startApiProcess({ env: processEnv({ DATA_DIR: dir, LOG_LEVEL: 'info' }), onOutput: (c) => (output += c) });
    try {
      const file = join(dir, 'initial-admin-password');
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(output).not.toContain(password);
      const parsed = lines(output).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`not a JSON line: ${l}`);
        }
      });
      expect(parsed.some((l) => String(l['msg']).includes(file))).toBe(true); // where to find it
      const summary = parsed.filter((l) => l['event'] === 'startup');
      expect(summary).toHaveLength(1);
      expect(summary[0]).toMatchObject({
        level: 30,
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        listening: `${api.url}/`,
        data_dir: dir,
        stores: { database: 'embedded', counters: 'memory' },
        pid: api.process.pid,
      });
      expect(summary[0]?.['rules']).toEqual(expect.arrayContaining(['request-rate', 'probing', 'failed-logins']));

      const pair = await http(api.url, '/token', { from: '127.0.31.1', form: { username: 'admin', password } });
      expect(pair.status).toBe(200);
      const changed = await http(api.url, '/me/password', {
        from: '127.0.31.1',
        token: pair.json.access_token,
        body: { current_password: password, new_password: strongPassword() },
      });
      expect(changed.status).toBeLessThan(300);
      expect(existsSync(file)).toBe(false); // no stale password lying around
    } finally {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The JSON lines a server wrote, parsed. */
function logOf(sink: string[]): Record<string, unknown>[] {
  return sink.flatMap((chunk) => lines(chunk)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('decision log lines', () => {
  let server: TestServer;
  const sink: string[] = [];
  beforeAll(async () => {
    server = await startServer({ LOG_LEVEL: 'info' }, undefined, { onLog: (l) => sink.push(l) });
  });
  afterAll(() => server?.close(true));

  it('D7 one info line per decision and per lift, with client, rule, kind, reason, expires_at, decided_by and the request id', async () => {
    // A probing block: unknown paths from one client.
    const probeIds = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const res = await http(server.url, `/no-such-page-${i}`, { from: '127.0.40.1' });
      probeIds.add(String(res.headers['x-request-id']));
    }
    // A failed-login buffer.
    const loginIds = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await http(server.url, '/token', { from: '127.0.40.2', form: { username: 'admin', password: `Wrong-password-${i}-xx` } });
      loginIds.add(String(res.headers['x-request-id']));
    }
    // A person's block and lift.
    const token = await server.adminToken();
    const block = await http(server.url, '/admin/blocks', {
      from: '127.0.0.1',
      token,
      body: { client: '127.0.40.3', duration_seconds: 600, reason: 'testing the log' },
    });
    expect(block.status).toBe(201);
    const lift = await http(server.url, '/admin/blocks?client=127.0.40.3', { from: '127.0.0.1', token, method: 'DELETE' });
    expect(lift.status).toBe(204);
    // An expiry, lifted by the healing job (no request).
    server.clock.advance(3_600_000);
    await server.app.get(DecisionService).liftExpired(server.clock.now());

    const log = logOf(sink);
    const decisions = log.filter((l) => l['event'] === 'decision');
    const lifts = log.filter((l) => l['event'] === 'lift');
    // Suspicion first (70 % of the limit), then the block: two decisions, two lines.
    expect(decisions.filter((l) => l['client'] === '127.0.40.1').map((l) => l['kind'])).toEqual(['suspicious', 'blocked']);
    const probing = decisions.filter((l) => l['client'] === '127.0.40.1' && l['kind'] === 'blocked');
    expect(probing).toHaveLength(1);
    expect(probing[0]).toMatchObject({
      level: 30,
      rule: 'probing',
      kind: 'blocked',
      decided_by: 'rule:probing',
      reason: expect.any(String),
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(probeIds.has(String(probing[0]?.['req_id']))).toBe(true);
    const buffer = decisions.filter((l) => l['client'] === '127.0.40.2' && l['kind'] === 'blocked');
    expect(buffer).toHaveLength(1);
    expect(buffer[0]).toMatchObject({ rule: 'failed-logins', scope: 'sign-in', decided_by: 'rule:failed-logins' });
    expect(loginIds.has(String(buffer[0]?.['req_id']))).toBe(true);
    expect(decisions.filter((l) => l['client'] === '127.0.40.3')).toEqual([
      expect.objectContaining({
        rule: 'admin',
        reason: 'testing the log',
        decided_by: 'admin:admin',
        req_id: block.headers['x-request-id'],
      }),
    ]);
    expect(lifts.filter((l) => l['client'] === '127.0.40.3')).toEqual([
      expect.objectContaining({ level: 30, kind: 'blocked', decided_by: 'admin:admin', req_id: lift.headers['x-request-id'] }),
    ]);
    const expired = lifts.filter((l) => l['client'] === '127.0.40.1');
    expect(expired).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'blocked', decided_by: 'healing', rule: 'probing', reason: 'expired' })]),
    );
    for (const l of expired) expect(l).not.toHaveProperty('req_id');
  });

  it('D15 every refusal carries the request id and the security headers; a bad query parameter is named as one', async () => {
    const token = await server.adminToken();
    await http(server.url, '/admin/blocks', {
      from: '127.0.0.1',
      token,
      body: { client: '127.0.41.1', duration_seconds: 600, reason: 'refusal headers' },
    });
    const answers: [string, HttpResponse][] = [
      ['blocked', await http(server.url, '/token', { from: '127.0.41.1', form: { username: 'admin', password: 'x' } })],
      ['unauthenticated', await http(server.url, '/admin/users', { from: '127.0.41.2' })],
      ['not found', await http(server.url, '/nothing-here', { from: '127.0.41.3' })],
      ['media type', await http(server.url, '/token', { from: '127.0.41.4', raw: 'x', headers: { 'content-type': 'text/plain' } })],
      ['too large', await http(server.url, '/token', { from: '127.0.41.5', body: { username: 'a'.repeat(40_000) } })],
      ['bad query', await http(server.url, '/admin/decisions?page=zero', { from: '127.0.0.1', token })],
      ['unknown query', await http(server.url, '/admin/decisions?bogus=1', { from: '127.0.0.1', token })],
      ['broken escape', await http(server.url, '/%E0%A4%A', { from: '127.0.41.7' })],
    ];
    for (const [what, res] of answers) {
      expect({ what, status: res.status >= 400 }).toEqual({ what, status: true });
      expect({ what, id: res.headers['x-request-id'] }).toEqual({ what, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect({ what, nosniff: res.headers['x-content-type-options'] }).toEqual({ what, nosniff: 'nosniff' });
      expect({ what, frame: Boolean(res.headers['x-frame-options'] ?? res.headers['content-security-policy']) }).toEqual({
        what,
        frame: true,
      });
    }
    // Not HTTP at all: answered by the parser's error handler, before Fastify, with the same headers.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = new Socket();
      let text = '';
      socket.on('data', (d) => (text += String(d)));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', localAddress: '127.0.41.6' }, () =>
        socket.write('GARBAGE / HTTP/9\r\n\r\n'),
      );
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.toLowerCase()).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    expect(raw.toLowerCase()).toContain('\r\nx-content-type-options: nosniff\r\n');
    expect(raw.toLowerCase()).toContain('\r\nx-frame-options: deny\r\n');
    const bad = answers[5]?.[1] as HttpResponse;
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toBe('The query parameter page is invalid.');
    expect(bad.json.errors[0].field).toBe('page');
    const unknown = answers[6]?.[1] as HttpResponse;
    expect(unknown.status).toBe(400);
    expect(unknown.json.detail).toBe('The query parameter bogus is invalid.');
    expect(unknown.json.errors[0].field).toBe('bogus');
  });
});

describe('no secret in any log line', () => {
  it('D10 a PostgreSQL outage during user creation, sign-ins, refreshes and logouts logs causes, never passwords, hashes, tokens or cookies (trace level)', async () => {
    const database = await databaseBehindRelay();
    const relay = database.relay;
    const sink: string[] = [];
    const server = await startServer({ DATABASE_URL: database.url, LOG_LEVEL: 'trace' }, undefined, { onLog: (l) => sink.push(l) });
    try {
      const token = await server.adminToken();
      const userPassword = strongPassword();
      const newPassword = strongPassword();
      expect(
        (
          await http(server.url, '/admin/users', {
            from: '127.0.0.1',
            token,
            body: { username: 'dora', password: userPassword, role: 'user' },
          })
        ).status,
      ).toBe(201);
      const pair = (await http(server.url, '/token', { from: '127.0.42.1', form: { username: 'dora', password: userPassword } })).json;
      const session = await http(server.url, '/session', { from: '127.0.42.2', body: { username: 'dora', password: userPassword } });
      expect(session.status).toBe(200);
      const cookies = cookiesFrom(session);
      const pg = new Client({ connectionString: database.directUrl });
      await pg.connect();
      const hashes = (await pg.query<{ h: string }>('select password_hash as h from users')).rows.map((r) => r.h);
      await pg.end();

      await relay.cut();
      const during = [
        await http(server.url, '/admin/users', {
          from: '127.0.0.1',
          token,
          body: { username: 'erin', password: newPassword, role: 'user' },
        }),
        await http(server.url, '/token', { from: '127.0.42.3', form: { username: 'dora', password: userPassword } }),
        await http(server.url, '/token', { from: '127.0.42.3', form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token } }),
        await http(server.url, '/session', { from: '127.0.42.2', body: { username: 'dora', password: userPassword }, cookie: cookies }),
        await http(server.url, '/session/refresh', { from: '127.0.42.2', method: 'POST', cookie: cookies }),
        await http(server.url, '/logout', { from: '127.0.42.1', token: pair.access_token, form: { refresh_token: pair.refresh_token } }),
        await http(server.url, '/session', { from: '127.0.42.2', method: 'DELETE', cookie: cookies }),
        await http(server.url, '/admin/blocks', {
          from: '127.0.0.1',
          token,
          body: { client: '127.0.42.9', duration_seconds: 60, reason: 'outage' },
        }),
      ];
      expect(during.map((r) => r.status)).toContain(503);
      await relay.open();

      const text = sink.join('');
      expect(text).toMatch(/ECONNREFUSED|Connection terminated|connect/); // the cause is there ...
      const secrets = [
        server.adminPassword,
        userPassword,
        newPassword,
        token,
        pair.access_token,
        pair.refresh_token,
        session.json.access_token,
        ...hashes,
        ...cookies.split('; ').map((c) => c.slice(c.indexOf('=') + 1)),
      ];
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(10);
        expect(text.includes(secret) ? `a log line holds ${secret.slice(0, 12)}...` : 'clean').toBe('clean'); // ... never a secret
      }
      expect(text).not.toMatch(/\$argon2/);
      expect(text).not.toMatch(/params:/);
    } finally {
      await server.close(true);
      await relay.cut().catch(() => undefined);
      await database.drop();
    }
  });
});

describe('backup and restore of the embedded store', () => {
  it('point 9 `bouncer backup` copies the running service under load; after a wipe, `bouncer restore` brings users, decisions, lists and audit back', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
    let server = await startServer();
    const dataDir = server.dataDir;
    const file = join(mkdtempSync(join(tmpdir(), 'bouncer-backup-')), 'backup.tar.gz');
    try {
      const token = await server.adminToken();
      const bobPassword = strongPassword();
      expect(
        (
          await http(server.url, '/admin/users', {
            from: '127.0.0.1',
            token,
            body: { username: 'bob', password: bobPassword, role: 'user' },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await http(server.url, '/admin/blocks', {
            from: '127.0.0.1',
            token,
            body: { client: '127.0.43.9', duration_seconds: 86_400, reason: 'kept by the backup' },
          })
        ).status,
      ).toBe(201);
      expect(
        (await http(server.url, '/admin/lists', { from: '127.0.0.1', token, body: { kind: 'deny', cidr: '10.66.0.0/16', note: 'kept' } }))
          .status,
      ).toBe(201);

      // Under load: sign-ins, failures and token checks from many clients while the copy is taken.
      let stop = false;
      const statuses: number[] = [];
      const load = Array.from({ length: 6 }, async (_, i) => {
        while (!stop) {
          const res = await http(server.url, '/token', {
            from: `127.0.44.${i + 1}`,
            form: i % 2 ? { username: 'bob', password: bobPassword } : { username: 'mallory', password: 'Wrong-password-77x' },
          });
          statuses.push(res.status);
        }
      });
      const env = { BOUNCER_TOKEN: token, BOUNCER_URL: server.url };
      const code = await runCli(['backup', file], env, io);
      stop = true;
      await Promise.all(load);
      expect({ code, out }).toEqual({ code: 0, out: [expect.stringContaining(file)] });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      // Without a token, or with a user's, there is no backup.
      expect(await runCli(['backup', `${file}.x`], { BOUNCER_URL: server.url }, io)).toBe(2);
      const bob = (await http(server.url, '/token', { from: '127.0.45.1', form: { username: 'bob', password: bobPassword } })).json;
      expect((await http(server.url, '/admin/backup', { from: '127.0.45.1', method: 'POST', token: bob.access_token })).status).toBe(403);
      // The data folder is the running server's: restore refuses.
      expect(await runCli(['restore', file, '--data-dir', dataDir], {}, io)).toBe(3);

      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      out.length = 0;
      expect(await runCli(['restore', file, '--data-dir', dataDir], {}, io)).toBe(0);
      expect(out.join('\n')).toMatch(/users/);
      server = await startServer({}, { dataDir, adminPassword: server.adminPassword });

      expect((await http(server.url, '/token', { from: '127.0.45.2', form: { username: 'bob', password: bobPassword } })).status).toBe(200);
      const admin = await server.adminToken();
      const decisions = (await http(server.url, '/admin/decisions', { from: '127.0.0.1', token: admin })).json;
      expect(decisions.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ client: '127.0.43.9', reason: 'kept by the backup' })]),
      );
      expect((await http(server.url, '/health', { from: '127.0.43.9' })).status).toBeLessThan(500);
      expect((await http(server.url, '/token', { from: '127.0.43.9', form: { username: 'bob', password: bobPassword } })).status).toBe(403);
      const lists = (await http(server.url, '/admin/lists', { from: '127.0.0.1', token: admin })).json as { cidr: string }[];
      expect(lists.map((l) => l.cidr)).toContain('10.66.0.0/16');
      const events = (await http(server.url, '/admin/events?limit=500', { from: '127.0.0.1', token: admin })).json as {
        type: string;
        detail: string;
      }[];
      const types = events.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['user.created', 'decision.blocked', 'backup.taken', 'backup.restored']));
      // A second restore onto the data folder is refused without --force.
      await server.close();
      expect(await runCli(['restore', file, '--data-dir', dataDir], {}, io)).toBe(2);
    } finally {
      await server.close(true).catch(() => undefined);
      rmSync(join(file, '..'), { recursive: true, force: true });
    }
  });
});
