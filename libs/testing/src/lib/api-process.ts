import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { eventually } from './eventually';
import { freePort } from './free-port';
import { http } from './http';

/** The repository root (this file is libs/testing/src/lib/api-process.ts). */
const WORKSPACE_ROOT = resolve(__dirname, '../../../..');

export interface ApiProcessOptions {
  /** The built API; default dist/apps/api/main.js (E2E_API_MAIN overrides). */
  mainJs?: string;
  /** Node's own flags before the script (`--trace-gc-nvp`, say). */
  nodeArgs?: string[];
  /** Settings for the process; PORT and HOST are filled in. */
  env: Record<string, string | undefined>;
  /** Port to listen on; a free one by default. */
  port?: number;
  cwd?: string;
  /** Every chunk of stdout and stderr. */
  onOutput?: (chunk: string) => void;
  /** Loopback address the readiness probes come from (so they do not count against test clients). */
  probeFrom?: string;
  timeoutMs?: number;
}

export interface ApiProcess {
  port: number;
  url: string;
  process: ChildProcess;
  /** Exit code or signal once the process has ended, else null. */
  exited(): number | string | null;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

export const API_MAIN = process.env['E2E_API_MAIN'] || resolve(WORKSPACE_ROOT, 'dist/apps/api/main.js');

/** Starts the built API on 127.0.0.1 and waits until GET /health answers 200 (or the process exits). */
export async function startApiProcess(opts: ApiProcessOptions): Promise<ApiProcess> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.mainJs ?? API_MAIN], {
    cwd: opts.cwd ?? WORKSPACE_ROOT,
    env: { ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => opts.onOutput?.(String(d)));
  child.stderr?.on('data', (d) => opts.onOutput?.(String(d)));
  let exited: number | string | null = null;
  child.on('exit', (code, signal) => (exited = code ?? signal ?? 'signal'));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((done) => {
      if (exited !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    });
  try {
    const state = await eventually(
      async () => {
        if (exited !== null) return 'exited';
        return (await http(url, '/health', { from: opts.probeFrom })).status === 200 && 'up';
      },
      `GET /health on ${url}`,
      opts.timeoutMs ?? 60_000,
      100,
    );
    if (state === 'exited') throw new Error(`the API exited early (code ${exited})`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { port, url, process: child, exited: () => exited, stop };
}
