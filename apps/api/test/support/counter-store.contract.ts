import type { CounterStore } from '../../src/detection/store/counter-store';

/**
 * One behaviour suite for every CounterStore: the memory store runs it now, a shared store
 * must pass the same cases. Call inside a describe(); `make` returns a fresh, empty store.
 */
export function counterStoreContract(make: () => CounterStore | Promise<CounterStore>): void {
  const t0 = Date.UTC(2026, 0, 1);
  let store: CounterStore;
  beforeEach(async () => {
    store = await make();
  });

  it('counts hits inside one window', async () => {
    expect((await store.hit('a', 60_000, t0)).count).toBe(1);
    expect((await store.hit('a', 60_000, t0 + 1_000)).count).toBe(2);
    const r = await store.hit('a', 60_000, t0 + 59_999);
    expect(r).toEqual({ count: 3, resetAt: t0 + 60_000 });
  });

  it('starts a new window once the old one ends', async () => {
    await store.hit('a', 60_000, t0);
    await store.hit('a', 60_000, t0 + 1);
    expect(await store.hit('a', 60_000, t0 + 60_000)).toEqual({ count: 1, resetAt: t0 + 120_000 });
  });

  it('keeps keys apart, and adds more than one at a time', async () => {
    await store.hit('a', 60_000, t0);
    expect((await store.hit('b', 60_000, t0, 5)).count).toBe(5);
    expect((await store.get('a', t0))?.count).toBe(1);
  });

  it('forgets a reset key and expired windows', async () => {
    await store.hit('a', 1_000, t0);
    await store.hit('b', 60_000, t0);
    await store.reset('b');
    expect(await store.get('b', t0)).toBeNull();
    expect(await store.get('a', t0 + 1_000)).toBeNull();
    await store.prune(t0 + 1_000);
    expect(await store.get('a', t0 + 1_000)).toBeNull();
  });
}
