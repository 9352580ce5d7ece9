import type { CounterOp, CounterResult, CounterStore } from '@bouncer/detection';
import type { Cluster, Redis } from 'ioredis';
import { COUNTER_PROGRAM_LUA } from './counter-program.lua';
import { decodeResults, encodeProgram, type WireResult } from './program-wire';
import { hashTaggedPrefix } from './redis-key-prefix';

export interface RedisCounterStoreOptions {
  /** Start of every key (later REDIS_PREFIX); becomes the Cluster hash tag, see redis-key-prefix.ts. Default 'bn:'. */
  prefix?: string;
  /** Kept past a window's end before Redis drops the key, for instances whose clocks lag. Default 5 s. */
  expiryGraceMs?: number;
}

const COMMAND = 'bouncerCounterProgram';

type WithProgram = {
  [COMMAND](numKeys: number, ...args: (string | number)[]): Promise<WireResult[]>;
};

/**
 * The shared CounterStore: every instance runs its programs in the same Redis, each program as
 * one script (counter-program.lua.ts), so instances never race. Semantics are those of
 * MemoryCounterStore; the contract suite in @bouncer/detection/testing holds both to them.
 */
export class RedisCounterStore implements CounterStore {
  private readonly redis: (Redis | Cluster) & WithProgram;
  private readonly prefix: string;
  private readonly graceMs: number;

  constructor(redis: Redis | Cluster, options: RedisCounterStoreOptions = {}) {
    this.prefix = hashTaggedPrefix(options.prefix ?? 'bn:');
    this.graceMs = options.expiryGraceMs ?? 5_000;
    // defineCommand sends EVALSHA and loads the script once on NOSCRIPT (after a restart too).
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: COUNTER_PROGRAM_LUA });
    this.redis = redis as (Redis | Cluster) & WithProgram;
  }

  async run(ops: readonly CounterOp[], now: number): Promise<CounterResult[]> {
    if (ops.length === 0) return [];
    const { keys, json } = encodeProgram(ops, (k) => this.prefix + k);
    const reply = await this.redis[COMMAND](keys.length, ...keys, now, this.graceMs, json);
    return decodeResults(reply, ops.length);
  }

  /** Redis expires keys itself (PEXPIRE at each window's end plus grace): nothing to prune. */
  prune(): number {
    return 0;
  }

  /**
   * 0: counting this store's keys means SCANning the keyspace, too dear for a dashboard tick
   * (and DBSIZE would count other tenants' keys). Redis's INFO keyspace is the place to look.
   */
  size(): number {
    return 0;
  }

  /** One round trip, for health probes (the fallback store uses it to learn Redis is back). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
