import { eventually, http, strongPassword } from '@bouncer/testing';
import { type GatewayBouncer, startGatewayBouncer, TEST_POLICY } from './support/bouncer';

/**
 * Traefik is not packaged for Debian, so its ForwardAuth contract is tested by requests shaped
 * as Traefik sends them: a GET to /forward-auth from the proxy's address (127.0.0.1, trusted)
 * with X-Forwarded-Method/-Proto/-Host/-Uri/-For and the client's Authorization; the proxy
 * passes any non-2xx answer to the client whole, so 429 is sent as 429. Answers of the
 * protected API come back through POST /forward-auth/report.
 */
describe('gateway: Traefik-shaped forward-auth and POST /forward-auth/report', () => {
  let b: GatewayBouncer;
  let user: string;
  const PROXY = '127.0.0.1';
  const client = (n: number) => `127.23.0.${n}`;

  /** What Traefik sends for a client's request. */
  const traefik = (method: string, uri: string, from: string, extra: Record<string, string> = {}) =>
    http(b.url, '/forward-auth', {
      from: PROXY,
      headers: {
        'x-forwarded-method': method,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example.test',
        'x-forwarded-uri': uri,
        'x-forwarded-for': from,
        ...extra,
      },
    });
  const report = (body: Record<string, unknown>, from = PROXY) => http(b.url, '/forward-auth/report', { from, body });

  beforeAll(async () => {
    b = await startGatewayBouncer(TEST_POLICY, { FAILED_LOGIN_THRESHOLD: '3', PROBE_THRESHOLD: '5' });
    user = await b.tokenFor('alice', 'user');
  }, 300_000);

  afterAll(async () => {
    await b?.close();
  });

  it('answers 200 with the identity headers for a valid token', async () => {
    const res = await traefik('GET', '/api/things?x=1', client(2), { authorization: `Bearer ${user}` });
    expect(res.status).toBe(200);
    expect(res.headers['x-bouncer-user']).toBe('alice');
    expect(res.headers['x-bouncer-role']).toBe('user');
    expect(res.headers['x-bouncer-client']).toBe(client(2));
    expect(res.headers['x-bouncer-decision']).toBe('allow');
    expect(res.headers['x-bouncer-route-class']).toBe('api');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 401 with WWW-Authenticate for a missing or bad token, and 403 for a missing role', async () => {
    const missing = await traefik('GET', '/api/things', client(3));
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="bouncer"');
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const bad = await traefik('GET', '/api/things', client(3), { authorization: 'Bearer not.a.token' });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('invalid_token');
    const role = await traefik('GET', '/admin/x', client(3), { authorization: `Bearer ${user}` });
    expect(role.status).toBe(403);
    expect(role.json.type).toBe('urn:bouncer:problem:role-required');
  });

  it('refuses the token of a temporary password (403 password-change-required) and passes no identity with it on a public route', async () => {
    // Signed in from a client of its own: the proxy's address has used up its successful sign-ins.
    const admin = await b.server.adminToken();
    const created = await http(b.url, '/admin/users', {
      token: admin,
      from: PROXY,
      body: { username: 'erin', password: strongPassword(), role: 'user' },
    });
    expect(created.status).toBe(201);
    const reset = await http(b.url, '/admin/users/erin/password-reset', { token: admin, from: PROXY, body: {} });
    expect(reset.status).toBe(200);
    const signIn = await http(b.url, '/token', { form: { username: 'erin', password: reset.json.temporary_password }, from: client(6) });
    expect(signIn.json.must_change_password).toBe(true);
    const restricted = signIn.json.access_token as string;
    const refused = await traefik('GET', '/api/things', client(6), { authorization: `Bearer ${restricted}` });
    expect(refused.status).toBe(403);
    expect(refused.json.type).toBe('urn:bouncer:problem:password-change-required');
    const open = await traefik('GET', '/public/page', client(6), { authorization: `Bearer ${restricted}` });
    expect(open.status).toBe(200);
    expect(open.headers['x-bouncer-user']).toBe('');
  });

  it('matches the normalised path: encoded and dot segments cannot walk around a class', async () => {
    for (const uri of ['/%61dmin/x', '/public/../admin/x', '//admin//x', '/admin/./x']) {
      const res = await traefik('GET', uri, client(4), { authorization: `Bearer ${user}` });
      expect([uri, res.status]).toEqual([uri, 403]);
    }
    expect((await traefik('GET', '/bad%zzpath', client(4))).status).toBe(400);
  });

  it('sends 429 as 429 (not the nginx 403 form) with Retry-After and RateLimit headers', async () => {
    const token = await b.tokenFor('dave', 'user');
    for (let i = 0; i < 3; i++) expect((await traefik('GET', '/api/x', client(5), { authorization: `Bearer ${token}` })).status).toBe(200);
    const res = await traefik('GET', '/api/x', client(5), { authorization: `Bearer ${token}` });
    expect(res.status).toBe(429);
    expect(res.headers['x-bouncer-status']).toBe('429');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-policy']).toBe('"route:api:subject";q=3;w=60');
    // The sliding window still weighs the last minute's requests a minute on; two minutes on
    // (the manual clock), the user is let through again.
    b.server.clock.advance(121_000);
    expect((await traefik('GET', '/api/x', client(5), { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('believes X-Forwarded-For only from the trusted proxy', async () => {
    const direct = await http(b.url, '/forward-auth', {
      from: client(6),
      headers: { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-uri': '/public/x', 'x-forwarded-method': 'GET' },
    });
    expect(direct.status).toBe(200);
    expect(direct.headers['x-bouncer-client']).toBe(client(6));
    // And only the trusted proxy may report answers.
    const refused = await report({ method: 'GET', uri: '/x', status: 404, client: client(7) }, client(6));
    expect(refused.status).toBe(403);
    expect(refused.json.type).toBe('urn:bouncer:problem:not-a-trusted-proxy');
  });

  it('blocks a client whose reported answers are a 404 scan; the proxy is never blocked', async () => {
    const scanner = client(8);
    for (let i = 0; i < 6; i++)
      expect((await report({ method: 'GET', uri: `/wp-${i}.php`, status: 404, client: scanner })).status).toBe(204);
    const res = await eventually(async () => {
      const r = await traefik('GET', '/public/x', scanner);
      return r.status === 403 ? r : null;
    }, 'the scanner blocked');
    expect(res.json.type).toBe('urn:bouncer:problem:client-blocked');
    expect((await traefik('GET', '/public/x', client(9))).status).toBe(200);
    // The proxy's own address is not blocked for its client's sins.
    expect((await http(b.url, '/health', { from: PROXY })).status).toBe(200);
    expect((await traefik('GET', '/public/x', PROXY)).status).toBe(200);
  });

  it('counts reported failed sign-ins per account and client: the brute force gets 429 before the upstream', async () => {
    const attacker = client(10);
    for (let i = 0; i < 3; i++) {
      expect((await traefik('POST', '/login', attacker)).status).toBe(200);
      expect((await report({ method: 'POST', uri: '/login', status: 401, client: attacker, username: 'Victim' })).status).toBe(204);
    }
    const res = await traefik('POST', '/login', attacker);
    expect(res.status).toBe(429);
    expect(res.json.type).toBe('urn:bouncer:problem:login-throttled');
    // Other routes stay open to it (a sign-in buffer, not a block), and other clients may sign in.
    expect((await traefik('GET', '/public/x', attacker)).status).toBe(200);
    expect((await traefik('POST', '/login', client(11))).status).toBe(200);
    const events = await http(b.url, '/admin/events?type=gateway.login.failed', { token: await b.server.adminToken(), from: PROXY });
    expect(JSON.stringify(events.json)).toContain('failed sign-in to the protected API as victim');
  });

  it('refuses bad reports with 400', async () => {
    expect((await report({ method: 'GET', uri: '/x', status: 42 })).status).toBe(400);
    expect((await report({ method: 'GET', uri: '/x', status: 404, client: 'not-an-ip' })).status).toBe(400);
    expect((await report({ uri: '/x', status: 404 })).status).toBe(400);
  });
});
