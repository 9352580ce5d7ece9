import { RecentMap } from './recent-map';

describe('RecentMap', () => {
  it('never holds more than its bound, however many keys pass through', () => {
    const m = new RecentMap<string, number>(10);
    for (let i = 0; i < 1000; i++) {
      m.set(`k${i}`, i);
      expect(m.size).toBeLessThanOrEqual(10);
    }
    expect(m.get('k999')).toBe(999);
    expect(m.get('k0')).toBeUndefined();
  });

  it('keeps an entry in use while untouched ones of the same age go', () => {
    const m = new RecentMap<string, number>(4);
    m.set('used', 1);
    m.set('idle', 2);
    for (let i = 0; i < 6; i++) {
      // Read between the writes: a hit in the old generation moves it back to the young one.
      expect(m.get('used')).toBe(1);
      m.set(`fresh${i}`, i);
    }
    expect(m.get('used')).toBe(1);
    expect(m.get('idle')).toBeUndefined();
  });

  it('replaces a value in either generation and deletes from both', () => {
    const m = new RecentMap<string, string>(4);
    m.set('a', 'one');
    m.set('b', 'two');
    m.set('c', 'three'); // 'a' and 'b' are now the old generation
    m.set('a', 'uno');
    expect(m.get('a')).toBe('uno');
    expect(m.size).toBe(3);
    expect(m.delete('b')).toBe(true);
    expect(m.delete('b')).toBe(false);
    expect(m.get('b')).toBeUndefined();
  });

  it('refuses a bound below 2', () => {
    expect(() => new RecentMap(1)).toThrow('max must be at least 2');
  });
});
