import { z } from 'zod';
import { flag, positiveInt, seconds } from '../params';
import { defineRuleKind } from '../rule-kind';
import { judgeCount, planCount } from './threshold';

/** Rule 1: requests per client per window. */
export const requestRate = defineRuleKind({
  kind: 'request-rate',
  summary: 'Requests per client per window: suspicious at the suspicious share, blocked on every route past the threshold.',
  params: z.strictObject({ threshold: positiveInt(), windowSeconds: seconds(), blockSeconds: seconds(), escalate: flag() }),
  events: ['request'],
  plan: (e, spec, ctx) => (e.type === 'request' ? planCount(e.client, spec, ctx) : []),
  judge: (e, spec, r, ctx) => judgeCount(e.client, spec, r, ctx, 'requests', true),
  forget: (client) => [{ op: 'del', key: `c:${client}` }],
  describe: (s, sus) =>
    `more than ${s.threshold} requests in ${s.windowSeconds} s: blocked ${s.blockSeconds} s on every route (403); suspicious at ${Math.ceil(s.threshold * sus.ratio)}`,
});
