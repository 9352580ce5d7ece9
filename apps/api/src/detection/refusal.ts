import type { Decision } from '@bouncer/detection';
import { describeWait, ProblemException } from '../http/problem.exception';

/**
 * The one place an engine refusal becomes an HTTP answer: 403 for a blocked client, 429 for a
 * throttled sign-in, with Retry-After (and RateLimit headers when a threshold is behind it).
 */
export function refusalProblem(d: Decision): ProblemException {
  const retryAfter = d.retryAfter ?? 1;
  if (d.status === 429) {
    const limit = d.limit ?? { policy: d.ruleId ?? 'detection', limit: 0, windowSeconds: retryAfter };
    return new ProblemException(429, 'Too Many Requests', d.reason ?? `Too many requests; try again in ${describeWait(retryAfter)}.`, {
      type: 'urn:bouncer:problem:login-throttled',
      retryAfter,
      rateLimit: { policy: limit.policy, limit: limit.limit, remaining: 0, resetSeconds: retryAfter, windowSeconds: limit.windowSeconds },
    });
  }
  return new ProblemException(403, 'Forbidden', blockedDetail(d), { type: 'urn:bouncer:problem:client-blocked', retryAfter });
}

/** The raw 403 body the gate writes before Nest sees the request. */
export function blockedBody(d: Decision): { body: string; retryAfter: number } {
  const retryAfter = d.retryAfter ?? 1;
  const body = JSON.stringify({
    type: 'urn:bouncer:problem:client-blocked',
    title: 'Forbidden',
    status: 403,
    detail: blockedDetail(d),
    retry_after: retryAfter,
  });
  return { body, retryAfter };
}

function blockedDetail(d: Decision): string {
  return `This client is blocked: ${d.reason ?? 'blocked'}. Try again in ${describeWait(d.retryAfter ?? 1)}.`;
}
