import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { ManualClock } from '@bouncer/detection/testing';
import { http, type HttpOptions, strongPassword } from '@bouncer/testing';
import { loadConfig } from '../../src/config/app-config';

export interface TestServer {
  app: NestFastifyApplication;
  url: string;
  clock: ManualClock;
  dataDir: string;
  adminPassword: string;
  /** Stops the server; keeps the data folder unless `wipe` is true. */
  close(wipe?: boolean): Promise<void>;
  /** An admin access token, signed in from 127.0.0.1. */
  adminToken(): Promise<string>;
}

/**
 * Starts the whole API on a free loopback port with a manual clock and a fresh (or given)
 * data folder. `env` overrides any setting; DATABASE_URL switches to PostgreSQL.
 */
export async function startServer(
  env: Record<string, string> = {},
  reuse?: { dataDir: string; adminPassword: string; clock?: ManualClock },
  opts: { onLog?: (line: string) => void } = {},
): Promise<TestServer> {
  const dataDir = reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'bouncer-e2e-')));
  const adminPassword = reuse?.adminPassword ?? strongPassword();
  const clock = reuse?.clock ?? new ManualClock(Date.now());
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    LOG_LEVEL: 'silent',
    HEALING_INTERVAL: '3600',
    ...env,
  });
  const app = await createApp(config, { clock, print: () => undefined, logSink: opts.onLog });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  let cachedAdmin: { token: string; exp: number } | null = null;
  return {
    app,
    url,
    clock,
    dataDir,
    adminPassword,
    async close(wipe = false) {
      await app.close();
      if (wipe) await rm(dataDir, { recursive: true, force: true });
    },
    async adminToken() {
      // Tests move the clock: sign in again when the cached token is (nearly) expired.
      if (cachedAdmin && cachedAdmin.exp > clock.now() + 60_000) return cachedAdmin.token;
      const res = await http(url, '/token', { form: { username: 'admin', password: adminPassword }, from: '127.0.0.1' });
      if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${res.text}`);
      cachedAdmin = { token: res.json.access_token as string, exp: clock.now() + res.json.expires_in * 1000 };
      return cachedAdmin.token;
    },
  };
}

/** Shorthand bound to one server. */
export function client(server: TestServer) {
  return (path: string, opts?: HttpOptions) => http(server.url, path, opts);
}

/**
 * JWT_PRIVATE_KEY_FILE for servers started in one process that must accept each other's tokens.
 * Passport keeps one 'jwt' strategy per process (the last app started registers it), so every
 * in-process server verifies with the last one's key unless they share it, as the instances of
 * one deployment do in production.
 */
export async function sharedJwtKeyEnv(): Promise<{ JWT_PRIVATE_KEY_FILE: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bouncer-jwt-'));
  const file = join(dir, 'jwt-es256.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { JWT_PRIVATE_KEY_FILE: file };
}

export interface SharedPair {
  a: TestServer;
  b: TestServer;
  clock: ManualClock;
  /** The settings both share (database, Redis, prefix): start a third instance of the deployment with them. */
  env: Record<string, string>;
  /** Stops both servers and drops their database. */
  close(): Promise<void>;
}

/**
 * Two instances of one deployment, in this process: one fresh PostgreSQL database, the
 * machine's Redis under a prefix of their own, one admin and one (manual) clock. For attacks
 * on state the instances share (revocations, counters, users, decisions).
 */
export async function startSharedPair(env: Record<string, string> = {}): Promise<SharedPair> {
  const { createTestDatabaseUrl } = await import('./postgres');
  const database = await createTestDatabaseUrl();
  // Instances of one deployment sign with one key (as JWT_PRIVATE_KEY_FILE gives them in production).
  const keyDir = await mkdtemp(join(tmpdir(), 'bouncer-pair-key-'));
  const keyFile = join(keyDir, 'jwt-es256.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const shared = {
    JWT_PRIVATE_KEY_FILE: keyFile,
    DATABASE_URL: database.url,
    REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `bouncer-test:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`,
    ...env,
  };
  const clock = new ManualClock(Date.now());
  const adminPassword = strongPassword();
  const a = await startServer(shared, { dataDir: await mkdtemp(join(tmpdir(), 'bouncer-pair-a-')), adminPassword, clock });
  const b = await startServer(shared, { dataDir: await mkdtemp(join(tmpdir(), 'bouncer-pair-b-')), adminPassword, clock });
  return {
    a,
    b,
    clock,
    env: shared,
    async close() {
      await Promise.allSettled([a.close(true), b.close(true)]);
      await database.drop();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}
