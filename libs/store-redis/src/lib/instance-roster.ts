import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { hashTaggedPrefix } from './redis-key-prefix';

export interface InstanceRosterOptions {
  /** The deployment's key prefix (REDIS_PREFIX): instances of one deployment share a roster. */
  prefix?: string;
  /** How often this instance says it is alive. Default 1 s. */
  beatEveryMs?: number;
  /** An instance silent this long is taken for gone. Default 3 s. */
  ttlMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Registers this instance, and with a beat every second refreshes it and drops
 * the silent; answers the count. Times are Redis's own clock (TIME), so instances whose clocks
 * disagree still agree on who is alive.
 */
const BEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return redis.call('ZCARD', KEYS[1])
`;

const COMMAND = 'bouncerRosterBeat';
type WithBeat = { [COMMAND](numKeys: number, key: string, id: string, ttlMs: number): Promise<number> };

/**
 * Which instances share the Redis store, as far as counting needs to know: whether this one is
 * alone. BatchingCounterStore counts locally only while it is. A joining instance waits, in
 * `start`, until every peer has seen it and sent what it counted locally (one beat plus margin),
 * so no hit is answered from a local copy once two instances count. Unknown (Redis away, no beat
 * for a while) counts as not alone: the safe side is the shared store.
 */
export class InstanceRoster {
  readonly id = randomUUID();
  private readonly key: string;
  private readonly beatEveryMs: number;
  private readonly ttlMs: number;
  private readonly redis: (Redis | Cluster) & WithBeat;
  private instances = 0;
  private lastBeatAt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private wasAlone = false;
  private readonly listeners: ((alone: boolean) => void)[] = [];

  constructor(
    redis: Redis | Cluster,
    private readonly options: InstanceRosterOptions = {},
  ) {
    this.key = `${hashTaggedPrefix(options.prefix ?? 'bn:')}instances`;
    this.beatEveryMs = options.beatEveryMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 3_000;
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: BEAT_LUA });
    this.redis = redis as (Redis | Cluster) & WithBeat;
  }

  /** Joins the roster; with peers present, waits until they have noticed (one beat period and a margin). */
  async start(): Promise<void> {
    // The connection may still be opening: a few tries, then the interval keeps trying.
    for (let i = 0; i < 20 && this.lastBeatAt === 0; i++) {
      await this.beat();
      if (this.lastBeatAt === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.timer = setInterval(() => void this.beat(), this.beatEveryMs);
    this.timer.unref?.();
    if (this.instances > 1) await new Promise((resolve) => setTimeout(resolve, this.beatEveryMs + 250));
  }

  /** Called when this instance stops, or starts, being the only one. */
  onChange(listener: (alone: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Whether this instance is, as of its latest beat, the only one counting. */
  alone(): boolean {
    return this.instances === 1 && Date.now() - this.lastBeatAt < this.ttlMs;
  }

  /** Instances seen at the latest beat (0 before the first, or when Redis did not answer). */
  get count(): number {
    return this.instances;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.zrem(this.key, this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      this.instances = Number(await this.redis[COMMAND](1, this.key, this.id, this.ttlMs));
      this.lastBeatAt = Date.now();
    } catch (error) {
      this.instances = 0;
      this.options.onError?.(error);
    }
    const alone = this.alone();
    if (alone !== this.wasAlone) {
      this.wasAlone = alone;
      for (const l of this.listeners) l(alone);
    }
  }
}
