import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { EMBEDDED_DB_OPTIONS, openDatabase } from '../src/db/database';
import { initEmbeddedDataDir } from '../src/db/embedded-memory';
import { users } from '../src/db/schema';
import { createTestDatabaseUrl } from './support/postgres';
import { databaseBehindRelay } from './support/relay';

describe('openDatabase', () => {
  it('keeps embedded data across a reopen of the data folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bouncer-db-'));
    try {
      const first = await openDatabase({ dataDir: dir });
      await first.db.insert(users).values({ username: 'kept', passwordHash: 'x', role: 'user' });
      await first.close();
      const second = await openDatabase({ dataDir: dir });
      const rows = await second.db.select().from(users).where(eq(users.username, 'kept'));
      expect(rows).toHaveLength(1);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('initEmbeddedDataDir (initdb in a process of its own)', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'bouncer-initdb-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('leaves a complete database in place and nothing else, and openDatabase then opens it', async () => {
    // A start killed half-way before left its unfinished folder: it is cleared, not used.
    await mkdir(join(dir, '.db.initdb'));
    await writeFile(join(dir, '.db.initdb', 'PG_VERSION'), '17\n');
    await initEmbeddedDataDir(join(dir, 'db'), EMBEDDED_DB_OPTIONS.startParams);
    expect(existsSync(join(dir, 'db', 'PG_VERSION'))).toBe(true);
    expect(await readdir(dir)).toEqual(['db']);
    const handle = await openDatabase({ dataDir: dir });
    try {
      await expect(handle.deploymentId()).resolves.toMatch(/\S/);
    } finally {
      await handle.close();
    }
  });

  it('leaves a folder that is neither empty nor a database to PGlite, as before', async () => {
    await mkdir(join(dir, 'db'));
    await writeFile(join(dir, 'db', 'something'), 'x');
    await initEmbeddedDataDir(join(dir, 'db'), EMBEDDED_DB_OPTIONS.startParams);
    expect(await readdir(join(dir, 'db'))).toEqual(['something']);
  });

  it('says why when initdb fails', async () => {
    await expect(initEmbeddedDataDir(join(dir, 'db'), ['-c', 'no_such_setting=1'])).rejects.toThrow(
      /the embedded database could not be created/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('openDatabase when PostgreSQL is not there yet', () => {
  it('waits and retries instead of failing start-up', async () => {
    const waits: number[] = [];
    const stop = new AbortController();
    const pending = openDatabase({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
      dataDir: '/nonexistent',
      onWait: (n) => waits.push(n),
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    // Still waiting, not rejected.
    const state = await Promise.race([
      pending.then(
        () => 'opened',
        () => 'failed',
      ),
      Promise.resolve('waiting'),
    ]);
    expect(state).toBe('waiting');
    stop.abort();
    await expect(pending).rejects.toThrow();
  });
});

/** Against the PostgreSQL server on this machine (TEST_POSTGRES_URL). */
describe('openDatabase on PostgreSQL', () => {
  it('migrates PostgreSQL once even when instances start together', async () => {
    const { url, drop } = await createTestDatabaseUrl();
    try {
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: url, dataDir: '/nonexistent' })));
      await handles[0]!.db.insert(users).values({ username: 'shared', passwordHash: 'x', role: 'user' });
      const rows = await handles[2]!.db.select().from(users);
      expect(rows.map((r) => r.username)).toEqual(['shared']);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await drop();
    }
  });
});

describe('openDatabase on PostgreSQL when the connection drops', () => {
  it('a transaction cut mid-query fails on its own; the lost connection does not crash the process', async () => {
    const target = await databaseBehindRelay();
    const database = await openDatabase({ databaseUrl: target.url, dataDir: '/nonexistent' });
    try {
      // The transaction holds a checked-out client, which the pool no longer listens to.
      const running = database.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_sleep(5)`);
      });
      const outcome = running.then(
        () => 'committed',
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 300));
      await target.relay.cut();
      // Before the fix the client's 'error' event had no listener: an uncaught exception here.
      expect(await outcome).not.toBe('committed');
      await target.relay.open();
      await expect(database.ping()).resolves.toBeUndefined();
    } finally {
      await database.close();
      await target.relay.cut();
      await target.drop();
    }
  });
});
