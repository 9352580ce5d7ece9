/**
 * A bounded map for caches read on every request (tokens seen from a client, verified tokens):
 * it keeps at most `max` entries, and an entry read or written lately survives the ones left
 * alone. Two generations of plain Maps: writes and hits go to the young one; when it is full
 * (half the bound) the old generation is dropped whole and the young one becomes old. An entry
 * read while old moves back to the young generation, so what is in use stays.
 *
 * Why not an exact LRU (lru-cache): a hit there relinks the entry in a recency list and checks
 * its age, on every request. Here a hit in the young generation is one Map lookup, and eviction
 * is a whole generation at once. The price: an entry may go after max/2 fresher ones instead of
 * max, which for a cache only means one more miss.
 */
export class RecentMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(max: number) {
    if (!(max >= 2)) throw new Error('RecentMap: max must be at least 2');
    this.half = Math.floor(max / 2);
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined || this.old.size === 0) return v;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.put(key, aged);
    }
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.put(key, value);
    }
  }

  delete(key: K): boolean {
    return this.young.delete(key) || this.old.delete(key);
  }

  /** Entries held now (at most `max`). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  private put(key: K, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
