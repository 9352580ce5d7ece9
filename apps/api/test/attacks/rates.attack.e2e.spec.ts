import { http } from '@bouncer/testing';
import { startServer, type TestServer } from '../support/app';

/**
 * Attacks on the counting windows themselves (review I7). The server's clock is moved by hand,
 * so "the last second of a window" is exact.
 */
describe('attacks on rate windows', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT: '20', RATE_WINDOW: '60', AUTH_ROUTE_LIMIT: '10', ALLOWLIST: '127.0.0.1/32' });
  });
  afterAll(() => server?.close(true));

  it('I7 a burst across a window boundary counts as one: 19 at the end of a window leave room for 1 more, not 20', async () => {
    const from = '127.0.71.1';
    expect((await http(server.url, '/.well-known/jwks.json', { from })).status).toBe(200);
    server.clock.advance(59_500);
    for (let i = 0; i < 19; i++) expect((await http(server.url, '/.well-known/jwks.json', { from })).status).toBe(200);
    // The window that opened at the first request has ended; with fixed windows the next 20 passed.
    // Sliding, the last 60 s hold 19 requests (and a sliver of the first): one more fits, then 403.
    server.clock.advance(1_000);
    expect((await http(server.url, '/.well-known/jwks.json', { from })).status).toBe(200);
    expect((await http(server.url, '/.well-known/jwks.json', { from })).status).toBe(403);
  });

  it('I7 the sign-in throttle slides too, and its Retry-After is long enough to be honoured', async () => {
    const from = '127.0.71.2';
    // Incomplete sign-ins (400): only the throttle counts them, no sign-in rule does.
    const attempt = () => http(server.url, '/token', { form: { username: 'nobody-here' }, from });
    expect((await attempt()).status).not.toBe(429);
    server.clock.advance(59_000);
    for (let i = 0; i < 9; i++) await attempt();
    server.clock.advance(2_000);
    // With fixed windows a whole new budget of 10 opened here; sliding, one more fits.
    expect((await attempt()).status).toBe(400);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    server.clock.advance(wait * 1000);
    expect((await attempt()).status).not.toBe(429);
  });
});
