import type { SeriesPoint } from '@bouncer/contracts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** 24 hours of minutes and 7 days (+1 h for the one in progress) of hours: 1,609 buckets, a few dozen KiB. */
export const HISTORY_MINUTES = 1440;
export const HISTORY_HOURS = 169;
/** The live 10-second series covers 15 minutes. */
const LIVE_SPAN_MS = 15 * MINUTE_MS;
/** A chart gets at most this many points, whatever the range. */
export const MAX_POINTS = 360;
/** Bucket sizes a range may be shown in, in seconds: each is a whole number of the one below it where it counts. */
const BUCKET_CHOICES = [10, 60, 300, 900, 3600, 10_800, 21_600] as const;
const LONGEST_BUCKET = 21_600;

export interface Counts {
  requests: number;
  client_errors: number;
  unauthorized: number;
  blocks: number;
}

interface Slot extends Counts {
  start: number;
}

const empty = (start: number): Slot => ({ start, requests: 0, client_errors: 0, unauthorized: 0, blocks: 0 });

function add(into: Counts, from: Counts): void {
  into.requests += from.requests;
  into.client_errors += from.client_errors;
  into.unauthorized += from.unauthorized;
  into.blocks += from.blocks;
}

export interface HistorySeries {
  from: number;
  to: number;
  bucketSeconds: number;
  points: SeriesPoint[];
}

/** A kept bucket as it is persisted: its size, start and counts. */
export interface StoredBucket extends Counts {
  granularity: 'minute' | 'hour';
  start: number;
}

/**
 * Longer traffic history than the live 15-minute series: per-minute buckets for 24 hours and
 * per-hour buckets for 7 days, in two fixed rings (bounded memory). The rings are filled from
 * the database at start (`load`) and every bucket that changed is handed out (`takeChanged`)
 * for the service to persist, so a restart keeps the history.
 *
 * It is fed the live 10-second series again and again (`record`). Each minute fully inside that
 * series is merged into the kept one by the larger of each count, never added to: feeding the
 * same series twice counts nothing twice, and after a restart the live series' zeros for the
 * minutes before it (or a lost Redis series) do not wipe what was kept. A minute's counts only
 * grow while it is observed, so the larger is the more complete. An hour is set from its minutes
 * while they are still kept, merged the same way.
 */
export class TrafficHistory {
  private readonly minutes: Slot[] = Array.from({ length: HISTORY_MINUTES }, () => empty(-1));
  private readonly hours: Slot[] = Array.from({ length: HISTORY_HOURS }, () => empty(-1));

  /** Buckets changed since the last `takeChanged`, by ring and start. */
  private readonly changed = new Map<string, StoredBucket>();
  private knownSince: number;

  /** @param startedAt when this process started: without older kept buckets, nothing before it is known. */
  constructor(startedAt: number) {
    this.knownSince = startedAt;
  }

  /** The oldest moment the history knows: its oldest kept (persisted) bucket, or the process start. */
  get since(): number {
    return this.knownSince;
  }

  /**
   * Puts persisted buckets back into the rings (at start, before any sampling). A bucket too old
   * for its ring, or whose slot holds a newer one, is skipped. Loading changes nothing to persist.
   */
  load(buckets: readonly StoredBucket[], now: number): void {
    for (const b of buckets) {
      const [ring, unit, length] =
        b.granularity === 'minute' ? [this.minutes, MINUTE_MS, HISTORY_MINUTES] : [this.hours, HOUR_MS, HISTORY_HOURS];
      if (b.start % unit !== 0 || b.start > now || b.start <= now - length * unit) continue;
      const i = this.index(b.start, unit, length);
      if (ring[i]!.start > b.start) continue;
      ring[i] = { start: b.start, requests: b.requests, client_errors: b.client_errors, unauthorized: b.unauthorized, blocks: b.blocks };
      this.knownSince = Math.min(this.knownSince, b.start);
    }
  }

  /** The buckets changed since the last call (to persist), oldest first; they are then forgotten. */
  takeChanged(): StoredBucket[] {
    const out = [...this.changed.values()].sort((a, b) => a.start - b.start);
    this.changed.clear();
    return out;
  }

  /** Hands buckets back after a failed write, so the next call retries them (a newer change wins). */
  returnChanged(buckets: readonly StoredBucket[]): void {
    for (const b of buckets) {
      const key = `${b.granularity}:${b.start}`;
      if (!this.changed.has(key)) this.changed.set(key, b);
    }
  }

