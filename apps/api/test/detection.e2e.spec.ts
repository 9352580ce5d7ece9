import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectionOptionsFromEnv, resolveOptions } from '../src/config/detection-options';
import { DETECTION_ENGINE } from '../src/detection/engine.provider';
import { PasswordService } from '../src/users/password.service';
import { HealingService } from '../src/healing/healing.service';
import { cookiesFrom, http, type HttpOptions, strongPassword } from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';

/**
 * Every rule end to end: real HTTP from distinct loopback addresses (each 127.x.y.z is its own
 * client), the server's clock moved by hand instead of sleeping.
 */
describe('anomaly detection over HTTP', () => {
  let server: TestServer;
  const userPassword = strongPassword();
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, opts);
  const login = (username: string, password: string, from: string) => req('/token', { form: { username, password }, from });
  const dashboard = async () => (await req('/dashboard-data', { token: await server.adminToken() })).json;
  const heal = () => server.app.get(HealingService).runOnce();

  beforeAll(async () => {
    // The test's own observer (admin calls from 127.0.0.1) is allowlisted; every other
    // loopback address is an ordinary client.
    server = await startServer({ RATE_LIMIT: '20', PROBE_THRESHOLD: '10', AUTH_ROUTE_LIMIT: '1000', ALLOWLIST: '127.0.0.1/32' });
    const admin = await server.adminToken();
    for (const username of ['alice', 'victim', 'stuffed']) {
      const res = await req('/admin/users', { token: admin, body: { username, password: userPassword, role: 'user' } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => server?.close(true));

  describe('rule 2: failed logins per client', () => {
    const from = '127.0.2.1';

    it('lets 4 failures through, starts a 60 s buffer at the 5th, and refuses during it', async () => {
      for (let i = 1; i <= 4; i++) expect((await login('alice', 'wrong-password-x', from)).status).toBe(401);
      let data = await dashboard();
      expect(data.suspicious_ips).toContain(from);
      expect(data.brute_force_ips).toEqual([]);

      expect((await login('alice', 'wrong-password-x', from)).status).toBe(401); // the 5th is checked
      const refused = await login('alice', userPassword, from); // even the right password waits
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect(refused.headers['ratelimit']).toMatch(/^"failed-logins";r=0;t=60$/);
      expect(refused.headers['ratelimit-policy']).toBeDefined();
      expect(refused.json).toMatchObject({ status: 429, retry_after: 60 });
      expect(refused.json.detail).toMatch(/try again in 60 seconds/);

      data = await dashboard();
      expect(data.brute_force_ips).toEqual([{ ip: from, remaining: 60 }]);
      expect(data.blocked_ips).toContain(from);
      expect(data.suspicious_ips).toContain(from);
      // Another client is not affected.
      expect((await login('alice', userPassword, '127.0.2.2')).status).toBe(200);
    });

    it('warns of the pause only near it: attempts_left from 2, then 0 with the pause that started; never on the 429', async () => {
      const near = '127.0.2.9';
      // An account of its own, so the account rule (10 failures) never joins in.
      const token = () => login('warned', 'wrong-password-x', near);
      const session = () => req('/session', { body: { username: 'warned', password: 'wrong-password-x' }, from: near });
      const answers = [await token(), await token(), await session(), await token(), await session()];
      expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(answers.map((r) => [r.json.attempts_left, r.json.pause_seconds])).toEqual([
        [undefined, undefined],
        [undefined, undefined],
        [2, 60],
        [1, 60],
        [0, 60],
      ]);
      // The warning counts the client, whatever the account: an unknown one reads as a known one.
      expect(answers[4]!.json.detail).toBe('Incorrect username or password.');
      const refused = await token();
      expect(refused.status).toBe(429);
      expect(refused.json.attempts_left).toBeUndefined();
      expect(refused.json.pause_seconds).toBeUndefined();
    });

    it('grows the buffer with each failure: 60 s x (failures - 4)', async () => {
      server.clock.advance(59_000);
      expect((await login('alice', 'wrong-password-x', from)).status).toBe(429);
      server.clock.advance(1_000);
      expect((await login('alice', 'wrong-password-x', from)).status).toBe(401); // 6th failure
      const refused = await login('alice', 'wrong-password-x', from);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('120');
    });

    it('refuses before hashing: a refused attempt costs no argon2 time', async () => {
      const verify = jest.spyOn(server.app.get(PasswordService), 'verify');
      try {
        expect((await login('alice', userPassword, from)).status).toBe(429);
        expect(verify).not.toHaveBeenCalled();
      } finally {
        verify.mockRestore();
      }
    });

    it('counts simultaneous attempts exactly: 10 at once, 5 checked', async () => {
      // An account nobody guessed at yet, so only the per-client rule is in play.
      const burst = await Promise.all(Array.from({ length: 10 }, () => login('carol', 'wrong-password-x', '127.0.2.3')));
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    });
  });

  describe('rule 3: the owner keeps access with a device cookie', () => {
    it('lets a browser that signed in before through while the account is under attack', async () => {
      const admin = await server.adminToken();
      await req('/admin/users', { token: admin, body: { username: 'victim2', password: userPassword, role: 'user' } });
      const first = await req('/session', { body: { username: 'victim2', password: userPassword }, from: '127.0.12.1' });
      expect(first.status).toBe(200);
      const device = cookiesFrom(first)
        .split('; ')
        .filter((c) => c.startsWith('bn_device='))
        .join('; ');
      expect(device).toMatch(/^bn_device=/);
      for (let i = 10; i < 22; i++) await login('victim2', `guess-${i}-xxxxxx`, `127.0.12.${i}`);
      // A new address, no cookie: held back.
      const stranger = await req('/session', { body: { username: 'victim2', password: userPassword }, from: '127.0.12.50' });
      expect(stranger.status).toBe(429);
      expect(stranger.json.detail).toMatch(/account is protected/);
      // A new address with the owner's device cookie: let through.
      const owner = await req('/session', { body: { username: 'victim2', password: userPassword }, from: '127.0.12.51', cookie: device });
      expect(owner.status).toBe(200);
    });
  });

  describe('rule 4: successful logins per client', () => {
    const from = '127.0.4.1';
    it('marks the 4th suspicious and refuses the 5th and later, blocking 60 s x (count - 4)', async () => {
      for (let i = 1; i <= 3; i++) expect((await login('stuffed', userPassword, from)).status).toBe(200);
      expect((await dashboard()).suspicious_ips).not.toContain(from);
      expect((await login('stuffed', userPassword, from)).status).toBe(200);
      expect((await dashboard()).suspicious_ips).toContain(from);
      const fifth = await login('stuffed', userPassword, from);
      expect(fifth.status).toBe(429);
      expect(fifth.json.access_token).toBeUndefined();
      expect(fifth.headers['retry-after']).toBe('60');
      expect((await dashboard()).successful_block_ips).toEqual([{ ip: from, remaining: 60 }]);
      const sixth = await login('stuffed', userPassword, from);
      expect(sixth.status).toBe(429);
      server.clock.advance(61_000);
      expect((await login('stuffed', userPassword, from)).status).toBe(200);
    });
  });

  describe('rule 1: request rate per client', () => {
    const from = '127.0.5.1';
    it('is suspicious at 70 %, blocks over the limit for 300 s, and heals', async () => {
      for (let i = 1; i <= 13; i++) expect((await req('/.well-known/jwks.json', { from })).status).toBe(200);
      expect((await dashboard()).suspicious_ips).not.toContain(from);
      expect((await req('/.well-known/jwks.json', { from })).status).toBe(200); // 14th = 70 % of 20
      expect((await dashboard()).suspicious_ips).toContain(from);
      for (let i = 15; i <= 20; i++) expect((await req('/.well-known/jwks.json', { from })).status).toBe(200);
      const over = await req('/.well-known/jwks.json', { from }); // 21st
      expect(over.status).toBe(403);
      expect(over.headers['retry-after']).toBe('300');
      expect(over.json).toMatchObject({ type: 'urn:bouncer:problem:client-blocked', status: 403, retry_after: 300 });
      expect(over.json.detail).toMatch(/more than 20 requests in 60 s.*try again in 300 seconds/i);
      // Blocked before authentication and body parsing: even a valid admin token is refused.
      expect((await req('/dashboard-data', { from, token: await server.adminToken() })).status).toBe(403);
      expect((await req('/.well-known/jwks.json', { from: '127.0.5.2' })).status).toBe(200);

      server.clock.advance(300_000);
      const run = await heal();
      expect(run?.lifted).toBeGreaterThanOrEqual(1);
      expect((await req('/.well-known/jwks.json', { from })).status).toBe(200);
      const data = await dashboard();
      expect(data.healing.lifted).toBeGreaterThanOrEqual(1);
      expect(data.events.some((e: { type: string; client: string }) => e.type === 'decision.lifted' && e.client === from)).toBe(true);
    });

    it('blocks a repeat offender twice as long', async () => {
      for (let i = 1; i <= 20; i++) await req('/.well-known/jwks.json', { from });
      const over = await req('/.well-known/jwks.json', { from });
      expect(over.status).toBe(403);
      expect(over.headers['retry-after']).toBe('600');
      expect(over.json.detail).toMatch(/repeat offender/);
    });
  });

  describe('rule 6: probing', () => {
    it('marks many 401/403/404 answers suspicious, then blocks', async () => {
      const from = '127.0.6.1';
      for (let i = 1; i <= 7; i++) expect((await req(`/nope-${i}`, { from })).status).toBe(404);
      expect((await dashboard()).suspicious_ips).toContain(from);
      for (let i = 8; i <= 11; i++) await req('/admin/users', { from });
      const blocked = await req('/.well-known/jwks.json', { from });
      expect(blocked.status).toBe(403);
      expect(blocked.json.detail).toMatch(/more than 10 answers 401\/403\/404/);
    });
  });

  describe('rule 5: token misuse', () => {
    it('marks a second client suspicious and revokes a token used from more than 3', async () => {
      const token = (await login('alice', userPassword, '127.0.7.1')).json.access_token;
      expect((await req('/validate-token', { token, from: '127.0.7.1' })).status).toBe(200);
      expect((await req('/validate-token', { token, from: '127.0.7.2' })).status).toBe(200);
      let data = await dashboard();
      const sus = data.decisions.find((d: { client: string; rule: string }) => d.client === '127.0.7.2' && d.rule === 'token-misuse');
      expect(sus.reason).toMatch(/used from 127\.0\.7\.2 while in use by 127\.0\.7\.1/);
      expect((await req('/validate-token', { token, from: '127.0.7.3' })).status).toBe(200);
      expect((await req('/validate-token', { token, from: '127.0.7.4' })).status).toBe(401);
      expect((await req('/validate-token', { token, from: '127.0.7.1' })).status).toBe(401);
      expect((await req('/.well-known/jwks.json', { from: '127.0.7.4' })).status).toBe(403);
      data = await dashboard();
      expect(data.blocked_ips).toContain('127.0.7.4');
    });

    it('marks the client presenting a reused refresh token suspicious', async () => {
      const first = (await login('alice', userPassword, '127.0.7.10')).json;
      await req('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token }, from: '127.0.7.10' });
      expect(
        (await req('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token }, from: '127.0.7.11' })).status,
      ).toBe(401);
      const data = await dashboard();
      expect(data.decisions.some((d: { client: string; rule: string }) => d.client === '127.0.7.11' && d.rule === 'refresh-reuse')).toBe(
        true,
      );
    });
  });

  describe('admin actions', () => {
    it('blocks a CIDR, lists it, and unblocks it; bad input is 400', async () => {
      const admin = await server.adminToken();
      const bad = await req('/admin/blocks', { token: admin, body: { client: '999.1.1.1/8', duration_seconds: 60, reason: 'x' } });
      expect(bad.status).toBe(400);
      const badDuration = await req('/admin/blocks', { token: admin, body: { client: '127.0.8.0/24', duration_seconds: -5, reason: 'x' } });
      expect(badDuration.status).toBe(400);
      const made = await req('/admin/blocks', {
        token: admin,
        body: { client: '127.0.8.0/24', duration_seconds: 600, reason: 'abuse report #12' },
      });
      expect(made.status).toBe(201);
      expect(made.json).toMatchObject({
        client: '127.0.8.0/24',
        state: 'blocked',
        rule: 'admin',
        decided_by: 'admin:admin',
        remaining_seconds: 600,
      });
      const refused = await req('/.well-known/jwks.json', { from: '127.0.8.77' });
      expect(refused.status).toBe(403);
      // The admin's reason is for admins (M9): the client is told who blocked it, its wait and the reference.
      expect(refused.json.detail).toMatch(/by an administrator/);
      expect(refused.json.detail).not.toMatch(/abuse report/);
      expect(refused.json.reference).toBe(made.json.id);
      const list = await req('/admin/decisions?state=blocked&page=1&page_size=100', { token: admin });
      expect(list.json.items.map((d: { client: string }) => d.client)).toContain('127.0.8.0/24');
      expect((await req(`/admin/blocks?client=${encodeURIComponent('127.0.8.0/24')}`, { method: 'DELETE', token: admin })).status).toBe(
        204,
      );
      expect((await req('/.well-known/jwks.json', { from: '127.0.8.77' })).status).toBe(200);
      expect((await req(`/admin/blocks?client=${encodeURIComponent('127.0.8.0/24')}`, { method: 'DELETE', token: admin })).status).toBe(
        404,
      );
      const audit = await req('/admin/events?limit=50', { token: admin });
      expect(audit.json.some((e: { type: string; actor: string }) => e.type === 'decision.unblocked' && e.actor === 'admin:admin')).toBe(
        true,
      );
    });

    it('honours the allowlist and the denylist', async () => {
      const admin = await server.adminToken();
      expect((await req('/admin/lists', { token: admin, body: { kind: 'allow', cidr: '127.0.9.0/24', note: 'office' } })).status).toBe(201);
      for (let i = 0; i < 30; i++) expect((await req('/.well-known/jwks.json', { from: '127.0.9.1' })).status).toBe(200);
      expect((await req('/admin/lists', { token: admin, body: { kind: 'deny', cidr: '127.0.10.0/24' } })).status).toBe(201);
      expect((await req('/.well-known/jwks.json', { from: '127.0.10.1' })).status).toBe(403);
      expect(
        (await req(`/admin/lists?kind=deny&cidr=${encodeURIComponent('127.0.10.0/24')}`, { method: 'DELETE', token: admin })).status,
      ).toBe(204);
      expect((await req('/.well-known/jwks.json', { from: '127.0.10.1' })).status).toBe(200);
      const lists = await req('/admin/lists', { token: admin });
      expect(lists.json).toEqual([
        expect.objectContaining({ kind: 'allow', cidr: '127.0.0.1/32', created_by: 'config' }),
        expect.objectContaining({ kind: 'allow', cidr: '127.0.9.0/24', note: 'office', created_by: 'admin:admin' }),
      ]);
    });

    it('clears a suspicion', async () => {
      const admin = await server.adminToken();
      const from = '127.0.11.1';
      for (let i = 1; i <= 7; i++) await req(`/nope-${i}`, { from });
      expect((await dashboard()).suspicious_ips).toContain(from);
      expect((await req(`/admin/suspicions?client=${from}`, { method: 'DELETE', token: admin })).status).toBe(204);
      expect((await dashboard()).suspicious_ips).not.toContain(from);
      expect((await req(`/admin/suspicions?client=${from}`, { method: 'DELETE', token: admin })).status).toBe(404);
    });
  });

  it('keeps /dashboard-data bounded and in the original shape', async () => {
    const data = await dashboard();
    for (const key of ['total_ips', 'blocked_ips', 'suspicious_ips', 'request_counts', 'brute_force_ips', 'successful_block_ips']) {
      expect(data).toHaveProperty(key);
    }
    expect(data.series.points).toHaveLength(90);
    expect(data.top_clients.length).toBeLessThanOrEqual(20);
    expect(Object.keys(data.request_counts).length).toBeLessThanOrEqual(20);
    expect(data.mode).toBe('enforce');
    expect(data.requests_per_minute).toBeGreaterThan(0);
  });
});

// Sign-in attacks (concurrent guesses, /me/password as an oracle, one budget across the sign-in
// routes, failures that accumulate, keeping an owner out) are in attacks/sign-in.attack.e2e.spec.ts.

describe('rules as data', () => {
  it('answers the rules in force at GET /admin/rules, in the format RULES_FILE takes, and a RULES_FILE changes a threshold', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bouncer-rules-'));
    const file = join(dir, 'rules.yaml');
    await writeFile(file, 'version: 1\nrules:\n  failed-logins:\n    threshold: 2\n');
    const server = await startServer({ RULES_FILE: file, ALLOWLIST: '127.0.0.1/32' });
    try {
      const rules = await http(server.url, '/admin/rules', { token: await server.adminToken() });
      expect(rules.status).toBe(200);
      expect(rules.json.rules['failed-logins']).toMatchObject({
        kind: 'login-buffer',
        enabled: true,
        mode: 'enforce',
        threshold: 2,
        bufferSeconds: 60,
      });
      expect(rules.json.rules['request-rate']).toMatchObject({ kind: 'request-rate', threshold: 300 });
      // The second failure now starts the buffer.
      const from = '127.0.51.1';
      for (let i = 0; i < 2; i++)
        expect((await http(server.url, '/token', { form: { username: 'nobody', password: 'wrong-password-x' }, from })).status).toBe(401);
      expect((await http(server.url, '/token', { form: { username: 'nobody', password: 'wrong-password-x' }, from })).status).toBe(429);
      // What GET /admin/rules answered, saved as a RULES_FILE, gives the same rules.
      await writeFile(file, JSON.stringify(rules.json));
      expect(resolveOptions(detectionOptionsFromEnv({ RULES_FILE: file })).rules).toEqual(server.app.get(DETECTION_ENGINE).rules);
      // Only admins may read them.
      expect((await http(server.url, '/admin/rules', { from: '127.0.51.2' })).status).toBe(401);
    } finally {
      await server.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('client identity over HTTP', () => {
  let server: TestServer;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, opts);
  const topClients = async () =>
    ((await req('/dashboard-data', { token: await server.adminToken() })).json.top_clients as { client: string }[]).map((c) => c.client);

  beforeAll(async () => {
    server = await startServer({ TRUSTED_PROXIES: '127.0.20.1/32', RATE_LIMIT: '5', ALLOWLIST: '127.0.0.1/32' });
  });
  afterAll(() => server?.close(true));

  it('ignores X-Forwarded-For from an untrusted peer: spoofing does not escape a block', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await req('/.well-known/jwks.json', { from: '127.0.21.1', headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status).toBe(
        200,
      );
    }
    expect((await req('/.well-known/jwks.json', { from: '127.0.21.1', headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(403);
    expect(await topClients()).not.toContain('203.0.113.1');
  });

  it('believes a trusted proxy, taking the right-most untrusted address', async () => {
    await req('/.well-known/jwks.json', { from: '127.0.20.1', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } });
    // Only X-Forwarded-For (FORWARDED_HEADER's default) is read; Forwarded is in attacks/sign-in (L9).
    await req('/.well-known/jwks.json', { from: '127.0.20.1', headers: { 'x-forwarded-for': '[2001:db8:1:2::1]:4711' } });
    const top = await topClients();
    expect(top).toContain('198.51.100.7');
    expect(top).not.toContain('6.6.6.6');
    expect(top).not.toContain('127.0.20.1');
    expect(top).toContain('2001:db8:1:2::/64');
  });

  it('groups IPv6 per /64 and maps ::ffff:a.b.c.d to IPv4', async () => {
    const proxy = (xff: string) => req('/.well-known/jwks.json', { from: '127.0.20.1', headers: { 'x-forwarded-for': xff } });
    for (let i = 1; i <= 5; i++) expect((await proxy(`2001:db8:aa:bb::${i.toString(16)}`)).status).toBe(200);
    // A sixth address in the same /64 is the same client: over the limit.
    expect((await proxy('2001:db8:aa:bb:ffff:ffff:ffff:ffff')).status).toBe(403);
    expect((await proxy('2001:db8:aa:cc::1')).status).toBe(200);
    for (let i = 0; i < 5; i++) await proxy('::ffff:192.0.2.9');
    expect((await proxy('192.0.2.9')).status).toBe(403);
  });
});

describe('modes, restarts and memory', () => {
  it('records but enforces nothing in observe mode', async () => {
    const server = await startServer({ SHIELD_MODE: 'observe', RATE_LIMIT: '5' });
    try {
      const req = (path: string, opts?: HttpOptions) => http(server.url, path, opts);
      for (let i = 0; i < 10; i++) expect((await req('/.well-known/jwks.json', { from: '127.0.30.1' })).status).toBe(200);
      for (let i = 0; i < 8; i++)
        expect((await req('/token', { form: { username: 'admin', password: 'wrong-password-1' }, from: '127.0.30.2' })).status).toBe(401);
      const data = (await req('/dashboard-data', { token: await server.adminToken() })).json;
      expect(data.mode).toBe('observe');
      const d = data.decisions.find((x: { client: string; state: string }) => x.client === '127.0.30.1' && x.state === 'blocked');
      expect(d).toMatchObject({ rule: 'request-rate', enforced: false });
      expect(data.brute_force_ips.map((b: { ip: string }) => b.ip)).toContain('127.0.30.2');
    } finally {
      await server.close(true);
    }
  });

  it('keeps a block across a restart', async () => {
    let server = await startServer({});
    const admin = await server.adminToken();
    await http(server.url, '/admin/blocks', { token: admin, body: { client: '127.0.31.1', duration_seconds: 3600, reason: 'kept' } });
    const before = await http(server.url, '/.well-known/jwks.json', { from: '127.0.31.1' });
    expect(before.status).toBe(403);
    const { dataDir, adminPassword, clock } = server;
    await server.close();
    server = await startServer({}, { dataDir, adminPassword, clock });
    try {
      const res = await http(server.url, '/.well-known/jwks.json', { from: '127.0.31.1' });
      expect(res.status).toBe(403);
      // The same decision: the same reference, and its reason for admins.
      expect(res.json.reference).toBe(before.json.reference);
      const found = await http(server.url, `/admin/decisions?id=${res.json.reference}`, { token: await server.adminToken() });
      expect(found.json.items[0].reason).toBe('kept');
    } finally {
      await server.close(true);
    }
  });

  it('tracks at most MAX_TRACKED_CLIENTS clients', async () => {
    const server = await startServer({ MAX_TRACKED_CLIENTS: '100' });
    try {
      for (let i = 0; i < 300; i++)
        await http(server.url, '/.well-known/jwks.json', { from: `127.0.${40 + Math.floor(i / 250)}.${(i % 250) + 1}` });
      const data = (await http(server.url, '/dashboard-data', { token: await server.adminToken() })).json;
      expect(data.total_ips).toBeLessThanOrEqual(100);
      expect(data.total_ips).toBeGreaterThan(50);
    } finally {
      await server.close(true);
    }
  }, 60_000);
});
