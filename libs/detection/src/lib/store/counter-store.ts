import type { MaybePromise } from '../time';

/**
 * The instruction set of the counter store. A rule describes what it needs counted as a short
 * program of these operations; the store runs the whole program of one decision as ONE atomic
 * step (in memory trivially, in Redis as one script), so simultaneous requests on one or on
 * many instances are each counted exactly once and each sees its own position.
 *
 * Every counter is a window that opens at its first hit (as rate-limiter-flexible does) and is
 * compared with the caller's clock, never the store's. A plain window forgets everything when it
 * ends, so a client could fit a limit's worth of hits at the end of one window and another at the
 * start of the next. An `add` marked `sliding` closes that gap: when its window ends the next one
 * follows on at once, and the count is the current window's hits plus the previous window's,
 * weighted by how much of it still lies within the last `windowMs` (the sliding-window counter
 * of Cloudflare's and rate-limiter-flexible's users). The estimate rises by at most one per hit.
 */
export type CounterOp =
  /**
   * Adds `by` (default 1, may be negative; a count never goes below 0) and reads the count; `sliding`, see above.
   * `quietBelow`: the caller's judgement is the same for every count below this (a threshold rule
   * judges nothing until its suspicion level). A store may then answer from a local copy of the
   * count and send the hits on in batches, as long as the answer is exact from `quietBelow` on
   * (BatchingCounterStore in @bouncer/store-redis does, while its instance counts alone). Stores
   * that count in place ignore it.
   */
  | { op: 'add'; key: string; windowMs: number; by?: number; sliding?: boolean; quietBelow?: number; if?: Guard }
  /** Adds 1 only while the count is below `limit`: a reservation. `admitted` says if it did. */
  | { op: 'take'; key: string; windowMs: number; limit: number; if?: Guard }
  /** Starts a fresh window of `windowMs` at `count` (default 1), whatever was there. */
  | { op: 'arm'; key: string; windowMs: number; count?: number; if?: Guard }
  /** Reads without changing. */
  | { op: 'get'; key: string; if?: Guard }
  /** Forgets the key. */
  | { op: 'del'; key: string; if?: Guard }
  /** Adds a member to a set that lives `windowMs` (extended, never shortened); reads its size and first member. */
  | { op: 'see'; key: string; member: string; windowMs: number; if?: Guard };

/**
 * Runs an operation only when an earlier one in the same program (by index) ended a certain
 * way. This is what makes check-and-count one step: "close the gate if this attempt was the
 * N-th" needs no second round trip, so nothing can slip in between.
 */
export interface Guard {
  ref: number;
  /** The referenced `take` was (or was not) admitted. */
  admitted?: boolean;
  /** The referenced operation's count is at least this. */
  atLeast?: number;
}

export interface CounterResult {
  /** False when the guard said no: nothing was done and the other fields are zero. */
  ran: boolean;
  count: number;
  /** End of the window, ms since the epoch; 0 if the key is not there. */
  resetAt: number;
  /** `take`: whether it reserved; every other operation that ran: true. */
  admitted: boolean;
  /** `see`: the set's first member. */
  first?: string;
}

/** Where the engine counts. Implementations: memory (here), Redis and the fallback wrapper (in the app). */
export interface CounterStore {
  /** Runs the program atomically at time `now`; one result per operation, in order. */
  run(ops: readonly CounterOp[], now: number): MaybePromise<CounterResult[]>;
  /** Drops expired windows; returns how many went (a shared store may answer 0 and rely on key expiry). */
  prune(now: number): MaybePromise<number>;
  /** Keys held now (for the dashboard and memory bounds). */
  size(): MaybePromise<number>;
}

/**
 * The sliding estimate: `count` hits in the window ending at `resetAt`, plus `prev` from the one
 * before it, weighted by the share of that previous window still inside the last `windowMs`.
 */
export function slidingCount(count: number, prev: number, resetAt: number, windowMs: number, now: number): number {
  if (prev <= 0) return count;
  const overlap = Math.min(1, Math.max(0, (resetAt - now) / windowMs));
  return count + Math.floor(prev * overlap);
}

export const SKIPPED: CounterResult = Object.freeze({ ran: false, count: 0, resetAt: 0, admitted: false });

/** Whether a guard lets its operation run, given the results so far. Shared by every store. */
export function guardHolds(guard: Guard | undefined, results: readonly CounterResult[]): boolean {
  if (!guard) return true;
  const r = results[guard.ref];
  if (!r || !r.ran) return false;
  if (guard.admitted !== undefined && r.admitted !== guard.admitted) return false;
  if (guard.atLeast !== undefined && r.count < guard.atLeast) return false;
  return true;
}

/** Checks a program before it reaches a store: guards may only point backwards. */
export function assertValidProgram(ops: readonly CounterOp[]): void {
  ops.forEach((o, i) => {
    if (o.if && !(o.if.ref >= 0 && o.if.ref < i))
      throw new Error(`counter op ${i} (${o.op}) guards on op ${o.if.ref}, which does not come before it`);
    if ('windowMs' in o && !(o.windowMs > 0)) throw new Error(`counter op ${i} (${o.op} ${o.key}): windowMs must be positive`);
  });
}
