import { ClientSlots } from './client-slots';

describe('ClientSlots', () => {
  const make = (max: number, evicted: number[] = []) =>
    new ClientSlots(
      max,
      () => undefined,
      (s) => evicted.push(s),
    );

  it('gives each key its own slot and rebuilds every kind of key', () => {
    const slots = make(100);
    const keys = [
      '10.1.2.3',
      'request-rate:c:255.255.255.255',
      'request-rate:c:0.0.0.0',
      '2001:db8::/64',
      'x:010.1.2.3',
      'a:1.2.3',
      'p:1.2.3.256',
    ];
    const got = keys.map((k) => slots.acquire(k));
    expect(got.every((g) => g.fresh)).toBe(true);
    expect(new Set(got.map((g) => g.slot)).size).toBe(keys.length);
    keys.forEach((k, i) => {
      expect(slots.get(k)).toBe(got[i]!.slot);
      expect(slots.keyOf(got[i]!.slot)).toBe(k);
    });
    expect(slots.acquire('10.1.2.3')).toEqual({ slot: got[0]!.slot, fresh: false });
    // The same address under another prefix is another key.
    expect(slots.get('other:10.1.2.3')).toBe(-1);
    expect(slots.size).toBe(keys.length);
  });

  it('evicts the least recently used key when full and reuses its slot', () => {
    const evicted: number[] = [];
    const slots = make(2, evicted);
    const a = slots.acquire('10.0.0.1').slot;
    slots.acquire('10.0.0.2');
    slots.get('10.0.0.1');
    const c = slots.acquire('10.0.0.3');
    expect(slots.size).toBe(2);
    expect(slots.get('10.0.0.2')).toBe(-1);
    expect(slots.get('10.0.0.1')).toBe(a);
    expect(evicted).toHaveLength(1);
    expect(c.fresh).toBe(true);
  });

  it('frees deleted and released slots and walks the rest least recent first', () => {
    const slots = make(10);
    for (const k of ['1.1.1.1', 'k:2.2.2.2', 'text', '4.4.4.4']) slots.acquire(k);
    expect(slots.delete('text')).toBe(true);
    expect(slots.delete('text')).toBe(false);
    const seen: string[] = [];
    slots.forEach((s) => {
      seen.push(slots.keyOf(s));
      if (slots.keyOf(s) === 'k:2.2.2.2') slots.release(s);
    });
    expect(seen).toEqual(['1.1.1.1', 'k:2.2.2.2', '4.4.4.4']);
    expect(slots.size).toBe(2);
    expect(slots.get('k:2.2.2.2')).toBe(-1);
  });

  it('grows its owner arrays in steps up to the cap', () => {
    const sizes: number[] = [];
    const slots = new ClientSlots(3000, (c) => sizes.push(c));
    for (let i = 0; i < 3000; i++) slots.acquire(`10.0.${i >> 8}.${i & 255}`);
    expect(sizes).toEqual([1024, 2048, 3000]);
  });
  it('never answers a key from its recent lookups once its slot went to another key', () => {
    const slots = new ClientSlots(2, () => undefined);
    const a = 'request-rate:c:10.0.0.1';
    const first = slots.acquire(a).slot;
    expect(slots.get(a)).toBe(first);
    expect(slots.delete(a)).toBe(true);
    expect(slots.get(a)).toBe(-1);
    // The freed slot goes to the next key; the old key stays unknown.
    expect(slots.acquire('request-rate:c:10.0.0.2').slot).toBe(first);
    expect(slots.get(a)).toBe(-1);
    // Full (2 keys): a new key takes the least recently used key's slot.
    slots.acquire('t:2001:db8::/64');
    const c = slots.acquire('request-rate:c:10.0.0.3').slot;
    expect(c).toBe(first);
    expect(slots.get('request-rate:c:10.0.0.2')).toBe(-1);
    expect(slots.keyOf(slots.get('request-rate:c:10.0.0.3'))).toBe('request-rate:c:10.0.0.3');
  });

  it('never believes an old lookup after its slot went round every generation', () => {
    const slots = new ClientSlots(1, () => undefined);
    const old = 'x:10.0.0.1';
    const slot = slots.acquire(old).slot;
    slots.delete(old);
    // One other key taken and given back over and over on the same slot (a window that ends and
    // opens again): the slot's generation comes back to the one the old key was remembered with.
    let sameSlot = 0;
    for (let i = 0; i < 2 ** 16 - 1; i++) {
      if (slots.acquire('x:10.0.0.2').slot === slot) sameSlot++;
      slots.delete('x:10.0.0.2');
    }
    expect(sameSlot).toBe(2 ** 16 - 1);
    slots.acquire('x:10.0.0.2');
    expect(slots.get(old)).toBe(-1);
  });

  it('finds every key after more lookups than it remembers', () => {
    const slots = new ClientSlots(5000, () => undefined);
    const keys = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `p:10.1.${i >> 8}.${i & 255}` : `s:${i}`));
    const got = keys.map((k) => slots.acquire(k).slot);
    for (let round = 0; round < 2; round++) keys.forEach((k, i) => expect(slots.get(k)).toBe(got[i]));
  });
});
