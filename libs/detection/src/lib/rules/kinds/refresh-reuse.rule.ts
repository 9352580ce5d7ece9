import { z } from 'zod';
import { defineRuleKind } from '../rule-kind';

/** A refresh token that was already rotated came back: whoever presents it is suspicious. */
export const refreshReuse = defineRuleKind({
  kind: 'refresh-reuse',
  summary: 'A rotated refresh token presented again: its session family is revoked (by the app) and the presenter marked suspicious.',
  params: z.strictObject({}),
  events: ['refresh-reused'],
  plan: () => [],
  judge: (e) => (e.type === 'refresh-reused' ? { suspect: { reason: `presented an already-used refresh token of ${e.subject}` } } : null),
  describe: (_s, sus) => `a rotated refresh token presented again: presenter suspicious ${sus.seconds} s`,
});
