// The servers a benchmark run measures: built Bouncer processes and the original prototype,
// started on loopback ports and always stopped at the end (even when a line fails).
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { request } from './http.mjs';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const ORIGINAL_DIR = process.env.BENCH_ORIGINAL_DIR ?? resolve(ROOT, '..', 'shared', 'original');
const API_MAIN = process.env.BENCH_API_MAIN ?? join(ROOT, 'dist/apps/api/main.js');

const cleanups = [];

/** Runs every registered cleanup, newest first (processes, temp folders, databases). */
export async function stopAll() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    await fn().catch((err) => process.stderr.write(`cleanup: ${err.message}\n`));
  }
}

export function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, probe, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A password the policy accepts, new for every run (no secret in the repository). */
export const strongPassword = () => `Bench-${randomBytes(15).toString('base64url')}!`;

/**
 * Starts the built API (dist/apps/api/main.js) on a free loopback port and waits for /health.
 * The admin is created from ADMIN_PASSWORD; `signIn` gets an access token for it.
 */
export async function startBouncer(name, env = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `bouncer-bench-${name}-`));
  const adminPassword = strongPassword();
  const tail = [];
  // env.API_MAIN: another build (a before/after comparison in one run, tools/bench/cpu-per-request.mjs).
  const child = spawn(process.execPath, [...(env.NODE_ARGS ?? []), env.API_MAIN ?? API_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'NODE_ARGS' && k !== 'API_MAIN')),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d) => {
    tail.push(String(d));
    if (tail.length > 40) tail.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const gone = new Promise((r) => child.once('exit', (code, signal) => r((exited = code ?? signal))));
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `bouncer ${name}`,
      async () => {
        if (exited !== null) throw new Error(`exited ${exited}`);
        return (await request(url, '/health')).status === 200;
      },
      // A 2-core machine shared with other work can take minutes (BENCH_START_TIMEOUT, seconds).
      Number(process.env.BENCH_START_TIMEOUT ?? 180) * 1000,
    );
  } catch (err) {
    throw new Error(`bouncer ${name} did not start (${err.message}): ${tail.join('').slice(-2000)}`);
  }
  const signIn = async (username = 'admin', password = adminPassword, headers = {}) => {
    const res = await request(url, '/token', { method: 'POST', form: { username, password }, headers });
    if (res.status !== 200) throw new Error(`bouncer ${name}: sign-in as ${username} answered ${res.status} ${res.text}`);
    return res.json.access_token;
  };
  return { name, url, port, pid: child.pid, adminPassword, signIn, stop, output: () => tail.join('') };
}

/** The original Python prototype, unchanged, started with its own run.sh; a fresh token for user/userpass. */
export async function startOriginal() {
  const port = await freePort();
  const { stdout } = await promisify(execFile)(join(ORIGINAL_DIR, 'run.sh'), [String(port)], { timeout: 300_000 });
  const pid = Number(stdout.trim().split('\n').pop());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`the original's run.sh printed no PID: ${stdout}`);
  cleanups.push(async () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const res = await request(url, '/token', { method: 'POST', form: { username: 'user', password: 'userpass' } });
  if (res.status !== 200) throw new Error(`the original's /token answered ${res.status}`);
  return { name: 'original', url, port, pid, token: res.json.access_token };
}

/** The bare Fastify route of reference-server.mjs, on a free port. */
export async function startReference() {
  const child = spawn(process.execPath, [join(ROOT, 'tools/bench/reference-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(async () => {
    child.kill();
  });
  const port = await new Promise((done, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec((out += d));
      if (m) done(Number(m[1]));
    });
    child.once('exit', (code) => fail(new Error(`the reference server exited ${code}`)));
  });
  return { name: 'reference', url: `http://127.0.0.1:${port}`, pid: child.pid };
}

/** A fresh database on the machine's PostgreSQL (BENCH_POSTGRES_URL names the server), dropped at the end. */
export async function createDatabase() {
  const { default: pg } = await import('pg');
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `bouncer_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const run = async (sql) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${dbName}`);
  cleanups.push(() => run(`drop database if exists ${dbName} with (force)`));
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** Redis keys of one run live under their own prefix and are deleted at the end. */
export function redisPrefix() {
  const prefix = `bouncer-bench:${randomBytes(4).toString('hex')}:`;
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  cleanups.push(async () => {
    const { default: Redis } = await import('ioredis');
    const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    r.disconnect();
  });
  return { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
}

export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `bouncer-bench-${name}-`));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
