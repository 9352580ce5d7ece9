import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The data folder is held by another live process (a server, or the command-line tool). */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(`DATA_DIR ${dataDir} is in use by another Bouncer process (pid ${holderPid}); stop it first or use another DATA_DIR`);
  }
}

export interface DataDirLock {
  release(): void;
}

const LOCK_FILE = 'bouncer.lock';
/** Folders this process holds, so a pid equal to ours is told apart from a stale file left by an earlier process (pid 1 in containers). */
const heldHere = new Set<string>();

/**
 * The embedded database (PGlite) must never be opened by two processes at once: each holder
 * writes its pid in DATA_DIR/bouncer.lock (created exclusively); a lock whose pid is dead is stale
 * and taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(file);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(file);
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    const holder = readHolder(file);
    if (holder !== null && isAlive(holder) && (holder !== process.pid || heldHere.has(file))) throw new DataDirBusyError(dataDir, holder);
    try {
      unlinkSync(file); // stale: its holder is gone
    } catch {
      // Another process took it over first; the next attempt sees its pid.
    }
  }
}

function readHolder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Throws DataDirBusyError if another live process holds `dataDir`, without taking it: a start
 * can say so in one line before doing anything else. (lockDataDir still decides.)
 */
export function assertDataDirFree(dataDir: string): void {
  const holder = readHolder(join(dataDir, LOCK_FILE));
  if (holder !== null && holder !== process.pid && isAlive(holder)) throw new DataDirBusyError(dataDir, holder);
}
