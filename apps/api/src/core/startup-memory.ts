import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's full collection (public API: the flag exposes `gc` to contexts created from then on). */
function fullCollection(): () => void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/**
 * One full garbage collection once the server is built, before it listens: what building it
 * left (Nest's module scan, the migrations, the admin check) is referenced by nothing, yet an
 * idle process never collects (V8 collects when it allocates, and an idle server allocates next
 * to nothing).
 */
export function collectStartupGarbage(): void {
  fullCollection()();
}

/** How long after listening the quiet collection runs, and the busiest the server may be then. */
export const QUIET_COLLECTION_DELAY_MS = 10_000;
export const QUIET_COLLECTION_MAX_UTILIZATION = 0.1;

/**
 * One more full collection some seconds after listening, if the server has been quiet since.
 * V8 grew its young generation to 16 MB per half while the server was built, and gives it back
 * only in a full collection that finds the allocation rate low, which an idle server never
 * runs: measured 32 MB of young generation kept for good. Collected once quiet, it is back to
 * 1 MB, and it grows again by itself when traffic comes. A busy server skips it (a full pause
 * for nothing: traffic keeps the young generation in use). The timer does not hold the process.
 */
export function scheduleQuietCollection(
  opts: {
    delayMs?: number;
    collect?: () => void;
    /** The event loop's utilization (0..1) between the two calls; Node's by default. */
    utilization?: () => () => number;
  } = {},
): NodeJS.Timeout {
  const measure =
    opts.utilization ??
    (() => {
      const start = performance.eventLoopUtilization();
      return () => performance.eventLoopUtilization(start).utilization;
    });
  const since = measure();
  const timer = setTimeout(() => {
    if (since() <= QUIET_COLLECTION_MAX_UTILIZATION) (opts.collect ?? fullCollection())();
  }, opts.delayMs ?? QUIET_COLLECTION_DELAY_MS);
  timer.unref();
  return timer;
}
