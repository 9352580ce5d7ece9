import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { API_MAIN, freePort } from '@bouncer/testing';

/** The workspace root: the built server runs from here, as `npm start` runs it. */
export const WORKSPACE = join(__dirname, '../../../..');

export interface Exit {
  /** The exit code, the signal that ended it, or 'timeout' when the test had to kill it. */
  code: number | string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the built server (`npx nx build api`) with exactly `env` (plus loopback HOST and a free
 * PORT unless given) until it exits: for starts that must fail, and how long failing took.
 */
export async function runBuiltToExit(env: Record<string, string | undefined>, timeoutMs = 20_000): Promise<Exit> {
  const port = env['PORT'] ?? String(await freePort());
  const started = Date.now();
  const child = spawn(process.execPath, [API_MAIN], {
    cwd: WORKSPACE,
    env: { HOST: '127.0.0.1', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const code = await new Promise<number | string | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, timeoutMs);
    child.on('exit', (c, s) => {
      clearTimeout(timer);
      resolve(c ?? s);
    });
  });
  return { code, stdout, stderr, ms: Date.now() - started };
}
