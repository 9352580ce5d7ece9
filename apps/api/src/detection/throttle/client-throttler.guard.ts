import { applyDecorators, type ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerRequest } from '@nestjs/throttler';
import { describeWait, ProblemException } from '../../http/problem.exception';
import { clientKeyOf } from '../client-key';

/** Sign-in routes: a stricter per-client limit than the global request rule. */
export const AUTH_THROTTLER = 'auth';

/** The RateLimit policy name of the per-client sign-in budget. */
export const SIGN_IN_POLICY = 'sign-in';

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

  /**
   * throttler's own, minus its X-RateLimit-* headers: every sign-in answer states the client's
   * remaining budget in the IETF RateLimit headers (a refusal by a sign-in rule later replaces
   * them with that rule's numbers).
   */
  protected override async handleRequest({
    context,
    limit,
    ttl,
    throttler,
    blockDuration,
    getTracker,
    generateKey,
  }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const name = throttler.name ?? AUTH_THROTTLER;
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, name);
    const r = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    if (r.isBlocked) await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...r });
    const windowSeconds = Math.ceil(ttl / 1000);
    const reply = res as { header(name: string, value: string): unknown };
    reply.header('RateLimit-Policy', `"${SIGN_IN_POLICY}";q=${limit};w=${windowSeconds}`);
    reply.header('RateLimit', `"${SIGN_IN_POLICY}";r=${Math.max(0, limit - r.totalHits)};t=${r.timeToExpire}`);
    return true;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, d: ThrottlerLimitDetail): Promise<void> {
    const wait = d.timeToBlockExpire || d.timeToExpire;
    throw new ProblemException(429, 'Too Many Requests', `Too many requests to this endpoint; try again in ${describeWait(wait)}.`, {
      type: 'urn:bouncer:problem:throttled',
      retryAfter: wait,
      rateLimit: { policy: SIGN_IN_POLICY, limit: d.limit, remaining: 0, resetSeconds: wait, windowSeconds: Math.ceil(d.ttl / 1000) },
    });
  }
}

export const AuthRouteThrottle = () => applyDecorators(UseGuards(ClientThrottlerGuard));
