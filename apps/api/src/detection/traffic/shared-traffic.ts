import type { SeriesPoint } from '@bouncer/contracts';
import type { RedisHandle } from '../../core/redis';
import { BUCKET_MS, BUCKETS } from './traffic-monitor';

const TOP_WINDOW_MS = 60_000;

interface Delta {
  requests: number;
  clientErrors: number;
  unauthorized: number;
  blocks: number;
}

/**
 * The dashboard's traffic picture across every instance. Each instance adds up what it saw and
 * flushes the sums to Redis once a second (one pipeline, never a round trip per request); the
 * dashboard reads the merged series and top clients back.
 */
export class SharedTraffic {
  private buckets = new Map<number, Delta>();
  private clients = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisHandle,
    private readonly now: () => number,
    private readonly maxClientsPerFlush = 10_000,
  ) {
    this.timer = setInterval(() => void this.flush(), 1_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  request(client: string, now: number): void {
    this.delta(now).requests++;
    if (this.clients.size < this.maxClientsPerFlush || this.clients.has(client))
      this.clients.set(client, (this.clients.get(client) ?? 0) + 1);
  }

  response(status: number, now: number): void {
    if (status < 400 || status >= 500) return;
    const d = this.delta(now);
    d.clientErrors++;
    if (status === 401) d.unauthorized++;
  }

  blocked(now: number): void {
    const d = this.delta(now);
    d.requests++;
    d.blocks++;
  }

  private delta(now: number): Delta {
    const start = now - (now % BUCKET_MS);
    let d = this.buckets.get(start);
    if (!d) this.buckets.set(start, (d = { requests: 0, clientErrors: 0, unauthorized: 0, blocks: 0 }));
    return d;
  }

  async flush(): Promise<void> {
    if (!this.redis.isUp() || (this.buckets.size === 0 && this.clients.size === 0)) return;
    const buckets = this.buckets;
    const clients = this.clients;
    this.buckets = new Map();
    this.clients = new Map();
    const pipe = this.redis.client.pipeline();
    for (const [start, d] of buckets) {
      const key = `${this.redis.prefix}series:${start}`;
      pipe.hincrby(key, 'r', d.requests).hincrby(key, 'e', d.clientErrors).hincrby(key, 'u', d.unauthorized).hincrby(key, 'b', d.blocks);
      pipe.pexpire(key, BUCKETS * BUCKET_MS + 60_000);
    }
    const topKey = `${this.redis.prefix}top:${Math.floor(this.now() / TOP_WINDOW_MS)}`;
    for (const [client, n] of clients) pipe.zincrby(topKey, n, client);
    pipe.pexpire(topKey, 3 * TOP_WINDOW_MS);
    await pipe.exec().catch(() => undefined);
  }

  /** The merged series and top clients, or null when Redis cannot answer. */
  async read(
    now: number,
    top: number,
  ): Promise<{
    series: { bucket_seconds: number; points: SeriesPoint[] };
    top: { client: string; requests: number }[];
    tracked: number;
  } | null> {
    if (!this.redis.isUp()) return null;
    try {
      const current = now - (now % BUCKET_MS);
      const starts = Array.from({ length: BUCKETS }, (_, i) => current - (BUCKETS - 1 - i) * BUCKET_MS);
      const pipe = this.redis.client.pipeline();
      for (const s of starts) pipe.hgetall(`${this.redis.prefix}series:${s}`);
      const topKey = `${this.redis.prefix}top:${Math.floor(now / TOP_WINDOW_MS)}`;
      pipe.zrevrange(topKey, 0, top - 1, 'WITHSCORES');
      pipe.zcard(topKey);
      const results = (await pipe.exec()) ?? [];
      const points = starts.map((s, i) => {
        const h = (results[i]?.[1] ?? {}) as Record<string, string>;
        return {
          t: new Date(s).toISOString(),
          requests: Number(h['r'] ?? 0),
          client_errors: Number(h['e'] ?? 0),
          unauthorized: Number(h['u'] ?? 0),
          blocks: Number(h['b'] ?? 0),
        };
      });
      const flat = (results[BUCKETS]?.[1] ?? []) as string[];
      const topClients: { client: string; requests: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) topClients.push({ client: flat[i] ?? '', requests: Number(flat[i + 1]) });
      return { series: { bucket_seconds: BUCKET_MS / 1000, points }, top: topClients, tracked: Number(results[BUCKETS + 1]?.[1] ?? 0) };
    } catch {
      return null;
    }
  }
}
