import { createSign, generateKeyPairSync, createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabaseUrl } from './support/postgres';
import { cookiesFrom, http, strongPassword } from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';
import { CONCURRENT_REFRESH_GRACE_MS } from '../src/auth/refresh-token.service';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Signs a JWT by hand, so tests can forge every kind of bad token. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input)}`;
}
function es256(pem: string | Buffer) {
  const key = createPrivateKey(pem);
  return (input: string) => createSign('SHA256').update(input).sign({ key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

const databases: [string, boolean][] = [
  ['embedded PGlite', false],
  ['PostgreSQL server', true],
];

describe.each(databases)('auth over HTTP (%s)', (_name, usePostgres) => {
  let server: TestServer;
  let dropDb: (() => Promise<void>) | undefined;
  let req: (path: string, opts?: Parameters<typeof http>[2]) => ReturnType<typeof http>;
  const userPassword = strongPassword();
  let n = 10;
  /** A fresh client address per test, so login rules from one test never touch another. */
  const nextClient = () => `127.0.1.${n++}`;

  beforeAll(async () => {
    // The docs are off by default (API_DOCS); this suite checks their headers when public.
    const env: Record<string, string> = { API_DOCS: 'public' };
    if (usePostgres) {
      const db = await createTestDatabaseUrl();
      env['DATABASE_URL'] = db.url;
      dropDb = db.drop;
    }
    server = await startServer(env);
    req = (path, opts) => http(server.url, path, opts);
    const admin = await server.adminToken();
    const created = await req('/admin/users', { token: admin, body: { username: 'Alice', password: userPassword, role: 'user' } });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await server?.close(true);
    await dropDb?.();
  });

  async function login(username: string, password: string, from = nextClient()) {
    return req('/token', { form: { username, password }, from });
  }

  it('issues a token pair for a form-encoded password grant (the original endpoint)', async () => {
    const res = await login('alice', userPassword);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
      must_change_password: false,
    });
    const [header, payload] = res.json.access_token
      .split('.')
      .slice(0, 2)
      .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header.alg).toBe('ES256');
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'gen', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    expect(payload.exp - payload.iat).toBe(900);
  });

  it('accepts JSON and normalizes usernames (Alice, ALICE and ａｌｉｃｅ are one account)', async () => {
    for (const name of ['ALICE', ' Alice ', 'ａｌｉｃｅ']) {
      const res = await req('/token', { body: { grant_type: 'password', username: name, password: userPassword }, from: nextClient() });
      expect(res.status).toBe(200);
    }
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const wrong = await login('alice', 'not-the-password-123');
    const unknown = await login('nobody-here', 'not-the-password-123');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json.detail).toBe(unknown.json.detail);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
  });

  it('validates a token and returns the profile', async () => {
    const { json } = await login('alice', userPassword, '127.0.1.200');
    const v = await req('/validate-token', { token: json.access_token });
    expect(v.status).toBe(200);
    expect(v.json).toEqual({ valid: true, username: 'alice', role: 'user' });
    const me = await req('/me', { token: json.access_token });
    expect(me.json.username).toBe('alice');
    expect(me.json.recent_sign_ins[0]).toMatchObject({ address: '127.0.1.200' });
    // The wrong password of the test before, against alice's own account ("was this you?").
    expect(me.json.recent_failures).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'failed' })]));
  });

  describe('rejects forged and dead tokens with 401 and WWW-Authenticate', () => {
    let good: string;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      good = (await login('alice', userPassword)).json.access_token;
      claims = JSON.parse(Buffer.from(good.split('.')[1] ?? '', 'base64url').toString());
    });
    const expect401 = async (token: string) => {
      const res = await req('/validate-token', { token });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json.status).toBe(401);
    };

    it('missing token', async () => {
      const res = await req('/validate-token');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });
    it('alg none', async () => expect401(forge({ alg: 'none', typ: 'JWT' }, { ...claims, role: 'admin' }, () => '')));
    it('HS256 signed with the server public key (key confusion)', async () => {
      const jwks = (await req('/.well-known/jwks.json')).json;
      const pub = readFileSync(join(server.dataDir, 'keys', 'jwt-es256.pem'));
      const publicPem = createPrivateKey(pub).export({ type: 'pkcs8', format: 'pem' });
      const spki = createPublicKey(publicPem).export({ type: 'spki', format: 'pem' });
      expect(jwks.keys[0].kty).toBe('EC');
      await expect401(
        forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, role: 'admin' }, (i) => createHmac('sha256', spki).update(i).digest('base64url')),
      );
    });
    it('a different key', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
      await expect401(forge({ alg: 'ES256', typ: 'JWT' }, claims, es256(other)));
    });
    it('a tampered payload', async () => {
      const [h, , s] = good.split('.');
      await expect401(`${h}.${b64({ ...claims, role: 'admin' })}.${s}`);
    });
    it('a wrong audience, signed with the real key', async () => {
      const key = readFileSync(join(server.dataDir, 'keys', 'jwt-es256.pem'));
      await expect401(forge({ alg: 'ES256', typ: 'JWT' }, { ...claims, aud: 'someone-else' }, es256(key)));
    });
    it('an expired token', async () => {
      const fresh = (await login('alice', userPassword)).json.access_token;
      expect((await req('/validate-token', { token: fresh })).status).toBe(200);
      server.clock.advance(901_000);
      try {
        await expect401(fresh);
      } finally {
        server.clock.advance(-901_000);
      }
    });
    it('a token revoked by logout, and its refresh family with it', async () => {
      const pair = (await login('alice', userPassword)).json;
      expect((await req('/logout', { method: 'POST', token: pair.access_token })).status).toBe(204);
      await expect401(pair.access_token);
      const refreshed = await req('/token', {
        form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token },
        from: nextClient(),
      });
      expect(refreshed.status).toBe(401);
    });
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', async () => {
    const from = nextClient();
    const first = (await login('alice', userPassword, from)).json;
    const second = await req('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token }, from });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
    expect((await req('/validate-token', { token: second.json.access_token })).status).toBe(200);

    // Past the grace in which the same client may repeat a refresh (two tabs at once).
    server.clock.advance(CONCURRENT_REFRESH_GRACE_MS + 1000);
    const reuse = await req('/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token }, from });
    expect(reuse.status).toBe(401);
    // The whole family is dead: the newest refresh token and its access token too.
    const after = await req('/token', { form: { grant_type: 'refresh_token', refresh_token: second.json.refresh_token }, from });
    expect(after.status).toBe(401);
    expect((await req('/validate-token', { token: second.json.access_token })).status).toBe(401);
    const events = await req('/dashboard-data', { token: await server.adminToken() });
    expect(events.json.events.some((e: { type: string }) => e.type === 'token.refresh-reuse')).toBe(true);
  });

  it('enforces roles: anonymous 401, user 403, admin 200', async () => {
    const user = (await login('alice', userPassword)).json.access_token;
    for (const path of ['/admin/users', '/admin/stats', '/dashboard-data']) {
      expect((await req(path)).status).toBe(401);
      const forbidden = await req(path, { token: user });
      expect(forbidden.status).toBe(403);
      expect(forbidden.json.title).toBe('Forbidden');
      expect((await req(path, { token: await server.adminToken() })).status).toBe(200);
    }
  });

  it('manages users: weak passwords refused, role change, disable ends sessions, delete', async () => {
    const admin = await server.adminToken();
    const weak = await req('/admin/users', { token: admin, body: { username: 'bob', password: 'password1234', role: 'user' } });
    expect(weak.status).toBe(400);
    expect(weak.json.errors[0].field).toBe('password');
    const short = await req('/admin/users', { token: admin, body: { username: 'bob', password: 'Sh0rt!x', role: 'user' } });
    expect(short.status).toBe(400);
    const dup = await req('/admin/users', { token: admin, body: { username: 'ALICE', password: strongPassword(), role: 'user' } });
    expect(dup.status).toBe(409);

    const bobPassword = strongPassword();
    expect((await req('/admin/users', { token: admin, body: { username: 'bob', password: bobPassword, role: 'user' } })).status).toBe(201);
    const bob = (await login('bob', bobPassword)).json;
    const list = await req('/admin/users', { token: admin });
    expect(list.json.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['admin', 'alice', 'bob']));

    const promoted = await req('/admin/users/bob', { method: 'PATCH', token: admin, body: { role: 'admin' } });
    expect(promoted.json.role).toBe('admin');
    server.clock.advance(1000);
    const disabled = await req('/admin/users/bob', { method: 'PATCH', token: admin, body: { disabled: true } });
    expect(disabled.json.disabled).toBe(true);
    expect((await req('/validate-token', { token: bob.access_token })).status).toBe(401);
    expect(
      (await req('/token', { form: { grant_type: 'refresh_token', refresh_token: bob.refresh_token }, from: nextClient() })).status,
    ).toBe(401);
    expect((await login('bob', bobPassword)).status).toBe(401);

    expect((await req('/admin/users/bob', { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await req('/admin/users/bob', { method: 'DELETE', token: admin })).status).toBe(404);
  });

  it('changes a password: ends every access token issued before and the other sessions, not this session', async () => {
    const admin = await server.adminToken();
    const pw = strongPassword();
    await req('/admin/users', { token: admin, body: { username: 'carol', password: pw, role: 'user' } });
    const a = (await login('carol', pw)).json;
    const b = (await login('carol', pw)).json;
    const wrong = await req('/me/password', {
      token: a.access_token,
      body: { current_password: 'nope-nope-nope', new_password: strongPassword() },
    });
    expect(wrong.status).toBe(400);
    const next = strongPassword();
    expect((await req('/me/password', { token: a.access_token, body: { current_password: pw, new_password: next } })).status).toBe(204);
    expect((await req('/validate-token', { token: a.access_token })).status).toBe(401);
    expect((await req('/validate-token', { token: b.access_token })).status).toBe(401);
    const refreshedA = await req('/token', { form: { grant_type: 'refresh_token', refresh_token: a.refresh_token } });
    expect(refreshedA.status).toBe(200);
    expect((await req('/validate-token', { token: refreshedA.json.access_token })).status).toBe(200);
    expect((await req('/token', { form: { grant_type: 'refresh_token', refresh_token: b.refresh_token } })).status).toBe(401);
    expect((await login('carol', pw)).status).toBe(401);
    expect((await login('carol', next)).status).toBe(200);
  });

  it('runs the browser session flow with an httpOnly SameSite=Strict refresh cookie', async () => {
    const from = nextClient();
    const res = await req('/session', { body: { username: 'alice', password: userPassword }, from });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'bearer', username: 'alice', role: 'user' });
    expect(res.json.refresh_token).toBeUndefined();
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] as string[]);
    const refresh = setCookie.find((c) => c.startsWith('bn_refresh='));
    expect(refresh).toMatch(/HttpOnly/i);
    expect(refresh).toMatch(/SameSite=Strict/i);
    expect(refresh).toMatch(/Path=\/session/);
    const cookie = cookiesFrom(res);
    const refreshed = await req('/session/refresh', { method: 'POST', cookie, from });
    expect(refreshed.status).toBe(200);
    const out = await req('/session', { method: 'DELETE', token: refreshed.json.access_token, from });
    expect(out.status).toBe(204);
    expect((await req('/session/refresh', { method: 'POST', cookie: cookiesFrom(refreshed), from })).status).toBe(401);
  });

  it('answers bad input with clear 4xx problem+json, never 5xx', async () => {
    const from = nextClient();
    const badJson = await req('/token', { raw: '{"username": ', headers: { 'content-type': 'application/json' }, from });
    expect(badJson.status).toBe(400);
    expect(badJson.headers['content-type']).toContain('application/problem+json');
    const missing = await req('/token', { form: { username: 'alice' }, from });
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0].field).toBe('password');
    const extra = await req('/session', { body: { username: 'a', password: 'b', admin: true }, from });
    expect(extra.status).toBe(400);
    const wrongType = await req('/session', { body: { username: ['x'], password: 5 }, from });
    expect(wrongType.status).toBe(400);
    const big = await req('/token', { form: { username: 'alice', password: 'x'.repeat(20_000) }, from });
    expect(big.status).toBe(413);
    const plain = await req('/token', { raw: 'username=alice', headers: { 'content-type': 'text/plain' }, from });
    expect(plain.status).toBe(415);
    const grant = await req('/token', { form: { grant_type: 'client_credentials' }, from });
    expect(grant.status).toBe(400);
    const unknown = await req('/no-such-route', { from });
    expect(unknown.status).toBe(404);
    expect(unknown.json.status).toBe(404);
    const badUser = await req('/admin/users/%00%ff', { method: 'PATCH', token: await server.adminToken(), body: { role: 'root' } });
    expect(badUser.status).toBe(400);
  });

  it('publishes the JWKS, security headers, health, readiness and docs', async () => {
    const jwks = await req('/.well-known/jwks.json');
    expect(jwks.json.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    const token = (await login('alice', userPassword)).json.access_token;
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid).toBe(jwks.json.keys[0].kid);
    const health = await req('/health');
    expect(health.status).toBe(200);
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    // JSON answers carry OWASP's REST headers; the dashboard's HTML the full CSP.
    expect(health.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(health.headers['cache-control']).toBe('no-store');
    const docs = await req('/docs');
    expect(docs.headers['content-security-policy']).toContain("default-src 'self'");
    expect(health.headers['x-request-id']).toBeTruthy();
    const ready = await req('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.database).toBe(usePostgres ? 'postgres:ok' : 'embedded:ok');
    expect((await req('/docs')).status).toBe(200);
    const cors = await req('/validate-token', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(cors.headers['access-control-allow-origin']).toBeUndefined();
  });

  if (!usePostgres) {
    it('keeps the signing key (mode 0600), users and revocations across a restart', async () => {
      const keyFile = join(server.dataDir, 'keys', 'jwt-es256.pem');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const live = (await login('alice', userPassword)).json.access_token;
      const revoked = (await login('alice', userPassword)).json.access_token;
      await req('/logout', { method: 'POST', token: revoked });
      const { dataDir, adminPassword, clock } = server;
      await server.close();
      server = await startServer({}, { dataDir, adminPassword, clock });
      req = (path, opts) => http(server.url, path, opts);
      expect((await req('/validate-token', { token: live })).status).toBe(200);
      expect((await req('/validate-token', { token: revoked })).status).toBe(401);
      expect((await login('alice', userPassword)).status).toBe(200);
    });
  }
});
