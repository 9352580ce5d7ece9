import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, rmdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/**
 * The embedded PostgreSQL is WebAssembly. V8 compiles it with its baseline compiler (Liftoff)
 * and then recompiles the hot functions with its optimizing one (TurboFan) on background
 * threads. Those threads' malloc arenas keep what the recompilation used: measured on a restart
 * of the idle server, 102 MB of 314 MB, against 7 MB of 219 MB with the baseline compiler only
 * (which also opens the store faster). The price is the store's query speed: 0.5 to 0.7 of
 * the optimized code's in a PGlite-only loop (inserts, point reads, a group-by; loaded
 * machine). Bouncer's requests read their state from memory and touch the store for sign-ins,
 * admin actions and decisions, where the argon2 check or the network dominates. V8 reads the
 * flag when it compiles, so it is set before the first PGlite module is compiled; no other
 * WebAssembly runs in the API (argon2 is native).
 */
export const WASM_COMPILER_FLAG = '--liftoff-only';

let baselineCompilerSet = false;

export function useBaselineWasmCompiler(): void {
  if (baselineCompilerSet) return;
  setFlagsFromString(WASM_COMPILER_FLAG);
  baselineCompilerSet = true;
}

/**
 * Where the child finds PGlite: resolved from this file's folder (the bundle's in the build,
 * which leaves node_modules to Node; webpack would turn a plain require.resolve into its own id).
 */
function pgliteModulePath(): string {
  return createRequire(join(__dirname, 'resolve-from-here.js')).resolve('@electric-sql/pglite');
}

const INITDB_TIMEOUT_MS = 5 * 60_000;

/**
 * A first start creates the database with PostgreSQL's initdb, which PGlite runs in a second
 * WebAssembly instance beside the real one: the process peaks near 0.8 GB, and the memory freed
 * afterwards stays resident (malloc arenas, pages V8 keeps), measured 440 MB idle after a first
 * start against 313 MB after a restart of the same folder. So initdb runs in a process of its
 * own that exits when the folder is ready; the server then opens an existing folder, as on
 * every later start. It writes into a sibling folder renamed into place only once complete, so
 * a start killed half-way leaves no half-made database behind (only a folder the next try
 * removes). Does nothing when `dir` already holds a database.
 */
export async function initEmbeddedDataDir(dir: string, startParams: readonly string[]): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  if (existsSync(dir)) {
    // Something else is there (an older version's half-made folder): PGlite deals with it in-process, as before.
    if ((await readdir(dir)).length > 0) return;
    await rmdir(dir);
  }
  const building = join(dirname(dir), `.${basename(dir)}.initdb`);
  await rm(building, { recursive: true, force: true });
  const script = [
    'const [modulePath, dir, startParams] = process.argv.slice(1);',
    'require(modulePath).PGlite.create(dir, { startParams: JSON.parse(startParams) })',
    '  .then((db) => db.close())',
    '  .catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exitCode = 1; });',
  ].join('\n');
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [WASM_COMPILER_FLAG, '-e', script, pgliteModulePath(), building, JSON.stringify(startParams)],
        // Nothing of the server's environment (its admin password, its secrets) is needed there.
        // A wedged initdb must not hold the start forever (a first start takes seconds, a minute on a loaded machine).
        { env: {}, maxBuffer: 1024 * 1024, timeout: INITDB_TIMEOUT_MS, killSignal: 'SIGKILL' },
        (err, _stdout, stderr) =>
          err
            ? reject(
                new Error(`the embedded database could not be created: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`),
              )
            : resolve(),
      );
    });
    if (!existsSync(join(building, 'PG_VERSION'))) throw new Error('the embedded database could not be created: initdb left no PG_VERSION');
    await rename(building, dir);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}
