import { ClientSlots, resized } from '@bouncer/detection';
import type { SeriesPoint } from '@bouncer/contracts';

/** The dashboard's series: 90 buckets of 10 s = 15 minutes (shared with SharedTraffic). */
export const BUCKET_MS = 10_000;
export const BUCKETS = 90;

interface Bucket {
  start: number;
  requests: number;
  clientErrors: number;
  unauthorized: number;
  blocks: number;
}

/**
 * What the dashboard shows about traffic: a 15-minute series in 10-second buckets (a fixed
 * ring) and per-client request counts in the current window. Memory is bounded: at most
 * `maxClients` clients are tracked, the least recently seen evicted first (counted by `onEvict`).
 *
 * Per client it keeps three numbers in typed arrays indexed by a ClientSlots slot (an IPv4
 * client's key is packed in an int32), so a tracked client costs tens of bytes, not an object.
 */
export class TrafficMonitor {
  private readonly ring: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    start: -1,
    requests: 0,
    clientErrors: 0,
    unauthorized: 0,
    blocks: 0,
  }));
  private readonly clients: ClientSlots;
  private windowStart = new Float64Array(0);
  private lastSeen = new Float64Array(0);
  private requests = new Uint32Array(0);

  constructor(
    maxClients: number,
    private readonly windowMs: number,
    onEvict: () => void = () => undefined,
  ) {
    this.clients = new ClientSlots(
      maxClients,
      (capacity) => {
        this.windowStart = resized(this.windowStart, capacity);
        this.lastSeen = resized(this.lastSeen, capacity);
        this.requests = resized(this.requests, capacity);
      },
      onEvict,
    );
  }

  private bucket(now: number): Bucket {
    const start = now - (now % BUCKET_MS);
    const b = this.ring[Math.floor(start / BUCKET_MS) % BUCKETS]!;
    if (b.start !== start) {
      b.start = start;
      b.requests = b.clientErrors = b.unauthorized = b.blocks = 0;
    }
    return b;
  }

  request(client: string, now: number): void {
    this.bucket(now).requests++;
    const { slot, fresh } = this.clients.acquire(client);
    if (fresh || now - this.windowStart[slot]! >= this.windowMs) {
      this.windowStart[slot] = now;
      this.requests[slot] = 1;
    } else this.requests[slot]!++;
    this.lastSeen[slot] = now;
  }

  response(status: number, now: number): void {
    if (status < 400 || status >= 500) return;
    const b = this.bucket(now);
    b.clientErrors++;
    if (status === 401) b.unauthorized++;
  }

  blocked(now: number): void {
    const b = this.bucket(now);
    b.requests++;
    b.blocks++;
  }

  trackedClients(): number {
    return this.clients.size;
  }

  /** Forgets clients idle for longer than the window; returns how many went. */
  prune(now: number): number {
    let n = 0;
    this.clients.forEach((slot) => {
      if (now - this.lastSeen[slot]! >= this.windowMs) {
        this.clients.release(slot);
        n++;
      }
    });
    return n;
  }

  /**
   * The busiest clients in the current window: one pass keeping the best `n` in a small sorted
   * array (no sort of every client, no string built for any client but those `n`).
   */
  top(n: number, now: number): { client: string; requests: number }[] {
    if (n <= 0) return [];
    const best: number[] = [];
    this.clients.forEach((slot) => {
      const r = this.requests[slot]!;
      if (now - this.windowStart[slot]! >= this.windowMs) return;
      if (best.length === n && r <= this.requests[best[n - 1]!]!) return;
      let i = best.length === n ? n - 1 : best.length;
      while (i > 0 && this.requests[best[i - 1]!]! < r) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = slot;
    });
    return best.map((slot) => ({ client: this.clients.keyOf(slot), requests: this.requests[slot]! }));
  }

  series(now: number): { bucket_seconds: number; points: SeriesPoint[] } {
    const current = now - (now % BUCKET_MS);
    const points: SeriesPoint[] = [];
    for (let i = BUCKETS - 1; i >= 0; i--) {
      const start = current - i * BUCKET_MS;
      const b = this.ring[Math.floor(start / BUCKET_MS) % BUCKETS]!;
      const live = b.start === start;
      points.push({
        t: new Date(start).toISOString(),
        requests: live ? b.requests : 0,
        client_errors: live ? b.clientErrors : 0,
        unauthorized: live ? b.unauthorized : 0,
        blocks: live ? b.blocks : 0,
      });
    }
    return { bucket_seconds: BUCKET_MS / 1000, points };
  }
}
