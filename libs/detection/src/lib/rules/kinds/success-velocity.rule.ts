import { z } from 'zod';
import { positiveInt, seconds } from '../params';
import { defineRuleKind, describeWait } from '../rule-kind';
import { ordinal } from './login-buffer.rule';

/**
 * Rule 4: successful sign-ins per client per window. A script signing in again and again (a
 * credential-stuffing list with working passwords) is suspicious at the sign-in before the
 * threshold and refused from it on, each one more buying a longer buffer.
 */
export const successVelocity = defineRuleKind({
  kind: 'success-velocity',
  summary: 'Successful sign-ins per client per window: suspicious just before the threshold, refused (429) from it.',
  params: z.strictObject({
    threshold: z
      .number({ error: 'must be an integer of at least 2' })
      .int({ error: 'must be an integer of at least 2' })
      .min(2, { error: 'must be an integer of at least 2' }),
    windowSeconds: seconds(),
    blockStepSeconds: seconds(),
  }),
  events: ['sign-in-succeeded'],
  plan: (e, spec) => (e.type === 'sign-in-succeeded' ? [{ op: 'add', key: `s:${e.client}`, windowMs: spec.windowSeconds * 1000 }] : []),
  judge(_e, spec, [r], ctx) {
    const n = r?.count ?? 0;
    const reason = `${n} successful logins in ${spec.windowSeconds} s`;
    if (n >= spec.threshold) {
      const secs = spec.blockStepSeconds * (n - (spec.threshold - 1));
      return {
        block: { reason, seconds: secs, scope: 'sign-in' },
        suspect: { reason, seconds: Math.max(secs, ctx.suspicion.seconds) },
        refuse: {
          reason: `Too many sign-ins from this client; try again in ${describeWait(secs)}.`,
          until: ctx.now + secs * 1000,
          status: 429,
          limit: successLimit(spec),
        },
      };
    }
    return n === spec.threshold - 1 ? { suspect: { reason } } : null;
  },
  limit: (s) => successLimit(s),
  forget: (client) => [{ op: 'del', key: `s:${client}` }],
  describe: (s) =>
    `the ${ordinal(s.threshold)} successful sign-in of a client within ${s.windowSeconds} s is refused and buys a ${s.blockStepSeconds} s buffer (429), each further one ${s.blockStepSeconds} s longer; suspicious at the ${ordinal(s.threshold - 1)}`,
});
void positiveInt;

/** Sign-ins a client may make per window before the next one is refused. */
function successLimit(spec: { threshold: number; windowSeconds: number }) {
  return { limit: spec.threshold - 1, windowSeconds: spec.windowSeconds };
}
