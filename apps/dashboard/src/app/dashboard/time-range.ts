import type { Params } from '@angular/router';

/** The overview's named ranges, all ending now. */
export const RANGES = [
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 h', ms: 3_600_000 },
  { key: '24h', label: '24 h', ms: 86_400_000 },
  { key: '7d', label: '7 days', ms: 7 * 86_400_000 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/** Refresh intervals offered, in seconds. */
export const REFRESH_CHOICES = [2, 5, 10, 30, 60] as const;
export const DEFAULT_REFRESH_S = 2;

/** Zoom never narrows below one minute (six 10-s buckets) nor widens past the kept history. */
const MIN_SPAN_MS = 60_000;
const MAX_SPAN_MS = 7 * 86_400_000;

/**
 * A time range, as read from the URL (`range`, or `since` and `until`). A custom range whose
 * `until` is Infinity is open-ended: from `since` up to now (the Accounts page's, whose API
 * takes only `since`).
 */
export type ViewRange = { kind: 'named'; key: RangeKey } | { kind: 'custom'; since: number; until: number };

export interface OverviewView {
  range: ViewRange;
  refreshSeconds: number;
  paused: boolean;
}

/** What the overview shows, as read from the URL (its range, `refresh`, `paused`); `fallback`: the named range when the URL names none (the overview 15 min, a client's page 1 h). */
export function readView(p: Params, fallback: RangeKey = '15m'): OverviewView {
  const refresh = Number(p['refresh']);
  return {
    range: readRange(p, fallback),
    refreshSeconds: (REFRESH_CHOICES as readonly number[]).includes(refresh) ? refresh : DEFAULT_REFRESH_S,
    paused: p['paused'] === '1',
  };
}

/** The range in the URL (a custom one needs both bounds, in order), or the page's default named range. */
export function readRange(p: Params, fallback: RangeKey = '15m'): ViewRange {
  const since = typeof p['since'] === 'string' ? Date.parse(p['since']) : NaN;
  const until = typeof p['until'] === 'string' ? Date.parse(p['until']) : NaN;
  if (Number.isFinite(since) && Number.isFinite(until) && since < until) return { kind: 'custom', since, until };
  return { kind: 'named', key: RANGES.find((r) => r.key === p['range'])?.key ?? fallback };
}

/** The URL query for a range: a named range drops since/until (and the default its name too), a custom one drops range. */
export function rangeParams(range: ViewRange, fallback: RangeKey = '15m'): Params {
  return range.kind === 'named'
    ? { range: range.key === fallback ? null : range.key, since: null, until: null }
    : { range: null, since: new Date(range.since).toISOString(), until: new Date(range.until).toISOString() };
}

export function sameRange(a: ViewRange, b: ViewRange): boolean {
  if (a.kind === 'named') return b.kind === 'named' && a.key === b.key;
  return b.kind === 'custom' && a.since === b.since && a.until === b.until;
}

/** Where a range starts, as an ISO time for an API's `since`. */
export function rangeSince(range: ViewRange, now: number): string {
  return new Date(rangeBounds(range, now).from).toISOString();
}

/** The API's query for a range (`GET /admin/traffic`, `GET /admin/clients/activity`): `range`, or `since` and `until`. */
export function rangeQuery(range: ViewRange): { range: RangeKey } | { since: string; until: string } {
  return range.kind === 'named'
    ? { range: range.key }
    : { since: new Date(range.since).toISOString(), until: new Date(range.until).toISOString() };
}

export function rangeBounds(range: ViewRange, now: number): { from: number; to: number } {
  if (range.kind === 'custom') return { from: range.since, to: Math.min(range.until, now) };
  const ms = RANGES.find((r) => r.key === range.key)!.ms;
  return { from: now - ms, to: now };
}

/** Narrows to [from, to] (a drag on the chart), at least a minute wide. */
export function zoomTo(from: number, to: number): ViewRange {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  if (hi - lo >= MIN_SPAN_MS) return { kind: 'custom', since: lo, until: hi };
  const mid = (lo + hi) / 2;
  return { kind: 'custom', since: Math.round(mid - MIN_SPAN_MS / 2), until: Math.round(mid + MIN_SPAN_MS / 2) };
}

/** Halves (factor 0.5) or doubles (2) the span around its middle, never past now. */
export function zoomBy(range: ViewRange, factor: number, now: number): ViewRange {
  const { from, to } = rangeBounds(range, now);
  const span = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, (to - from) * factor));
  let until = Math.round((from + to) / 2 + span / 2);
  if (until > now) until = now;
  return { kind: 'custom', since: Math.round(until - span), until };
}

/**
 * The wait before the next poll: the chosen interval while answers come, then doubling with
 * each failure in a row up to a minute, so a server that is down is not asked every 2 s (D18).
 */
export function nextPollDelay(refreshMs: number, failuresInARow: number): number {
  if (failuresInARow <= 0) return refreshMs;
  return Math.min(60_000, Math.max(refreshMs, refreshMs * 2 ** failuresInARow));
}

/** "10 s", "1 min", "5 min", "1 h": what one point of the chart counts. */
export function bucketLabel(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}
