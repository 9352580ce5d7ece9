import type { CounterOp, CounterResult, CounterStore, MaybePromise } from '@bouncer/detection';

export interface BatchingCounterStoreOptions {
  /**
   * Whether this process is the only one counting in the shared store right now
   * (InstanceRoster.alone). Only then may a count be answered from here: another instance's hits
   * would not be in the local copy.
   */
  sole: () => boolean;
  /** How long hits counted here wait before they are sent on, in one program. Default 20 ms. */
  flushEveryMs?: number;
  /** Bound on the keys whose counts are copied here (the least recently synced go first). Default 100,000. */
  maxKeys?: number;
  /** The clock flushes count with (the engine's). Default Date.now. */
  clock?: () => number;
  /** Told when sending hits failed (they are kept and sent with the next flush). */
  onError?: (error: unknown) => void;
}

/** What this process knows of one quiet counter in the shared store. */
interface LocalCount {
  /** The store's count at its last answer. For a sliding counter the estimate then, which only falls until the window ends. */
  synced: number;
  resetAt: number;
  windowMs: number;
  sliding: boolean;
  /** Hits counted here and not yet sent. */
  pending: number;
  /** Hits sent and not yet answered. */
  inFlight: number;
}

/**
 * Counts a threshold rule's hits locally while nothing can come of them, so that an ordinary
 * request does not wait for a round trip to the shared store.
 *
 * A rule marks an `add` with `quietBelow`: its judgement is the same for every count below that
 * (request-rate and probing judge nothing before the suspicion level). While this instance is
 * the only one counting in the shared store, the shared count can only have grown by what this
 * instance sent, so `synced + inFlight + pending` bounds it from above; as long as that stays
 * under `quietBelow`, the hit is answered here and sent on with the next flush (every 20 ms, one
 * program for every key). The first hit of a key, any hit that could reach `quietBelow`, every
 * other operation, and everything while another instance is counting go to the shared store as
 * before, with the key's unsent hits folded into the same `add`: from `quietBelow` on each answer
 * is the store's exact, atomic count, so the suspicion and the block come on exactly the hit
 * they would without this class.
 */
