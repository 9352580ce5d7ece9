/**
 * Time comes from the engine's Clock so tests can move it instead of sleeping (ManualClock,
 * from @bouncer/testing). `now()` is milliseconds since the epoch, as Date.now().
 */
export { type Clock, systemClock } from '@bouncer/detection';

export const CLOCK = Symbol('CLOCK');
