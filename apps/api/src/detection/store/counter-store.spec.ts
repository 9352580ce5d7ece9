import { counterStoreContract } from '../../../test/support/counter-store.contract';
import { MemoryCounterStore } from './counter-store';

describe('MemoryCounterStore', () => {
  counterStoreContract(() => new MemoryCounterStore());

  it('prunes exactly the windows that have ended', () => {
    const store = new MemoryCounterStore();
    store.hit('short', 1_000, 0);
    store.hit('long', 60_000, 0);
    expect(store.prune(1_000)).toBe(1);
    expect(store.size()).toBe(1);
  });

  it('holds at most its cap of keys, however many clients come', () => {
    const store = new MemoryCounterStore(1_000);
    for (let i = 0; i < 50_000; i++) store.hit(`client-${i}`, 60_000, 0);
    expect(store.size()).toBe(1_000);
    // The most recent keys are the ones kept.
    expect(store.get('client-49999', 0)?.count).toBe(1);
    expect(store.get('client-0', 0)).toBeNull();
  });
});
