import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookiesFrom, http, type HttpOptions, type HttpResponse } from '@bouncer/testing';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { SwaggerModule } from '@nestjs/swagger';
import { openApiDocument } from '../../src/app.factory';
import { startServer, type TestServer } from '../support/app';

/**
 * The browser and HTTP edge: cookies and HSTS (M6), cross-site requests on the cookie routes
 * (M7), block-by-proxy from other sites (M11), headers on every answer (L8), the SPA fallback
 * (L13), the API docs (I4), request ids (I5) and the loopback check (I6).
 */

const PROXY = '127.0.60.1';
const password = 'Browser-Edge-Pass-4417';

function setCookies(res: HttpResponse): string[] {
  const set = res.headers['set-cookie'];
  return Array.isArray(set) ? set : set ? [set] : [];
}

function cookieNamed(res: HttpResponse, name: string): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${name}=`));
}

const crossSite = {
  origin: 'https://evil.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
};
const imageFromElsewhere = {
  accept: 'image/avif,image/webp,*/*;q=0.8',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'sec-fetch-dest': 'image',
  referer: 'https://evil.example/',
};

describe('attacks on the browser and HTTP edge', () => {
  let server: TestServer;
  let staticDir: string;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, opts);

  beforeAll(async () => {
    // A stand-in for the built dashboard, so the SPA fallback is active.
    staticDir = mkdtempSync(join(tmpdir(), 'bouncer-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Bouncer</title>');
    server = await startServer({ TRUSTED_PROXIES: `${PROXY}/32`, STATIC_DIR: staticDir });
    const admin = await server.adminToken();
    for (const username of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const res = await req('/admin/users', { token: admin, body: { username, password, role: 'user' } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.close(true);
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('M7 the cookie routes refuse cross-site requests and form bodies; login CSRF sets no cookie', async () => {
    const from = '127.0.7.1';
    // The classic login CSRF: a hidden form on another site, auto-submitted.
    const csrf = await req('/session', { form: { username: 'bob', password }, headers: crossSite, from });
    expect(csrf.status).toBe(403);
    expect(csrf.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(setCookies(csrf)).toEqual([]);
    // Without the browser's headers, a form body is still not accepted on a cookie route.
    const form = await req('/session', { form: { username: 'bob', password }, from });
    expect(form.status).toBe(415);
    expect(setCookies(form)).toEqual([]);
    const plainText = await req('/session', { raw: '{"username":"bob"}', headers: { 'content-type': 'text/plain' }, from });
    expect(plainText.status).toBe(415);
    // A JSON fetch from another origin (no Fetch Metadata, e.g. an older browser) or a sibling site.
    const foreign = await req('/session', { body: { username: 'bob', password }, headers: { origin: 'https://evil.example' }, from });
    expect(foreign.status).toBe(403);
    expect(setCookies(foreign)).toEqual([]);
    const sibling = await req('/session', {
      body: { username: 'bob', password },
      headers: { origin: 'https://evil.127.0.0.1.example', 'sec-fetch-site': 'same-site' },
      from,
    });
    expect(sibling.status).toBe(403);
    expect((await req('/session', { body: { username: 'bob', password }, headers: { origin: 'null' }, from })).status).toBe(403);

    // The dashboard itself: same origin, JSON.
    const own = await req('/session', {
      body: { username: 'bob', password },
      headers: { origin: server.url, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' },
      from,
    });
    expect(own.status).toBe(200);
    const cookie = cookiesFrom(own);
    // Refresh and sign-out driven from elsewhere are refused too, and leave the session alive.
    const refreshCsrf = await req('/session/refresh', { method: 'POST', cookie, headers: crossSite, from });
    expect(refreshCsrf.status).toBe(403);
    expect(setCookies(refreshCsrf)).toEqual([]);
    const refreshForm = await req('/session/refresh', { form: { x: '1' }, cookie, from });
    expect(refreshForm.status).toBe(415);
    const logoutCsrf = await req('/session', { method: 'DELETE', cookie, token: own.json.access_token, headers: crossSite, from });
    expect(logoutCsrf.status).toBe(403);
    const refreshed = await req('/session/refresh', {
      method: 'POST',
      cookie,
      headers: { origin: server.url, 'sec-fetch-site': 'same-origin' },
      from,
    });
    expect(refreshed.status).toBe(200);

    // A page that posts its visitors' forms to us again and again neither blocks them (rule 6)
    // nor spends their sign-in budget.
    const victim = '127.0.7.2';
    for (let i = 0; i < 35; i++) {
      expect((await req('/session', { form: { username: 'bob', password: `guess-${i}` }, headers: crossSite, from: victim })).status).toBe(
        403,
      );
    }
    expect((await req('/session', { body: { username: 'bob', password }, from: victim })).status).toBe(200);

    // The same page posting wrong passwords to /token would buy its visitors a sign-in buffer (rule 2).
    const visitor = '127.0.7.3';
    for (let i = 0; i < 6; i++) {
      const res = await req('/token', { form: { username: 'bob', password: `guess-${i}` }, headers: crossSite, from: visitor });
      expect(res.status).toBe(403);
    }
    expect((await req('/token', { form: { username: 'bob', password }, from: visitor })).status).toBe(200);

    // API clients (no cookies, no browser headers) keep using forms on /token.
    expect((await req('/token', { form: { username: 'bob', password }, from })).status).toBe(200);
  });

  it('M11 cross-site image requests to unknown paths do not get the visitor blocked', async () => {
    const visitor = '127.0.11.1';
    for (let n = 1; n <= 25; n++) expect((await req(`/img-${n}.png`, { headers: imageFromElsewhere, from: visitor })).status).toBe(404);
    expect((await req('/token', { form: { username: 'carol', password }, from: visitor })).status).toBe(200);

    // Nor do iframes and fetches another page opens (navigate, cors), nor a sibling subdomain's page.
    const framed = '127.0.11.4';
    for (let n = 1; n <= 25; n++) {
      const mode =
        n % 2 ? { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' } : { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
      const site = n % 3 ? 'cross-site' : 'same-site';
      expect((await req(`/frame-${n}`, { headers: { ...mode, 'sec-fetch-site': site }, from: framed })).status).toBe(404);
    }
    expect((await req('/.well-known/jwks.json', { from: framed })).status).toBe(200);

    // The same 404s sent directly still count (rule 6: more than 20 in 60 s).
    const scanner = '127.0.11.2';
    for (let n = 1; n <= 21; n++) await req(`/img-${n}.png`, { from: scanner });
    expect((await req('/token', { form: { username: 'carol', password }, from: scanner })).status).toBe(403);

    // Credentials make a request the client's own: a cross-site no-cors request with a token counts.
    const withToken = '127.0.11.3';
    for (let n = 1; n <= 21; n++) await req(`/img-${n}.png`, { headers: imageFromElsewhere, token: 'x.y.z', from: withToken });
    expect((await req('/.well-known/jwks.json', { from: withToken })).status).toBe(403);
  });

  it('L13 unknown paths are 404 and count as probing whatever the Accept header', async () => {
    const scanner = '127.0.13.1';
    const html = { accept: 'text/html,application/xhtml+xml' };
    for (let n = 1; n <= 21; n++) {
      const res = await req(`/secret-path-${n}`, { headers: html, from: scanner });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await req('/.well-known/jwks.json', { from: scanner })).status).toBe(403);
    expect((await req('/admin-panel', { headers: html, from: '127.0.13.2' })).status).toBe(404);

    // The dashboard's own routes still load in the browser.
    for (const path of ['/', '/login', '/login?expired=1', '/home', '/dashboard']) {
      const page = await req(path, { headers: html, from: '127.0.13.3' });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it('L8 every answer carries the security headers and request id; RateLimit headers state the rule that applies', async () => {
    // A blocked client's 403, written by the gate before any route runs.
    const blocked = '127.0.8.1';
    for (let n = 1; n <= 21; n++) await req(`/probe-${n}`, { from: blocked });
    for (const path of ['/.well-known/jwks.json', '/token', '/no-such-path']) {
      const refused = await req(path, { from: blocked });
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      expect(refused.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(refused.headers['x-frame-options']).toBe('DENY');
      expect(refused.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }

    // So do the answers Fastify gives before any route (unknown path, media type, body size).
    const others = [
      await req('/no-such-path', { from: '127.0.8.9' }),
      await req('/token', { raw: 'x', headers: { 'content-type': 'text/plain' }, from: '127.0.8.9' }),
      await req('/token', { form: { username: 'x'.repeat(20_000) }, from: '127.0.8.9' }),
    ];
    expect(others.map((r) => r.status)).toEqual([404, 415, 413]);
    for (const r of others) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }

    // Sign-in answers that are not 429 tell the client its remaining sign-in budget.
    const from = '127.0.8.2';
    const first = await req('/token', { form: { username: 'dave', password: 'wrong-password-1' }, from });
    expect(first.status).toBe(401);
    expect(first.headers['ratelimit-policy']).toBe('"sign-in";q=30;w=60');
    expect(first.headers['ratelimit']).toMatch(/^"sign-in";r=29;t=\d+$/);
    const second = await req('/session', { body: { username: 'dave', password }, from });
    expect(second.status).toBe(200);
    expect(second.headers['ratelimit']).toMatch(/^"sign-in";r=28;t=\d+$/);

    // A client's failed sign-ins: rule 2 counts them for an hour, its 429 says so.
    const guesser = '127.0.8.3';
    for (let i = 1; i <= 5; i++) await req('/token', { form: { username: 'dave', password: `wrong-${i}-zzzz` }, from: guesser });
    const buffered = await req('/token', { form: { username: 'dave', password }, from: guesser });
    expect(buffered.status).toBe(429);
    expect(buffered.headers['ratelimit-policy']).toBe('"failed-logins";q=5;w=3600');

    // An account's failed sign-ins from many clients: rule 3 refuses, and its headers are its own
    // (the limit that refused: the client's budget at the account or the account's spacing).
    for (let i = 1; i <= 10; i++) await req('/token', { form: { username: 'erin', password: `wrong-${i}-yyyy` }, from: `127.0.88.${i}` });
    const delayed = await req('/token', { form: { username: 'erin', password: 'wrong-11-yyyy' }, from: '127.0.88.11' });
    expect(delayed.status).toBe(429);
    expect(delayed.headers['ratelimit-policy']).toMatch(/^"account-failed-logins";q=\d+;w=\d+$/);
    expect(delayed.headers['ratelimit']).toMatch(/^"account-failed-logins";r=0;t=\d+$/);
  });

  it('I5 the request id is the server’s own, never the client’s', async () => {
    const a = await req('/health', { headers: { 'x-request-id': 'same-id-1' }, from: '127.0.5.1' });
    const b = await req('/health', { headers: { 'x-request-id': 'same-id-1' }, from: '127.0.5.1' });
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    const problem = await req('/no-such-thing', { headers: { 'x-request-id': 'same-id-1' }, from: '127.0.5.2' });
    expect(problem.headers['x-request-id']).not.toBe('same-id-1');
  });

  it('I6 plain HTTP is allowed only on a loopback address literal, not on a name that looks like one', () => {
    expect(() => loadConfig({ HOST: '127.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '127.0.0.1.nip.io' })).toThrow(/^Invalid HOST/);
    expect(() => loadConfig({ HOST: '0x7f.0.0.1' })).toThrow(/^Invalid HOST/);
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });
  // Last: these also start a second server in this process; everything above uses the first only.
  it('M6 cookies are Secure and host-scoped and HSTS is sent whenever the public scheme is https', async () => {
    // Plain-HTTP loopback development keeps working: no Secure, no HSTS, cookie scoped to /session.
    const plain = await req('/session', { body: { username: 'alice', password }, from: '127.0.6.1' });
    expect(plain.status).toBe(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(cookieNamed(plain, 'bn_refresh')).not.toMatch(/Secure/i);
    expect((await req('/session/refresh', { method: 'POST', cookie: cookiesFrom(plain), from: '127.0.6.1' })).status).toBe(200);

    // Behind a TLS-terminating proxy (a trusted peer saying X-Forwarded-Proto: https).
    const viaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.6' };
    const tls = await req('/session', { body: { username: 'alice', password }, from: PROXY, headers: viaProxy });
    expect(tls.status).toBe(200);
    expect(tls.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const refresh = cookieNamed(tls, '__Host-bn_refresh');
    expect(refresh).toMatch(/; Secure/i);
    expect(refresh).toMatch(/; Path=\/(;|$)/);
    expect(refresh).toMatch(/HttpOnly/i);
    expect(refresh).toMatch(/SameSite=Strict/i);
    expect(refresh).not.toMatch(/Domain=/i);
    for (const c of setCookies(tls)) expect(c).toMatch(/^__Host-.*; Secure/i);
    const renewed = await req('/session/refresh', { method: 'POST', cookie: cookiesFrom(tls), from: PROXY, headers: viaProxy });
    expect(renewed.status).toBe(200);
    expect(cookieNamed(renewed, '__Host-bn_refresh')).toMatch(/; Secure/i);
    expect((await req('/health', { from: PROXY, headers: viaProxy })).headers['strict-transport-security']).toMatch(/max-age/);
    // Over https, a cookie without the prefix (one a sibling subdomain could have planted) is not read.
    const planted = cookiesFrom(await req('/session', { body: { username: 'alice', password }, from: '127.0.6.1' }));
    expect(planted).toMatch(/^bn_refresh=/);
    expect((await req('/session/refresh', { method: 'POST', cookie: planted, from: PROXY, headers: viaProxy })).status).toBe(401);
    expect((await req('/session/refresh', { method: 'POST', cookie: planted, from: '127.0.6.1' })).status).toBe(200);

    // The same header from a peer that is not a trusted proxy is not believed.
    const spoofed = await req('/session', { body: { username: 'alice', password }, from: '127.0.6.2', headers: viaProxy });
    expect(spoofed.status).toBe(200);
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
    expect(cookieNamed(spoofed, 'bn_refresh')).toBeDefined();
    expect(cookieNamed(spoofed, '__Host-bn_refresh')).toBeUndefined();

    // An explicit PUBLIC_URL=https://… says so for every request.
    const declared = await startServer({ PUBLIC_URL: 'https://bouncer.example' });
    try {
      const admin = await declared.adminToken();
      const health = await http(declared.url, '/health', { from: '127.0.6.3' });
      expect(health.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      const res = await http(declared.url, '/session', {
        body: { username: 'admin', password: declared.adminPassword },
        from: '127.0.6.3',
      });
      expect(res.status).toBe(200);
      expect(cookieNamed(res, '__Host-bn_refresh')).toMatch(/; Secure/i);
      expect(admin).toBeTruthy();
    } finally {
      await declared.close(true);
    }
  });

  it('I4 with the API docs off, the OpenAPI document is built only when something asks for it', async () => {
    const build = jest.spyOn(SwaggerModule, 'createDocument');
    const off = await startServer({});
    try {
      expect(build).not.toHaveBeenCalled();
      expect(Object.keys(openApiDocument(off.app).paths)).toContain('/token');
      openApiDocument(off.app);
      expect(build).toHaveBeenCalledTimes(1);
    } finally {
      build.mockRestore();
      await off.close(true);
    }
  });

  it('I4 the API docs are not served by default; API_DOCS=admin serves them to admins only', async () => {
    for (const path of ['/docs', '/docs-json', '/docs/', '/docs-yaml']) expect((await req(path, { from: '127.0.4.1' })).status).toBe(404);
    // The document is still there: the fuzzing suite reads it in-process.
    expect(Object.keys(openApiDocument(server.app).paths)).toContain('/token');

    const admins = await startServer({ API_DOCS: 'admin' });
    try {
      const get = (path: string, opts: HttpOptions = {}) => http(admins.url, path, { from: '127.0.4.2', ...opts });
      expect((await get('/docs-json')).status).toBe(401);
      const user = await get('/admin/users', {
        token: await admins.adminToken(),
        body: { username: 'frank', password, role: 'user' },
      });
      expect(user.status).toBe(201);
      const userToken = (await get('/token', { form: { username: 'frank', password } })).json.access_token;
      expect((await get('/docs-json', { token: userToken })).status).toBe(403);
      const doc = await get('/docs-json', { token: await admins.adminToken() });
      expect(doc.status).toBe(200);
      expect(doc.json.openapi).toMatch(/^3\./);
      expect(doc.headers['content-type']).toMatch(/^application\/json/);
      expect((await get('/docs')).status).toBe(404);
    } finally {
      await admins.close(true);
    }
  });
});
