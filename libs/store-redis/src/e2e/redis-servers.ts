import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { SharedHealth } from '../lib/fallback-counter-store';

/** The shared Redis the e2e specs expect to be running. */
export const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };

/** Fail-fast client settings, as the app's (apps/api/src/core/redis.ts): no offline queue, quick reconnects. */
export const FAIL_FAST: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectTimeout: 1_000,
  commandTimeout: 1_000,
  retryStrategy: () => 50,
};

/** Keys of this run start here, so parallel runs and leftovers never mix. */
export const runPrefix = (label: string) => `bn-e2e:${label}:${process.pid}:${Date.now().toString(36)}:`;

export function connect(port = SHARED_REDIS.port, options: RedisOptions = {}): Redis {
  const client = new Redis({ host: '127.0.0.1', port, ...FAIL_FAST, ...options });
  client.on('error', () => undefined); // refused connections are the point of some specs
  return client;
}

export function ready(client: Redis): Promise<void> {
  return client.status === 'ready' ? Promise.resolve() : new Promise((resolve) => client.once('ready', () => resolve()));
}

/**
 * Disconnects and, while a socket is open, waits for it to go, so jest has nothing left open
 * when it ends. (Between reconnect attempts there is no socket, and no 'end' would come.)
 */
export function disconnect(client: Redis): Promise<void> {
  const hasSocket = client.status === 'connecting' || client.status === 'connect' || client.status === 'ready';
  const ended = hasSocket ? new Promise<void>((resolve) => client.once('end', () => resolve())) : Promise.resolve();
  client.disconnect();
  return ended;
}

/** Deletes every key of a run (the prefix is wrapped in a hash tag; braces are plain in SCAN patterns). */
export async function deleteRun(client: Redis, prefix: string): Promise<void> {
  const stream = client.scanStream({ match: `{${prefix}*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length) await client.del(...keys);
}

/** Connection news from ioredis events, as the app's RedisHandle gives them. */
export function healthOf(client: Redis): SharedHealth {
  const listeners: ((up: boolean) => void)[] = [];
  let up = client.status === 'ready';
  const set = (next: boolean) => {
    if (next === up) return;
    up = next;
    listeners.forEach((l) => l(next));
  };
  client.on('ready', () => set(true));
  client.on('close', () => set(false));
  client.on('end', () => set(false));
  return { isUp: () => up, onChange: (l) => listeners.push(l) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the spec's own, to kill for real (SIGKILL: no goodbye to clients) and
 * start again on the same port. Append-only with fsync on every write, so what it counted
 * before the kill is still there after the restart, like a production Redis with AOF.
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'bn-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    await server.restart();
    return server;
  }

  async restart(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      this.dir,
    ];
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill(signal);
    await exited;
  }

  /** SIGSTOP: the socket stays open and nothing answers, the worst kind of outage. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.thaw();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on ${port} did not start`);
}
