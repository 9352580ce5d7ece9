import { type CounterOp, type CounterResult, type CounterStore, type MaybePromise, MemoryCounterStore } from '@bouncer/detection';
import { OutageJournal } from './outage-journal';
import { withTimeout } from './with-timeout';

/** Up/down news about the shared store's connection; the app's RedisHandle fits as it is. */
export interface SharedHealth {
  isUp(): boolean;
  onChange(listener: (up: boolean) => void): void;
}

/** A shared store that can be asked "are you there?" cheaply (RedisCounterStore can). */
export type SharedCounterStore = CounterStore & { ping?(): Promise<void> };

export interface FallbackCounterStoreOptions {
  /** Connection news: down switches to local at once, up starts the reconcile. Optional: failures and probes suffice. */
  health?: SharedHealth;
  /** Where counting goes during an outage. Default: a new MemoryCounterStore. */
  local?: MemoryCounterStore;
  /** Longest a request waits on the shared store before counting locally. Default 300 ms. */
  timeoutMs?: number;
  /** How often a degraded store asks the shared one whether it is back. Default 1 s. */
  probeEveryMs?: number;
  /** Counters per reconcile program. Default 200. */
  reconcileBatch?: number;
  /** Longest one reconcile program may take. Default 2 s. */
  reconcileTimeoutMs?: number;
  /** Time for outage bookkeeping and reconcile windows (ms since the epoch). Default Date.now. */
  clock?: () => number;
  /** Told about failures the caller never sees (the shared store's errors, throwing listeners). */
  onError?: (error: unknown) => void;
}

/** What the `recovered` listeners learn: the app reconciles decisions from it. */
export interface Recovery {
  downSince: number;
  recoveredAt: number;
  /** Counters touched during the outage and handed to the shared store. */
  reconciledKeys: number;
}

/**
 * 'down': counting locally. 'reconciling': the shared store answers and the outage's counts are
 * being handed to it; requests still count locally so none sees the shared store without them.
 */
type State = 'up' | 'down' | 'reconciling';

/**
 * The failure policy for the shared store: while it answers, count there; when it fails or
 * hangs, protect from this instance's memory at once (neither open to everyone nor 429 to
 * everyone) and report `degraded`. When it returns, the counts made locally are added into it
 * (so an outage buys an attacker nothing), the local ones are cleared, and `recovered` fires.
 */
export class FallbackCounterStore implements CounterStore {
  private readonly local: MemoryCounterStore;
  private readonly journal = new OutageJournal();
  private readonly clock: () => number;
  private readonly changeListeners: ((degraded: boolean) => void)[] = [];
  private readonly recoveredListeners: ((recovery: Recovery) => void)[] = [];
  private state: State = 'up';
  private downSince = 0;
  private probeTimer: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  /** Bumped by every outage and every reconcile, so a stale reconcile loop knows to stop. */
  private round = 0;
  private closed = false;

  constructor(
    private readonly shared: SharedCounterStore,
    private readonly options: FallbackCounterStoreOptions = {},
  ) {
    this.local = options.local ?? new MemoryCounterStore();
    this.clock = options.clock ?? Date.now;
    options.health?.onChange((up) => {
      if (up) void this.tryRecover();
      else this.goDown();
    });
  }

  get degraded(): boolean {
    return this.state !== 'up';
  }

  /** Called with `true` when counting goes local, `false` when it is shared again. Returns an unsubscribe. */
  onChange(listener: (degraded: boolean) => void): () => void {
    return subscribe(this.changeListeners, listener);
  }

  /** Called once the outage's counts are in the shared store (the app then reconciles its decisions). */
  onRecovered(listener: (recovery: Recovery) => void): () => void {
    return subscribe(this.recoveredListeners, listener);
  }

  run(ops: readonly CounterOp[], now: number): MaybePromise<CounterResult[]> {
    if (this.state === 'up' && this.options.health?.isUp() === false) this.goDown();
    if (this.state !== 'up') return this.runLocally(ops, now);
    return withTimeout(
      Promise.resolve().then(() => this.shared.run(ops, now)),
      this.options.timeoutMs ?? 300,
    ).catch((error: unknown) => {
      // Whether the shared store applied it is unknown; counting it locally too errs on the side of protection.
      this.report(error);
      this.goDown();
      return this.runLocally(ops, now);
    });
  }

  prune(now: number): MaybePromise<number> {
    const local = this.local.prune(now);
    if (this.state !== 'up') return local;
    return Promise.resolve()
      .then(() => this.shared.prune(now))
      .then(
        (n) => n + local,
        () => local,
      );
  }

  size(): MaybePromise<number> {
    if (this.state !== 'up') return this.local.size();
    return Promise.resolve()
      .then(() => this.shared.size())
      .catch(() => this.local.size());
  }

  /** Stops probing (the shared store's connection is the caller's to close). */
  close(): void {
    this.closed = true;
    this.stopProbing();
  }

  private runLocally(ops: readonly CounterOp[], now: number): CounterResult[] {
    const results = this.local.run(ops, now);
    this.journal.record(ops, results);
    return results;
  }

  private goDown(): void {
    if (this.state === 'down') return;
    const wasUp = this.state === 'up';
    this.state = 'down';
    this.round++;
    if (wasUp) {
      this.downSince = this.clock();
      this.emit(this.changeListeners, true);
    }
    this.startProbing();
  }

  private startProbing(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeEveryMs ?? 1_000);
    this.probeTimer.unref?.();
  }

  private stopProbing(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async probe(): Promise<void> {
    if (this.probing || this.state !== 'down' || this.options.health?.isUp() === false) return;
    this.probing = true;
    try {
      const ask = this.shared.ping ? this.shared.ping() : Promise.resolve(this.shared.size());
      await withTimeout(Promise.resolve(ask), this.options.timeoutMs ?? 300);
      await this.tryRecover();
    } catch {
      // Still away; the next tick asks again.
    } finally {
      this.probing = false;
    }
  }

  /** Hands the outage's counts to the shared store, batch by batch, then shares counting again. */
  private async tryRecover(): Promise<void> {
    if (this.state !== 'down' || this.closed) return;
    const round = ++this.round;
    this.state = 'reconciling';
    this.stopProbing();
    let reconciledKeys = 0;
    while (this.journal.size > 0) {
      const now = this.clock();
      const batch = this.journal.drain(this.local, now, this.options.reconcileBatch ?? 200);
      try {
        const work = Promise.resolve().then(() => this.shared.run(batch.program, now));
        await withTimeout(work, this.options.reconcileTimeoutMs ?? 2_000);
      } catch (error) {
        batch.restore();
        this.report(error);
        if (this.round === round) this.goDown();
        return;
      }
      reconciledKeys += batch.keys;
      // A request's failure declared the outage still on meanwhile (a later round may be running): stop here.
      if (this.round !== round) return;
    }
    this.state = 'up';
    this.emit(this.changeListeners, false);
    this.emit(this.recoveredListeners, { downSince: this.downSince, recoveredAt: this.clock(), reconciledKeys });
  }

  private emit<T>(listeners: readonly ((value: T) => void)[], value: T): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (error) {
        this.report(error);
      }
    }
  }

  private report(error: unknown): void {
    this.options.onError?.(error);
  }
}

function subscribe<T>(listeners: T[], listener: T): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}
