import { LRUCache } from 'lru-cache';
import { CidrList } from '@bouncer/detection';

/** The client page's request timeline: one bucket per minute over the last hour. */
export const TIMELINE_BUCKET_MS = 60_000;
export const TIMELINE_BUCKETS = 60;
/** Clients with a timeline at most (about 3 MB); the busiest and most recent are the ones an admin looks up. */
export const TIMELINE_MAX_CLIENTS = 5_000;

/** Per tracked client: a ring of minute buckets (the minute number each holds, and its count). */
interface Ring {
  minutes: Int32Array;
  counts: Uint32Array;
}

/**
 * Requests per minute per client over the last hour, kept by this instance for the client
 * page (`GET /admin/clients/activity`). Kept apart from the engine: it decides nothing, it only
 * answers "what did this client send lately". Memory is bounded: at most `maxClients` clients
 * (about 0.6 KB each), the least recently seen forgotten first, so a flood of fresh addresses
 * costs a fixed amount; a forgotten client's timeline starts again at zero.
 */
export class ClientTimeline {
  private readonly rings: LRUCache<string, Ring>;

  constructor(maxClients: number) {
    this.rings = new LRUCache({ max: Math.max(1, maxClients) });
  }

  request(client: string, now: number): void {
    let ring = this.rings.get(client);
    if (!ring) {
      ring = { minutes: new Int32Array(TIMELINE_BUCKETS).fill(-1), counts: new Uint32Array(TIMELINE_BUCKETS) };
      this.rings.set(client, ring);
    }
    const minute = Math.floor(now / TIMELINE_BUCKET_MS);
    const i = minute % TIMELINE_BUCKETS;
    if (ring.minutes[i] !== minute) {
      ring.minutes[i] = minute;
      ring.counts[i] = 0;
    }
    ring.counts[i]!++;
  }

  get size(): number {
    return this.rings.size;
  }

  /**
   * The last hour for a client key, or for every tracked client inside a range: 60 counts,
   * oldest first, the last one the current minute. `tracked` says whether any client matched.
   */
  read(clientOrRange: string, now: number): { since: number; requests: number[]; tracked: boolean } {
    const current = Math.floor(now / TIMELINE_BUCKET_MS);
    const first = current - TIMELINE_BUCKETS + 1;
    const requests = new Array<number>(TIMELINE_BUCKETS).fill(0);
    const add = (ring: Ring) => {
      for (let i = 0; i < TIMELINE_BUCKETS; i++) {
        const m = ring.minutes[i]!;
        if (m >= first && m <= current) requests[m - first] = requests[m - first]! + ring.counts[i]!;
      }
    };
    let tracked = false;
    const exact = this.rings.peek(clientOrRange);
    if (exact) {
      add(exact);
      tracked = true;
    } else if (clientOrRange.includes('/')) {
      // A range: the tracked clients inside it (IPv6 client keys are /64s: matched by their first address).
      const range = new CidrList([clientOrRange]);
      for (const [key, ring] of this.rings.entries()) {
        const address = key.includes('/') ? key.slice(0, key.indexOf('/')) : key;
        if (range.match(address) === null) continue;
        add(ring);
        tracked = true;
      }
    }
    return { since: first * TIMELINE_BUCKET_MS, requests, tracked };
  }

  /** Forgets clients with nothing in the last hour (the healing job); returns how many went. */
  prune(now: number): number {
    const first = Math.floor(now / TIMELINE_BUCKET_MS) - TIMELINE_BUCKETS + 1;
    let n = 0;
    for (const [key, ring] of this.rings.entries()) {
      if (ring.minutes.some((m) => m >= first)) continue;
      this.rings.delete(key);
      n++;
    }
    return n;
  }
}