  /**
   * Takes the live series (10-s buckets, oldest first) and updates every minute it fully covers.
   * `observedFrom`: when the series started counting (this process's start for its own series);
   * a minute that ended before it is zeros for want of data, not quiet traffic, and is skipped.
   */
  record(live: { bucket_seconds: number; points: SeriesPoint[] }, observedFrom = -Infinity): void {
    const bucketMs = live.bucket_seconds * 1000;
    if (live.points.length === 0 || MINUTE_MS % bucketMs !== 0) return;
    const perMinute = MINUTE_MS / bucketMs;
    const sums = new Map<number, { n: number; counts: Counts }>();
    for (const p of live.points) {
      const t = Date.parse(p.t);
      const minute = t - (t % MINUTE_MS);
      let s = sums.get(minute);
      if (!s) sums.set(minute, (s = { n: 0, counts: empty(minute) }));
      s.n++;
      add(s.counts, p);
    }
    const touchedHours = new Set<number>();
    for (const [minute, s] of sums) {
      // The window's first minute may be cut: only a minute seen whole replaces what was kept.
      if (s.n < perMinute || minute + MINUTE_MS <= observedFrom) continue;
      if (this.merge(this.minutes, this.index(minute, MINUTE_MS, HISTORY_MINUTES), { ...s.counts, start: minute }, 'minute')) {
        touchedHours.add(minute - (minute % HOUR_MS));
      }
    }
    for (const hour of touchedHours) {
      const h = empty(hour);
      for (let m = hour; m < hour + HOUR_MS; m += MINUTE_MS) {
        const slot = this.minutes[this.index(m, MINUTE_MS, HISTORY_MINUTES)]!;
        if (slot.start === m) add(h, slot);
      }
      this.merge(this.hours, this.index(hour, HOUR_MS, HISTORY_HOURS), h, 'hour');
    }
  }

  /**
   * Puts `next` in ring slot `i`: replaces an older bucket, or keeps the larger of each count of
   * the same one. Returns whether anything changed (and notes it for `takeChanged`).
   */
  private merge(ring: Slot[], i: number, next: Slot, granularity: StoredBucket['granularity']): boolean {
    const kept = ring[i]!;
    if (kept.start > next.start) return false;
    const merged: Slot =
      kept.start === next.start
        ? {
            start: next.start,
            requests: Math.max(kept.requests, next.requests),
            client_errors: Math.max(kept.client_errors, next.client_errors),
            unauthorized: Math.max(kept.unauthorized, next.unauthorized),
            blocks: Math.max(kept.blocks, next.blocks),
          }
        : next;
    if (
      kept.start === merged.start &&
      kept.requests === merged.requests &&
      kept.client_errors === merged.client_errors &&
      kept.unauthorized === merged.unauthorized &&
      kept.blocks === merged.blocks
    ) {
      return false;
    }
    ring[i] = merged;
    this.changed.set(`${granularity}:${merged.start}`, { granularity, ...merged });
    return true;
  }

  /**
   * The series over [from, to) in the smallest bucket that keeps it under MAX_POINTS and that
   * the kept resolution allows: 10 s within the live window, minutes within 24 h, hours beyond.
   * `live` is the current 10-s series (also used for the minute still in progress).
   */
  series(
    from: number,
    to: number,
    now: number,
    live: { bucket_seconds: number; points: SeriesPoint[] },
    observedFrom = -Infinity,
  ): HistorySeries {
    this.record(live, observedFrom);
    const span = Math.max(1, to - from);
    const oldest = now - from;
    const finest = oldest <= LIVE_SPAN_MS + 10_000 ? live.bucket_seconds : oldest <= HISTORY_MINUTES * MINUTE_MS ? 60 : 3600;
    const bucketSeconds: number =
      BUCKET_CHOICES.find((b) => b >= finest && b % finest === 0 && span / (b * 1000) <= MAX_POINTS) ?? LONGEST_BUCKET;
    const bucketMs = bucketSeconds * 1000;
    const start = from - (from % bucketMs);
    const out = new Map<number, Counts>();
    for (let t = start; t < to; t += bucketMs) out.set(t, empty(t));
    const into = (t: number, c: Counts) => {
      const b = out.get(t - (t % bucketMs));
      if (b) add(b, c);
    };
    if (finest === live.bucket_seconds) {
      for (const p of live.points) into(Date.parse(p.t), p);
    } else {
      const source = finest === 60 ? this.minutes : this.hours;
      for (const slot of source) if (slot.start >= start && slot.start < to) into(slot.start, slot);
      // The minute in progress is in neither ring (`record` keeps whole minutes only).
      const current = now - (now % MINUTE_MS);
      for (const p of live.points) {
        const t = Date.parse(p.t);
        if (t >= current) into(t, p);
      }
    }
    const points = [...out.entries()].map(([t, c]) => ({
      t: new Date(t).toISOString(),
      requests: c.requests,
      client_errors: c.client_errors,
      unauthorized: c.unauthorized,
      blocks: c.blocks,
    }));
    return { from: start, to, bucketSeconds, points };
  }

  private index(start: number, unit: number, length: number): number {
    return Math.floor(start / unit) % length;
  }
}
