import { LRUCache } from 'lru-cache';
import { type CounterOp, type CounterResult, type CounterStore, guardHolds, SKIPPED, slidingCount } from './counter-store';

interface Slot {
  count: number;
  resetAt: number;
  /** Members of a `see` set, in arrival order. */
  members?: string[];
  /** A sliding counter's window length; its windows follow on from one another. */
  slideMs?: number;
  /** A sliding counter's hits in the window before this one. */
  prev?: number;
}

/**
 * The embedded store: one process, bounded memory. A program runs synchronously, so it is
 * atomic by construction. Idle keys expire with their window; the cap evicts the least
 * recently used key first.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly slots: LRUCache<string, Slot>;

  constructor(maxKeys = 200_000) {
    this.slots = new LRUCache({ max: maxKeys });
  }

  run(ops: readonly CounterOp[], now: number): CounterResult[] {
    const results: CounterResult[] = [];
    for (const op of ops) results.push(guardHolds(op.if, results) ? this.apply(op, now) : SKIPPED);
    return results;
  }

  prune(now: number): number {
    let n = 0;
    for (const [k, s] of this.slots.entries()) {
      if (s.resetAt + (s.slideMs ?? 0) <= now) {
        this.slots.delete(k);
        n++;
      }
    }
    return n;
  }

  size(): number {
    return this.slots.size;
  }

  private apply(op: CounterOp, now: number): CounterResult {
    const open = this.open(op.key, now);
    switch (op.op) {
      case 'get':
        return open ? done(open, now) : done({ count: 0, resetAt: 0 }, now);
      case 'del':
        this.slots.delete(op.key);
        return done({ count: 0, resetAt: 0 }, now);
      case 'arm': {
        const s = { count: op.count ?? 1, resetAt: now + op.windowMs };
        this.slots.set(op.key, s);
        return done(s, now);
      }
      case 'add': {
        const by = op.by ?? 1;
        if (open) {
          open.count = Math.max(0, open.count + by);
          return done(open, now);
        }
        // A decrement never opens a window.
        if (by <= 0) return done({ count: 0, resetAt: 0 }, now);
        const s: Slot = { count: by, resetAt: now + op.windowMs };
        if (op.sliding) s.slideMs = op.windowMs;
        this.slots.set(op.key, s);
        return done(s, now);
      }
      case 'take': {
        const s = open ?? { count: 0, resetAt: now + op.windowMs };
        if (s.count >= op.limit) return { ran: true, count: s.count, resetAt: s.resetAt, admitted: false };
        s.count++;
        if (!open) this.slots.set(op.key, s);
        return done(s, now);
      }
      case 'see': {
        const s = open ?? { count: 0, resetAt: now + op.windowMs, members: [] };
        const members = (s.members ??= []);
        if (!members.includes(op.member)) members.push(op.member);
        s.count = members.length;
        s.resetAt = Math.max(s.resetAt, now + op.windowMs);
        if (!open) this.slots.set(op.key, s);
        return { ...done(s, now), first: members[0] };
      }
    }
  }

  /**
   * The key's slot while its window is open; an expired one is dropped. A sliding counter whose
   * window has just ended rolls on into the next, carrying its count as `prev`.
   */
  private open(key: string, now: number): Slot | undefined {
    const s = this.slots.get(key);
    if (s && s.resetAt > now) return s;
    if (s?.slideMs && now < s.resetAt + s.slideMs) {
      const next: Slot = { count: 0, prev: s.count, resetAt: s.resetAt + s.slideMs, slideMs: s.slideMs };
      this.slots.set(key, next);
      return next;
    }
    if (s) this.slots.delete(key);
    return undefined;
  }
}

function done(s: Slot, now: number): CounterResult {
  const count = s.slideMs ? slidingCount(s.count, s.prev ?? 0, s.resetAt, s.slideMs, now) : s.count;
  return { ran: true, count, resetAt: s.resetAt, admitted: true };
}
