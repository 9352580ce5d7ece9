import { LRUCache } from 'lru-cache';
import type { CounterRecord, SyncCounterStore } from './counter-store.interface';

/**
 * The in-process CounterStore. Bounded: at most `maxKeys` keys, the least recently used
 * evicted first; ended windows are dropped by `prune` (the healing job) or when read.
 * No timers, so nothing to clean up on shutdown.
 */
export class MemoryCounterStore implements SyncCounterStore {
  private readonly records: LRUCache<string, CounterRecord>;

  constructor(readonly maxKeys = 400_000) {
    this.records = new LRUCache<string, CounterRecord>({ max: maxKeys });
  }

  hitSync(key: string, windowMs: number, now: number, by = 1): CounterRecord {
    const r = this.records.get(key);
    if (r && r.resetAt > now) {
      r.count += by;
      return { count: r.count, resetAt: r.resetAt };
    }
    const fresh = { count: by, resetAt: now + windowMs };
    this.records.set(key, fresh);
    return { ...fresh };
  }

  getSync(key: string, now: number): CounterRecord | null {
    const r = this.records.peek(key);
    if (!r) return null;
    if (r.resetAt <= now) {
      this.records.delete(key);
      return null;
    }
    return { ...r };
  }

  async hit(key: string, windowMs: number, now: number, by = 1): Promise<CounterRecord> {
    return this.hitSync(key, windowMs, now, by);
  }

  async get(key: string, now: number): Promise<CounterRecord | null> {
    return this.getSync(key, now);
  }

  async reset(key: string): Promise<void> {
    this.records.delete(key);
  }

  async prune(now: number): Promise<number> {
    let n = 0;
    for (const [k, r] of this.records.entries()) {
      if (r.resetAt <= now) {
        this.records.delete(k);
        n++;
      }
    }
    return n;
  }

  async size(): Promise<number> {
    return this.records.size;
  }

  isDegraded(): boolean {
    return false;
  }
}
