import type { RuleId } from '@bouncer/contracts';
import type { DetectionOptions } from '../detection-options';

/**
 * The rules as data, and the pure arithmetic that turns counts into verdicts. Nothing here
 * reads the clock, the store or configuration: callers pass numbers in.
 */

/** A count-in-a-window rule: suspicious at a share of the limit, blocked once over it. */
export interface ThresholdRule {
  id: RuleId;
  /** What is counted, plural, for the reason text ("requests"). */
  noun: string;
  limit: number;
  windowSeconds: number;
  /** The count at which the client becomes suspicious. */
  suspiciousAt: number;
  banSeconds: number;
  /** Repeat offenders get longer blocks. */
  escalate: boolean;
}

export type Verdict =
  | { action: 'none' }
  | { action: 'suspect'; reason: string }
  | { action: 'block'; reason: string; seconds: number };

const NONE: Verdict = { action: 'none' };

/** The count at `ratio` of `limit`, rounded up (70 % of 5 is the 4th). */
export function suspiciousCount(limit: number, ratio: number): number {
  return Math.max(1, Math.ceil(limit * ratio - 1e-9));
}

export function thresholdRules(o: DetectionOptions): { requestRate: ThresholdRule; probing: ThresholdRule } {
  return {
    requestRate: {
      id: 'request-rate',
      noun: 'requests',
      limit: o.rateLimit,
      windowSeconds: o.rateWindowSeconds,
      suspiciousAt: suspiciousCount(o.rateLimit, o.suspiciousRatio),
      banSeconds: o.banSeconds,
      escalate: true,
    },
    probing: {
      id: 'probing',
      noun: '401/403/404 answers',
      limit: o.probeThreshold,
      windowSeconds: o.probeWindowSeconds,
      suspiciousAt: suspiciousCount(o.probeThreshold, o.suspiciousRatio),
      banSeconds: o.banSeconds,
      escalate: true,
    },
  };
}

/**
 * The verdict for the `count`-th event in a window. Each count is seen once (the store's
 * increments are atomic), so each verdict fires once per window: at the suspicious count,
 * and at the first count over the limit.
 */
export function evaluateThreshold(rule: ThresholdRule, count: number): Verdict {
  if (count === rule.limit + 1) {
    return { action: 'block', reason: `${count} ${rule.noun} in ${rule.windowSeconds} s (limit ${rule.limit})`, seconds: rule.banSeconds };
  }
  if (count === rule.suspiciousAt && count <= rule.limit) {
    return { action: 'suspect', reason: `${count} ${rule.noun} in ${rule.windowSeconds} s (limit ${rule.limit})` };
  }
  return NONE;
}

/** A past block of the same client. */
export interface BlockHistoryEntry {
  at: number;
  seconds: number;
  count: number;
}

/**
 * fail2ban's bantime.increment, simplified: blocked again within the repeat window → twice
 * as long as last time, never more than the cap.
 */
export function escalatedSeconds(
  baseSeconds: number,
  last: BlockHistoryEntry | undefined,
  now: number,
  repeatWindowSeconds: number,
  maxSeconds: number,
): number {
  const base = Math.min(baseSeconds, maxSeconds);
  if (!last || now - last.at >= repeatWindowSeconds * 1000) return base;
  return Math.min(Math.max(base, last.seconds * 2), maxSeconds);
}

/** Rule 2: the time buffer after the `failures`-th failure (0 below the threshold). */
export function loginBufferSeconds(failures: number, threshold: number, stepSeconds: number): number {
  return failures >= threshold ? stepSeconds * (failures - (threshold - 1)) : 0;
}

/** Rule 4: the block after the `count`-th successful login in the window (0 below the limit). */
export function successBlockSeconds(count: number, limit: number, stepSeconds: number): number {
  return count >= limit ? stepSeconds * (count - (limit - 1)) : 0;
}

/**
 * Rule 3: the wait before the next checked guess at an account that has had `failures`
 * failures in its window: none for the free ones, then 1 s doubling up to the cap.
 */
export function accountDelaySeconds(failures: number, free: number, maxSeconds: number): number {
  if (failures < free) return 0;
  return Math.min(2 ** Math.min(failures - free, 30), maxSeconds);
}
