import { LRUCache } from 'lru-cache';

/** One fixed-window count: how many hits, and when the window ends (ms since epoch). */
export interface CounterRecord {
  count: number;
  resetAt: number;
}

/**
 * Counters the rules share. Windows are fixed and start at a key's first hit (as
 * rate-limiter-flexible does), so resets spread out over time. Every operation is atomic;
 * the memory store may answer synchronously, a shared store (Redis) with a promise, and
 * callers accept both. Memory is bounded: idle keys expire and a cap evicts the least
 * recently used.
 */
export interface CounterStore {
  /** Adds `by` to the key's count in its current window, starting a window if none is open. */
  hit(key: string, windowMs: number, now: number, by?: number): CounterRecord | Promise<CounterRecord>;
  /** The open window's record, or null. */
  get(key: string, now: number): CounterRecord | null | Promise<CounterRecord | null>;
  reset(key: string): void | Promise<void>;
  /** Drops expired windows; returns how many went. */
  prune(now: number): number | Promise<number>;
  /** Keys held now. */
  size(): number | Promise<number>;
}

export const COUNTER_STORE = Symbol('CounterStore');

export class MemoryCounterStore implements CounterStore {
  private readonly records: LRUCache<string, CounterRecord>;

  constructor(maxKeys = 200_000) {
    this.records = new LRUCache({ max: maxKeys });
  }

  hit(key: string, windowMs: number, now: number, by = 1): CounterRecord {
    const r = this.records.get(key);
    if (r && r.resetAt > now) {
      r.count += by;
      return r;
    }
    // A decrement never opens a window below zero.
    const fresh = { count: Math.max(by, 0), resetAt: now + windowMs };
    this.records.set(key, fresh);
    return fresh;
  }

  get(key: string, now: number): CounterRecord | null {
    const r = this.records.peek(key);
    return r && r.resetAt > now ? r : null;
  }

  reset(key: string): void {
    this.records.delete(key);
  }

  prune(now: number): number {
    let n = 0;
    for (const [k, r] of this.records.entries()) {
      if (r.resetAt <= now) {
        this.records.delete(k);
        n++;
      }
    }
    return n;
  }

  size(): number {
    return this.records.size;
  }
}
