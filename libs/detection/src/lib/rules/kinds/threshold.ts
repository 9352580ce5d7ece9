import type { CounterOp, CounterResult } from '../../store/counter-store';
import type { Judgement, RuleContext } from '../rule-kind';

/** The shape request-rate and probing share: count per client per window, suspect, then block. */
export interface ThresholdSpec {
  threshold: number;
  windowSeconds: number;
  blockSeconds: number;
  escalate: boolean;
}

export function planCount(client: string, spec: ThresholdSpec, ctx: RuleContext): CounterOp[] {
  // Sliding, so a burst across a window boundary counts as one burst (review I7).
  return [{ op: 'add', key: `c:${client}`, windowMs: spec.windowSeconds * 1000, sliding: true, quietBelow: firstJudgedCount(spec, ctx) }];
}

/** The lowest count judgeCount says anything about: the suspicion level, or the one past the threshold. */
export function firstJudgedCount(spec: ThresholdSpec, ctx: Pick<RuleContext, 'suspicion'>): number {
  const suspect = Math.ceil(spec.threshold * ctx.suspicion.ratio);
  return suspect <= spec.threshold ? suspect : spec.threshold + 1;
}

/**
 * Suspicious when the count reaches the suspicious share of the threshold; blocked by the one
 * that passes it (that one also restarts the count, so the window after the block is fresh).
 * With a shared store, requests already in flight past the threshold are refused as well.
 */
export function judgeCount(
  client: string,
  spec: ThresholdSpec,
  [r]: readonly CounterResult[],
  ctx: RuleContext,
  what: string,
  refuse: boolean,
): Judgement | null {
  const n = r?.count ?? 0;
  const t = spec.threshold;
  const w = spec.windowSeconds;
  if (n === Math.ceil(t * ctx.suspicion.ratio) && n <= t) return { suspect: { reason: `${n} ${what} in ${w} s (limit ${t})` } };
  if (n <= t) return null;
  const reason = `more than ${t} ${what} in ${w} s`;
  const refusal = refuse ? { refuse: { reason, until: ctx.now + spec.blockSeconds * 1000, status: 403 as const } } : {};
  if (n > t + 1) return refusal;
  return {
    ...refusal,
    block: { reason, seconds: spec.blockSeconds, scope: 'all', escalate: spec.escalate },
    followUp: [{ op: 'del', key: `c:${client}` }],
  };
}
