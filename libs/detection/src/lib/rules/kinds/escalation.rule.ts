import { z } from 'zod';
import type { OffenceHistory } from '../../decision';
import { seconds } from '../params';
import { defineRuleKind } from '../rule-kind';

export interface EscalationSpec {
  windowSeconds: number;
  factor: number;
  maxSeconds: number;
}

/**
 * Repeat offenders: a client blocked again (by a rule whose block escalates) within the window
 * is blocked `factor` times as long as last time, up to `maxSeconds`. It makes no decision of
 * its own; the engine asks it how long each escalating block lasts.
 */
export const escalation = defineRuleKind<EscalationSpec>({
  kind: 'escalation',
  summary: 'Repeat offenders: blocked again within the window, for longer each time, up to a cap.',
  params: z.strictObject({
    windowSeconds: seconds(),
    factor: z.number({ error: 'must be a number of at least 1' }).min(1, { error: 'must be a number of at least 1' }).max(100),
    maxSeconds: seconds(),
  }),
  events: [],
  plan: () => [],
  judge: () => null,
  describe: (s) =>
    `a client blocked again within ${s.windowSeconds} s is blocked ${s.factor}× as long as last time, up to ${s.maxSeconds} s`,
});

/** How long a block lasts given the client's last one. */
export function escalatedSeconds(base: number, last: OffenceHistory | undefined, spec: EscalationSpec, now: number): number {
  if (!last || now - last.at >= spec.windowSeconds * 1000) return base;
  return Math.min(Math.max(base, Math.round(last.seconds * spec.factor)), Math.max(spec.maxSeconds, base));
}
