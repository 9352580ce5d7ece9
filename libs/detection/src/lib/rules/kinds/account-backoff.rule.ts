import { z } from 'zod';
import { attemptOutcome, DELAYED, holdOf, planAttempt, planFailure, planRelease } from '../attempt-gate';
import { positiveInt, seconds } from '../params';
import { defineRuleKind, describeWait, secondsUntil } from '../rule-kind';

/**
 * Rule 3: failed sign-ins per account, from any number of clients. After `threshold` failures
 * in the window, one checked guess per delay, the delay doubling from 1 s up to
 * `maxDelaySeconds`: a botnet gets a few dozen checked guesses an hour at most, and the owner
 * is not locked out (the owner's browser, known by its device cookie, is not held back).
 */
export const accountBackoff = defineRuleKind({
  kind: 'account-backoff',
  summary: 'Failed sign-ins per account from any client: after the free ones, one checked guess per doubling delay (429).',
  params: z.strictObject({ threshold: positiveInt(), windowSeconds: seconds(), maxDelaySeconds: seconds() }),
  events: ['sign-in-attempt', 'sign-in-failed', 'sign-in-succeeded', 'sign-in-abandoned'],
  plan(e, spec, ctx) {
    const windowMs = spec.windowSeconds * 1000;
    if (e.type === 'sign-in-attempt') return e.trustedDevice ? [] : planAttempt(e.account, spec.threshold, windowMs);
    if (e.type !== 'sign-in-failed' && e.type !== 'sign-in-succeeded' && e.type !== 'sign-in-abandoned') return [];
    const hold = holdOf(e.ticket, ctx.id);
    if (!hold) return [];
    if (e.type === 'sign-in-failed') return planFailure(e.account, hold, spec.threshold, delayMs(spec, hold.position));
    return planRelease(e.account, hold, windowMs);
  },
  judge(e, spec, r, ctx) {
    if (e.type === 'sign-in-attempt') {
      if (r.length === 0) return null;
      const out = attemptOutcome(r);
      if ('hold' in out) return { hold: out.hold };
      const wait = out.gate.count >= DELAYED ? secondsUntil(out.gate.resetAt, ctx.now) : 1;
      return {
        refuse: {
          reason: `This account is protected after many failed sign-ins; try again in ${describeWait(wait)}.`,
          until: ctx.now + wait * 1000,
          status: 429,
          limit: accountLimit(spec),
        },
      };
    }
    if (e.type !== 'sign-in-failed') return null;
    const hold = holdOf(e.ticket, ctx.id);
    if (hold?.position !== spec.threshold) return null;
    return {
      notice: {
        event: 'account.delayed',
        actor: e.account,
        detail: `${hold.position} failed sign-ins for ${e.account} within ${spec.windowSeconds / 3600 >= 1 && spec.windowSeconds % 3600 === 0 ? (spec.windowSeconds === 3600 ? 'an hour' : `${spec.windowSeconds / 3600} hours`) : `${spec.windowSeconds} s`}; further attempts are delayed`,
      },
    };
  },
  limit: (s) => accountLimit(s),
  forget: () => [],
  describe: (s) =>
    `after ${s.threshold} failed sign-ins at one account within ${s.windowSeconds} s, one checked guess per delay doubling from 1 s to ${s.maxDelaySeconds} s (429); the owner's known browser passes`,
});

function accountLimit(spec: { threshold: number; windowSeconds: number }) {
  return { limit: spec.threshold, windowSeconds: spec.windowSeconds };
}

/** Doubling delays after the free failures: 1 s, 2 s, 4 s … up to the cap. */
function delayMs(spec: { threshold: number; maxDelaySeconds: number }, failures: number): number {
  const over = Math.max(0, failures - spec.threshold);
  return Math.min(2 ** Math.min(over, 40), spec.maxDelaySeconds) * 1000;
}
