import { ClientSlots, resized } from './client-slots';
import { type CounterOp, type CounterResult, type CounterStore, guardHolds, SKIPPED, slidingCount } from './counter-store';

/**
 * The embedded store: one process, bounded memory. A program runs synchronously, so it is
 * atomic by construction. Idle keys expire with their window; the cap evicts the least
 * recently used key first.
 *
 * One key per client and rule, a hundred thousand clients or more: the windows live in typed
 * arrays indexed by a ClientSlots slot (no object, boxed number or key string per key), and the
 * rare `see` sets in a side table.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly slots: ClientSlots;
  // Per slot: the window's count and end, a sliding window's length (0: a plain window; sliding
  // windows follow on from one another) and the previous window's count.
  private count = new Float64Array(0);
  private resetAt = new Float64Array(0);
  private slideMs = new Float64Array(0);
  private prev = new Float64Array(0);
  /** Members of a `see` set, in arrival order, by slot. */
  private readonly members = new Map<number, string[]>();

  constructor(maxKeys = 200_000) {
    this.slots = new ClientSlots(
      maxKeys,
      (capacity) => {
        this.count = resized(this.count, capacity);
        this.resetAt = resized(this.resetAt, capacity);
        this.slideMs = resized(this.slideMs, capacity);
        this.prev = resized(this.prev, capacity);
      },
      (slot) => this.members.delete(slot),
    );
  }

  run(ops: readonly CounterOp[], now: number): CounterResult[] {
    const results: CounterResult[] = [];
    for (const op of ops) results.push(guardHolds(op.if, results) ? this.apply(op, now) : SKIPPED);
    return results;
  }

  prune(now: number): number {
    let n = 0;
    this.slots.forEach((slot) => {
      if (this.resetAt[slot]! + this.slideMs[slot]! <= now) {
        this.drop(slot);
        n++;
      }
    });
    return n;
  }

  size(): number {
    return this.slots.size;
  }

  private apply(op: CounterOp, now: number): CounterResult {
    const slot = this.open(op.key, now);
    switch (op.op) {
      case 'get':
        return slot >= 0 ? this.done(slot, now) : empty();
      case 'del':
        if (slot >= 0) this.drop(slot);
        return empty();
      case 'arm': {
        const s = slot >= 0 ? slot : this.create(op.key);
        this.write(s, op.count ?? 1, now + op.windowMs, 0, 0);
        this.members.delete(s);
        return this.done(s, now);
      }
      case 'add': {
        const by = op.by ?? 1;
        if (slot >= 0) {
          this.count[slot] = Math.max(0, this.count[slot]! + by);
          return this.done(slot, now);
        }
        // A decrement never opens a window.
        if (by <= 0) return empty();
        const s = this.create(op.key);
        this.write(s, by, now + op.windowMs, op.sliding ? op.windowMs : 0, 0);
        return this.done(s, now);
      }
      case 'take': {
        if (slot < 0 && op.limit <= 0) return { ran: true, count: 0, resetAt: now + op.windowMs, admitted: false };
        const s = slot >= 0 ? slot : this.create(op.key);
        if (slot < 0) this.write(s, 0, now + op.windowMs, 0, 0);
        if (this.count[s]! >= op.limit) return { ran: true, count: this.count[s]!, resetAt: this.resetAt[s]!, admitted: false };
        this.count[s]!++;
        return this.done(s, now);
      }
      case 'see': {
        const s = slot >= 0 ? slot : this.create(op.key);
        if (slot < 0) this.write(s, 0, now + op.windowMs, 0, 0);
        let members = this.members.get(s);
        if (!members) this.members.set(s, (members = []));
        if (!members.includes(op.member)) members.push(op.member);
        this.count[s] = members.length;
        this.resetAt[s] = Math.max(this.resetAt[s]!, now + op.windowMs);
        return { ...this.done(s, now), first: members[0] };
      }
    }
  }

  /**
   * The key's slot while its window is open, or -1; an expired one is dropped. A sliding
   * counter whose window has just ended rolls on into the next, carrying its count as `prev`.
   */
  private open(key: string, now: number): number {
    const slot = this.slots.get(key);
    if (slot < 0) return -1;
    const resetAt = this.resetAt[slot]!;
    if (resetAt > now) return slot;
    const slide = this.slideMs[slot]!;
    if (slide > 0 && now < resetAt + slide) {
      this.write(slot, 0, resetAt + slide, slide, this.count[slot]!);
      return slot;
    }
    this.drop(slot);
    return -1;
  }

  private create(key: string): number {
    const { slot } = this.slots.acquire(key);
    this.members.delete(slot);
    return slot;
  }

  private write(slot: number, count: number, resetAt: number, slideMs: number, prev: number): void {
    this.count[slot] = count;
    this.resetAt[slot] = resetAt;
    this.slideMs[slot] = slideMs;
    this.prev[slot] = prev;
  }

  private drop(slot: number): void {
    this.members.delete(slot);
    this.slots.release(slot);
  }

  private done(slot: number, now: number): CounterResult {
    const resetAt = this.resetAt[slot]!;
    const slide = this.slideMs[slot]!;
    const count = slide ? slidingCount(this.count[slot]!, this.prev[slot]!, resetAt, slide, now) : this.count[slot]!;
    return { ran: true, count, resetAt, admitted: true };
  }
}

/** What a missing key reads as. */
function empty(): CounterResult {
  return { ran: true, count: 0, resetAt: 0, admitted: true };
}
