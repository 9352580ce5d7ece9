import { Logger } from '@nestjs/common';
import type { RedisHandle } from '../../core/redis';
import type { CounterRecord, CounterStore } from './counter-store';
import { MemoryCounterStore } from './counter-store';
import { RedisCounterStore } from './redis-counter-store';

/**
 * The failure policy for the shared store, in one place: while Redis answers, count there;
 * when it does not, keep protecting with this instance's own memory (neither open to
 * everyone nor 429 to everyone) and report `degraded`. Counting returns to Redis as soon as
 * it is back; windows counted locally meanwhile simply run out.
 */
export class ResilientCounterStore implements CounterStore {
  private readonly logger = new Logger('CounterStore');
  private readonly shared: RedisCounterStore;
  private degradedSince: number | null = null;

  constructor(
    private readonly redis: RedisHandle,
    private readonly local: MemoryCounterStore,
  ) {
    this.shared = new RedisCounterStore(redis.client);
    redis.onChange((up) => (up ? this.recovered() : this.degrade()));
  }

  get degraded(): boolean {
    return this.degradedSince !== null || !this.redis.isUp();
  }

  hit(key: string, windowMs: number, now: number, by = 1): CounterRecord | Promise<CounterRecord> {
    if (!this.redis.isUp()) return this.local.hit(key, windowMs, now, by);
    return this.shared.hit(key, windowMs, now, by).catch(() => {
      this.degrade();
      return this.local.hit(key, windowMs, now, by);
    });
  }

  get(key: string, now: number): CounterRecord | null | Promise<CounterRecord | null> {
    if (!this.redis.isUp()) return this.local.get(key, now);
    return this.shared.get(key, now).catch(() => {
      this.degrade();
      return this.local.get(key, now);
    });
  }

  async reset(key: string): Promise<void> {
    this.local.reset(key);
    if (this.redis.isUp()) await this.shared.reset(key).catch(() => this.degrade());
  }

  prune(now: number): number {
    return this.local.prune(now);
  }

  size(): number {
    return this.local.size();
  }

  private degrade(): void {
    if (this.degradedSince === null) {
      this.degradedSince = Date.now();
      this.logger.warn('Redis unreachable: counting in this instance only until it returns');
    }
  }

  private recovered(): void {
    if (this.degradedSince !== null) this.logger.log('Redis is back: counting is shared again');
    this.degradedSince = null;
  }
}
