/**
 * Real answers against the OpenAPI document (issue #14 point 4): every operation is driven at
 * least once, on its happy path and its typical errors, and each answer is checked with
 * openApiChecker (libs/testing): its status is documented for that operation, its content type
 * too, the headers marked required are there, and its JSON body matches the schema (ajv). A
 * last test proves the checker bites: one schema made wrong on purpose fails a real answer.
 */
import { randomUUID } from 'node:crypto';
import {
  cookiesFrom,
  http,
  type HttpOptions,
  type HttpResponse,
  openApiChecker,
  type OpenApiDocument,
  strongPassword,
} from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';

describe('real answers match the OpenAPI document', () => {
  let server: TestServer;
  let doc: OpenApiDocument;
  let check: ReturnType<typeof openApiChecker>;
  const seen = new Map<string, Set<number>>();
  const problems: string[] = [];
  let clientNo = 10;
  /** A fresh loopback client: the rules see each as a different address. */
  const nextClient = () => `127.0.${Math.floor(++clientNo / 250)}.${(clientNo % 250) + 1}`;

  /** One request, its answer checked against the document; the status is returned for the test's own asserts. */
  const call = async (method: string, path: string, opts: HttpOptions = {}): Promise<HttpResponse> => {
    const res = await http(server.url, path, { ...opts, method, from: opts.from ?? '127.0.0.1' });
    problems.push(...check(method, path, res));
    const key = `${method} ${new URL(path, 'http://x').pathname}`;
    seen.set(key, (seen.get(key) ?? new Set()).add(res.status));
    return res;
  };

  beforeAll(async () => {
    server = await startServer({ API_DOCS: 'admin' });
    doc = (await http(server.url, '/docs-json', { token: await server.adminToken() })).json;
    check = openApiChecker(doc);
    // Generous: starting the whole API took minutes on a loaded machine.
  }, 300_000);
  afterAll(() => server?.close(true));

  it('sign-in, tokens and the caller’s own account', async () => {
    const admin = await server.adminToken();
    const from = nextClient();
    const pw = strongPassword();
    expect((await call('POST', '/admin/users', { token: admin, body: { username: 'olivia', password: pw, role: 'user' } })).status).toBe(
      201,
    );
    const token = await call('POST', '/token', { form: { grant_type: 'password', username: 'olivia', password: pw }, from });
    expect(token.status).toBe(200);
    const user = token.json.access_token as string;
    expect(
      (await call('POST', '/token', { form: { grant_type: 'refresh_token', refresh_token: token.json.refresh_token }, from })).status,
    ).toBe(200);
    expect((await call('POST', '/token', { body: { username: 'olivia' }, from })).status).toBe(400);
    expect((await call('POST', '/token', { raw: 'x', headers: { 'content-type': 'text/plain' }, from })).status).toBe(415);
    expect((await call('POST', '/token', { raw: 'x'.repeat(40_000), headers: { 'content-type': 'application/json' }, from })).status).toBe(
      413,
    );
    // Wrong passwords from one client: the third 401 carries attempts_left and pause_seconds (a fourth would make it suspicious).
    const guesser = nextClient();
    const wrong: { status: number; json: { attempts_left?: number } }[] = [];
    for (let i = 0; i < 3; i++)
      wrong.push(await call('POST', '/token', { form: { username: 'olivia', password: 'wrong-wrong-wrong' }, from: guesser }));
    expect(wrong.map((r) => [r.status, r.json.attempts_left])).toEqual([
      [401, undefined],
      [401, undefined],
      [401, 2],
    ]);
    expect((await call('GET', '/validate-token', { token: user, from })).status).toBe(200);
    expect((await call('GET', '/validate-token', { from })).status).toBe(401);
    expect((await call('GET', '/me', { token: user, from })).status).toBe(200);
    expect((await call('GET', '/me/sessions', { token: user, from })).status).toBe(200);
    expect((await call('DELETE', `/me/sessions/${randomUUID()}`, { token: user, from })).status).toBe(404);
    expect((await call('DELETE', '/me/sessions/not-a-uuid', { token: user, from })).status).toBe(400);
    expect((await call('GET', '/me/devices', { token: user, from })).status).toBe(200);
    expect((await call('DELETE', `/me/devices/${randomUUID()}`, { token: user, from })).status).toBe(404);
    expect((await call('DELETE', '/me/devices', { token: user, from })).status).toBe(204);
    expect((await call('GET', '/admin/users', { token: user, from })).status).toBe(403);
    const pw2 = strongPassword();
    expect((await call('POST', '/me/password', { token: user, body: { current_password: pw, new_password: 'short' }, from })).status).toBe(
      400,
    );
    expect((await call('POST', '/me/password', { token: user, body: { current_password: pw, new_password: pw2 }, from })).status).toBe(204);
    const again = (await call('POST', '/token', { form: { username: 'olivia', password: pw2 }, from })).json.access_token as string;
    expect((await call('POST', '/me/logout-everywhere', { token: again, from })).status).toBe(204);
    const last = (await call('POST', '/token', { form: { username: 'olivia', password: pw2 }, from })).json.access_token as string;
    expect((await call('POST', '/logout', { token: last, from })).status).toBe(204);
    expect((await call('GET', '/.well-known/jwks.json', { from })).status).toBe(200);
    expect(problems).toEqual([]);
  });

  it('the browser session', async () => {
    const from = nextClient();
    const signIn = await call('POST', '/session', { body: { username: 'admin', password: server.adminPassword }, from });
    expect(signIn.status).toBe(200);
    const refreshed = await call('POST', '/session/refresh', { cookie: cookiesFrom(signIn), from });
    expect(refreshed.status).toBe(200);
    expect((await call('POST', '/session/refresh', { from })).status).toBe(401);
    expect((await call('POST', '/session', { form: { username: 'admin', password: 'x' }, from })).status).toBe(415);
    expect((await call('POST', '/session', { body: { username: 'admin' }, from })).status).toBe(400);
    expect((await call('DELETE', '/session', { token: refreshed.json.access_token, from })).status).toBe(204);
    expect(problems).toEqual([]);
  });

  it('the admin API', async () => {
    const token = await server.adminToken();
    const a = { token };
    for (const path of [
      '/dashboard-data',
      '/admin/stats',
      '/admin/rules',
      '/admin/lists',
      '/admin/users',
      '/admin/decisions?page=1&page_size=10',
      '/admin/policy',
      '/admin/traffic?range=24h',
    ]) {
      expect([path, (await call('GET', path, a)).status]).toEqual([path, 200]);
    }
    expect((await call('GET', '/admin/decisions?page_size=501', a)).status).toBe(400);
    expect((await call('GET', '/admin/traffic?range=2y', a)).status).toBe(400);
    expect((await call('GET', '/admin/traffic?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', a)).status).toBe(400);
    expect(
      (await call('POST', '/admin/blocks', { ...a, body: { client: '203.0.113.7', duration_seconds: 600, reason: 'test' } })).status,
    ).toBe(201);
    expect((await call('GET', '/admin/decisions?state=blocked', a)).json.total).toBe(1);
    expect((await call('GET', '/admin/decisions?expires_within=3600', a)).json.total).toBe(1);
    expect(
      (await call('POST', '/admin/decisions/extend', { ...a, body: { client: '203.0.113.7', state: 'blocked', seconds: 600 } })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/admin/decisions/extend', { ...a, body: { client: '203.0.113.9', state: 'blocked', seconds: 600 } })).status,
    ).toBe(404);
    expect((await call('POST', '/admin/decisions/extend', { ...a, body: { client: '203.0.113.7', state: 'blocked' } })).status).toBe(400);
    const blockId = ((await call('GET', '/admin/decisions?client=203.0.113.7', a)).json.items[0] as { id: string }).id;
    expect(
      (await call('POST', '/admin/decisions/bulk-extend', { ...a, body: { ids: [blockId, 'd-000000000000'], seconds: 600 } })).status,
    ).toBe(200);
    expect((await call('POST', '/admin/decisions/bulk-extend', { ...a, body: { ids: [blockId] } })).status).toBe(400);
    expect((await call('POST', '/admin/decisions/bulk-lift', { ...a, body: { ids: [] } })).status).toBe(400);
    expect((await call('POST', '/admin/blocks', { ...a, body: { client: '127.0.0.1', duration_seconds: 60, reason: 'me' } })).status).toBe(
      409,
    );
    expect((await call('POST', '/admin/blocks', { ...a, body: { client: 'nope', duration_seconds: 60, reason: 'x' } })).status).toBe(400);
    expect((await call('DELETE', '/admin/blocks?client=203.0.113.7', a)).status).toBe(204);
    expect((await call('DELETE', '/admin/blocks?client=203.0.113.7', a)).status).toBe(404);
    expect((await call('POST', '/admin/decisions/bulk-lift', { ...a, body: { ids: [blockId] } })).json.results[0].outcome).toBe(
      'not_found',
    );
    expect((await call('DELETE', '/admin/suspicions?client=203.0.113.8', a)).status).toBe(404);
    expect((await call('POST', '/admin/lists', { ...a, body: { kind: 'allow', cidr: '198.51.100.0/24', note: 'office' } })).status).toBe(
      201,
    );
    expect((await call('DELETE', '/admin/lists?kind=allow&cidr=198.51.100.0/24', a)).status).toBe(204);
    expect((await call('DELETE', '/admin/lists?kind=allow&cidr=198.51.100.0/24', a)).status).toBe(404);
    const page = await call('GET', '/admin/events?limit=1', a);
    expect(page.status).toBe(200);
    expect(page.headers['x-next-cursor']).toBeDefined();
    expect((await call('GET', '/admin/events?cursor=bogus', a)).status).toBe(400);
    expect((await call('GET', '/admin/events/export?format=jsonl', a)).status).toBe(200);
    expect((await call('GET', '/admin/events/export?format=csv', a)).status).toBe(200);
    expect((await call('GET', '/admin/events/export?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', a)).status).toBe(400);
    const pw = strongPassword();
    expect((await call('POST', '/admin/users', { ...a, body: { username: 'paul', password: pw, role: 'user' } })).status).toBe(201);
    expect((await call('POST', '/admin/users', { ...a, body: { username: 'paul', password: pw, role: 'user' } })).status).toBe(409);
    expect((await call('PATCH', '/admin/users/paul', { ...a, body: { role: 'admin' } })).status).toBe(200);
    expect((await call('PATCH', '/admin/users/paul', { ...a, body: {} })).status).toBe(400);
    expect((await call('PATCH', '/admin/users/nobody', { ...a, body: { disabled: true } })).status).toBe(404);
    const reset = await call('POST', '/admin/users/paul/password-reset', a);
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ username: 'paul', must_change_password: true });
    expect((await call('POST', '/admin/users/nobody/password-reset', a)).status).toBe(404);
    expect((await call('DELETE', '/admin/users/paul/devices', a)).status).toBe(204);
    expect((await call('GET', '/admin/users/paul/sessions', a)).status).toBe(200);
    expect((await call('GET', '/admin/users/nobody/sessions', a)).status).toBe(404);
    expect((await call('DELETE', `/admin/users/paul/sessions/${randomUUID()}`, a)).status).toBe(404);
    expect((await call('DELETE', '/admin/users/paul/sessions/x', a)).status).toBe(400);
    expect((await call('POST', '/admin/accounts/paul/unlock', a)).status).toBe(204);
    expect((await call('GET', '/admin/accounts', a)).status).toBe(200);
    expect((await call('GET', '/admin/accounts?page_size=501', a)).status).toBe(400);
    expect((await call('GET', '/admin/accounts/olivia/clients', a)).status).toBe(200);
    expect((await call('GET', '/admin/accounts/olivia/clients?since=soon', a)).status).toBe(400);
    expect((await call('GET', '/admin/clients/activity?client=127.0.0.1', a)).status).toBe(200);
    expect((await call('GET', '/admin/clients/activity?client=203.0.113.0/24', a)).status).toBe(200);
    expect((await call('GET', '/admin/clients/activity?client=nope', a)).status).toBe(400);
    expect((await call('DELETE', '/admin/users/paul', a)).status).toBe(204);
    expect((await call('DELETE', '/admin/users/paul', a)).status).toBe(404);
    expect((await call('GET', '/admin/stats')).status).toBe(401);
    expect(problems).toEqual([]);
  });

  it('probes, metrics, a blocked client and a throttled sign-in', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    // 503 (same body) when the embedded store does not answer its ping in time: both are documented.
    expect([200, 503]).toContain((await call('GET', '/health/ready')).status);
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/metrics', { token: await server.adminToken() })).status).toBe(200);
    const blocked = nextClient();
    await call('POST', '/admin/blocks', {
      token: await server.adminToken(),
      body: { client: blocked, duration_seconds: 600, reason: 'test' },
    });
    expect((await call('GET', '/admin/stats', { from: blocked })).status).toBe(403);
    expect((await call('POST', '/token', { form: { username: 'admin', password: 'x' }, from: blocked })).status).toBe(403);
    const attacker = nextClient();
    let status = 0;
    for (let i = 0; i < 40 && status !== 429 && status !== 403; i++) {
      status = (await call('POST', '/token', { form: { username: `ghost${i}`, password: 'wrong-wrong-wrong' }, from: attacker })).status;
    }
    expect(status).toBe(429);
    // Last: the copy of the embedded store is the slowest answer.
    expect((await call('POST', '/admin/backup', { token: await server.adminToken() })).status).toBe(200);
    expect(problems).toEqual([]);
  });

  it('answered every operation of the document at least once', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const answered = new Set(
      [...seen.keys()].map((k) =>
        k
          .replace(/^(\w+) \/admin\/users\/[^/]+/, '$1 /admin/users/{username}')
          .replace(/^(\w+) \/admin\/users\/\{username\}\/sessions\/[^/]+$/, '$1 /admin/users/{username}/sessions/{id}')
          .replace(/^(\w+) \/admin\/accounts\/[^/]+\/(unlock|clients)$/, '$1 /admin/accounts/{username}/$2')
          .replace(/^(\w+) \/me\/devices\/[^/]+$/, '$1 /me/devices/{id}')
          .replace(/^(\w+) \/me\/sessions\/[^/]+$/, '$1 /me/sessions/{id}'),
      ),
    );
    expect(operations.filter((o) => !answered.has(o))).toEqual([]);
  });

  it('catches an answer that does not match (a schema made wrong on purpose)', async () => {
    const wrong = structuredClone(doc);
    const schemas = wrong.components!.schemas as Record<string, { properties: Record<string, unknown> }>;
    schemas['AdminStats']!.properties['total_ips'] = { type: 'string' };
    delete wrong.paths['/admin/users']!['get']!.responses!['403'];
    const strict = openApiChecker(wrong);
    const token = await server.adminToken();
    const stats = await http(server.url, '/admin/stats', { token });
    expect(strict('GET', '/admin/stats', stats)).toEqual([
      expect.stringMatching(/^GET \/admin\/stats 200: body does not match: .*total_ips must be string/),
    ]);
    const refused = await http(server.url, '/admin/users', { from: '127.0.0.1' });
    expect(refused.status).toBe(401);
    const user = await http(server.url, '/admin/users', { token: 'x' });
    expect(strict('GET', '/admin/users', { ...user, status: 403 })).toEqual([
      expect.stringMatching(/answered 403, which is not documented/),
    ]);
  });
});
