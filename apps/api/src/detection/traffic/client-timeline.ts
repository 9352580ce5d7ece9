import { CidrList } from '@bouncer/detection';

/** The client page's request timeline: per minute over the last hour, per hour over 7 days. */
export const TIMELINE_MINUTE_MS = 60_000;
export const TIMELINE_HOUR_MS = 3_600_000;
export const TIMELINE_MINUTES = 60;
/** 7 days of whole hours and the one in progress, as the overview's hour history. */
export const TIMELINE_HOURS = 169;
/** Clients with a timeline at most (about 5 MB); the busiest and most recent are the ones an admin looks up. */
export const TIMELINE_MAX_CLIENTS = 5_000;

/**
 * Per tracked client, 231 numbers: the newest minute and hour counted (numbers since the epoch),
 * then a ring of 60 minute counts and a ring of 169 hour counts. A ring slot is zeroed when the
 * clock passes it, so no slot needs its own stamp. Clients' numbers sit side by side in shared
 * Uint32Arrays of CHUNK clients (allocated as clients come, reused when one is forgotten), so a
 * client costs its 924 bytes and no typed array of its own (about 240 bytes more each).
 */
const LAST_MINUTE = 0;
const LAST_HOUR = 1;
const MINUTES_AT = 2;
const HOURS_AT = MINUTES_AT + TIMELINE_MINUTES;
const RING_LENGTH = HOURS_AT + TIMELINE_HOURS;
const CHUNK = 64;

/** What a read covers: [from, to) at `now`. */
export interface TimelineWindow {
  from: number;
  to: number;
  now: number;
}

export interface TimelineRead {
  /** Start of the first bucket. */
  since: number;
  bucketMs: number;
  requests: number[];
  tracked: boolean;
}

/**
 * Requests per client over time, kept by this instance for the client page (`GET
 * /admin/clients/activity`): per minute over the last hour, per hour over 7 days. Kept apart from
 * the engine: it decides nothing, it only answers "what did this client send lately". Memory is
 * bounded: at most `maxClients` clients (under 1 KB each), the least recently seen forgotten
 * first (to the minute), so a flood of fresh addresses costs a fixed amount; a forgotten client's
 * timeline starts again at zero.
 */
export class ClientTimeline {
  /**
   * Client key -> its slot in the chunks, least recently seen first: a client moves to the end
   * with its first request of a minute. Not on every request (as an LRU list would): this runs
   * for every request, and the order only has to be right to the minute.
   */
  private readonly slots = new Map<string, number>();
  private readonly chunks: Uint32Array[] = [];
  /** Slots of pruned clients, reused first. */
  private readonly free: number[] = [];
  private allocated = 0;
  private readonly maxClients: number;

  constructor(maxClients: number) {
    this.maxClients = Math.max(1, maxClients);
  }

