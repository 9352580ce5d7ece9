import type { CounterStore } from '../../src/detection/store/counter-store.interface';

export interface CounterStoreContractOptions {
  /** A fresh, empty store; `maxKeys` is a hint for the eviction case. */
  make: (maxKeys: number) => CounterStore | Promise<CounterStore>;
  /** Frees the store after each case (close a connection). */
  dispose?: (store: CounterStore) => void | Promise<void>;
}

/**
 * One behaviour suite every CounterStore must pass: the memory store now, a Redis store
 * later with the same cases. Call inside a `describe()`.
 */
export function counterStoreContract(opts: CounterStoreContractOptions): void {
  const t0 = Date.UTC(2026, 0, 1);
  let store: CounterStore;

  beforeEach(async () => {
    store = await opts.make(1_000);
  });
  afterEach(async () => {
    await opts.dispose?.(store);
  });

  it('counts hits inside one window, which starts at the first hit', async () => {
    expect(await store.hit('a', 60_000, t0)).toEqual({ count: 1, resetAt: t0 + 60_000 });
    expect((await store.hit('a', 60_000, t0 + 1_000)).count).toBe(2);
    expect(await store.hit('a', 60_000, t0 + 59_999)).toEqual({ count: 3, resetAt: t0 + 60_000 });
  });

  it('starts a new window at the end of the old one', async () => {
    await store.hit('a', 60_000, t0);
    await store.hit('a', 60_000, t0 + 1);
    expect(await store.hit('a', 60_000, t0 + 60_000)).toEqual({ count: 1, resetAt: t0 + 120_000 });
  });

  it('keeps keys apart and adds more than one at a time', async () => {
    await store.hit('a', 60_000, t0);
    expect((await store.hit('b', 60_000, t0, 5)).count).toBe(5);
    expect(await store.get('a', t0)).toEqual({ count: 1, resetAt: t0 + 60_000 });
    expect(await store.get('missing', t0)).toBeNull();
  });

  it('treats an ended window as absent', async () => {
    await store.hit('a', 1_000, t0);
    expect(await store.get('a', t0 + 999)).not.toBeNull();
    expect(await store.get('a', t0 + 1_000)).toBeNull();
  });

  it('forgets a reset key', async () => {
    await store.hit('a', 60_000, t0, 3);
    await store.reset('a');
    expect(await store.get('a', t0)).toBeNull();
    expect((await store.hit('a', 60_000, t0)).count).toBe(1);
  });

  it('prunes ended windows and keeps open ones', async () => {
    await store.hit('short', 1_000, t0);
    await store.hit('long', 60_000, t0);
    expect(await store.prune(t0 + 1_000)).toBe(1);
    expect(await store.size()).toBe(1);
    expect(await store.get('long', t0 + 1_000)).not.toBeNull();
  });

  it('gives concurrent hits distinct counts (atomic increments)', async () => {
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.hit('c', 60_000, t0).then((r) => r.count)));
    expect(counts.sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('stays within its bound when flooded with one-off keys', async () => {
    for (let i = 0; i < 5_000; i++) await store.hit(`k${i}`, 60_000, t0);
    expect(await store.size()).toBeLessThanOrEqual(1_000);
    // The most recent keys are the ones kept.
    expect(await store.get('k4999', t0)).not.toBeNull();
  });

  it('is not degraded when healthy', () => {
    expect(store.isDegraded()).toBe(false);
  });
}
