import { z } from 'zod';
import { attemptOutcome, DELAYED, holdOf, planAttempt, planFailure, planRelease } from '../attempt-gate';
import { allocationOf, isIpv6Key } from '../../net/allocation';
import { positiveInt, seconds } from '../params';
import { defineRuleKind, describeWait, secondsUntil } from '../rule-kind';

/**
 * Rule 2: failed sign-ins per client. The `threshold`-th failure starts a time buffer of
 * `bufferSeconds`, and each further failure a longer one (bufferSeconds × failures past the
 * threshold + 1); while it runs the client's sign-ins get 429 before any password is checked.
 *
 * With `ipv6Prefix` the rule watches IPv6 clients only, counted per allocation of that prefix
 * (a /56 or /48): a second and third instance of the kind with their own thresholds, so that
 * rotating /64s inside one allocation gives no fresh budgets (security review L15).
 */
export const loginBuffer = defineRuleKind({
  kind: 'login-buffer',
  summary: 'Failed sign-ins per client buy growing time buffers on the sign-in routes (429).',
  params: z.strictObject({
    threshold: positiveInt(),
    bufferSeconds: seconds(),
    memorySeconds: seconds(),
    ipv6Prefix: positiveInt().max(128, { error: 'must be a prefix length from 1 to 128' }).optional(),
  }),
  events: ['sign-in-attempt', 'sign-in-failed', 'sign-in-succeeded', 'sign-in-abandoned'],
  plan(e, spec, ctx) {
    const memoryMs = spec.memorySeconds * 1000;
    if (e.type !== 'sign-in-attempt' && e.type !== 'sign-in-failed' && e.type !== 'sign-in-succeeded' && e.type !== 'sign-in-abandoned')
      return [];
    const subject = subjectOf(e.client, spec);
    if (subject === null) return [];
    if (e.type === 'sign-in-attempt') return planAttempt(subject, spec.threshold, memoryMs);
    const hold = holdOf(e.ticket, ctx.id);
    if (!hold) return [];
    if (e.type === 'sign-in-failed') return planFailure(subject, hold, spec.threshold, bufferMs(spec, hold.position));
    return planRelease(subject, hold, memoryMs);
  },
  judge(e, spec, r, ctx) {
    if (e.type === 'sign-in-attempt') {
      if (r.length === 0) return null;
      const out = attemptOutcome(r);
      if ('hold' in out) return { hold: out.hold };
      const wait = secondsUntil(out.gate.resetAt, ctx.now);
      const inBuffer = out.gate.count >= DELAYED;
      return {
        refuse: {
          reason: inBuffer
            ? `Too many failed sign-ins; try again in ${describeWait(wait)}.`
            : 'Too many sign-in attempts at once from this client; try again in 1 second.',
          until: inBuffer ? out.gate.resetAt : ctx.now + 1000,
          status: 429,
          limit: loginBufferLimit(spec),
        },
      };
    }
    if (e.type !== 'sign-in-failed') return null;
    const hold = holdOf(e.ticket, ctx.id);
    if (!hold) return null;
    const failures = hold.position;
    if (failures >= spec.threshold && hold.holdsGate) {
      const secs = bufferMs(spec, failures) / 1000;
      const reason = spec.ipv6Prefix ? `${failures} failed logins from ${subjectOf(e.client, spec)}` : `${failures} failed logins`;
      return {
        block: { reason, seconds: secs, scope: 'sign-in' },
        suspect: { reason, seconds: Math.max(secs, ctx.suspicion.seconds) },
        warn: { attemptsLeft: 0, pauseSeconds: secs },
      };
    }
    // Before the threshold: the next buffer is the first one, bufferSeconds long.
    const warn = failures < spec.threshold ? { attemptsLeft: spec.threshold - failures, pauseSeconds: spec.bufferSeconds } : undefined;
    if (failures >= Math.ceil(spec.threshold * ctx.suspicion.ratio))
      return { suspect: { reason: `${failures} failed logins (buffer from ${spec.threshold})` }, ...(warn ? { warn } : {}) };
    return warn ? { warn } : null;
  },
  limit: (s) => loginBufferLimit(s),
  forget: (client, spec) => {
    const subject = subjectOf(client, spec);
    return subject === null
      ? []
      : [
          { op: 'del', key: `n:${subject}` },
          { op: 'del', key: `g:${subject}` },
        ];
  },
  describe: (s, sus) =>
    `the ${ordinal(s.threshold)} failed sign-in of ${s.ipv6Prefix ? `an IPv6 /${s.ipv6Prefix} (any of its addresses)` : 'a client'} within ${s.memorySeconds} s starts a ${s.bufferSeconds} s buffer, each further one ${s.bufferSeconds} s longer (429 on sign-in routes); suspicious from the ${ordinal(Math.ceil(s.threshold * sus.ratio))}`,
});

/** The failures are counted over memorySeconds; bufferSeconds is only the wait (Retry-After). */
function loginBufferLimit(spec: { threshold: number; memorySeconds: number }) {
  return { limit: spec.threshold, windowSeconds: spec.memorySeconds };
}

/** What the rule counts under: the client, or its IPv6 allocation; null when the rule does not watch this client. */
function subjectOf(client: string, spec: { ipv6Prefix?: number }): string | null {
  if (spec.ipv6Prefix === undefined) return client;
  return isIpv6Key(client) ? allocationOf(client, spec.ipv6Prefix) : null;
}

function bufferMs(spec: { threshold: number; bufferSeconds: number }, failures: number): number {
  return spec.bufferSeconds * (failures - (spec.threshold - 1)) * 1000;
}

export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${s}`;
}
