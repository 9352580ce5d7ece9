/**
 * A bounded, least-recently-used index from string keys to small integer slots, laid out for a
 * hundred thousand clients or more. Its owners keep what they store per key in typed arrays
 * indexed by slot, so a tracked client costs a few dozen bytes instead of an object, its
 * numbers (boxed when they are timestamps) and a copy of its key string.
 *
 * Keys that end in a dotted IPv4 address (`request-rate:c:10.1.2.3`, or a bare `10.1.2.3`) are
 * the common case; they are split into a shared prefix and the address packed in an int32 (a
 * small integer to V8: no allocation), so no key string is retained for them. Any other key
 * (IPv6 prefixes, accounts, tokens) is kept as a string.
 *
 * Recency is a doubly linked list threaded through two Int32Arrays; a full index hands out the
 * least recently used slot again (calling `onEvict` first).
 */
export class ClientSlots {
  private readonly byPrefix = new Map<string, { id: number; slots: Map<number, number> }>();
  private readonly prefixes: Map<number, number>[] = [];
  private readonly prefixText: string[] = [];
  private readonly byString = new Map<string, number>();
  /** The string key of a slot that has one (the minority): a sparse side table. */
  private readonly strings = new Map<number, string>();
  /**
   * Keys looked up lately -> their slot and the slot's generation (slot + generation * 2^27).
   * The usual request brings a key seen moments ago, often the very same string (the engine
   * keeps a client's request program; a connection keeps its peer's address), whose hash the
   * string already holds: one Map lookup instead of parsing the key. A slot released since has
   * a new generation, so a stale entry is never believed. Cleared when full, and whenever a
   * slot's generation wraps around (so an old entry cannot meet its generation again).
   */
  private readonly recent = new Map<string, number>();
  /** Per slot: bumped each time the slot is released. */
  private generation = new Uint16Array(0);
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private packed = new Int32Array(0);
  /** Index into `prefixes`, or STRING_KEY, or FREE. */
  private prefixOf = new Uint16Array(0);
  private head = -1;
  private tail = -1;
  private free = -1;
  private used = 0;
  private count = 0;
  capacity = 0;

  /**
   * @param max at most this many keys; the least recently used goes first
   * @param onGrow the owner resizes its per-slot arrays to at least `capacity` (copying them)
   * @param onEvict a slot is about to be reused for another key because the index is full
   */
  constructor(
    readonly max: number,
    private readonly onGrow: (capacity: number) => void,
    private readonly onEvict: (slot: number) => void = () => undefined,
  ) {
    if (!(max >= 1)) throw new Error('ClientSlots: max must be at least 1');
    if (max > SLOTS) throw new Error(`ClientSlots: max must be at most ${SLOTS}`);
  }

  get size(): number {
    return this.count;
  }

  /** The key's slot (marked most recently used), or -1. */
  get(key: string): number {
    const slot = this.find(key);
    if (slot >= 0) this.touch(slot);
    return slot;
  }

  /** The key's slot without changing its recency, or -1. */
  peek(key: string): number {
    return this.find(key);
  }

  /**
   * The key's slot, taking a fresh one if it has none; `fresh` tells the owner to initialise it.
   * A full index evicts its least recently used key for it.
   */
  acquire(key: string): { slot: number; fresh: boolean } {
    const found = this.get(key);
    if (found >= 0) return { slot: found, fresh: false };
    let slot: number;
    if (this.count >= this.max && this.tail >= 0) {
      slot = this.tail;
      this.onEvict(slot);
      this.release(slot);
    }
    slot = this.take();
    let p = splitIpv4(key) ? this.byPrefix.get(split.prefix!) : undefined;
    if (!p && split.prefix !== null && this.prefixes.length < STRING_KEY) {
      p = { id: this.prefixes.length, slots: new Map() };
      this.byPrefix.set(split.prefix, p);
      this.prefixes.push(p.slots);
      this.prefixText.push(split.prefix);
    }
    if (p) {
      p.slots.set(split.address, slot);
      this.packed[slot] = split.address;
      this.prefixOf[slot] = p.id;
    } else {
      this.byString.set(key, slot);
      this.strings.set(slot, key);
      this.prefixOf[slot] = STRING_KEY;
    }
    this.link(slot);
    this.remember(key, slot);
    return { slot, fresh: true };
  }

  delete(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.release(slot);
    return true;
  }

  /** Frees a slot (its owner has decided it is stale). */
  release(slot: number): void {
    const p = this.prefixOf[slot]!;
    if (p === FREE) return;
    if (p === STRING_KEY) {
      this.byString.delete(this.strings.get(slot)!);
      this.strings.delete(slot);
    } else this.prefixes[p]!.delete(this.packed[slot]!);
    this.unlink(slot);
    this.generation[slot] = (this.generation[slot]! + 1) % GENERATIONS;
    if (this.generation[slot] === 0) this.recent.clear();
    this.prefixOf[slot] = FREE;
    this.next[slot] = this.free;
    this.free = slot;
    this.count--;
  }

