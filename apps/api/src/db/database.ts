import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { sql } from 'drizzle-orm';
import { Pool } from 'pg';
import * as schema from './schema';
import { lockDataDir } from './data-dir-lock';
import { initEmbeddedDataDir, useBaselineWasmCompiler } from './embedded-memory';

/**
 * The embedded PostgreSQL's memory. Its defaults are a server's (128 MB of shared buffers, 64 MB
 * for maintenance), all of it touched at start inside the WebAssembly memory: that was most of
 * an idle Bouncer's 540 MB. Bouncer's tables are small and its queries point lookups; the data
 * files are read through the operating system's page cache anyway.
 */
export const EMBEDDED_DB_OPTIONS = {
  startParams: [
    ...PGlite.defaultStartParams,
    ...['-c', 'shared_buffers=8MB', '-c', 'temp_buffers=1MB', '-c', 'wal_buffers=256kB'],
    ...['-c', 'work_mem=1MB', '-c', 'maintenance_work_mem=4MB'],
  ],
};

/** The same Drizzle API over PGlite (embedded) and node-postgres. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'embedded' | 'postgres';
  /** This deployment's id (made once by the first migration, the same for every instance). */
  deploymentId(): Promise<string>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * A consistent copy of the embedded store (a gzipped tar of PGlite's data folder), taken
   * while the service runs; null on PostgreSQL, whose own tools (pg_dump) back it up.
   */
  dump(): Promise<Blob | null>;
}

export const DATABASE = Symbol('DATABASE');

/** Migrations sit beside this file in source and beside main.js in the build. */
const migrationsFolder = join(__dirname, 'migrations');

/** Serializes concurrent migrations of instances that start together. */
const MIGRATION_LOCK_ID = 7_406_221;

/**
 * SQLSTATEs no wait can cure: the database or the role does not exist, or the password is wrong
 * (invalid_catalog_name, invalid_authorization_specification, invalid_password).
 */
const PERMANENT_CONNECT_ERRORS: Record<string, string> = {
  '3D000': 'the database does not exist',
  '28000': 'the role does not exist or may not connect',
  '28P01': 'the password is wrong',
};

/** DATABASE_URL names something that will not appear by waiting: start-up stops at once. */
export class PermanentDatabaseError extends Error {}

/** The wait before connection attempt `attempt` + 1, in ms: 0.5, 1, 2, 4, then 5 s. */
export function connectBackoffMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, 5_000);
}

/**
 * PostgreSQL not reachable at start: wait for it (backing off to 5 s) instead of exiting, so a
 * supervisor does not turn a database outage into a crash loop. A refusal that waiting cannot
 * cure (see PERMANENT_CONNECT_ERRORS) stops at once instead of retrying forever.
 */
