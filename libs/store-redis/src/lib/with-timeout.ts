export class SharedStoreTimeout extends Error {
  constructor(ms: number) {
    super(`shared counter store did not answer within ${ms} ms`);
    this.name = 'SharedStoreTimeout';
  }
}

/**
 * Settles like `work`, or rejects after `ms`. The store's own bound, whatever the client's
 * settings: a request never waits on a hung Redis (a frozen server keeps the socket open,
 * so nothing errors) longer than this.
 */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SharedStoreTimeout(ms)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
