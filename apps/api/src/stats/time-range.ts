import { ProblemException } from '../http/problem.exception';

/** Named ranges of the console's time picker, all ending now. */
export const TRAFFIC_RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type TrafficRange = keyof typeof TRAFFIC_RANGES;
/** A custom range may not span more than the kept history (7 days) and a day of slack. */
export const MAX_SPAN_MS = 8 * 86_400_000;

/** `range`, or `since` and an optional `until`, as the overview and the client page send them. */
export interface RangeQuery {
  range?: TrafficRange;
  since?: string;
  until?: string;
}

/**
 * [from, to) of a range query at `now` (a custom end is clipped to now); a contradictory query is
 * a 400 naming the field. `maxSpanMs`: the longest range that means anything (the traffic history
 * keeps 8 days; the audit log behind the Accounts page as long as its retention).
 */
export function rangeBounds(q: RangeQuery, now: number, maxSpanMs = MAX_SPAN_MS): { from: number; to: number } {
  if (q.since === undefined) {
    if (q.until !== undefined) throw badRange('until', 'needs since');
    return { from: now - TRAFFIC_RANGES[q.range ?? '15m'], to: now };
  }
  if (q.range !== undefined) throw badRange('range', 'give either range or since/until, not both');
  const from = Date.parse(q.since);
  const to = q.until === undefined ? now : Math.min(Date.parse(q.until), now);
  if (from >= to) throw badRange('since', 'must be before until (and before now)');
  if (to - from > maxSpanMs) throw badRange('since', `a range may span at most ${Math.round(maxSpanMs / 86_400_000)} days`);
  return { from, to };
}

function badRange(field: string, message: string): ProblemException {
  return new ProblemException(400, 'Bad Request', `${field} ${message}.`, { errors: [{ field, message }] });
}
