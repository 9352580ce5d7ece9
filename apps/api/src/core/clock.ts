/**
 * Time comes from a Clock so tests can move it instead of sleeping.
 * `now()` is milliseconds since the epoch, as Date.now().
 */
export interface Clock {
  now(): number;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => Date.now() };

// Tests move time with ManualClock from @bouncer/testing.
