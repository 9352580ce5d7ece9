import { http } from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';

/**
 * The gate in front of Fastify (detection/client-gate.ts, installEarlyGate): a refused client is
 * answered from the HTTP server's request listener, so Fastify never routes, logs or parses its
 * request; an admitted request keeps the id the gate gave it. Observed through the request log
 * (debug level logs every request Fastify handles, with its id).
 */
describe('early gate', () => {
  let server: TestServer;
  const lines: string[] = [];
  const logged = () => lines.map((l) => JSON.parse(l) as { reqId?: string; msg?: string; req?: { url?: string } });

  beforeAll(async () => {
    server = await startServer({ LOG_LEVEL: 'debug', TRUSTED_PROXIES: '127.0.40.1/32' }, undefined, { onLog: (l) => lines.push(l) });
  });
  afterAll(() => server.close(true));

  it('answers a blocked client before Fastify: headers and problem as before, and no trace of the request in Fastify', async () => {
    const admin = await server.adminToken();
    const made = await http(server.url, '/admin/blocks', {
      token: admin,
      body: { client: '127.0.41.0/24', duration_seconds: 600, reason: 'early gate test' },
    });
    expect(made.status).toBe(201);
    lines.length = 0;
    // A body Fastify would refuse (415) or parse: the refusal comes first and nothing reads it.
    const refused = await http(server.url, '/token', {
      from: '127.0.41.9',
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      raw: 'x'.repeat(64 * 1024),
    });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ type: 'urn:bouncer:problem:client-blocked', status: 403 });
    expect(refused.headers['retry-after']).toBe('600');
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
    expect(refused.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const id = refused.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    expect(logged().filter((l) => l.reqId === id)).toEqual([]);
    expect(logged().some((l) => l.msg === 'incoming request' && l.req?.url === '/token')).toBe(false);

    // Behind a trusted proxy, the forwarded client is the one refused, as on every other path.
    const forwarded = await http(server.url, '/health/ready', { from: '127.0.40.1', headers: { 'x-forwarded-for': '127.0.41.10' } });
    expect(forwarded.status).toBe(200); // probes are never refused (a block must not look like an outage)
    const viaProxy = await http(server.url, '/validate-token', { from: '127.0.40.1', headers: { 'x-forwarded-for': '127.0.41.10' } });
    expect(viaProxy.status).toBe(403);
  });

  it('hands an admitted request to Fastify under the id the gate gave it', async () => {
    lines.length = 0;
    const served = await http(server.url, '/validate-token', { from: '127.0.42.1', token: await server.adminToken() });
    expect(served.status).toBe(200);
    const id = served.headers['x-request-id'];
    await new Promise((r) => setTimeout(r, 50));
    const mine = logged().filter((l) => l.reqId === id);
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
  });
});
