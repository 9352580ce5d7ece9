import { applyDecorators, type ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { describeWait, ProblemException } from '../../http/problem.exception';
import { clientKeyOf } from '../client-key';

/** Sign-in routes: a stricter per-client limit than the global request rule. */
export const AUTH_THROTTLER = 'auth';

/** Tracks by Bouncer's client key (proxy-aware, IPv6 /64) and answers 429 as problem+json. */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return clientKeyOf(req);
  }

  // One budget per client across every sign-in route (per route, a client had 30 a minute on
  // each of /token, /session, /session/refresh and /me/password). No sha256 per request.
  protected override generateKey(_context: ExecutionContext, suffix: string, name: string): string {
    return `sign-in:${name}:${suffix}`;
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

export const AuthRouteThrottle = () => applyDecorators(UseGuards(ClientThrottlerGuard));
