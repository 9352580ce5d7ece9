import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { TrafficHistoryResponse } from '@bouncer/contracts';
import { CLOCK, type Clock } from '../core/clock';
import { DetectionService } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { TrafficHistory } from './traffic-history';

/** Named ranges of the overview's time picker. */
export const TRAFFIC_RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type TrafficRange = keyof typeof TRAFFIC_RANGES;
/** A custom range may not span more than the kept history (7 days) and a day of slack. */
const MAX_SPAN_MS = 8 * 86_400_000;
/** The live series covers 15 minutes: sampling it every minute loses nothing. */
const SAMPLE_EVERY_MS = 60_000;

/** Feeds the live 10-s series into the minute and hour history, and answers `GET /admin/traffic`. */
@Injectable()
export class TrafficHistoryService implements OnModuleInit, OnModuleDestroy {
  private readonly history: TrafficHistory;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly detection: DetectionService,
  ) {
    this.history = new TrafficHistory(clock.now());
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sample().catch(() => undefined), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Public so tests can sample without waiting for the timer. */
  async sample(): Promise<void> {
    const now = this.clock.now();
    this.history.record((await this.detection.traffic(now, 1)).series);
  }

  async series(q: { range?: TrafficRange; since?: string; until?: string }): Promise<TrafficHistoryResponse> {
    const now = this.clock.now();
    const { from, to } = this.bounds(q, now);
    const live = (await this.detection.traffic(now, 1)).series;
    const s = this.history.series(from, to, now, live);
    return {
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      bucket_seconds: s.bucketSeconds,
      history_since: new Date(this.history.since).toISOString(),
      points: s.points,
    };
  }

  private bounds(q: { range?: TrafficRange; since?: string; until?: string }, now: number): { from: number; to: number } {
    if (q.since === undefined) {
      if (q.until !== undefined) throw badRange('until', 'needs since');
      return { from: now - TRAFFIC_RANGES[q.range ?? '15m'], to: now };
    }
    if (q.range !== undefined) throw badRange('range', 'give either range or since/until, not both');
    const from = Date.parse(q.since);
    const to = q.until === undefined ? now : Math.min(Date.parse(q.until), now);
    if (from >= to) throw badRange('since', 'must be before until (and before now)');
    if (to - from > MAX_SPAN_MS) throw badRange('since', 'a range may span at most 8 days');
    return { from, to };
  }
}

function badRange(field: string, message: string): ProblemException {
  return new ProblemException(400, 'Bad Request', `${field} ${message}.`, { errors: [{ field, message }] });
}
