import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { TrafficHistoryResponse } from '@bouncer/contracts';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { describeError } from '../db/query-errors';
import { DetectionService } from '../detection';
import { MAX_SPAN_MS, type RangeQuery, rangeBounds } from './time-range';
import { HISTORY_HOURS, HISTORY_MINUTES, TrafficHistory } from './traffic-history';
import { TrafficHistoryRepository } from './traffic-history.repository';

/** The live series covers 15 minutes: sampling it every minute loses nothing. */
const SAMPLE_EVERY_MS = 60_000;
const MINUTE_MS = 60_000;
/** How long the shutdown waits for the last sample's write. */
const FINAL_SAMPLE_WAIT_MS = 2_000;
const HOUR_MS = 3_600_000;

/**
 * Feeds the live 10-s series into the minute and hour history, persists what changed (one
 * upsert per sample, never per request), loads it back at start, and answers `GET /admin/traffic`.
 * The healing job deletes minutes past the minute ring (24 h) and hours past 8 days.
 */
@Injectable()
@Prunable({ order: 60 })
export class TrafficHistoryService implements OnModuleInit, OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(TrafficHistoryService.name);
  private readonly history: TrafficHistory;
  /** This process's start: its own live series knows nothing before it. */
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly detection: DetectionService,
    private readonly repository: TrafficHistoryRepository,
  ) {
    this.startedAt = clock.now();
    this.history = new TrafficHistory(this.startedAt);
  }

  /** Loads the kept history before the app answers (a failed read starts empty, as before persistence). */
  async onModuleInit(): Promise<void> {
    await this.load();
    this.timer = setInterval(() => void this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  /**
   * Samples once more on the way out, so a restart loses at most the minute in progress. Waits
   * at most FINAL_SAMPLE_WAIT_MS: an unreachable database must not hold the shutdown up.
   */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.sample(), new Promise<void>((done) => (timer = setTimeout(done, FINAL_SAMPLE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Public so tests can load again without a restart. */
  async load(): Promise<void> {
    const now = this.clock.now();
    try {
      const buckets = await this.repository.load(now - HISTORY_MINUTES * MINUTE_MS, now - HISTORY_HOURS * HOUR_MS);
      this.history.load(buckets, now);
    } catch (err) {
      this.logger.warn(`could not read the traffic history, starting it empty: ${describeError(err)}`);
    }
  }

  /**
   * Records the live series and writes the buckets that changed. Never rejects: a failed write
   * is logged and its buckets retried at the next sample. Public so tests sample on demand.
   */
  async sample(): Promise<void> {
    let changed: ReturnType<TrafficHistory['takeChanged']> = [];
    try {
      const now = this.clock.now();
      const picture = await this.detection.traffic(now, 1);
      this.history.record(picture.series, this.observedFrom(picture.merged));
      changed = this.history.takeChanged();
      await this.repository.upsert(changed);
    } catch (err) {
      this.history.returnChanged(changed);
      this.logger.warn(`could not store the traffic history (retried next minute): ${describeError(err)}`);
    }
  }

  async pruneStale(now: number): Promise<PruneResult> {
    return { pruned: await this.repository.prune(now - HISTORY_MINUTES * MINUTE_MS, now - MAX_SPAN_MS) };
  }

  async series(q: RangeQuery): Promise<TrafficHistoryResponse> {
    const now = this.clock.now();
    const { from, to } = rangeBounds(q, now);
    const picture = await this.detection.traffic(now, 1);
    const s = this.history.series(from, to, now, picture.series, this.observedFrom(picture.merged));
    return {
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      bucket_seconds: s.bucketSeconds,
      history_since: new Date(this.history.since).toISOString(),
      points: s.points,
    };
  }

  /**
   * Since when the live series counts. This process's own series starts with the process; the
   * series merged in Redis holds every instance's requests, also from before this one started.
   */
  private observedFrom(merged: boolean): number {
    return merged ? -Infinity : this.startedAt;
  }
}
