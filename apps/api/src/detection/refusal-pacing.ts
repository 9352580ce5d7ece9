import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { CLOCK, type Clock } from '../core/clock';

/** A sample window whose event-loop delay p99 reaches this (ms) means the loop is overloaded. */
export const OVERLOAD_LAG_MS = 100;
/**
 * ...and refusals went to at least this many clients in it. Many refused clients, each asking
 * again at once, are what keeps every turn long; one client hammering (lines 4 and 5 of issue
 * 12), a start-up or a garbage collection paces nobody, however slow the machine.
 */
export const OVERLOAD_CLIENTS = 32;
/**
 * ...or refusals to that many clients came this fast (per sample window: 1,000 a second), however
 * the loop coped. A fast machine answers a flood in short turns, so the delay alone never
 * reached 100 ms while 200 addresses were refused 7,600 times a second, and a sign-in still
 * waited 2.5 s (line 6 of issue 12, full run of 2026-12-04 22:33); paced, each asks about once
 * a second. Held refusals cost their clients nothing: they are refused either way.
 */
export const FLOOD_REFUSALS = 250;
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
 * are accepted again within milliseconds. Only under a flood: one client hammering from a few
 * connections is answered at full speed however fast it asks, and so is a slow loop that is not
 * refusing many clients.
 */
@Injectable()
export class RefusalPacing implements OnModuleInit, OnApplicationShutdown {
  private pacingUntil = Number.NEGATIVE_INFINITY;
  private held = 0;
  /** Clients refused in the current window, counted up to OVERLOAD_CLIENTS. */
  private readonly refusedInWindow = new Set<string>();
  /** Refusals in the current window. */
  private refusalsInWindow = 0;
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
      this.closeWindow(histogram.percentile(99) / 1e6);
      histogram.reset();
    }, SAMPLE_EVERY_MS);
    this.sampler.unref();
  }

  onApplicationShutdown(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.histogram?.disable();
  }

  /** Ends the current sample window, whose event-loop delay p99 was `lagP99Ms`: judged on what it refused, then counted afresh. */
  closeWindow(lagP99Ms: number): void {
    this.observeWindow(lagP99Ms, this.refusedInWindow.size, this.refusalsInWindow);
    this.refusedInWindow.clear();
    this.refusalsInWindow = 0;
  }

  /** One sample window: its event-loop delay p99 (ms), how many clients were refused in it, and how many refusals. */
  observeWindow(lagP99Ms: number, refusedClients: number, refusals = 0): void {
    if (refusedClients < OVERLOAD_CLIENTS) return;
    if (lagP99Ms >= OVERLOAD_LAG_MS || refusals >= FLOOD_REFUSALS) this.pacingUntil = this.clock.now() + PACING_COOLDOWN_MS;
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

  /** Sends a refusal to `client` now, or after its hold. */
  answer(client: string, retryAfterSeconds: number, send: () => void): void {
    this.noteRefused(client);
    const ms = this.holdMs(retryAfterSeconds);
    if (ms <= 0) return send();
    this.held++;
    this.schedule(ms, () => {
      this.held--;
      send();
    });
  }

  /** Resolves when a refusal to `client` may be sent: at once, or after its hold. */
  hold(client: string, retryAfterSeconds: number): Promise<void> {
    if (this.holdMs(retryAfterSeconds) <= 0) {
      this.noteRefused(client);
      return Promise.resolve();
    }
    return new Promise((release) => this.answer(client, retryAfterSeconds, release));
  }

  private noteRefused(client: string): void {
    this.refusalsInWindow++;
    if (this.refusedInWindow.size < OVERLOAD_CLIENTS) this.refusedInWindow.add(client);
  }

  /** Clients refused in the current sample window, up to OVERLOAD_CLIENTS (for tests). */
  get refusedClientsInWindow(): number {
    return this.refusedInWindow.size;
  }
}
