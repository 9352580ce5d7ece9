import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, http, strongPassword } from '@bouncer/testing';
import { APP_CONFIG, type AppConfig } from '../../src/config/app-config';
import { REDIS, type RedisHandle } from '../../src/core/redis';
import { DATABASE, type DatabaseHandle } from '../../src/db/database';
import { blockHistory, users } from '../../src/db/schema';
import { DecisionRepository } from '../../src/detection/decisions/decision.repository';
import { DETECTION_ENGINE } from '../../src/detection/engine.provider';
import { AuditService } from '../../src/audit/audit.service';
import { HealingService } from '../../src/healing/healing.service';
import { EXIT, runCli } from '../../src/cli/bouncer-cli';
import { sharedJwtKeyEnv, startServer, startSharedPair, type TestServer } from '../support/app';

/**
 * Attacks on admin safety: locking every admin out (M4, M5), what a refusal tells the refused
 * (M9), the dashboard's feeds (I10), the order of an admin action's effects (L4), history that
 * grows without bound (L11), and the shared channels between instances and deployments (M1, M2).
 */

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Runs the command-line tool in this process, collecting what it prints. */
async function cli(args: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const signIn = async (url: string, username: string, password: string, from: string): Promise<string> => {
  const res = await http(url, '/token', { form: { username, password }, from });
  if (res.status !== 200) throw new Error(`sign-in of ${username} from ${from}: ${res.status} ${res.text}`);
  return res.json.access_token as string;
};

describe('admin safety', () => {
  it('M1 malformed messages on every shared channel are ignored; both instances keep serving and still apply a real decision', async () => {
    const pair = await startSharedPair({ ALLOWLIST: '127.0.0.1/32' });
    const publisher = new Redis(REDIS_URL);
    try {
      const prefix = pair.a.app.get<RedisHandle>(REDIS).prefix;
      const junk = [
        'not json',
        '',
        'null',
        '[]',
        '"text"',
        '42',
        '{}',
        '{"from":"x"}',
        '{"from":"x","op":"set"}',
        '{"from":"x","op":"set","decision":null}',
        '{"from":"x","op":"set","decision":{"client":7}}',
        '{"from":"x","op":"lift","client":null,"state":"blocked"}',
        '{"from":"x","op":"lift","client":"127.0.31.1","state":"nonsense"}',
        '{"kind":"user","id":null,"at":"soon"}',
        '{"kind":"jti"}',
        '{"kind":"session","id":{},"exp":[]}',
        '{"__proto__":{"polluted":true}}',
        'x'.repeat(100_000),
      ];
      for (const channel of ['decisions', 'revocations'])
        for (const message of junk) await publisher.publish(`${prefix}${channel}`, message);
      // A real decision published afterwards is still applied by both.
      const now = pair.clock.now();
      const decision = {
        client: '127.0.31.9',
        state: 'blocked',
        scope: 'all',
        rule: 'admin',
        reason: 'published by the test',
        createdAt: now,
        expiresAt: now + 600_000,
        decidedBy: 'admin:test',
        enforced: true,
      };
      await publisher.publish(`${prefix}decisions`, JSON.stringify({ from: 'test', op: 'set', decision }));
      for (const server of [pair.a, pair.b]) {
        expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.31.2' })).status).toBe(200);
        await eventually(
          async () => (await http(server.url, '/.well-known/jwks.json', { from: '127.0.31.9' })).status === 403,
          'the real decision',
        );
      }
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    } finally {
      publisher.disconnect();
      await pair.close();
    }
  });

  it('M2 deployments sharing one Redis server keep counts and blocks apart (prefix per deployment), and share them under one REDIS_PREFIX', async () => {
    const env = { REDIS_URL, RATE_LIMIT: '5', ALLOWLIST: '127.0.0.1/32', ...(await sharedJwtKeyEnv()) };
    const a = await startServer(env);
    const b = await startServer(env);
    let c: TestServer | undefined;
    try {
      const prefixA = a.app.get<RedisHandle>(REDIS).prefix;
      const prefixB = b.app.get<RedisHandle>(REDIS).prefix;
      expect(prefixA).toMatch(/^bouncer:[0-9a-f]{8}:$/);
      expect(prefixB).not.toBe(prefixA);
      // 4 + 4 requests from one client: over the limit of 5 only if the two deployments shared a count.
      const from = '127.0.54.1';
      for (let i = 0; i < 4; i++) expect((await http(a.url, '/.well-known/jwks.json', { from })).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await http(b.url, '/.well-known/jwks.json', { from })).status).toBe(200);
      // A third process told to use A's prefix is part of A's deployment: it counts on from 4.
      // (It shares A's clock too: counter windows are compared with the caller's clock.)
      c = await startServer(
        { ...env, REDIS_PREFIX: prefixA },
        { dataDir: await mkdtemp(join(tmpdir(), 'bouncer-c-')), adminPassword: strongPassword(), clock: a.clock },
      );
      expect((await http(c.url, '/.well-known/jwks.json', { from })).status).toBe(200);
      expect((await http(c.url, '/.well-known/jwks.json', { from })).status).toBe(403);

      // A block on A reaches C (A's deployment) and never B: B still serves the client once C refuses it.
      const blocked = '127.0.54.7';
      const made = await http(a.url, '/admin/blocks', {
        token: await a.adminToken(),
        body: { client: blocked, duration_seconds: 600, reason: 'blocked in staging' },
      });
      expect(made.status).toBe(201);
      expect((await http(a.url, '/.well-known/jwks.json', { from: blocked })).status).toBe(403);
      const server = c;
      await eventually(async () => (await http(server.url, '/.well-known/jwks.json', { from: blocked })).status === 403, "A's block on C");
      expect((await http(b.url, '/.well-known/jwks.json', { from: blocked })).status).toBe(200);
      expect((await http(b.url, '/admin/decisions?state=blocked', { token: await b.adminToken() })).json.items).toEqual([]);
    } finally {
      await Promise.all([a.close(true), b.close(true), c?.close(true)]);
    }
  });

  it('M4 no admin action locks out every admin: wide and self-covering blocks are refused, ALLOWLIST wins, and the operator can lift every block from the command line', async () => {
    let server = await startServer();
    const { dataDir, adminPassword } = server;
    try {
      const admin = await server.adminToken(); // signed in from 127.0.0.1
      const block = (client: string) =>
        http(server.url, '/admin/blocks', {
          token: admin,
          from: '127.0.0.1',
          body: { client, duration_seconds: 31_536_000, reason: 'oops' },
        });
      // Wider than the limit (/16 for IPv4, /32 for IPv6 by default): 400, whoever it covers.
      for (const wide of ['0.0.0.0/0', '127.0.0.0/8', '10.0.0.0/15', '::/0', '2001:db8::/31']) {
        const res = await block(wide);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.json.detail).toMatch(/wider than/);
      }
      // Covering the acting admin as the server sees it: 409.
      for (const own of ['127.0.0.0/24', '127.0.0.1', '127.0.0.0/16']) {
        const res = await block(own);
        expect(res.status).toBe(409);
        expect(res.json.detail).toMatch(/your own address/);
      }
      // A denylist entry refuses like a block: the same limits.
      const deny = (cidr: string) => http(server.url, '/admin/lists', { token: admin, from: '127.0.0.1', body: { kind: 'deny', cidr } });
      expect((await deny('0.0.0.0/1')).status).toBe(400);
      expect((await deny('127.0.0.0/20')).status).toBe(409);
      expect((await http(server.url, '/admin/decisions', { token: admin, from: '127.0.0.1' })).status).toBe(200);
      expect((await http(server.url, '/admin/lists', { token: admin })).json.some((e: { kind: string }) => e.kind === 'deny')).toBe(false);

      // A narrower block that does not cover the admin stands; so does a denylist entry.
      expect((await block('127.0.44.0/24')).status).toBe(201);
      expect((await deny('127.0.46.0/24')).status).toBe(201);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.46.1' })).status).toBe(403);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.44.5' })).status).toBe(403);

      // ALLOWLIST wins over a block stored before the restart.
      await server.close();
      server = await startServer({ ALLOWLIST: '127.0.44.5/32' }, { dataDir, adminPassword });
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.44.5' })).status).toBe(200);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.44.6' })).status).toBe(403);

      // The embedded store is one process's: the command line and a second server are refused while the server runs.
      const held = await cli(['unblock', '--all'], { DATA_DIR: dataDir });
      expect(held.code).toBe(EXIT.busy);
      expect(held.err).toContain(dataDir);
      expect(held.err).toMatch(new RegExp(`pid ${process.pid}`));
      await expect(startServer({}, { dataDir, adminPassword })).rejects.toThrow(
        new RegExp(`${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another Bouncer process \\(pid \\d+\\)`),
      );

      // Server stopped: the operator lifts every block; audited as `cli`.
      await server.close();
      expect((await cli(['--help'], {})).code).toBe(EXIT.ok);
      expect((await cli(['unblock'], { DATA_DIR: dataDir })).code).toBe(EXIT.usage);
      expect((await cli(['unblock', 'not-an-address'], { DATA_DIR: dataDir })).code).toBe(EXIT.usage);
      expect((await cli(['unblock', '203.0.113.9'], { DATA_DIR: dataDir })).code).toBe(EXIT.nothing);
      expect((await cli(['unblock', '--denylist', '127.0.44.0/24'], { DATA_DIR: dataDir })).code).toBe(EXIT.usage);
      const lifted = await cli(['unblock', '--all', '--denylist'], { DATA_DIR: dataDir });
      expect(lifted).toMatchObject({ code: EXIT.ok });
      expect(lifted.out).toContain('127.0.44.0/24');
      expect(lifted.out).toContain('127.0.46.0/24');
      server = await startServer({}, { dataDir, adminPassword });
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.44.6' })).status).toBe(200);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.46.1' })).status).toBe(200);
      const events = (await http(server.url, '/admin/events', { token: await server.adminToken() })).json;
      expect(events).toContainEqual(expect.objectContaining({ type: 'decision.unblocked', client: '127.0.44.0/24', actor: 'cli' }));
      expect(events).toContainEqual(expect.objectContaining({ type: 'list.deny.removed', client: '127.0.46.0/24', actor: 'cli' }));
    } finally {
      await server.close(true);
    }

    // On the shared store the command line lifts in SQL and tells the running instances at once.
    const pair = await startSharedPair();
    try {
      const made = await http(pair.a.url, '/admin/blocks', {
        token: await pair.a.adminToken(),
        body: { client: '127.0.45.0/24', duration_seconds: 3600, reason: 'oops' },
      });
      expect(made.status).toBe(201);
      for (const s of [pair.a, pair.b])
        await eventually(
          async () => (await http(s.url, '/.well-known/jwks.json', { from: '127.0.45.9' })).status === 403,
          'the block on both',
        );
      const config = pair.a.app.get<AppConfig>(APP_CONFIG);
      const lifted = await cli(['unblock', '--all'], {
        DATABASE_URL: config.databaseUrl,
        REDIS_URL,
        REDIS_PREFIX: pair.a.app.get<RedisHandle>(REDIS).prefix,
      });
      expect(lifted.code).toBe(EXIT.ok);
      for (const s of [pair.a, pair.b])
        await eventually(
          async () => (await http(s.url, '/.well-known/jwks.json', { from: '127.0.45.9' })).status === 200,
          'the lift on both',
        );
    } finally {
      await pair.close();
    }
  });

  it('M5 there is always an enabled admin: of two admins disabling or demoting each other at once on two instances exactly one succeeds; start-up survives any users table', async () => {
    const pair = await startSharedPair();
    try {
      const secondPassword = strongPassword();
      const created = await http(pair.a.url, '/admin/users', {
        token: await pair.a.adminToken(),
        body: { username: 'second', password: secondPassword, role: 'admin' },
      });
      expect(created.status).toBe(201);
      const passwords: Record<string, string> = { admin: pair.a.adminPassword, second: secondPassword };
      let raced = 0;
      for (let round = 0; round < 6; round++) {
        const change = round % 2 === 0 ? { disabled: true } : { role: 'user' };
        const t1 = await signIn(pair.a.url, 'admin', passwords['admin']!, `127.0.60.${round * 2 + 1}`);
        const t2 = await signIn(pair.b.url, 'second', passwords['second']!, `127.0.60.${round * 2 + 2}`);
        const [r1, r2] = await Promise.all([
          http(pair.a.url, '/admin/users/second', { method: 'PATCH', token: t1, body: change, from: `127.0.60.${round * 2 + 1}` }),
          http(pair.b.url, '/admin/users/admin', { method: 'PATCH', token: t2, body: change, from: `127.0.60.${round * 2 + 2}` }),
        ]);
        // Exactly one succeeds. The other is refused as the last admin (409), or, when it arrives
        // after the first has ended its sessions, as no longer signed in (401).
        expect([r1, r2].filter((r) => r.status === 200)).toHaveLength(1);
        const refused = r1.status === 200 ? r2 : r1;
        expect([401, 409]).toContain(refused.status);
        if (refused.status === 409) {
          expect(refused.json.detail).toMatch(/last enabled admin/);
          raced++;
        }
        // The one still standing restores the other for the next round.
        const [winnerToken, winnerUrl, other] = r1.status === 200 ? [t1, pair.a.url, 'second'] : [t2, pair.b.url, 'admin'];
        const restored = await http(winnerUrl, `/admin/users/${other}`, {
          method: 'PATCH',
          token: winnerToken,
          body: { role: 'admin', disabled: false },
        });
        expect(restored.status).toBe(200);
      }
      // The two changes met inside the server at least once (not only one after the other).
      expect(raced).toBeGreaterThan(0);
    } finally {
      await pair.close();
    }

    // Start-up never fails on the users table: here no admin is left at all (written behind the server's back).
    let server = await startServer();
    const { dataDir, adminPassword } = server;
    try {
      await server.app.get<DatabaseHandle>(DATABASE).db.update(users).set({ role: 'user' });
      await server.close();
      server = await startServer({}, { dataDir, adminPassword });
      expect((await http(server.url, '/.well-known/jwks.json')).status).toBe(200);
      // The way out the warning names: the command line makes it an enabled admin again.
      await server.close();
      const restored = await cli(['admin', 'restore', 'admin'], { DATA_DIR: dataDir });
      expect(restored.code).toBe(EXIT.ok);
      server = await startServer({}, { dataDir, adminPassword });
      expect((await http(server.url, '/admin/users', { token: await server.adminToken() })).status).toBe(200);
    } finally {
      await server.close(true);
    }
  });

  it("M9 a refusal tells the client its own state, its wait and a reference, never another account's name or address; admins see the full reason", async () => {
    const server = await startServer({ ALLOWLIST: '127.0.0.1/32' });
    try {
      const admin = await server.adminToken();
      const password = strongPassword();
      expect((await http(server.url, '/admin/users', { token: admin, body: { username: 'alice', password, role: 'user' } })).status).toBe(
        201,
      );
      const token = await signIn(server.url, 'alice', password, '127.0.70.1');
      for (const i of [1, 2, 3, 4]) await http(server.url, '/validate-token', { token, from: `127.0.70.${i}` });
      const refused = await http(server.url, '/.well-known/jwks.json', { from: '127.0.70.4' });
      expect(refused.status).toBe(403);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.json.detail).not.toMatch(/alice/);
      expect(refused.json.detail).not.toMatch(/127\.0\.70\.1/);
      expect(refused.json.detail).toMatch(/try again in \d+ seconds/i);
      const ref = refused.json.reference as string;
      expect(ref).toMatch(/^d-[0-9a-f]{12}$/);
      expect(refused.json.detail).toContain(ref);
      // The admin looks the reference up and sees everything.
      const found = await http(server.url, `/admin/decisions?id=${ref}`, { token: admin });
      expect(found.json.items).toHaveLength(1);
      expect(found.json.items[0]).toMatchObject({ id: ref, client: '127.0.70.4' });
      expect(found.json.items[0].reason).toMatch(/alice.*127\.0\.70\.1/);
      const events = (await http(server.url, '/admin/events', { token: admin })).json as { detail: string }[];
      expect(events.some((e) => e.detail.includes(ref) && e.detail.includes('alice'))).toBe(true);

      // An admin's reason is for admins too: the blocked client learns only that an administrator blocked it.
      const made = await http(server.url, '/admin/blocks', {
        token: admin,
        body: { client: '127.0.71.0/24', duration_seconds: 600, reason: 'complaint from bob about 198.51.100.4' },
      });
      expect(made.status).toBe(201);
      const byAdmin = await http(server.url, '/.well-known/jwks.json', { from: '127.0.71.5' });
      expect(byAdmin.status).toBe(403);
      expect(byAdmin.json.detail).toMatch(/administrator.*try again in 600 seconds/i);
      expect(byAdmin.json.detail).not.toMatch(/bob|198\.51|complaint/);
      expect(byAdmin.json.reference).toBe(made.json.id);
    } finally {
      await server.close(true);
    }
  });

  it('I10 failed sign-ins with long attacker-chosen usernames cannot flood decisions out of the dashboard, and feed entries are bounded', async () => {
    const server = await startServer({ ALLOWLIST: '127.0.0.1/32', AUTH_ROUTE_LIMIT: '1000' });
    try {
      const admin = await server.adminToken();
      expect(
        (await http(server.url, '/admin/blocks', { token: admin, body: { client: '127.0.80.200', duration_seconds: 600, reason: 'real' } }))
          .status,
      ).toBe(201);
      for (let c = 1; c <= 16; c++)
        for (let i = 0; i < 4; i++) {
          const username = `${'x'.repeat(120)}${c}-${i}`;
          await http(server.url, '/token', { form: { username, password: 'wrong-password-xx' }, from: `127.0.80.${c}` });
        }
      const data = (await http(server.url, '/dashboard-data', { token: admin })).json;
      expect(data.events.some((e: { type: string }) => e.type === 'decision.blocked')).toBe(false); // flooded out of the general feed
      expect(data.decision_events).toContainEqual(expect.objectContaining({ type: 'decision.blocked', client: '127.0.80.200' }));
      for (const e of [...data.events, ...data.decision_events]) {
        expect([...(e.actor ?? '')].length).toBeLessThanOrEqual(40);
        expect([...e.detail].length).toBeLessThanOrEqual(160);
      }
    } finally {
      await server.close(true);
    }
  });

  it('L4 an admin action is stored and audited before it takes effect: when storing fails it answers 503 with Retry-After and changes nothing', async () => {
    const server = await startServer({ ALLOWLIST: '127.0.0.1/32' });
    try {
      const admin = await server.adminToken();
      const repository = server.app.get(DecisionRepository);
      const fail = () => Promise.reject(new Error('disk full'));

      // A block.
      const save = jest.spyOn(repository, 'saveDecision').mockImplementationOnce(fail);
      const blocked = await http(server.url, '/admin/blocks', {
        token: admin,
        body: { client: '127.0.90.1', duration_seconds: 600, reason: 'x' },
      });
      save.mockRestore();
      expect(blocked.status).toBe(503);
      expect(blocked.headers['retry-after']).toBeDefined();
      expect(blocked.json.type).toBe('urn:bouncer:problem:storage-unavailable');
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.90.1' })).status).toBe(200);
      expect((await http(server.url, '/admin/decisions', { token: admin })).json.items).toEqual([]);

      // A list entry.
      const saveEntry = jest.spyOn(repository, 'saveListEntry').mockImplementationOnce(fail);
      const listed = await http(server.url, '/admin/lists', { token: admin, body: { kind: 'deny', cidr: '127.0.91.0/24' } });
      saveEntry.mockRestore();
      expect(listed.status).toBe(503);
      expect((await http(server.url, '/admin/lists', { token: admin })).json).toEqual([
        expect.objectContaining({ kind: 'allow', cidr: '127.0.0.1/32' }),
      ]);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.91.3' })).status).toBe(200);

      // A lift: the block stays in force.
      expect(
        (await http(server.url, '/admin/blocks', { token: admin, body: { client: '127.0.92.1', duration_seconds: 600, reason: 'x' } }))
          .status,
      ).toBe(201);
      const del = jest.spyOn(repository, 'deleteDecision').mockImplementationOnce(fail);
      const lift = await http(server.url, '/admin/blocks?client=127.0.92.1', { method: 'DELETE', token: admin });
      del.mockRestore();
      expect(lift.status).toBe(503);
      expect((await http(server.url, '/.well-known/jwks.json', { from: '127.0.92.1' })).status).toBe(403);

      // A user change whose audit record cannot be written is not made.
      const password = strongPassword();
      expect((await http(server.url, '/admin/users', { token: admin, body: { username: 'carol', password, role: 'user' } })).status).toBe(
        201,
      );
      const carol = await signIn(server.url, 'carol', password, '127.0.93.1');
      const audit = server.app.get(AuditService);
      const write = jest.spyOn(audit, 'write').mockImplementationOnce(fail);
      const disabled = await http(server.url, '/admin/users/carol', { method: 'PATCH', token: admin, body: { disabled: true } });
      write.mockRestore();
      expect(disabled.status).toBe(503);
      const list = (await http(server.url, '/admin/users', { token: admin })).json as { username: string; disabled: boolean }[];
      expect(list.find((u) => u.username === 'carol')?.disabled).toBe(false);
      expect((await http(server.url, '/validate-token', { token: carol, from: '127.0.93.1' })).status).toBe(200);
    } finally {
      await server.close(true);
    }
  });

  it('L11 offence records (block history) are pruned after the repeat-offender window, in memory and in SQL', async () => {
    const server = await startServer({ ALLOWLIST: '127.0.0.1/32', RATE_LIMIT: '3' });
    try {
      const clients = Array.from({ length: 12 }, (_, i) => `127.0.100.${i + 1}`);
      for (const from of clients) for (let i = 0; i < 4; i++) await http(server.url, '/.well-known/jwks.json', { from });
      const engine = server.app.get(DETECTION_ENGINE);
      const db = server.app.get<DatabaseHandle>(DATABASE).db;
      await eventually(async () => (await db.select().from(blockHistory)).length === clients.length, 'the offences stored');
      for (const c of clients) expect(engine.book.offence(c)).toBeDefined();

      // Within the window they are kept (a repeat offender is still recognised)...
      server.clock.advance(3_600_000);
      await server.app.get(HealingService).runOnce();
      expect(engine.book.offence(clients[0]!)).toBeDefined();
      // ...past it (repeat-offenders window, 86,400 s by default) they go.
      server.clock.advance(86_400_000);
      await server.app.get(HealingService).runOnce();
      for (const c of clients) expect(engine.book.offence(c)).toBeUndefined();
      expect(await db.select().from(blockHistory)).toEqual([]);
    } finally {
      await server.close(true);
    }
  });
});
