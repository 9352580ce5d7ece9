import type { Cluster, Redis } from 'ioredis';
import type { CounterRecord, CounterStore } from './counter-store';

/**
 * Add-and-read in one server-side step, so instances sharing Redis never race. The window
 * end is kept with the count and compared with the caller's clock (as the memory store does);
 * Redis's own expiry only cleans up keys nobody touches any more.
 */
const HIT = `
local reset = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
local now = tonumber(ARGV[3])
local c
if reset <= now then
  reset = now + tonumber(ARGV[2])
  c = math.max(tonumber(ARGV[1]), 0)
  redis.call('HSET', KEYS[1], 'c', c, 'r', reset)
else
  c = redis.call('HINCRBY', KEYS[1], 'c', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], reset - now + 1000)
return {c, tostring(reset)}
`;

type WithHit = { bouncerHit(key: string, by: number, windowMs: number, now: number): Promise<[number, string]> };

/** The shared CounterStore: every instance counts in the same Redis keys. */
export class RedisCounterStore implements CounterStore {
  private readonly redis: (Redis | Cluster) & WithHit;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'bn:c:',
  ) {
    this.redis = redis as (Redis | Cluster) & WithHit;
    if (!('bouncerHit' in redis)) redis.defineCommand('bouncerHit', { numberOfKeys: 1, lua: HIT });
  }

  async hit(key: string, windowMs: number, now: number, by = 1): Promise<CounterRecord> {
    const [count, reset] = await this.redis.bouncerHit(this.prefix + key, by, windowMs, now);
    return { count: Number(count), resetAt: Number(reset) };
  }

  async get(key: string, now: number): Promise<CounterRecord | null> {
    const [c, r] = await this.redis.hmget(this.prefix + key, 'c', 'r');
    if (c === null || r === null || Number(r) <= now) return null;
    return { count: Number(c), resetAt: Number(r) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  /** Redis expires idle keys itself. */
  prune(): number {
    return 0;
  }

  async size(): Promise<number> {
    return this.redis.dbsize();
  }
}
