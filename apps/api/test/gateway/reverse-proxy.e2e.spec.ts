import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { eventually, http } from '@bouncer/testing';
import { type GatewayBouncer, startGatewayBouncer } from './support/bouncer';
import { startUpstream, type Upstream } from './support/upstream';

/** Sends `size` bytes in 64 KiB pieces (a streamed upload) and resolves with the answer. */
function upload(url: string, path: string, size: number): Promise<{ status: number; json: { bytes: number; sha256: string } }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': size },
        agent: false,
        localAddress: '127.0.30.1',
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on('error', reject);
    const piece = Buffer.alloc(64 * 1024, 0x62);
    let left = size;
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(piece.subarray(0, n))) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** Resolves with the times (ms since the request) at which each body chunk arrived. */
function chunkTimes(url: string, path: string): Promise<{ status: number; times: number[]; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = httpRequest(new URL(path, url), { agent: false, localAddress: '127.0.30.2' }, (res) => {
      const times: number[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        times.push(Date.now() - started);
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, times, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The policy of these tests: the upstream's sign-in route, an admin-only class, a token class, the rest public. */
const POLICY = `
version: 1
classes:
  - name: sign-in
    match: { methods: [POST], path: /login }
    auth: public
    sign_in: { username_field: username, failure_statuses: [401] }
  - name: admin
    match: { path: /api/admin/** }
    auth: { role: admin }
  - name: internal
    match: { path: /api/internal/** }
    auth: token
    upstream_auth: strip
  - name: api
    match: { path: /api/** }
    auth: token
default:
  auth: public
`;

/** Requests that reached the upstream from one client (the X-Forwarded-For hop Bouncer added). */
const reached = (upstream: Upstream, client: string) => upstream.countFrom(client);

describe('#11.2 #11.4 reverse-proxy mode (UPSTREAM_URL) in front of a real upstream', () => {
  let upstream: Upstream;
  let bouncer: GatewayBouncer;
  let url: string;
  const get = (path: string, from: string, o: Parameters<typeof http>[2] = {}) => http(url, path, { from, ...o });

  beforeAll(async () => {
    upstream = await startUpstream('right');
    bouncer = await startGatewayBouncer(POLICY, { UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '400' });
    url = bouncer.url;
    // Generous: on a loaded shared machine the in-process start (embedded database) alone took 90 s.
  }, 300_000);
  afterAll(async () => {
    await bouncer?.close();
    await upstream?.close();
  });

  it('keeps Bouncer’s own routes and namespaces, and forwards everything else', async () => {
    expect((await get('/health', '127.0.20.1')).status).toBe(200);
    const before = upstream.hits.length;
    const own404 = await get('/admin/no-such-thing', '127.0.20.1');
    expect(own404.status).toBe(404);
    expect(own404.json.detail).toBe('Cannot GET /admin/no-such-thing');
    expect(upstream.hits.length).toBe(before);
    const echoed = await get('/echo?page=2', '127.0.20.2');
    expect(echoed.status).toBe(200);
    expect(echoed.json.url).toBe('/echo?page=2');
  });

  it('lets a valid token through with the identity headers; the client’s own X-Bouncer-* never reach the upstream', async () => {
    const token = await bouncer.tokenFor('alice', 'user');
    const res = await get('/api/items', '127.0.21.1', { token, headers: { 'x-bouncer-user': 'admin', 'x-bouncer-role': 'admin' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ user: 'alice', role: 'user', client: '127.0.21.1', decision: 'allow', route_class: 'api' });
    // Authorization passes through by default (upstream_auth: pass).
    expect(res.json.authorization).toBe(`Bearer ${token}`);
    // upstream_auth: strip: the upstream gets the identity, never the client's credentials.
    const stripped = await get('/api/internal/report', '127.0.21.1', { token });
    expect(stripped.status).toBe(200);
    expect(stripped.json).toMatchObject({ user: 'alice', route_class: 'internal', authorization: null });
    const anonymous = await get('/echo', '127.0.21.1', {
      headers: { 'x-bouncer-user': 'admin', 'X-Bouncer-Role': 'admin', 'x-bouncer-other': 'x' },
    });
    const seen = anonymous.json.headers as Record<string, string>;
    expect(seen['x-bouncer-user']).toBeUndefined();
    expect(seen['x-bouncer-role']).toBeUndefined();
    expect(seen['x-bouncer-other']).toBeUndefined();
    expect(seen['x-bouncer-client']).toBe('127.0.21.1');
  });

  it('refuses a missing token (401) and a plain user on the admin-only class (403) before the upstream', async () => {
    const user = await bouncer.tokenFor('bob', 'user');
    const admin = await bouncer.tokenFor('root', 'admin');
    const before = upstream.hits.length;
    const anonymous = await get('/api/items', '127.0.22.1');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Bearer');
    const plain = await get('/api/admin/users', '127.0.22.1', { token: user });
    expect(plain.status).toBe(403);
    expect(plain.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(upstream.hits.length).toBe(before);
    const ok = await get('/api/admin/users', '127.0.22.1', { token: admin });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ user: 'root', role: 'admin', route_class: 'admin' });
  });

  it('stops a brute force against the upstream’s own sign-in route, then holds back even the right password', async () => {
    const attacker = '127.0.23.1';
    const refusal = await eventually(
      async () => {
        const res = await get('/login', attacker, { body: { username: 'victim', password: 'guess' } });
        return res.status === 429 ? res : null;
      },
      'the brute force stopped',
      30_000,
      0,
    );
    expect(Number(refusal.headers['retry-after'])).toBeGreaterThan(0);
    const tries = reached(upstream, attacker);
    expect(tries).toBeGreaterThanOrEqual(3);
    expect(tries).toBeLessThan(12);
    expect((await get('/login', attacker, { body: { username: 'victim', password: 'right' } })).status).toBe(429);
    expect(reached(upstream, attacker)).toBe(tries);
    // Someone else signs in normally.
    expect((await get('/login', '127.0.23.2', { body: { username: 'someone', password: 'right' } })).status).toBe(200);
  });

  it('blocks a 404 scanner against the upstream, which then never reaches it; its neighbour is untouched', async () => {
    const scanner = '127.0.24.1';
    let n = 0;
    const blocked = await eventually(
      async () => {
        const res = await get(`/wp-admin-${n++}.php`, scanner);
        return res.status === 403 ? res : null;
      },
      'the scanner blocked',
      30_000,
      0,
    );
    expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
    const count = reached(upstream, scanner);
    for (const path of ['/echo', '/stream?chunks=1&gap=1', '/login']) expect((await get(path, scanner)).status).toBe(403);
    expect(reached(upstream, scanner)).toBe(count);
    expect((await get('/echo', '127.0.24.2')).status).toBe(200);
  });

  it('streams a request body larger than the API’s body limit to the upstream, unparsed and whole', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const res = await upload(url, '/upload', size);
    expect(res.status).toBe(200);
    expect(res.json.bytes).toBe(size);
    const expected = createHash('sha256');
    for (let left = size; left > 0; left -= 64 * 1024) expected.update(Buffer.alloc(Math.min(left, 64 * 1024), 0x62));
    expect(res.json.sha256).toBe(expected.digest('hex'));
  });

  it('streams a slow answer to the client as it comes, not buffered', async () => {
    const res = await chunkTimes(url, '/stream?chunks=4&gap=150');
    expect(res.status).toBe(200);
    expect(res.bytes).toBe(4 * 1024);
    // The first kilobyte is there long before the upstream has finished (4 x 150 ms).
    expect((res.times.at(-1) ?? 0) - (res.times[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('removes hop-by-hop headers, ignores an untrusted peer’s forwarding headers and describes the hop in X-Forwarded-*', async () => {
    const res = await get('/echo', '127.0.25.1', {
      headers: {
        'x-forwarded-for': '127.0.0.1, 10.9.8.7',
        'x-forwarded-host': 'evil.example',
        forwarded: 'for=10.9.8.7',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': 'gone',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic abc',
        host: 'api.example.com',
      },
    });
    expect(res.status).toBe(200);
    const seen = res.json.headers as Record<string, string>;
    for (const gone of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'forwarded']) expect(seen[gone]).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.25.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('api.example.com');
    expect(seen['host']).toBe(new URL(upstream.url).host);
    // The spoofed address was not believed: the client is the socket's.
    expect(seen['x-bouncer-client']).toBe('127.0.25.1');
  });

  it('answers 504 problem+json when the upstream is too slow and 502 when it is down, counting neither against the client', async () => {
    const client = '127.0.26.1';
    for (let i = 0; i < 3; i++) {
      const slow = await get('/slow?ms=2000', client);
      expect(slow.status).toBe(504);
      expect(slow.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(slow.json).toMatchObject({ status: 504, title: 'Gateway Timeout' });
    }
    expect((await get('/health/ready', '127.0.26.9')).json.upstream).toBe('ok');

    // Last: the upstream goes away.
    await upstream.close();
    for (let i = 0; i < 12; i++) {
      const res = await get(`/api-down-${i}`, client);
      expect(res.status).toBe(502);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ status: 502, title: 'Bad Gateway' });
    }
    const ready = await get('/health/ready', '127.0.26.9');
    expect(ready.status).toBe(200);
    expect(ready.json.upstream).toBe('unreachable');
    // Not blocked for the upstream's failures.
    expect((await get('/echo', client)).status).toBe(502);
  });
});
