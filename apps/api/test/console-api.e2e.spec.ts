import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, type HttpOptions } from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';

/**
 * What the console (dashboard v2) needs from the API: the decisions list searched, sorted and
 * paged on the server with a total, and a blocked browser shown a page instead of JSON.
 */
describe('console API: decisions search and the blocked page', () => {
  let server: TestServer;
  let admin: string;
  let staticDir: string;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, { from: '127.0.0.1', ...opts });
  const block = (client: string, reason = 'console test') =>
    req('/admin/blocks', { token: admin, body: { client, duration_seconds: 3600, reason } });

  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'bouncer-console-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Bouncer</title>');
    server = await startServer({ ALLOWLIST: '127.0.0.1/32', STATIC_DIR: staticDir });
    admin = await server.adminToken();
    // 260 blocks: more than one page and more than the old 200 cap of /dashboard-data.
    for (let i = 0; i < 260; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, k) => block(`127.18.${Math.floor((i + k) / 200)}.${(i + k) % 200}`)));
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(201));
    }
    expect((await block('127.19.0.0/24', 'a range')).status).toBe(201);
  }, 600_000);
  afterAll(async () => {
    await server?.close(true);
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('pages on the server with a total that counts every match', async () => {
    const first = await req('/admin/decisions?state=blocked&page=1&page_size=100&sort=client', { token: admin });
    expect(first.status).toBe(200);
    expect(first.json.total).toBe(261);
    expect(first.json.items).toHaveLength(100);
    // Numeric order: 127.18.0.2 before 127.18.0.10.
    expect(first.json.items.slice(0, 3).map((d: { client: string }) => d.client)).toEqual(['127.18.0.0', '127.18.0.1', '127.18.0.2']);
    const last = await req('/admin/decisions?state=blocked&page=3&page_size=100&sort=client', { token: admin });
    expect(last.json.items).toHaveLength(61);
    expect(last.json.items.at(-1).client).toBe('127.19.0.0/24');
  });

  it('finds by address or CIDR, by who decided, and says how many matched', async () => {
    const inRange = await req(`/admin/decisions?q=${encodeURIComponent('127.18.1.0/24')}`, { token: admin });
    expect(inRange.json.total).toBe(60);
    const holder = await req('/admin/decisions?q=127.19.0.77', { token: admin });
    expect(holder.json.items.map((d: { client: string }) => d.client)).toEqual(['127.19.0.0/24']);
    expect((await req('/admin/decisions?decided_by=admin:', { token: admin })).json.total).toBe(261);
    expect((await req('/admin/decisions?decided_by=rule:', { token: admin })).json.total).toBe(0);
  });

  it('refuses bad search input with a clear 400', async () => {
    for (const query of [
      'q=999.1.1.1',
      'sort=reason',
      'order=up',
      'one_per_client=yes',
      'page_size=501',
      `decided_by=${'x'.repeat(200)}`,
    ]) {
      const res = await req(`/admin/decisions?${query}`, { token: admin });
      expect([query, res.status, res.headers['content-type']]).toEqual([query, 400, expect.stringContaining('application/problem+json')]);
    }
  });

  it('shows a browser an HTML page with the wait and the reference, never the reason', async () => {
    const res = await req('/dashboard', {
      from: '127.18.0.5',
      headers: { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
    });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.text).toMatch(/Try again in 60 minutes/);
    expect(res.text).toMatch(/<code>d-[0-9a-f]{12}<\/code>/);
    expect(res.text).not.toContain('console test');
    expect(res.text).not.toMatch(/<script|<style|style=/);
  });

  it('keeps problem+json for programs, even those that accept HTML in a fetch', async () => {
    const api = await req('/me', { from: '127.18.0.5' });
    expect(api.status).toBe(403);
    expect(api.headers['content-type']).toBe('application/problem+json');
    expect(api.json.reference).toMatch(/^d-/);
    const fetchLike = await req('/me', { from: '127.18.0.5', headers: { accept: 'text/html', 'sec-fetch-mode': 'cors' } });
    expect(fetchLike.headers['content-type']).toBe('application/problem+json');
    const post = await req('/token', { from: '127.18.0.5', form: { username: 'a', password: 'b' }, headers: { accept: 'text/html' } });
    expect(post.headers['content-type']).toBe('application/problem+json');
  });

  it('serves the app at every console deep link, and nowhere else', async () => {
    const page = (path: string) => req(path, { headers: { accept: 'text/html' } });
    for (const path of [
      '/decisions',
      '/audit',
      '/lists',
      '/users',
      '/settings',
      '/accounts',
      '/account',
      '/change-password',
      '/clients',
      '/clients/127.0.0.5',
      '/clients/127.19.0.0%2F24',
      '/clients/2001%3Adb8%3A%3A%2F64',
    ]) {
      const res = await page(path);
      expect([path, res.status, res.headers['content-type']]).toEqual([path, 200, expect.stringContaining('text/html')]);
    }
    for (const path of ['/clients/%3Cscript%3E', '/clients/a/b', '/wp-admin']) {
      expect([path, (await page(path)).status]).toEqual([path, 404]);
    }
  });
});