export class BatchingCounterStore implements CounterStore {
  private readonly counts = new Map<string, LocalCount>();
  private readonly unsent = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  /** Set while another instance counts: the copies kept here fall behind the shared counts. */
  private peersCounted = false;
  private readonly flushEveryMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly shared: CounterStore & { readonly degraded?: boolean },
    private readonly options: BatchingCounterStoreOptions,
  ) {
    this.flushEveryMs = options.flushEveryMs ?? 20;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  run(ops: readonly CounterOp[], now: number): MaybePromise<CounterResult[]> {
    const sole = this.options.sole();
    if (!sole) this.peersCounted = true;
    else if (this.peersCounted) this.distrustCopies();
    const local = sole ? this.answerLocally(ops, now) : null;
    if (local) return local;
    // A read (or take, see) of a key with hits waiting here must see them: send them first.
    // So must a hit after the window the waiting ones belong to (they are sent as of that window's end).
    if (this.unsent.size > 0 && ops.some((op) => this.unsent.has(op.key) && (!foldsPending(op) || now >= this.windowEnd(op.key))))
      return this.flush(now).then(() => this.runShared(ops, now));
    return this.runShared(ops, now);
  }

  /** The wrapped store's: true while the shared store is away and counting is local (FallbackCounterStore). */
  get degraded(): boolean {
    return this.shared.degraded === true;
  }

  prune(now: number): MaybePromise<number> {
    return this.shared.prune(now);
  }

  size(): MaybePromise<number> {
    return this.shared.size();
  }

  /**
   * Another instance counts now: what waits here goes to the shared store at once, and the copies
   * are not trusted again until refreshed (the peer's hits will not be in them). Call it when a peer
   * appears, even if no request comes meanwhile.
   */
  handOver(): Promise<void> {
    this.peersCounted = true;
    return this.flush();
  }

  /** Hits counted here and not yet in the shared store (for tests and shutdown). */
  get unsentHits(): number {
    let n = 0;
    for (const key of this.unsent) n += this.counts.get(key)?.pending ?? 0;
    return n;
  }

  /** Sends every unsent hit now; resolves when the shared store has them (call before shutdown, and when a peer appears). */
  async flush(now = (this.options.clock ?? Date.now)()): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // One flush at a time, so the store sees the hits in the order they were counted.
    while (this.flushing) await this.flushing;
    if (this.unsent.size === 0) return;
    this.flushing = this.send(now).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Every op a quiet `add` whose answer is known here, or null (the program goes to the shared store). */
  private answerLocally(ops: readonly CounterOp[], now: number): CounterResult[] | null {
    const results: CounterResult[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as CounterOp;
      if (op.op !== 'add' || op.quietBelow === undefined || op.if) return null;
      const by = op.by ?? 1;
      const c = this.counts.get(op.key);
      if (by <= 0 || !c || now >= c.resetAt) return null;
      // Two ops on one key would each read the count without the other's hit.
      for (let j = 0; j < i; j++) if ((ops[j] as CounterOp).key === op.key) return null;
      const count = c.synced + c.inFlight + c.pending + by;
      if (count >= op.quietBelow) return null;
      results.push({ ran: true, count, resetAt: c.resetAt, admitted: true });
    }
    for (const op of ops) this.hold(op.key, (op as { by?: number }).by ?? 1);
    return results;
  }

  private hold(key: string, by: number): void {
    const c = this.counts.get(key) as LocalCount;
    c.pending += by;
    this.unsent.add(key);
    this.schedule();
  }

  /** The program as the caller wrote it, with each key's unsent hits folded into its first plain `add`. */
  private runShared(ops: readonly CounterOp[], now: number): MaybePromise<CounterResult[]> {
    const sent: CounterOp[] = [];
    const carried = new Map<number, number>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as CounterOp;
      const c = this.counts.get(op.key);
      if (c && isPlainAdd(op)) {
        const by = (op.by ?? 1) + c.pending;
        carried.set(i, by);
        c.inFlight += by;
        c.pending = 0;
        this.unsent.delete(op.key);
        sent.push({ ...op, by });
      } else {
        // del and arm start the key over: what was counted here goes with it.
        if (c && (op.op === 'del' || op.op === 'arm')) this.forget(op.key);
        sent.push(op);
      }
    }
    const settle = (results: CounterResult[]): CounterResult[] => {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i] as CounterOp;
        const r = results[i];
        const by = carried.get(i);
        const c = this.counts.get(op.key);
        if (by !== undefined && c) c.inFlight -= by;
        // Copies are kept only while alone: one made while a peer counts could be behind at once.
        if (op.op === 'add' && op.quietBelow !== undefined && r?.ran && !this.peersCounted) this.learn(op, r);
      }
      return results;
    };
    const undo = (error: unknown): never => {
      // Not counted anywhere: the hits go back to waiting here, and the caller hears of the failure.
      for (const [i, by] of carried) {
        const key = (ops[i] as CounterOp).key;
        const c = this.counts.get(key);
        if (!c) continue;
        c.inFlight -= by;
        c.pending += by - ((ops[i] as { by?: number }).by ?? 1);
        if (c.pending > 0) this.unsent.add(key);
      }
      throw error;
    };
    const results = this.shared.run(sent, now);
    if (Array.isArray(results)) return settle(results);
    return results.then(settle, undo);
  }

  private learn(op: Extract<CounterOp, { op: 'add' }>, r: CounterResult): void {
    const c = this.counts.get(op.key);
    if (c) {
      this.update(c, r);
      // Most recently synced last: the map's order is the eviction order.
      this.counts.delete(op.key);
      this.counts.set(op.key, c);
      return;
    }
    this.counts.set(op.key, { synced: r.count, resetAt: r.resetAt, windowMs: op.windowMs, sliding: !!op.sliding, pending: 0, inFlight: 0 });
    if (this.counts.size > this.maxKeys) this.evict();
  }

  private update(c: LocalCount, r: CounterResult): void {
    c.synced = r.count;
    c.resetAt = r.resetAt;
  }

  private evict(): void {
    for (const [key, c] of this.counts) {
      if (this.counts.size <= this.maxKeys) return;
      if (c.pending === 0 && c.inFlight === 0) this.counts.delete(key);
    }
  }

  /**
   * Alone again after another instance counted: what was copied before may be behind the shared
   * counts by the peer's hits. Copies with nothing waiting are dropped; the others are marked
   * unknown (the next hit asks the shared store, which answers with the true count).
   */
  private distrustCopies(): void {
    for (const [key, c] of this.counts) {
      if (c.pending === 0 && c.inFlight === 0) this.counts.delete(key);
      else c.synced = Infinity;
    }
    this.peersCounted = false;
  }

  private forget(key: string): void {
    this.counts.delete(key);
    this.unsent.delete(key);
  }

  private windowEnd(key: string): number {
    return this.counts.get(key)?.resetAt ?? Infinity;
  }

  private async send(now: number): Promise<void> {
    // Hits belong to the window they were counted in: a key whose copied window has ended sends
    // its hits as of that window's last moment, so a sliding count weighs them as the previous window.
    const programs = new Map<number, { key: string; by: number; op: CounterOp }[]>();
    for (const key of this.unsent) {
      const c = this.counts.get(key);
      if (!c || c.pending <= 0) continue;
      const at = now < c.resetAt ? now : c.resetAt - 1;
      const op: CounterOp = { op: 'add', key, windowMs: c.windowMs, by: c.pending, ...(c.sliding ? { sliding: true } : {}) };
      programs.set(at, [...(programs.get(at) ?? []), { key, by: c.pending, op }]);
      c.inFlight += c.pending;
      c.pending = 0;
    }
    this.unsent.clear();
    for (const at of [...programs.keys()].sort((a, b) => a - b)) await this.sendBatch(programs.get(at) ?? [], at);
  }

  private async sendBatch(batch: { key: string; by: number; op: CounterOp }[], at: number): Promise<void> {
    try {
      const results = await this.shared.run(
        batch.map((b) => b.op),
        at,
      );
      batch.forEach(({ key, by }, i) => {
        const c = this.counts.get(key);
        if (!c) return;
        c.inFlight -= by;
        const r = results[i];
        if (r?.ran) this.update(c, r);
      });
    } catch (error) {
      // Not counted: the hits wait here again for the next flush.
      for (const { key, by } of batch) {
        const c = this.counts.get(key);
        if (!c) continue;
        c.inFlight -= by;
        c.pending += by;
        this.unsent.add(key);
      }
      this.options.onError?.(error);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer || this.unsent.size === 0) return;
    this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.flushEveryMs);
    this.timer.unref?.();
  }
}

/** A plain increment: the key's unsent hits can ride along in its `by`. del and arm drop them; anything else needs them sent first. */
function foldsPending(op: CounterOp): boolean {
  return isPlainAdd(op) || op.op === 'del' || op.op === 'arm';
}

function isPlainAdd(op: CounterOp): op is Extract<CounterOp, { op: 'add' }> {
  return op.op === 'add' && !op.if && (op.by ?? 1) > 0;
}
