import { counterStoreContract } from '../../../test/detection/counter-store.contract';
import { MemoryCounterStore } from './memory-counter.store';

describe('MemoryCounterStore', () => {
  counterStoreContract({ make: (maxKeys) => new MemoryCounterStore(maxKeys) });

  it('answers synchronously with the same counts', () => {
    const store = new MemoryCounterStore(10);
    expect(store.hitSync('a', 1_000, 0)).toEqual({ count: 1, resetAt: 1_000 });
    expect(store.hitSync('a', 1_000, 500, 2)).toEqual({ count: 3, resetAt: 1_000 });
    expect(store.getSync('a', 999)?.count).toBe(3);
    expect(store.getSync('a', 1_000)).toBeNull();
  });

  it('hands out copies, so callers cannot change the stored count', () => {
    const store = new MemoryCounterStore(10);
    const r = store.hitSync('a', 1_000, 0);
    r.count = 99;
    expect(store.getSync('a', 0)?.count).toBe(1);
  });
});
