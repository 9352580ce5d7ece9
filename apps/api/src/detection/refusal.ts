import type { Decision, RuleSet } from '@bouncer/detection';
import { describeWait, ProblemException } from '../http/problem.exception';

/**
 * The one place an engine refusal becomes an HTTP answer: 403 for a blocked client, 429 for a
 * throttled sign-in, with Retry-After (and RateLimit headers when a threshold is behind it).
 *
 * What the client reads is worded here from the rule's kind, its numbers and the client's own
 * wait, never from the decision's stored reason: that reason is for admins and may name another
 * account or address (a token's owner, the first client that used it) or an admin's note. The
 * refusal carries the decision's reference instead, which an admin looks up in /admin/decisions.
 */
export function refusalProblem(d: Decision, rules: RuleSet): ProblemException {
  const retryAfter = d.retryAfter ?? 1;
  if (d.status === 429) {
    const limit = d.limit ?? { policy: d.ruleId ?? 'detection', limit: 0, windowSeconds: retryAfter };
    return new ProblemException(429, 'Too Many Requests', refusalText(d, rules), {
      type: 'urn:bouncer:problem:login-throttled',
      retryAfter,
      rateLimit: { policy: limit.policy, limit: limit.limit, remaining: 0, resetSeconds: retryAfter, windowSeconds: limit.windowSeconds },
      reference: d.ref,
    });
  }
  return new ProblemException(403, 'Forbidden', refusalText(d, rules), {
    type: 'urn:bouncer:problem:client-blocked',
    retryAfter,
    reference: d.ref,
  });
}

/** The raw 403 body the gate writes before Nest sees the request. */
export function blockedBody(d: Decision, rules: RuleSet): { body: string; retryAfter: number } {
  const retryAfter = d.retryAfter ?? 1;
  const body = JSON.stringify({
    type: 'urn:bouncer:problem:client-blocked',
    title: 'Forbidden',
    status: 403,
    detail: refusalText(d, rules),
    retry_after: retryAfter,
    ...(d.ref ? { reference: d.ref } : {}),
  });
  return { body, retryAfter };
}

/** The client's own state in words: what it did (by the rule's kind), how long to wait, and the reference. */
export function refusalText(d: Decision, rules: RuleSet): string {
  const retryAfter = d.retryAfter ?? 1;
  const rule = rules.rules.find((r) => r.id === d.ruleId);
  const spec = rule?.spec ?? {};
  const n = (field: string) => (typeof spec[field] === 'number' ? spec[field] : undefined);
  const wait = describeWait(retryAfter);
  const ref = d.ref ? ` Reference: ${d.ref}.` : '';
  if (d.status === 429) {
    const what =
      rule?.kind.kind === 'account-backoff'
        ? 'This account is protected after many failed sign-ins'
        : rule?.kind.kind === 'success-velocity'
          ? 'Too many sign-ins from this client'
          : 'Too many failed sign-ins from this client';
    return `${what}; try again in ${wait}.${ref}`;
  }
  let why: string;
  if (d.ruleId === 'admin') why = 'by an administrator';
  else if (d.ruleId === 'denylist') why = "this client's address is on the denylist";
  else {
    const blockSeconds = n('blockSeconds');
    const repeat = blockSeconds !== undefined && retryAfter > blockSeconds ? '; blocked longer as a repeat offender' : '';
    switch (rule?.kind.kind) {
      case 'request-rate':
        why = `more than ${n('threshold')} requests in ${n('windowSeconds')} s${repeat}`;
        break;
      case 'probing':
        why = `more than ${n('threshold')} answers ${(spec['statuses'] as number[] | undefined)?.join('/') ?? '401/403/404'} in ${n('windowSeconds')} s${repeat}`;
        break;
      case 'token-spread':
        why = `a token this client presented was used from more than ${n('maxClients')} clients`;
        break;
      default:
        why = 'by a detection rule';
    }
  }
  return `This client is blocked: ${why}. Try again in ${wait}.${ref}`;
}
