import { z } from 'zod';
import { positiveInt, seconds } from '../params';
import { defineRuleKind, describeWait, secondsUntil } from '../rule-kind';

/**
 * A route class's own rate limit (the route policy, POLICY_FILE): requests of one class per
 * client address or per signed-in subject in a sliding window, refused with 429 past the limit
 * (refused requests count too, so hammering does not reopen the window). It is a throttle, not
 * a block: the client's other routes stay open. The first refusal of a window is audited.
 * The policy compiles each limit into one rule of this kind (compileRoutePolicyRules), so class
 * limits are counted in the same store, atomically and shared across instances, like every rule.
 */
export const routeLimit = defineRuleKind({
  kind: 'route-limit',
  summary: "A route class's rate limit per client or per signed-in subject (429 past it), from the route policy.",
  params: z.strictObject({
    routeClass: z.string({ error: 'must be a route class name' }).min(1),
    per: z.enum(['client', 'subject'], { error: 'must be client or subject' }),
    /** For `per: subject`: which callers it counts (`admin` callers may have their own limit). */
    roles: z.array(z.string()).optional(),
    /** For `per: subject`: the callers it does not count (those with a limit of their own). */
    exceptRoles: z.array(z.string()).optional(),
    limit: positiveInt(),
    windowSeconds: seconds(),
  }),
  events: ['route-request'],
  plan(e, spec) {
    if (e.type !== 'route-request' || e.routeClass !== spec.routeClass) return [];
    const key = keyOf(e, spec);
    return key === null ? [] : [{ op: 'add', key, windowMs: spec.windowSeconds * 1000, sliding: true }];
  },
  judge(e, spec, [r], ctx) {
    if (e.type !== 'route-request' || !r?.ran || r.count <= spec.limit) return null;
    const who = spec.per === 'client' ? 'this client' : `user ${e.subject ?? ''}`;
    const reason = `more than ${spec.limit} requests to ${spec.routeClass} in ${spec.windowSeconds} s from ${who}`;
    const until = Math.max(r.resetAt, ctx.now + 1000);
    return {
      refuse: { reason, until, status: 429, limit: { limit: spec.limit, windowSeconds: spec.windowSeconds } },
      ...(r.count === spec.limit + 1
        ? {
            notice: {
              event: 'route_limit_exceeded',
              actor: null,
              detail: `${reason}; throttled for ${describeWait(secondsUntil(until, ctx.now))} (route class ${spec.routeClass}, client ${e.client})`,
            },
          }
        : {}),
    };
  },
  limit: (s) => ({ limit: s.limit, windowSeconds: s.windowSeconds }),
  describe: (s) =>
    `more than ${s.limit} requests of route class ${s.routeClass} in ${s.windowSeconds} s per ${s.per === 'client' ? 'client' : `signed-in user${s.roles ? ` with role ${s.roles.join('/')}` : ''}`}: 429 on that class only`,
});

function keyOf(
  e: { client: string; subject: string | null; role: string | null },
  spec: { per: 'client' | 'subject'; roles?: string[]; exceptRoles?: string[] },
): string | null {
  if (spec.per === 'client') return `c:${e.client}`;
  if (e.subject === null) return null;
  if (spec.roles && !spec.roles.includes(e.role ?? '')) return null;
  if (spec.exceptRoles?.includes(e.role ?? '')) return null;
  return `s:${e.subject}`;
}
