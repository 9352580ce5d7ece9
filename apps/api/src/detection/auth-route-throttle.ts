import { applyDecorators, type ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerStorage } from '@nestjs/throttler';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait, ProblemException } from '../common/problem.exception';
import { clientKeyOf } from './client/client-key';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';
import { COUNTER_STORE, type CounterStore } from './store/counter-store.interface';

/** The named throttler of the sign-in routes. */
export const AUTH_THROTTLER = 'auth';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler storage over our bounded CounterStore. The default storage keeps a timer
 * per hit and a map that never shrinks (nestjs/throttler #2629, #2665); this one holds one
 * fixed-window record per key, evicted by the store's bound and pruned by the healing job.
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

/**
 * ThrottlerGuard for the sign-in routes: tracks Bouncer's client key (proxy-aware, IPv6
 * /64), keeps its options here (no ThrottlerModule needed), and answers 429 as problem+json
 * with Retry-After and RateLimit headers.
 */
@Injectable()
export class AuthRouteThrottlerGuard extends ThrottlerGuard {
  constructor(
    @Inject(DETECTION_OPTIONS) options: DetectionOptions,
    // Explicit tokens: ThrottlerGuard's own @Inject metadata would otherwise be inherited.
    @Inject(BoundedThrottlerStorage) storage: BoundedThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
  ) {
    super(
      {
        throttlers: [{ name: AUTH_THROTTLER, ttl: options.authRouteWindowSeconds * 1000, limit: options.authRouteLimit }],
        setHeaders: false,
        skipIf: () => options.mode === 'off',
      },
      storage,
      reflector,
    );
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // Initialised on first use too, in case the host did not run module hooks on guards.
    if (!this.throttlers) await this.onModuleInit();
    return super.canActivate(context);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return clientKeyOf(req);
  }

  /** Route + client is key enough (the default hashes each request with sha256). */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    return `${context.getClass().name}.${context.getHandler().name}:${name}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, d: ThrottlerLimitDetail): Promise<void> {
    const wait = d.timeToBlockExpire || d.timeToExpire;
    throw new ProblemException(429, 'Too Many Requests', `Too many requests to this endpoint; try again in ${describeWait(wait)}.`, {
      type: 'urn:bouncer:problem:throttled',
      retryAfter: wait,
      rateLimit: { policy: AUTH_THROTTLER, limit: d.limit, remaining: 0, resetSeconds: wait, windowSeconds: Math.ceil(d.ttl / 1000) },
    });
  }
}

/**
 * Per-route throttling of the sign-in routes (`/token`, `/session`): AUTH_ROUTE_LIMIT
 * requests per AUTH_ROUTE_WINDOW per client by default, or the limit given here.
 */
export function AuthRouteThrottle(override?: { limit: number; ttlSeconds: number }): MethodDecorator & ClassDecorator {
  const decorators = [UseGuards(AuthRouteThrottlerGuard)];
  if (override) decorators.push(Throttle({ [AUTH_THROTTLER]: { limit: override.limit, ttl: override.ttlSeconds * 1000 } }));
  return applyDecorators(...decorators);
}

export { SkipThrottle };
