import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { counterStoreContract } from '../../test/support/counter-store.contract';
import { RedisCounterStore } from './redis-counter-store';

/** Against the real Redis on this machine (REDIS_URL, default redis://127.0.0.1:6379). */
describe('RedisCounterStore', () => {
  const redis = new Redis(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  afterAll(() => redis.quit());

  counterStoreContract(() => new RedisCounterStore(redis, `bn-test:${randomBytes(6).toString('hex')}:`));

  it('counts exactly when many callers hit one key at the same instant', async () => {
    const prefix = `bn-test:${randomBytes(6).toString('hex')}:`;
    // Three "instances", each with its own connection, as behind a load balancer.
    const conns = [new Redis(), new Redis(), new Redis()];
    try {
      const stores = conns.map((c) => new RedisCounterStore(c, prefix));
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => stores[i % 3]!.hit('burst', 60_000, now)));
      const counts = results.map((r) => r.count).sort((a, b) => a - b);
      expect(counts).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    } finally {
      await Promise.all(conns.map((c) => c.quit()));
    }
  });
});