async function connectWithRetry(pool: Pool, onWait?: (attempt: number, err: Error, delayMs: number) => void, signal?: AbortSignal) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.connect();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const permanent = typeof code === 'string' ? PERMANENT_CONNECT_ERRORS[code] : undefined;
      if (signal?.aborted || permanent) {
        await pool.end().catch(() => undefined);
        if (permanent) {
          throw new PermanentDatabaseError(
            `PostgreSQL refused DATABASE_URL: ${permanent} (${(err as Error).message}; SQLSTATE ${String(code)})`,
          );
        }
        throw err;
      }
      const delay = connectBackoffMs(attempt);
      onWait?.(attempt, err as Error, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  onWait?: (attempt: number, err: Error, delayMs: number) => void;
  /** Stops the waiting (tests; shutdown). */
  signal?: AbortSignal;
}): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const pool = new Pool({
      connectionString: opts.databaseUrl,
      max: 10,
      connectionTimeoutMillis: 5_000,
      // Fail a query rather than hang when the server stops answering.
      query_timeout: 10_000,
      // A session whose client vanished mid-transaction (a killed instance behind a connection
      // the network did not close) would hold its row locks until TCP gave up, and every request
      // for those rows would wait out its query timeout: the server ends such a session itself.
      idle_in_transaction_session_timeout: 10_000,
    });
    // A client losing its connection must not crash the process, idle or not. The pool listens
    // to its idle clients only; a checked-out one (a transaction, the migration) emits 'error'
    // with nobody listening, which Node turns into an uncaught exception. Its queries fail on
    // their own (a 503 to the caller), so the event itself needs no handling.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = drizzlePg(pool, { schema }) as unknown as Database;
    const client = await connectWithRetry(pool, opts.onWait, opts.signal);
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
      client.release();
    }
    return {
      db,
      kind: 'postgres',
      deploymentId: () => readDeploymentId(db),
      ping: async () => {
        await pool.query('select 1');
      },
      close: () => pool.end(),
      dump: async () => null,
    };
  }

  const dir = join(opts.dataDir, 'db');
  keepPrivate();
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  // One process at a time: a second server or the command-line tool stops here with one line.
  const lock = lockDataDir(opts.dataDir);
  let client: PGlite;
  let db: Database;
  try {
    await tightenTree(opts.dataDir);
    useBaselineWasmCompiler();
    await initEmbeddedDataDir(dir, EMBEDDED_DB_OPTIONS.startParams);
    client = await PGlite.create(dir, EMBEDDED_DB_OPTIONS);
    db = drizzlePglite(client, { schema });
    await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder });
    // A first start unpacks the initial database with explicit (0666) modes, which the umask does not cover.
    await tightenTree(opts.dataDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    db,
    kind: 'embedded',
    deploymentId: () => readDeploymentId(db),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        lock.release();
      }
    },
    dump: async () => {
      // PGlite copies its files while no query runs; the checkpoint first leaves little WAL to replay at restore.
      await client.exec('CHECKPOINT');
      return client.dumpDataDir('gzip');
    },
  };
}

/**
 * PGlite creates its files (the WAL holds every password hash) with the process umask: 0666
 * under the usual 022. It keeps creating files while it runs, so the mask must stay set for the
 * whole process; Bouncer writes nothing that others should read.
 */
function keepPrivate(): void {
  const previous = process.umask(0o077);
  if ((previous | 0o077) !== 0o077) process.umask(previous | 0o077);
}

/** Folders 0700 and files 0600 under `root` (a data folder left open by an older version or another umask). */
async function tightenTree(path: string, isRoot = true): Promise<void> {
  // The data folder itself may be a link; links inside it are not followed.
  const st = isRoot ? await stat(path) : await lstat(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== 0o700) await chmod(path, 0o700);
    for (const name of await readdir(path)) await tightenTree(join(path, name), false);
  } else if ((st.mode & 0o077) !== 0) {
    await chmod(path, st.mode & 0o700);
  }
}

async function readDeploymentId(db: Database): Promise<string> {
  const [row] = await db.select({ id: schema.deployment.id }).from(schema.deployment).limit(1);
  if (!row) throw new Error('the deployment table is empty (migration 0002 inserts its row)');
  return row.id;
}

/**
 * Restores a backup taken by `dump()` into `dataDir`, which must hold no database (the caller
 * holds its lock). Opens the result and runs the migrations, so a backup from an older version
 * comes back at the current schema; returns how many users it holds, as a check.
 */
export async function restoreDatabase(
  dataDir: string,
  backup: Blob,
  audit: { type: string; actor: string; detail: string },
): Promise<{ users: number; decisions: number; auditEvents: number }> {
  keepPrivate();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  useBaselineWasmCompiler();
  const client = await PGlite.create(join(dataDir, 'db'), { ...EMBEDDED_DB_OPTIONS, loadDataDir: backup });
  try {
    const db = drizzlePglite(client, { schema });
    await migratePglite(db, { migrationsFolder });
    await db.insert(schema.auditLog).values({ at: new Date(), ...audit });
    const count = async (table: string) =>
      Number((await client.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]?.n ?? 0);
    return { users: await count('users'), decisions: await count('decisions'), auditEvents: await count('audit_log') };
  } finally {
    await client.close();
    await tightenTree(dataDir);
  }
}
