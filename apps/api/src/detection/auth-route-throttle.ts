import { applyDecorators, type ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { CLOCK, type Clock } from '../core/clock';
import { describeWait, ProblemException } from '../http/problem.exception';
import { clientKeyOf } from './client-key';
import { COUNTER_STORE, type CounterStore } from './store/counter-store';

/**
 * @nestjs/throttler's storage backed by our bounded CounterStore (its default storage keeps
 * a timer per hit and never shrinks). Fixed windows; blockDuration is not used.
 */
@Injectable()
export class BoundedThrottlerStorage implements ThrottlerStorage {
  constructor(
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, name: string): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    const r = await this.store.hit(`throttle:${name}:${key}`, ttl, now);
    const timeToExpire = Math.max(1, Math.ceil((r.resetAt - now) / 1000));
    const isBlocked = r.count > limit;
    return { totalHits: r.count, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }
}

/** Tracks by Bouncer's client key (proxy-aware, IPv6 /64) and answers 429 as problem+json. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return clientKeyOf(req);
  }

  // Route + client is key enough; skip the default sha256 per request.
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${context.getClass().name}.${context.getHandler().name}:${name}:${suffix}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, d: ThrottlerLimitDetail): Promise<void> {
    const wait = d.timeToBlockExpire || d.timeToExpire;
    throw new ProblemException(429, 'Too Many Requests', `Too many requests to this endpoint; try again in ${describeWait(wait)}.`, {
      type: 'urn:bouncer:problem:throttled',
      retryAfter: wait,
      rateLimit: { policy: 'auth', limit: d.limit, remaining: 0, resetSeconds: wait, windowSeconds: Math.ceil(d.ttl / 1000) },
    });
  }
}

/** Sign-in routes: a stricter per-client limit than the global request rule. */
export const AUTH_THROTTLER = 'auth';
export const AuthRouteThrottle = () => applyDecorators(UseGuards(ClientThrottlerGuard));
