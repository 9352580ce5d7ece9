import { Logger } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * The shared Redis, when REDIS_URL is set. Commands fail fast while it is down (no offline
 * queue, one retry), so callers can fall back to local state instead of hanging; ioredis keeps
 * reconnecting in the background and `onChange` reports up/down transitions.
 *
 * REDIS_URL=redis://host:6379/0         a single server
 * REDIS_SENTINELS=h1:26379,h2:26379     with REDIS_SENTINEL_NAME=mymaster: Sentinel
 * REDIS_CLUSTER_NODES=h1:7000,h2:7000   Redis Cluster
 */
export interface RedisHandle {
  /**
   * Starts every key and channel name of this deployment: REDIS_PREFIX, or `bouncer:<first 8 of
   * the deployment id>:` so deployments sharing one Redis server never see each other's data.
   */
  prefix: string;
  /** Commands. */
  client: Redis | Cluster;
  /** A second connection for pub/sub (a subscribed connection cannot send commands). */
  subscriber: Redis | Cluster;
  isUp(): boolean;
  onChange(listener: (up: boolean) => void): void;
  close(): Promise<void>;
}

export const REDIS = Symbol('REDIS');

/** The prefix of a deployment that sets no REDIS_PREFIX: from its id, the same for every instance (and the command-line tool). */
export function defaultRedisPrefix(deploymentId: string): string {
  return `bouncer:${deploymentId.slice(0, 8)}:`;
}

const commandOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectTimeout: 2_000,
  commandTimeout: 1_000,
  retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
};

function parseNodes(csv: string): { host: string; port: number }[] {
  return csv.split(',').map((hp) => {
    const [host, port] = hp.trim().split(':');
    return { host: host ?? '', port: Number(port) };
  });
}

export function openRedis(env: Record<string, string | undefined>, url: string | undefined, prefix: string): RedisHandle | null {
  if (!url && !env['REDIS_SENTINELS'] && !env['REDIS_CLUSTER_NODES']) return null;
  const logger = new Logger('Redis');
  const make = (opts: RedisOptions): Redis | Cluster => {
    if (env['REDIS_CLUSTER_NODES'])
      return new Cluster(parseNodes(env['REDIS_CLUSTER_NODES']), {
        redisOptions: opts,
        enableOfflineQueue: false,
        enableAutoPipelining: opts.enableAutoPipelining ?? false,
      });
    if (env['REDIS_SENTINELS']) {
      return new Redis({ ...opts, sentinels: parseNodes(env['REDIS_SENTINELS']), name: env['REDIS_SENTINEL_NAME'] ?? 'mymaster' });
    }
    return new Redis(url as string, opts);
  };
  // Auto-pipelining: the commands of every request in one event-loop turn leave in one write and
  // their replies come back in one read (each request's decision is still its own atomic script),
  // instead of a system call each way per request.
  const client = make({ ...commandOptions, enableAutoPipelining: true });
  // The subscriber may queue its SUBSCRIBE until connected; it has nothing else to send.
  const subscriber = make({ ...commandOptions, enableOfflineQueue: true, commandTimeout: undefined });
  let up = false;
  const listeners: ((up: boolean) => void)[] = [];
  const set = (next: boolean) => {
    if (next === up) return;
    up = next;
    if (next) logger.log('connected');
    else logger.warn('unreachable: protecting from local state until it returns');
    for (const l of listeners) l(next);
  };
  client.on('ready', () => set(true));
  client.on('end', () => set(false));
  client.on('close', () => set(false));
  // Connection errors are expected while Redis is down; the state change above is reported. One
  // that comes before the first connection is a Redis missing at start: with several instances
  // that is silent split counting, so it is said once.
  let everUp = false;
  let warnedAtStart = false;
  client.on('ready', () => (everUp = true));
  client.on('error', (err: Error) => {
    if (everUp || warnedAtStart) return;
    warnedAtStart = true;
    logger.warn(`unreachable at start (${err.message}): counting and blocking on this instance alone until it connects`);
  });
  subscriber.on('error', () => undefined);
  return {
    prefix,
    client,
    subscriber,
    isUp: () => up,
    onChange: (l) => listeners.push(l),
    close: async () => {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}
