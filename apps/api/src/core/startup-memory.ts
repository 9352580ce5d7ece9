import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection once the server is built, before it listens. A first start with
 * the embedded store runs PostgreSQL's initdb in a WebAssembly instance of its own and unpacks
 * the initial database from a bundle: 300–400 MB that nothing references afterwards, yet an
 * idle process never collects (V8 collects when it allocates, and an idle server allocates
 * next to nothing). Measured: 386 MB resident after 60 s idle without this.
 */
export function collectStartupGarbage(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    // Public API: the flag exposes `gc` to contexts created from now on.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
