import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { CLOCK, type Clock } from '../core/clock';

/** A sample window whose event-loop delay p99 reaches this (ms) means the loop is overloaded. */
export const OVERLOAD_LAG_MS = 100;
/**
 * ...and at least this many refusals were answered in it: the refused clients are what keeps the
 * loop busy. A slow window with few refusals (start-up, a garbage collection) paces nobody.
 */
export const OVERLOAD_REFUSALS = 50;
/** Pacing stays on this long after the last overloaded window (ms), so it does not flap on and off. */
export const PACING_COOLDOWN_MS = 30_000;
/** The longest a refusal is held (ms), however long its Retry-After. */
export const MAX_HOLD_MS = 1_000;
/** At most this many refusals are held at once; past it they are answered at once (memory stays bounded). */
export const MAX_HELD = 10_000;
const SAMPLE_EVERY_MS = 250;

type Schedule = (ms: number, run: () => void) => void;

/**
 * Holds refusals (the gate's 403, the sign-in rules' 429) for up to their Retry-After, at most
 * 1 s, while the event loop is overloaded.
 *
 * Why: Node (libuv 1.45 and later) accepts one new connection per event-loop turn. When a few
 * hundred refused clients ask again the moment they are answered, each turn answers all of
 * them (line 6 of issue 12: 100 to 800 ms per turn), so a new connection waits in the kernel's
 * accept queue behind every attacker connection not yet accepted: a legitimate sign-in waited
 * 5 to 11 s there before Bouncer saw it, then 25 to 150 ms for its password check. A refused
 * client loses nothing by hearing "retry after N s" a little later; holding the answer keeps
 * each of its connections to about one request a second, so turns stay short and connections
 * are accepted again within milliseconds. Only under overload: a busy but healthy loop (one
 * client hammering from a few connections) is answered at full speed, and so is a slow loop
 * that is not answering many refusals.
 */
@Injectable()
export class RefusalPacing implements OnModuleInit, OnApplicationShutdown {
  private pacingUntil = Number.NEGATIVE_INFINITY;
  private held = 0;
  private refusedInWindow = 0;
  private histogram?: IntervalHistogram;
  private sampler?: NodeJS.Timeout;
  /** How a held refusal is sent later (tests replace it). */
  schedule: Schedule = (ms, run) => void setTimeout(run, ms);

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  onModuleInit(): void {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    this.histogram = histogram;
    this.sampler = setInterval(() => {
      this.observeWindow(histogram.percentile(99) / 1e6, this.refusedInWindow);
      this.refusedInWindow = 0;
      histogram.reset();
    }, SAMPLE_EVERY_MS);
    this.sampler.unref();
  }

  onApplicationShutdown(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.histogram?.disable();
  }

  /** One sample window: its event-loop delay p99 (ms) and the refusals answered in it. */
  observeWindow(lagP99Ms: number, refusals: number): void {
    if (lagP99Ms >= OVERLOAD_LAG_MS && refusals >= OVERLOAD_REFUSALS) this.pacingUntil = this.clock.now() + PACING_COOLDOWN_MS;
  }

  get pacing(): boolean {
    return this.clock.now() < this.pacingUntil;
  }

  /** Refusals being held now (for tests and metrics). */
  get holding(): number {
    return this.held;
  }

  /** How long a refusal telling its client to retry after `retryAfterSeconds` is held now (ms). */
  holdMs(retryAfterSeconds: number): number {
    if (!this.pacing || this.held >= MAX_HELD) return 0;
    return Math.min(MAX_HOLD_MS, Math.max(0, retryAfterSeconds * 1000));
  }

  /** Sends a refusal now, or after its hold. */
  answer(retryAfterSeconds: number, send: () => void): void {
    this.refusedInWindow++;
    const ms = this.holdMs(retryAfterSeconds);
    if (ms <= 0) return send();
    this.held++;
    this.schedule(ms, () => {
      this.held--;
      send();
    });
  }

  /** Resolves when a refusal may be sent: at once, or after its hold. */
  hold(retryAfterSeconds: number): Promise<void> {
    if (this.holdMs(retryAfterSeconds) <= 0) {
      this.refusedInWindow++;
      return Promise.resolve();
    }
    return new Promise((release) => this.answer(retryAfterSeconds, release));
  }
}
