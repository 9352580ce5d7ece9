import { LRUCache } from 'lru-cache';
import { type CounterOp, type CounterResult, type CounterStore, guardHolds, SKIPPED } from './counter-store';

interface Slot {
  count: number;
  resetAt: number;
  /** Members of a `see` set, in arrival order. */
  members?: string[];
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
      if (s.resetAt <= now) {
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
        return open ? done(open) : done({ count: 0, resetAt: 0 });
      case 'del':
        this.slots.delete(op.key);
        return done({ count: 0, resetAt: 0 });
      case 'arm': {
        const s = { count: op.count ?? 1, resetAt: now + op.windowMs };
        this.slots.set(op.key, s);
        return done(s);
      }
      case 'add': {
        const by = op.by ?? 1;
        if (open) {
          open.count = Math.max(0, open.count + by);
          return done(open);
        }
        // A decrement never opens a window.
        if (by <= 0) return done({ count: 0, resetAt: 0 });
        const s = { count: by, resetAt: now + op.windowMs };
        this.slots.set(op.key, s);
        return done(s);
      }
      case 'take': {
        const s = open ?? { count: 0, resetAt: now + op.windowMs };
        if (s.count >= op.limit) return { ran: true, count: s.count, resetAt: s.resetAt, admitted: false };
        s.count++;
        if (!open) this.slots.set(op.key, s);
        return done(s);
      }
      case 'see': {
        const s = open ?? { count: 0, resetAt: now + op.windowMs, members: [] };
        const members = (s.members ??= []);
        if (!members.includes(op.member)) members.push(op.member);
        s.count = members.length;
        s.resetAt = Math.max(s.resetAt, now + op.windowMs);
        if (!open) this.slots.set(op.key, s);
        return { ...done(s), first: members[0] };
      }
    }
  }

  /** The key's slot while its window is open; an expired one is dropped. */
  private open(key: string, now: number): Slot | undefined {
    const s = this.slots.get(key);
    if (s && s.resetAt > now) return s;
    if (s) this.slots.delete(key);
    return undefined;
  }
}

function done(s: { count: number; resetAt: number }): CounterResult {
  return { ran: true, count: s.count, resetAt: s.resetAt, admitted: true };
}
