import { counterStoreContract } from '../../testing';
import { MemoryCounterStore } from './memory-counter-store';

counterStoreContract('memory', { make: () => new MemoryCounterStore() }, { describe, it, expect });

describe('MemoryCounterStore bounds', () => {
  it('evicts the least recently used key at the cap', () => {
    const s = new MemoryCounterStore(2);
    s.run([{ op: 'add', key: 'a', windowMs: 1000 }], 0);
    s.run([{ op: 'add', key: 'b', windowMs: 1000 }], 0);
    s.run([{ op: 'add', key: 'c', windowMs: 1000 }], 0);
    expect(s.size()).toBe(2);
    expect(s.run([{ op: 'get', key: 'a' }], 0)[0]!.count).toBe(0);
  });
});
