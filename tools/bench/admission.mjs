// Line 10 of issue 12: exact admission across instances. Three built API processes share one
// PostgreSQL database and one Redis; one client sends 1,000 sign-ins at once, spread over the
// three, against a sign-in budget of 5 (AUTH_ROUTE_LIMIT): exactly 5 may be admitted.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import { request } from './http.mjs';
import { createDatabase, redisPrefix, startBouncer, strongPassword, tempDir } from './processes.mjs';

const LIMIT = 5;
const CLIENT = '127.0.70.1';

export async function benchAdmission({ smoke, log }) {
  const total = smoke ? 200 : 1000;
  const dir = tempDir('cluster');
  const keyFile = join(dir, 'jwt.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const adminPassword = strongPassword();
  const env = {
    DATABASE_URL: await createDatabase(),
    ...redisPrefix(),
    JWT_PRIVATE_KEY_FILE: keyFile,
    ADMIN_PASSWORD: adminPassword,
    AUTH_ROUTE_LIMIT: String(LIMIT),
    // Only the budget under test decides: the other rules would refuse this one client too.
    SUCCESS_LOGIN_BLOCK: '1000',
    RATE_LIMIT: '1000000000',
    PROBE_THRESHOLD: '1000000000',
  };
  log('line 10: three instances on PostgreSQL and Redis');
  // The first migrates the shared database and creates the admin; one at a time (see throughput.mjs).
  const instances = [];
  for (let i = 0; i < 3; i++) instances.push(await startBouncer(`cluster-${i}`, env));
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity, localAddress: CLIENT });
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: total }, (_, k) =>
      request(instances[k % 3].url, '/token', { form: { username: 'admin', password: adminPassword }, agent, timeoutMs: 60_000 }).then(
        (r) => r.status,
        (err) => `error: ${err.message}`,
      ),
    ),
  );
  const elapsed = Math.round(performance.now() - started);
  agent.destroy();
  const statuses = {};
  for (const s of answers) statuses[s] = (statuses[s] ?? 0) + 1;
  const admitted = statuses[200] ?? 0;
  const refused = statuses[429] ?? 0;
  return {
    rows: [
      {
        line: 10,
        name: `exact admission, 3 instances on Redis: ${total} concurrent sign-ins, budget ${LIMIT}`,
        measured: admitted,
        unit: 'admitted',
        target: `exactly ${LIMIT}, the rest 429`,
        pass: admitted === LIMIT && refused === total - LIMIT,
        detail: `answers ${JSON.stringify(statuses)} in ${elapsed} ms`,
      },
    ],
    raw: { statuses, elapsed },
  };
}
