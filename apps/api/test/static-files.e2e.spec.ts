import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startServer, type TestServer } from './support/app';

/** A raw GET that keeps the body's bytes as sent (the shared helper decodes text). */
function get(url: string, path: string, headers: Record<string, string> = {}, from = '127.0.31.1') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const u = new URL(path, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers, localAddress: from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Static files and compression (issue #12)', () => {
  let server: TestServer;
  let dir: string;
  const script = 'console.log("bouncer");\n'.repeat(400);

  beforeAll(async () => {
    // A built dashboard in miniature: a hashed chunk, precompressed by the build step, and index.html.
    dir = await mkdtemp(join(tmpdir(), 'bouncer-static-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Bouncer</title><script src="main-ABCD1234.js"></script>');
    await writeFile(join(dir, 'main-ABCD1234.js'), script);
    const out = execFileSync(process.execPath, [join(__dirname, '../../../tools/build/precompress.mjs'), dir], { encoding: 'utf8' });
    expect(out).toMatch(/^precompressed 2 files/);
    server = await startServer({ STATIC_DIR: dir });
  });
  afterAll(async () => {
    await server.close(true);
    await rm(dir, { recursive: true, force: true });
  });

  it('sends a hashed file precompressed (brotli, else gzip) and immutable for a year', async () => {
    const br = await get(server.url, '/main-ABCD1234.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.body.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(br.body).toString()).toBe(script);

    const gz = await get(server.url, '/main-ABCD1234.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);

    const plain = await get(server.url, '/main-ABCD1234.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('revalidates index.html on every use', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await get(server.url, path, { 'accept-encoding': 'br' });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    }
  });

  it('compresses JSON answers over 1 KB for a client that accepts it, and leaves small ones alone', async () => {
    const token = await server.adminToken();
    const auth = { authorization: `Bearer ${token}` };
    const big = await get(server.url, '/dashboard-data', { ...auth, 'accept-encoding': 'br, gzip' }, '127.0.0.1');
    expect(big.status).toBe(200);
    expect(big.headers['content-encoding']).toBe('br');
    expect(big.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(brotliDecompressSync(big.body).toString()) as Record<string, unknown>;
    expect(body).toHaveProperty('series');

    const identity = await get(server.url, '/dashboard-data', auth, '127.0.0.1');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(1024);
    expect(identity.body.length).toBeGreaterThan(big.body.length);

    const small = await get(server.url, '/health', { 'accept-encoding': 'br, gzip' });
    expect(small.status).toBe(200);
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers['vary']).toBeUndefined();
  });
});
