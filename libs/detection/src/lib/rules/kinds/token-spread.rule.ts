import { z } from 'zod';
import { flag, positiveInt, seconds } from '../params';
import { defineRuleKind } from '../rule-kind';

/**
 * Rule 5: a token is carried by one client. Presented by a second client while the first
 * still uses it, the newcomer is suspicious; by more than `maxClients`, the token is revoked
 * and the newcomer blocked on every route.
 */
export const tokenSpread = defineRuleKind({
  kind: 'token-spread',
  summary:
    'A token presented from several clients: the newcomer is suspicious, and past the limit the token is revoked and the newcomer blocked.',
  params: z.strictObject({ maxClients: positiveInt(), blockSeconds: seconds(), escalate: flag() }),
  events: ['token-seen'],
  plan: (e, _spec, ctx) =>
    e.type === 'token-seen' ? [{ op: 'see', key: `t:${e.token}`, member: e.client, windowMs: Math.max(1000, e.expiresAt - ctx.now) }] : [],
  judge(e, spec, [r]) {
    if (e.type !== 'token-seen' || !r) return null;
    const clients = r.count;
    if (clients <= 1) return null;
    if (clients > spec.maxClients) {
      return {
        block: {
          reason: `${e.what} used from ${clients} clients (first ${r.first})`,
          seconds: spec.blockSeconds,
          scope: 'all',
          escalate: spec.escalate,
        },
        revokeToken: true,
      };
    }
    return { suspect: { reason: `${e.what} used from ${e.client} while in use by ${r.first}` } };
  },
  describe: (s) =>
    `a token presented from a 2nd client: suspicious; from more than ${s.maxClients}: revoked, newcomer blocked ${s.blockSeconds} s`,
});
