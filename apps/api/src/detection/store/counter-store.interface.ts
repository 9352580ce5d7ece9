/** One fixed-window count: hits so far, and when the window ends (ms since the epoch). */
export interface CounterRecord {
  count: number;
  resetAt: number;
}

/**
 * The counters every rule uses. A window is fixed and starts at a key's first hit (as in
 * rate-limiter-flexible), so resets spread out. Semantics every implementation keeps
 * (see `apps/api/test/detection/counter-store.contract.ts`):
 * - `hit` is atomic: concurrent hits on one key each see a distinct count;
 * - a window that has ended counts as absent, and the next hit starts a new one;
 * - memory is bounded: idle keys expire, and a store may evict the least recently used.
 * The interface is asynchronous so a shared store (Redis) can implement it.
 */
export interface CounterStore {
  /** Adds `by` (default 1) to the key's count, opening a window of `windowMs` if none is open. */
  hit(key: string, windowMs: number, now: number, by?: number): Promise<CounterRecord>;
  /** The open window's record, or null. */
  get(key: string, now: number): Promise<CounterRecord | null>;
  /** Forgets the key. */
  reset(key: string): Promise<void>;
  /** Drops ended windows; resolves to how many went. */
  prune(now: number): Promise<number>;
  /** Keys held now. */
  size(): Promise<number>;
  /** True while a shared store is unreachable and this instance counts on its own. */
  isDegraded(): boolean;
}

/**
 * A store whose counts live in this process can also answer synchronously; the request
 * gate uses that so counting never waits.
 */
export interface SyncCounterStore extends CounterStore {
  hitSync(key: string, windowMs: number, now: number, by?: number): CounterRecord;
  getSync(key: string, now: number): CounterRecord | null;
}

export function isSyncCounterStore(store: CounterStore): store is SyncCounterStore {
  return typeof (store as Partial<SyncCounterStore>).hitSync === 'function';
}

/** DI token for the CounterStore. */
export const COUNTER_STORE = Symbol('CounterStore');
