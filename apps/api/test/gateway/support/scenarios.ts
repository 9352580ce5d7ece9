import { eventually, http } from '@bouncer/testing';
import type { GatewayBouncer } from './bouncer';
import type { RunningProxy } from './proxies';
import type { Upstream } from './upstream';

export interface ProxyWorld {
  bouncer: GatewayBouncer;
  upstream: Upstream;
  proxy: RunningProxy;
  /** Tokens of a plain user and an admin. */
  user: string;
  admin: string;
}

/** Hits of the upstream that came from one client (the proxy's X-Forwarded-For). */
export function hitsFrom(upstream: Upstream, client: string, prefix = '/'): number {
  return upstream.hits.filter(
    (h) =>
      h.url.startsWith(prefix) &&
      String(h.headers['x-forwarded-for'] ?? '')
        .split(',')
        .pop()
        ?.trim() === client,
  ).length;
}

/**
 * The scenarios of issue 11 point 4, the same for every proxy in front of the test upstream.
 * `net` is a distinct 127.N.x.y block per proxy so their clients never meet.
 */
export function proxyScenarios(world: () => ProxyWorld, net: number, opts: { usernameFromBody: boolean }): void {
  const at = (host: number) => `127.${net}.0.${host}`;
  const get = (path: string, from: string, o: Parameters<typeof http>[2] = {}) => http(world().proxy.url, path, { from, ...o });

  it('lets a valid token through with the identity headers, and never believes the client’s own', async () => {
    const w = world();
    const res = await get('/api/things', at(2), { token: w.user, headers: { 'x-bouncer-user': 'admin', 'x-bouncer-role': 'admin' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ user: 'alice', role: 'user', client: at(2), decision: 'allow', route_class: 'api' });
    // Anonymous on a public route: the client's own X-Bouncer-User never reaches the upstream.
    const anon = await get('/public/x', at(2), { headers: { 'x-bouncer-user': 'admin', 'x-bouncer-role': 'admin' } });
    expect(anon.status).toBe(200);
    expect(anon.json).toMatchObject({ user: null, role: null, route_class: 'default' });
  });

  it('refuses a missing token with 401 and WWW-Authenticate, before the upstream', async () => {
    const w = world();
    const before = w.upstream.count('/api');
    const res = await get('/api/things', at(3));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(w.upstream.count('/api')).toBe(before);
  });

  it('refuses a plain user on the admin-only class (403) and lets an admin through', async () => {
    const w = world();
    const before = w.upstream.count('/admin');
    const res = await get('/admin/users', at(4), { token: w.user });
    expect(res.status).toBe(403);
    expect(res.json.detail).toContain('admin role');
    expect(w.upstream.count('/admin')).toBe(before);
    const ok = await get('/admin/users', at(4), { token: w.admin });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ user: 'root', role: 'admin', route_class: 'admin' });
  });

  it('holds a user to the per-user limit: 429 with Retry-After and RateLimit headers reaches the client', async () => {
    const w = world();
    const token = await w.bouncer.tokenFor(`carol${net}`, 'user');
    // The limit is per user, not per address: two addresses share carol's budget of 3.
    for (const host of [5, 6, 5]) expect((await get('/api/limited', at(host), { token })).status).toBe(200);
    const refused = await get('/api/limited', at(6), { token });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-policy']).toContain('q=3;w=60');
    expect(refused.headers['ratelimit']).toContain('r=0');
    expect(refused.json).toMatchObject({ status: 429, type: 'urn:bouncer:problem:rate-limited' });
    expect(w.upstream.count('/api/limited')).toBe(3);
    // Another user is not held back by carol's budget.
    expect((await get('/api/limited', at(6), { token: w.user })).status).toBe(200);
  });

  it('stops a brute force against the upstream’s own sign-in route', async () => {
    const w = world();
    const attacker = at(7);
    const before = hitsFrom(w.upstream, attacker, '/login');
    // Failed sign-ins reach Bouncer through the proxy's access log, a moment after each answer.
    const refusal = await eventually(
      async () => {
        const res = await get('/login', attacker, { body: { username: 'victim', password: 'guess' } });
        return res.status === 429 ? res : null;
      },
      'the sign-in buffer',
      20_000,
      100,
    );
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);
    expect(refusal.json).toMatchObject({ status: 429 });
    const reached = hitsFrom(w.upstream, attacker, '/login') - before;
    expect(reached).toBeGreaterThanOrEqual(3);
    expect(reached).toBeLessThan(8);
    // Now even the right password is held back before the upstream sees it.
    const right = await get('/login', attacker, { body: { username: 'victim', password: w.upstream.password } });
    expect(right.status).toBe(429);
    expect(hitsFrom(w.upstream, attacker, '/login') - before).toBe(reached);
    // Another client signs in normally.
    expect((await get('/login', at(8), { body: { username: 'someone', password: w.upstream.password } })).status).toBe(200);
    if (opts.usernameFromBody) {
      // The account was named from the body: its failures are in the audit log under its name.
      const events = await http(w.bouncer.url, '/admin/events?type=gateway.login.failed', {
        token: await w.bouncer.server.adminToken(),
        from: '127.0.0.1',
      });
      expect(JSON.stringify(events.json)).toContain('victim');
    }
  });

  it('blocks a 404 scanner, which then never reaches the upstream', async () => {
    const w = world();
    const scanner = at(9);
    let n = 0;
    const blocked = await eventually(
      async () => {
        const res = await get(`/wp-admin-${n++}.php`, scanner);
        return res.status === 403 ? res : null;
      },
      'the scanner blocked',
      20_000,
      50,
    );
    expect(blocked.json).toMatchObject({ status: 403, type: 'urn:bouncer:problem:client-blocked' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const reached = hitsFrom(w.upstream, scanner);
    for (const path of ['/public/ok', '/healthz', '/wp-login.php']) expect((await get(path, scanner)).status).toBe(403);
    expect(hitsFrom(w.upstream, scanner)).toBe(reached);
    // Its neighbour is untouched.
    expect((await get('/public/ok', at(10))).status).toBe(200);
  });

  it('ignores a spoofed X-Forwarded-For from the client', async () => {
    // It even names the proxy's own (trusted) address: the proxy replaces the header.
    const res = await get('/public/who', at(11), { headers: { 'x-forwarded-for': '127.0.0.1, 10.9.9.9' } });
    expect(res.status).toBe(200);
    expect(res.json.client).toBe(at(11));
  });

  // Last: it stops the upstream.
  it('answers 504 when the upstream is too slow and 502 when it is down, counting neither against the client', async () => {
    const w = world();
    const client = at(12);
    // More than the probing threshold of these tests (5) of each: a client is never blamed for the API's failures.
    for (let i = 0; i < 6; i++) expect((await get('/slow?ms=3000', client)).status).toBe(504);
    await w.upstream.close();
    for (let i = 0; i < 6; i++) expect((await get(`/public/down-${i}`, client)).status).toBe(502);
    // Still allowed by Bouncer (nginx's 502 comes after a passed check), and no decision on it.
    expect((await get('/public/ok', client)).status).toBe(502);
    const token = await w.bouncer.server.adminToken();
    const decisions = await http(w.bouncer.url, `/admin/decisions?client=${client}`, { token, from: '127.0.0.1' });
    expect(decisions.json.total).toBe(0);
  });
}
