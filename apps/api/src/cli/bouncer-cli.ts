import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { and, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { canonicalRange, ClientIdentity } from '@bouncer/detection';
import { DataDirBusyError, lockDataDir } from '../db/data-dir-lock';
import { type DatabaseHandle, openDatabase, restoreDatabase } from '../db/database';
import { auditLog, decisions, listEntries, users } from '../db/schema';
import { describeError } from '../db/query-errors';
import { defaultRedisPrefix } from '../core/redis';
import { addRemoteCommands, type RemoteIo } from './remote';

/** What the tool answers the shell: scripts tell the cases apart by these. */
export const EXIT = {
  ok: 0,
  /** The store could not be opened or written. */
  failed: 1,
  /** Bad arguments (commander's own errors too). */
  usage: 2,
  /** The data folder is held by a running server: it must be stopped (or use the shared store). */
  busy: 3,
  /** Nothing to do: the client is not blocked, or no such user. */
  nothing: 4,
  /** The server refused the token (401/403). */
  refused: 5,
} as const;

export type CliIo = RemoteIo;

/** The actor the audit log names for everything the tool does. */
const ACTOR = 'cli';

/**
 * `bouncer`, the host operator's command-line tool. It works on the store directly, not over
 * HTTP: it is the way back when no admin can get in (every admin blocked or disabled). On the
 * embedded store (DATA_DIR) the server must be stopped, since only one process may open it; on
 * the shared store (DATABASE_URL, REDIS_URL) it changes SQL and tells the running instances on
 * the decisions channel, so they apply it at once. Everything it does is audited as `cli`.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('bouncer')
    .description(
      "Bouncer's command line. unblock, admin restore and restore work on the data folder or the shared store; " +
        'the other commands talk to a running server (--url, BOUNCER_URL) with an admin token.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .addOption(new Option('--data-dir <dir>', 'the embedded store; the server must be stopped (env: DATA_DIR, default ./data)'))
    .addOption(new Option('--database-url <url>', 'the shared PostgreSQL store (env: DATABASE_URL)'))
    .addOption(new Option('--redis-url <url>', 'the shared Redis, to tell the running instances (env: REDIS_URL)'))
    .addOption(
      new Option('--redis-prefix <prefix>', "the deployment's Redis prefix (env: REDIS_PREFIX; default: derived from the deployment)"),
    );
  // The same settings as the server's, from the environment given (not only process.env), options first.
  const settings = () => {
    const o = program.opts<{ dataDir?: string; databaseUrl?: string; redisUrl?: string; redisPrefix?: string }>();
    return {
      dataDir: o.dataDir ?? env['DATA_DIR'] ?? './data',
      databaseUrl: o.databaseUrl ?? env['DATABASE_URL'],
      redisUrl: o.redisUrl ?? env['REDIS_URL'],
      redisPrefix: o.redisPrefix ?? env['REDIS_PREFIX'],
    };
  };

  program
    .command('unblock')
    .description('Lift the block of one client (an address or CIDR), or of every client with --all.')
    .argument('[client]', 'an address or CIDR, as blocked')
    .option('--all', 'lift every block (break-glass)')
    .option('--denylist', "with --all: also remove every denylist entry admins added (DENYLIST's stay)")
    .action(async (client: string | undefined, opts: { all?: boolean; denylist?: boolean }) => {
      if (Boolean(client) === Boolean(opts.all) || (opts.denylist && !opts.all)) {
        io.err('bouncer unblock: give one client or --all (--denylist only with --all)');
        code = EXIT.usage;
        return;
      }
      let target: string | undefined;
      if (client) {
        const canonical = canonicalRange(client);
        if (!canonical) {
          io.err(`bouncer unblock: ${client} is not an IP address or CIDR`);
          code = EXIT.usage;
          return;
        }
        const prefix = Number(env['IPV6_PREFIX'] ?? 64);
        target = canonical.includes('/') ? canonical : new ClientIdentity([], Number.isInteger(prefix) ? prefix : 64).key(canonical);
      }
      code = await withStore(settings(), io, async (store) => {
        const lifted = await store.database.db.transaction(async (tx) => {
          const rows = await tx
            .delete(decisions)
            .where(target ? and(eq(decisions.state, 'blocked'), eq(decisions.client, target)) : eq(decisions.state, 'blocked'))
            .returning({ client: decisions.client });
          const clients = [...new Set(rows.map((r) => r.client))];
          for (const c of clients)
            await tx.insert(auditLog).values({
              at: new Date(),
              type: 'decision.unblocked',
              client: c,
              actor: ACTOR,
              detail: `blocked decision lifted by the command line${target ? '' : ' (unblock --all)'}`,
            });
          const denied = opts.denylist
            ? await tx.delete(listEntries).where(eq(listEntries.kind, 'deny')).returning({ cidr: listEntries.cidr })
            : [];
          for (const d of denied)
            await tx.insert(auditLog).values({
              at: new Date(),
              type: 'list.deny.removed',
              client: d.cidr,
              actor: ACTOR,
              detail: `${d.cidr} removed from the denylist by the command line (unblock --all --denylist)`,
            });
          if (denied.length)
            io.out(`Removed ${denied.length} denylist entr${denied.length === 1 ? 'y' : 'ies'}: ${denied.map((d) => d.cidr).join(', ')}`);
          return clients;
        });
        await store.tell([
          ...lifted.map((c) => ({ from: ACTOR, op: 'lift', client: c, state: 'blocked' })),
          ...(opts.denylist ? [{ from: ACTOR, op: 'lists' }] : []),
        ]);
        if (lifted.length === 0) {
          io.out(target ? `${target} is not blocked.` : 'Nothing was blocked.');
          return target ? EXIT.nothing : EXIT.ok;
        }
        io.out(`Lifted ${lifted.length} block${lifted.length === 1 ? '' : 's'}: ${lifted.join(', ')}`);
        return EXIT.ok;
      });
    });

  const admin = program.command('admin').description('Admin accounts.');
  admin
    .command('restore')
    .description('Make a user an enabled admin again (when no admin can sign in).')
    .argument('<username>')
    .action(async (username: string) => {
      const name = username.trim().toLowerCase();
      code = await withStore(settings(), io, async (store) => {
        const [row] = await store.database.db.transaction(async (tx) => {
          const changed = await tx
            .update(users)
            .set({ role: 'admin', disabled: false })
            .where(eq(users.username, name))
            .returning({ username: users.username });
          if (changed.length)
            await tx
              .insert(auditLog)
              .values({ at: new Date(), type: 'user.updated', actor: ACTOR, detail: `${name}: role admin, enabled (admin restore)` });
          return changed;
        });
        if (!row) {
          io.err(`bouncer admin restore: no user named ${name}`);
          return EXIT.nothing;
        }
        io.out(`${row.username} is an enabled admin. Sign in with its password.`);
        return EXIT.ok;
      });
    });

  program
    .command('backup')
    .description(
      'Take a consistent copy of the embedded store from the running server (POST /admin/backup) into <file>. ' +
        'The admin access token is read from BOUNCER_TOKEN, never from the command line (other users see it in ps).',
    )
    .argument('<file>', 'where to write the backup (a gzipped tar; written 0600)')
    .option('--url <url>', "the running server's address (env: BOUNCER_URL; default http://127.0.0.1:PORT/)")
    .action(async (file: string, opts: { url?: string }) => {
      const token = env['BOUNCER_TOKEN'];
      if (!token) {
        io.err('bouncer backup: set BOUNCER_TOKEN to an admin access token (POST /token as an admin)');
        code = EXIT.usage;
        return;
      }
      const base = opts.url ?? env['BOUNCER_URL'] ?? `http://127.0.0.1:${env['PORT'] ?? 3000}/`;
      code = await takeBackup(new URL('admin/backup', base.endsWith('/') ? base : `${base}/`), token, resolve(file), io);
    });

  program
    .command('restore')
    .description(
      'Put a backup taken by `bouncer backup` back into the data folder (the server must be stopped). ' +
        'Users, sessions, decisions, lists and the audit log come back; the signing key is not in a backup, ' +
        'so tokens issued before are refused and everyone signs in again.',
    )
    .argument('<file>', 'the backup')
    .option('--force', 'move a database already in the data folder aside (to db.before-restore-<time>) instead of refusing')
    .action(async (file: string, opts: { force?: boolean }) => {
      code = await restoreBackup(resolve(file), resolve(settings().dataDir), Boolean(opts.force), io);
    });

  addRemoteCommands(program, env, io, (c) => (code = c));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw err;
  }
  return code;
}

interface Store {
  database: DatabaseHandle;
  /** Publishes decision messages to the running instances (shared store only). */
  tell(messages: object[]): Promise<void>;
}

