/**
 * Time comes from a Clock so the engine never reads the wall clock itself: tests move a
 * ManualClock instead of sleeping. `now()` is milliseconds since the epoch, as Date.now().
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/**
 * A value now or later. The memory store answers synchronously, so on one instance the very
 * request that crosses a limit is refused; a shared store (Redis) answers with a promise.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Runs `fn` on the value, at once when it is already there. */
export function andThen<T, U>(value: MaybePromise<T>, fn: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