  /** The key a slot holds (rebuilt from its packed form: call it for a handful, not for all). */
  keyOf(slot: number): string {
    const p = this.prefixOf[slot]!;
    if (p === STRING_KEY) return this.strings.get(slot)!;
    const a = this.packed[slot]!;
    return `${this.prefixText[p]}${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }

  /** Every slot in use, least recently used first; `fn` may release the slot it is given. */
  forEach(fn: (slot: number) => void): void {
    for (let s = this.tail; s >= 0;) {
      const before = this.prev[s]!;
      fn(s);
      s = before;
    }
  }

  private find(key: string): number {
    const seen = this.recent.get(key);
    if (seen !== undefined) {
      const slot = seen % SLOTS;
      if (this.prefixOf[slot] !== FREE && this.generation[slot] === (seen - slot) / SLOTS) return slot;
    }
    let slot = -1;
    if (splitIpv4(key)) slot = this.byPrefix.get(split.prefix!)?.slots.get(split.address) ?? -1;
    if (slot < 0) slot = this.byString.get(key) ?? -1;
    if (slot >= 0) this.remember(key, slot);
    return slot;
  }

  private remember(key: string, slot: number): void {
    if (this.recent.size >= RECENT_KEYS) this.recent.clear();
    this.recent.set(key, slot + this.generation[slot]! * SLOTS);
  }

  private take(): number {
    this.count++;
    if (this.free >= 0) {
      const slot = this.free;
      this.free = this.next[slot]!;
      return slot;
    }
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  private grow(): void {
    const capacity = Math.min(this.max, Math.max(1024, this.capacity * 2));
    this.generation = resized(this.generation, capacity);
    this.next = resized(this.next, capacity);
    this.prev = resized(this.prev, capacity);
    this.packed = resized(this.packed, capacity);
    this.prefixOf = resized(this.prefixOf, capacity);
    this.capacity = capacity;
    this.onGrow(capacity);
  }

  private link(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private touch(slot: number): void {
    if (this.head === slot) return;
    this.unlink(slot);
    this.link(slot);
  }
}

const FREE = 0xffff;
/** Slots of one index at most (the recent-key cache packs a slot below this). */
const SLOTS = 2 ** 27;
/** A slot's generation wraps here (clearing the recent keys). */
const GENERATIONS = 2 ** 16;
/** Few: a busy client is met again within a few hundred others, and each entry keeps its key text. */
const RECENT_KEYS = 1024;
const STRING_KEY = 0xfffe;

type TypedArray = Int32Array | Uint16Array | Uint32Array | Float64Array;

/** A copy of `a` with room for `capacity` elements (for the owners' per-slot arrays too). */
export function resized<T extends TypedArray>(a: T, capacity: number): T {
  if (a.length >= capacity) return a;
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}

/** The last split (one at a time, so a lookup allocates no result object). */
const split: { prefix: string | null; address: number } = { prefix: null, address: 0 };

/**
 * Splits a key ending in a canonical dotted IPv4 address (no leading zeros, so the packed form
 * rebuilds the very same key) into `split`: its prefix and the address as an int32.
 */
function splitIpv4(key: string): boolean {
  split.prefix = null;
  // Octets are read right to left; each is checked when its dot (or the start) is reached.
  // No inner function: a closure over these locals would be allocated on every lookup.
  let address = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = key.length - 1;
  for (; i >= 0; i--) {
    const c = key.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 3) return false;
      octet += (c - 48) * POW10[digits]!;
      digits++;
    } else if (c === 46 && dots < 3) {
      if (!canonicalOctet(octet, digits)) return false;
      address += octet * POW256[dots]!;
      octet = 0;
      digits = 0;
      dots++;
    } else break;
  }
  if (dots !== 3 || !canonicalOctet(octet, digits)) return false;
  address += octet * POW256[3]!;
  split.prefix = i < 0 ? '' : prefixOf(key, i + 1);
  split.address = address | 0;
  return true;
}

/**
 * The first `length` characters of `key`, as a string seen before when it is one of the few
 * prefixes in use (a rule's `id:c:`): the same string object, whose hash is already computed,
 * rather than a fresh slice to hash on every lookup.
 */
function prefixOf(key: string, length: number): string {
  for (const p of recentPrefixes) if (p.length === length && key.startsWith(p)) return p;
  const p = key.slice(0, length);
  if (recentPrefixes.length >= 16) recentPrefixes.shift();
  recentPrefixes.push(p);
  return p;
}

const recentPrefixes: string[] = [];

const POW10 = [1, 10, 100];
const POW256 = [1, 256, 65_536, 16_777_216];

/** A leading zero ("01") or an empty or too large octet is not canonical. */
function canonicalOctet(octet: number, digits: number): boolean {
  return digits > 0 && octet <= 255 && (digits === 1 || octet >= POW10[digits - 1]!);
}
