import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startApiProcess, strongPassword } from '@bouncer/testing';
import { API_MAIN, DASHBOARD_DIR, LOG_DIR } from './paths';

export interface RunningApi {
  baseUrl: string;
  adminUsername: string;
  adminPassword: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts `node dist/apps/api/main.js` serving the built dashboard, with a fresh data folder; waits for /health. */
export async function startApi(name: string, extraEnv: Record<string, string> = {}): Promise<RunningApi> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: run "npx nx build api" (the e2e target depends on it)`);
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    throw new Error(`${DASHBOARD_DIR}/index.html is missing: run "npx nx build dashboard"`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), `bouncer-e2e-${name}-`));
  const adminPassword = strongPassword();
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name}-api.log`);
  const log = createWriteStream(logFile);

  const api = await startApiProcess({
    mainJs: API_MAIN,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? tmpdir(),
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: adminPassword,
      STATIC_DIR: DASHBOARD_DIR,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    onOutput: (chunk) => log.write(chunk),
    // /health from its own address, so the probes do not count against the browser's.
    probeFrom: '127.0.0.254',
    // A loaded CI host (or a 2-core box shared with other jobs) can take a minute and more to start Node.
    timeoutMs: 180_000,
  }).catch((err: Error) => {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new Error(`${err.message} (log: ${logFile}); last lines:\n${tail}`);
  });

  return {
    baseUrl: api.url,
    adminUsername: 'admin',
    adminPassword,
    logFile,
    stop: async () => {
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An admin API call from the seeding address: `(path, body?, method?)`. */
export type AdminSeeder = (path: string, body?: unknown, method?: string) => ReturnType<typeof http>;

/**
 * Signs the admin in from `from` (an address the test allowlists, so hundreds of seeding calls
 * are not themselves a flood) and returns a function that makes admin calls from there.
 */
export async function adminSeeder(api: RunningApi, from: string): Promise<AdminSeeder> {
  const grant = await http(api.baseUrl, '/token', {
    form: { grant_type: 'password', username: api.adminUsername, password: api.adminPassword },
    from,
  });
  if (grant.status !== 200) throw new Error(`the seeder could not sign in: ${grant.status}`);
  const token = (grant.json as { access_token: string }).access_token;
  return (path, body, method) =>
    http(api.baseUrl, path, { token, from, ...(body !== undefined ? { body } : {}), ...(method ? { method } : {}) });
}
