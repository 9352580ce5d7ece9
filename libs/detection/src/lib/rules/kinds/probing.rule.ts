import { z } from 'zod';
import { flag, positiveInt, seconds } from '../params';
import { defineRuleKind } from '../rule-kind';
import { judgeCount, planCount } from './threshold';

const status = z.number({ error: 'must list HTTP status codes' }).int({ error: 'must list HTTP status codes' }).min(100).max(599);

/** Rule 6: answers that say "you are guessing" (401, 403, 404) per client per window. */
export const probing = defineRuleKind({
  kind: 'probing',
  summary: 'Answers with a probing status (401, 403, 404) per client per window: suspicious, then blocked on every route.',
  params: z.strictObject({
    threshold: positiveInt(),
    windowSeconds: seconds(),
    blockSeconds: seconds(),
    escalate: flag(),
    statuses: z.array(status, { error: 'must list HTTP status codes' }).min(1, { error: 'must list at least one status' }),
  }),
  events: ['response'],
  watches: (e, spec) => e.type === 'response' && spec.statuses.includes(e.status),
  plan: (e, spec, ctx) => (e.type === 'response' && spec.statuses.includes(e.status) ? planCount(e.client, spec, ctx) : []),
  judge: (e, spec, r, ctx) => (r.length ? judgeCount(e.client, spec, r, ctx, `answers ${spec.statuses.join('/')}`, false) : null),
  forget: (client) => [{ op: 'del', key: `c:${client}` }],
  describe: (s, sus) =>
    `more than ${s.threshold} answers ${s.statuses.join('/')} in ${s.windowSeconds} s: blocked ${s.blockSeconds} s on every route; suspicious at ${Math.ceil(s.threshold * sus.ratio)}`,
});