async function withStore(
  opts: { dataDir: string; databaseUrl?: string; redisUrl?: string; redisPrefix?: string },
  io: CliIo,
  work: (store: Store) => Promise<number>,
): Promise<number> {
  let database: DatabaseHandle;
  try {
    database = await openDatabase({ databaseUrl: opts.databaseUrl, dataDir: resolve(opts.dataDir), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    if (err instanceof DataDirBusyError) {
      io.err(`bouncer: ${err.message}. Stop the server, or run this against the shared store (DATABASE_URL).`);
      return EXIT.busy;
    }
    io.err(`bouncer: cannot open the store: ${describeError(err)}`);
    return EXIT.failed;
  }
  const redis = opts.redisUrl ? new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true }) : null;
  try {
    const prefix = opts.redisPrefix ?? defaultRedisPrefix(await database.deploymentId());
    return await work({
      database,
      async tell(messages) {
        if (!redis || messages.length === 0) return;
        try {
          await redis.connect();
          for (const m of messages) await redis.publish(`${prefix}decisions`, JSON.stringify(m));
        } catch (err) {
          // Stored already: the instances pick it up at their next reload.
          io.err(`bouncer: stored, but running instances were not told (${(err as Error).message}); they apply it when they reload`);
        }
      },
    });
  } catch (err) {
    io.err(`bouncer: ${describeError(err)}`);
    return EXIT.failed;
  } finally {
    redis?.disconnect();
    await database.close().catch(() => undefined);
  }
}

