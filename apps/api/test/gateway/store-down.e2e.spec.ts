import { eventually, freePort, http } from '@bouncer/testing';
import { PrivateRedis } from '../support/private-redis';
import { type GatewayBouncer, startGatewayBouncer } from './support/bouncer';

/** `on_store_down` per route class: Redis killed, each class does what the policy says, and readiness tells. */
describe('gateway: on_store_down (Redis unreachable)', () => {
  let b: GatewayBouncer;
  let redis: PrivateRedis;
  const check = (uri: string, client: string) =>
    http(b.url, '/forward-auth', {
      from: '127.0.0.1',
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': uri, 'x-forwarded-for': client },
    });

  beforeAll(async () => {
    redis = new PrivateRedis(await freePort());
    await redis.start();
    b = await startGatewayBouncer(
      `version: 1
classes:
  - { name: pay, match: { path: /pay/** }, on_store_down: closed }
  - { name: feed, match: { path: /feed/** }, on_store_down: open, rate_limits: { client: { limit: 100, window_seconds: 60 } } }
default: { on_store_down: local }
`,
      { REDIS_URL: redis.url },
    );
  }, 300_000);

  afterAll(async () => {
    await b?.close();
    await redis?.kill();
  });

  it('refuses the closed class with 503, passes the open one, counts the local one here; readiness says so', async () => {
    expect((await check('/pay/1', '127.24.0.2')).status).toBe(200);
    const ready = await http(b.url, '/health/ready', { from: '127.0.0.1' });
    expect(ready.json.route_classes).toEqual([
      { name: 'pay', on_store_down: 'closed', now: 'normal' },
      { name: 'feed', on_store_down: 'open', now: 'normal' },
      { name: 'default', on_store_down: 'local', now: 'normal' },
    ]);
    await redis.kill();
    const refused = await eventually(
      async () => {
        const r = await check('/pay/1', '127.24.0.2');
        return r.status === 503 ? r : null;
      },
      'the closed class refused',
      20_000,
      100,
    );
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json.type).toBe('urn:bouncer:problem:store-unavailable');
    expect((await check('/feed/1', '127.24.0.2')).status).toBe(200);
    expect((await check('/other', '127.24.0.2')).status).toBe(200);
    const down = await http(b.url, '/health/ready', { from: '127.0.0.1' });
    expect(down.json.route_classes).toEqual([
      { name: 'pay', on_store_down: 'closed', now: 'refusing (503)' },
      { name: 'feed', on_store_down: 'open', now: 'passing uncounted' },
      { name: 'default', on_store_down: 'local', now: 'counting on this instance' },
    ]);
  });
});
