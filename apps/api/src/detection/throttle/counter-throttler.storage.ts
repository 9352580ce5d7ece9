import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Clock } from '../../core/clock';
import type { CounterStore } from '@bouncer/detection';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage backed by our bounded CounterStore (its default storage keeps
 * a timer per hit and never shrinks). Sliding windows, so a burst across a window boundary
 * counts as one (review I7); blockDuration is not used. Given to throttler as its public
 * `storage` option (DetectionModule).
 */
export class CounterThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
  ) {}

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, name: string): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    const [r] = await this.store.run([{ op: 'add', key: `throttle:${name}:${key}`, windowMs: ttl, sliding: true }], now);
    if (!r) throw new Error('the counter store answered no result');
    const isBlocked = r.count > limit;
    // Refused: wait until the window ends and, after it, until this window's share of the
    // sliding estimate has decayed below the limit (the estimate bounds this window's count
    // from above, so the wait is never too short).
    const decayMs = isBlocked ? ttl * (1 - limit / r.count) : 0;
    const timeToExpire = Math.max(1, Math.ceil((r.resetAt - now + decayMs) / 1000));
    return { totalHits: r.count, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}