/** Gzip's first two bytes: what the server sends is a backup, not an error page. */
const GZIP_MAGIC = [0x1f, 0x8b];

async function takeBackup(url: URL, token: string, file: string, io: CliIo): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    io.err(`bouncer backup: cannot reach the server at ${url.origin} (${describeError(err)})`);
    return EXIT.failed;
  }
  if (!res.ok) {
    const problem = (await res.json().catch(() => null)) as { detail?: string } | null;
    io.err(`bouncer backup: the server answered ${res.status}${problem?.detail ? `: ${problem.detail}` : ''}`);
    return res.status === 401 || res.status === 403 ? EXIT.refused : EXIT.failed;
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    io.err('bouncer backup: the server did not send a backup');
    return EXIT.failed;
  }
  // Written aside then renamed: an interrupted backup never leaves a truncated file under the name given.
  const partial = `${file}.partial`;
  await writeFile(partial, bytes, { mode: 0o600 });
  await rename(partial, file);
  io.out(`Backup written to ${file} (${bytes.length} bytes). It holds password hashes: keep it as private as the data folder.`);
  return EXIT.ok;
}

async function restoreBackup(file: string, dataDir: string, force: boolean, io: CliIo): Promise<number> {
  let backup: Buffer;
  try {
    backup = await readFile(file);
  } catch (err) {
    io.err(`bouncer restore: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return EXIT.usage;
  }
  if (backup[0] !== GZIP_MAGIC[0] || backup[1] !== GZIP_MAGIC[1]) {
    io.err(`bouncer restore: ${file} is not a backup taken by \`bouncer backup\``);
    return EXIT.usage;
  }
  let lock;
  try {
    lock = lockDataDir(dataDir);
  } catch (err) {
    if (err instanceof DataDirBusyError) {
      io.err(`bouncer: ${err.message}. Stop the server before restoring.`);
      return EXIT.busy;
    }
    throw err;
  }
  try {
    const dbDir = join(dataDir, 'db');
    const existing = await readdir(dbDir).catch(() => [] as string[]);
    if (existing.length > 0) {
      if (!force) {
        io.err(`bouncer restore: ${dbDir} already holds a database; move it away, or pass --force to keep it aside and restore`);
        return EXIT.usage;
      }
      const aside = `${dbDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(dbDir, aside);
      io.out(`The database that was there is kept in ${aside}.`);
    }
    const counts = await restoreDatabase(dataDir, new Blob([new Uint8Array(backup)]), {
      type: 'backup.restored',
      actor: ACTOR,
      detail: `restored from ${file} by the command line`,
    });
    io.out(
      `Restored ${file} into ${dataDir}: ${counts.users} users, ${counts.decisions} decisions, ${counts.auditEvents} audit events. ` +
        'Start the server; tokens issued before the restore are refused unless DATA_DIR/keys is the same.',
    );
    return EXIT.ok;
  } catch (err) {
    io.err(`bouncer restore: ${describeError(err)}`);
    return EXIT.failed;
  } finally {
    lock.release();
  }
}
