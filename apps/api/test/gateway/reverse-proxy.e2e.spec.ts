import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { http } from '@bouncer/testing';
import { startServer, type TestServer } from '../support/app';
import { startTestUpstream, type TestUpstream } from './support/test-upstream';

/** Sends `size` bytes in 64 KiB pieces (a streamed upload) and resolves with the answer. */
function upload(url: string, path: string, size: number): Promise<{ status: number; json: { bytes: number; sha256: string } }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': size }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on('error', reject);
    const piece = Buffer.alloc(64 * 1024, 0x62);
    let left = size;
    const write = () => {
      while (left > 0) {
        const n = Math.min(left, piece.length);
        left -= n;
        if (!req.write(piece.subarray(0, n))) return void req.once('drain', write);
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
    const req = httpRequest(new URL(path, url), { agent: false }, (res) => {
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

describe('#11.2 reverse-proxy mode (UPSTREAM_URL) in front of a real upstream', () => {
  let upstream: TestUpstream;
  let server: TestServer;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    server = await startServer({ UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await server?.close(true);
    await upstream?.close();
  });

  it('keeps Bouncer’s own routes and namespaces, and forwards everything else', async () => {
    expect((await http(server.url, '/health')).status).toBe(200);
    const before = upstream.seen.length;
    const own404 = await http(server.url, '/admin/no-such-thing', { from: '127.0.0.20' });
    expect(own404.status).toBe(404);
    expect(own404.json.detail).toBe('Cannot GET /admin/no-such-thing');
    expect(upstream.seen.length).toBe(before);
    const items = await http(server.url, '/api/items?page=2', { from: '127.0.0.21' });
    expect(items.status).toBe(200);
    expect(items.json).toEqual({ items: [1, 2, 3] });
    expect(upstream.seen.at(-1)?.url).toBe('/api/items?page=2');
  });

  it('streams a request body larger than the API’s body limit to the upstream, unparsed and whole', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const res = await upload(server.url, '/upload', size);
    expect(res.status).toBe(200);
    expect(res.json.bytes).toBe(size);
    const expected = createHash('sha256');
    for (let left = size; left > 0; left -= 64 * 1024) expected.update(Buffer.alloc(Math.min(left, 64 * 1024), 0x62));
    expect(res.json.sha256).toBe(expected.digest('hex'));
  });

  it('streams a slow answer to the client as it comes, not buffered', async () => {
    const res = await chunkTimes(server.url, '/stream?chunks=4&gap=150');
    expect(res.status).toBe(200);
    expect(res.bytes).toBe(4 * 1024);
    // The first kilobyte is there long before the upstream has finished (4 x 150 ms).
    expect(res.times[0]).toBeLessThan(300);
    expect((res.times.at(-1) ?? 0) - (res.times[0] ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it('removes hop-by-hop headers and every X-Bouncer-* the client sent, and describes the hop in X-Forwarded-*', async () => {
    const res = await http(server.url, '/echo', {
      from: '127.0.0.22',
      headers: {
        'x-bouncer-user': 'admin',
        'X-Bouncer-Role': 'admin',
        'x-bouncer-anything': 'x',
        'x-forwarded-for': '10.9.8.7',
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
    expect(seen['x-bouncer-user']).toBeUndefined();
    expect(seen['x-bouncer-role']).toBeUndefined();
    expect(seen['x-bouncer-anything']).toBeUndefined();
    expect(seen['x-drop-me']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen['forwarded']).toBeUndefined();
    // An untrusted peer's forwarding headers are replaced by what Bouncer saw.
    expect(seen['x-forwarded-for']).toBe('127.0.0.22');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('api.example.com');
    expect(seen['host']).toBe(new URL(upstream.url).host);
    expect(seen['x-bouncer-client']).toBe('127.0.0.22');
  });

  it('answers 504 problem+json when the upstream is too slow (UPSTREAM_TIMEOUT_MS), and 502 when it is down', async () => {
    const slow = await http(server.url, '/slow?ms=2000', { from: '127.0.0.23' });
    expect(slow.status).toBe(504);
    expect(slow.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(slow.json).toMatchObject({ status: 504, title: 'Gateway Timeout' });
    expect((await http(server.url, '/health/ready')).json.upstream).toBe('ok');

    // Last: the upstream goes away.
    await upstream.close();
    const res = await http(server.url, '/api/items', { from: '127.0.0.24' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 502, title: 'Bad Gateway' });
    const ready = await http(server.url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json.upstream).toBe('unreachable');
  });
});