  request(client: string, now: number): void {
    const minute = Math.floor(now / TIMELINE_MINUTE_MS);
    const hour = Math.floor(now / TIMELINE_HOUR_MS);
    const known = this.slots.get(client);
    const slot = known ?? this.takeSlot();
    const data = this.chunks[(slot / CHUNK) | 0]!;
    const at = (slot % CHUNK) * RING_LENGTH;
    if (known === undefined || minute > data[at + LAST_MINUTE]!) {
      // New, or its first request this minute: now the most recently seen (the Map's last).
      this.slots.delete(client);
      this.slots.set(client, slot);
    }
    advance(data, at + LAST_MINUTE, at + MINUTES_AT, TIMELINE_MINUTES, minute);
    advance(data, at + LAST_HOUR, at + HOURS_AT, TIMELINE_HOURS, hour);
    // A request stamped a little in the past (clock steps) still lands in its kept slot.
    if (minute > data[at + LAST_MINUTE]! - TIMELINE_MINUTES) data[at + MINUTES_AT + (minute % TIMELINE_MINUTES)]!++;
    if (hour > data[at + LAST_HOUR]! - TIMELINE_HOURS) data[at + HOURS_AT + (hour % TIMELINE_HOURS)]!++;
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Counts for a client key, or summed over every tracked client inside a range, over `window`:
   * per minute when the window starts within the last hour, else per hour. Buckets are whole and
   * oldest first, clipped to the kept ones (60 minutes, 169 hours): the first starts at or before
   * `from` (or is the oldest kept), the last is the one in progress when `to` is now. `tracked`
   * says whether any client matched.
   */
  read(clientOrRange: string, window: TimelineWindow): TimelineRead {
    const byMinute = window.from >= window.now - TIMELINE_MINUTES * TIMELINE_MINUTE_MS;
    const [bucketMs, length, ringAt, lastAt] = byMinute
      ? [TIMELINE_MINUTE_MS, TIMELINE_MINUTES, MINUTES_AT, LAST_MINUTE]
      : [TIMELINE_HOUR_MS, TIMELINE_HOURS, HOURS_AT, LAST_HOUR];
    const current = Math.floor(window.now / bucketMs);
    const first = Math.max(Math.floor(window.from / bucketMs), current - length + 1);
    // A range ending now holds the bucket in progress; one ending earlier, the buckets it touches.
    const end = window.to >= window.now ? current + 1 : Math.min(Math.ceil(window.to / bucketMs), current + 1);
    const requests = new Array<number>(Math.max(0, end - first)).fill(0);
    const add = (slot: number) => {
      const [data, at] = this.locate(slot);
      const newest = data[at + lastAt]!;
      // Buckets newer than the client's last count are zero; older than the ring, long overwritten.
      for (let b = Math.max(first, newest - length + 1); b < end && b <= newest; b++) {
        requests[b - first] = requests[b - first]! + data[at + ringAt + (b % length)]!;
      }
    };
    let tracked = false;
    const exact = this.slots.get(clientOrRange);
    if (exact !== undefined) {
      add(exact);
      tracked = true;
    } else if (clientOrRange.includes('/')) {
      // A range: the tracked clients inside it (IPv6 client keys are /64s: matched by their first address).
      const range = new CidrList([clientOrRange]);
      for (const [key, slot] of this.slots.entries()) {
        const address = key.includes('/') ? key.slice(0, key.indexOf('/')) : key;
        if (range.match(address) === null) continue;
        add(slot);
        tracked = true;
      }
    }
    return { since: first * bucketMs, bucketMs, requests, tracked };
  }

  /** Forgets clients with nothing in the kept 7 days (the healing job); returns how many went. */
  prune(now: number): number {
    const oldest = Math.floor(now / TIMELINE_HOUR_MS) - TIMELINE_HOURS + 1;
    let n = 0;
    for (const [key, slot] of this.slots.entries()) {
      const [data, at] = this.locate(slot);
      if (data[at + LAST_HOUR]! >= oldest) continue;
      this.slots.delete(key);
      this.free.push(slot);
      n++;
    }
    return n;
  }

  /** A cleared slot: a pruned client's, a new one while under the cap, else the least recently seen client's. */
  private takeSlot(): number {
    let slot = this.free.pop();
    if (slot === undefined && this.allocated < this.maxClients) {
      slot = this.allocated++;
      if (slot % CHUNK === 0) this.chunks.push(new Uint32Array(CHUNK * RING_LENGTH));
      return slot;
    }
    if (slot === undefined) {
      // Full: the least recently seen client's slot.
      const [oldest, taken] = this.slots.entries().next().value!;
      this.slots.delete(oldest);
      slot = taken;
    }
    const [data, at] = this.locate(slot);
    data.fill(0, at, at + RING_LENGTH);
    return slot;
  }

  private locate(slot: number): [Uint32Array, number] {
    return [this.chunks[Math.floor(slot / CHUNK)]!, (slot % CHUNK) * RING_LENGTH];
  }
}

/** Moves a ring's newest bucket (at `lastAt`) up to `to`, zeroing the slots it passes (at most the ring's length). */
function advance(data: Uint32Array, lastAt: number, ringAt: number, length: number, to: number): void {
  const last = data[lastAt]!;
  if (to <= last) return;
  if (to - last >= length) data.fill(0, ringAt, ringAt + length);
  else for (let b = last + 1; b <= to; b++) data[ringAt + (b % length)] = 0;
  data[lastAt] = to;
}
