import { LRUCache } from 'lru-cache';
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

interface Activity {
  windowStart: number;
  requests: number;
  lastSeen: number;
}

/**
 * What the dashboard shows about traffic: a 15-minute series in 10-second buckets (a fixed
 * ring) and per-client request counts in the current window. Memory is bounded: at most
 * `maxClients` clients are tracked, the least recently seen evicted first.
 */
export class TrafficMonitor {
  private readonly ring: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    start: -1,
    requests: 0,
    clientErrors: 0,
    unauthorized: 0,
    blocks: 0,
  }));
  private readonly clients: LRUCache<string, Activity>;

  constructor(
    maxClients: number,
    private readonly windowMs: number,
    onEvict: () => void = () => undefined,
  ) {
    this.clients = new LRUCache({ max: maxClients, dispose: (_v, _k, reason) => reason === 'evict' && onEvict() });
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
    const a = this.clients.get(client);
    if (!a || now - a.windowStart >= this.windowMs) {
      this.clients.set(client, { windowStart: now, requests: 1, lastSeen: now });
    } else {
      a.requests++;
      a.lastSeen = now;
    }
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
    for (const [k, a] of this.clients.entries()) {
      if (now - a.lastSeen >= this.windowMs) {
        this.clients.delete(k);
        n++;
      }
    }
    return n;
  }

  /** The busiest clients in the current window (bounded: never every address). */
  top(n: number, now: number): { client: string; requests: number }[] {
    const out: { client: string; requests: number }[] = [];
    let floor = 0;
    for (const [client, a] of this.clients.entries()) {
      if (now - a.windowStart >= this.windowMs || a.requests <= floor) continue;
      out.push({ client, requests: a.requests });
      if (out.length > n * 4) {
        out.sort((x, y) => y.requests - x.requests);
        out.length = n;
        floor = out[n - 1]!.requests;
      }
    }
    return out.sort((x, y) => y.requests - x.requests).slice(0, n);
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
