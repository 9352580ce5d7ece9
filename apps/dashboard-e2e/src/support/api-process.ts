import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, eventually } from './http';
import { API_MAIN, DASHBOARD_DIR, LOG_DIR, WORKSPACE_ROOT } from './paths';

export interface RunningApi {
  baseUrl: string;
  adminUsername: string;
  adminPassword: string;
  logFile: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** A password no policy should refuse: long, mixed classes, random. */
export function strongPassword(): string {
  return `Bn-${randomBytes(18).toString('base64url')}-9x!Q`;
}

/** Starts `node dist/apps/api/main.js` on a free port with a fresh data folder; waits for /health. */
export async function startApi(name: string): Promise<RunningApi> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: run "npx nx build api" (the e2e target depends on it)`);
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    throw new Error(`${DASHBOARD_DIR}/index.html is missing: run "npx nx build dashboard"`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `bouncer-e2e-${name}-`));
  const adminPassword = strongPassword();
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name}-api.log`);
  const log = createWriteStream(logFile);

  const child: ChildProcess = spawn(process.execPath, [API_MAIN], {
    cwd: WORKSPACE_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? tmpdir(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: adminPassword,
      STATIC_DIR: DASHBOARD_DIR,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: number | string | null = null;
  child.on('exit', (code, signal) => (exited = code ?? signal ?? 'signal'));

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const state = await eventually(
      async () => {
        if (exited !== null) return 'exited';
        // /health from its own address, so the probes do not count against the browser's.
        return (await call(baseUrl, '/health', { localAddress: '127.0.0.254' })).status === 200 && 'up';
      },
      `GET /health on ${baseUrl} (log: ${logFile})`,
      60_000,
    );
    if (state === 'exited') {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`API exited early (code ${exited}); last lines of ${logFile}:\n${tail}`);
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    baseUrl,
    adminUsername: 'admin',
    adminPassword,
    logFile,
    stop: () =>
      new Promise<void>((done) => {
        const finish = () => {
          rmSync(dataDir, { recursive: true, force: true });
          done();
        };
        if (exited !== null) return finish();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          finish();
        });
        child.kill('SIGTERM');
      }),
  };
}
