import { freePort, http } from '@bouncer/testing';
import { createTestDatabaseUrl } from './support/postgres';
import { startServer, type TestServer } from './support/app';
import { Relay } from './support/relay';

/**
 * PostgreSQL goes away: a TCP relay between the API and the server is cut, then restored.
 * /token answers 503 with Retry-After (never a hang or a 500), tokens already issued keep
 * working, and everything works again once the database is back.
 */
describe('PostgreSQL unreachable', () => {
  let server: TestServer;
  let relay: Relay;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabaseUrl();
    drop = db.drop;
    const port = await freePort();
    relay = new Relay(port, Number(new URL(db.url).port || 5432));
    await relay.open();
    const url = new URL(db.url);
    url.port = String(port);
    server = await startServer({ DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    await server?.close(true);
    await relay?.cut();
    await drop?.();
  });

  it('answers /token with 503 and Retry-After, keeps issued tokens working, and recovers', async () => {
    const token = await server.adminToken();
    await relay.cut();
    const login = await http(server.url, '/token', { form: { username: 'admin', password: server.adminPassword }, from: '127.0.70.1' });
    expect(login.status).toBe(503);
    expect(login.headers['retry-after']).toBe('5');
    expect(login.json).toMatchObject({ status: 503, retry_after: 5 });
    expect((await http(server.url, '/validate-token', { token })).status).toBe(200);
    // Degraded, not unready (D8): every instance loses the database at once, and a load balancer
    // pulling them all would end the token checks that still work.
    const ready = await http(server.url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'degraded', database: 'postgres:unreachable' });

    await relay.open();
    const back = await http(server.url, '/token', { form: { username: 'admin', password: server.adminPassword }, from: '127.0.70.1' });
    expect(back.status).toBe(200);
  });
});
