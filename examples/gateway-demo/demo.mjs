// `npm run demo:gateway`: Bouncer in reverse-proxy mode (UPSTREAM_URL) in front of a sample API,
// with traffic from normal users and two attackers, so the dashboard shows the attack live.
//   DEMO_SECONDS=N   stop after N seconds (default: run until Ctrl-C)
//   DEMO_PORT=N      Bouncer's port (default 3000; 0 = any free port)
// Needs the built API and dashboard (`npm run demo:gateway` builds them first).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSampleApi } from './sample-api.mjs';

const root = new URL('../..', import.meta.url).pathname;
const seconds = Number(process.env.DEMO_SECONDS ?? 0);
const port = process.env.DEMO_PORT ?? '3000';
const main = join(root, 'dist/apps/api/main.js');
if (!existsSync(main)) {
  console.error('dist/apps/api/main.js is missing: run `npm run demo:gateway` (it builds first) or `npx nx build api`.');
  process.exit(1);
}

const POLICY = `# The demo's route policy (see README, Protect your API)
version: 1
classes:
  - name: sign-in
    match: { methods: [POST], path: /login }
    auth: public
    sign_in: { username_field: username, failure_statuses: [401] }
  - name: admin
    match: { path: /api/admin/** }
    auth: { role: admin }
  - name: api
    match: { path: /api/** }
    auth: public
default:
  auth: public
`;

/** One HTTP request from a chosen loopback address (every 127.x.y.z is a distinct client). */
function send(base, path, { from, method = 'GET', body, token } = {}) {
  return new Promise((resolve) => {
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = {};
    if (payload) headers['content-type'] = 'application/json';
    if (token) headers['authorization'] = `Bearer ${token}`;
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: from, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    if (payload) req.write(payload);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bouncer-demo-'));
const policyFile = join(dir, 'policy.yaml');
writeFileSync(policyFile, POLICY);
const password = `Demo-${randomBytes(9).toString('base64url')}`;
let bouncer = null;
let api = null;
const timers = [];
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  if (bouncer && bouncer.exitCode === null) {
    const gone = new Promise((r) => bouncer.once('exit', r));
    bouncer.kill('SIGTERM');
    const hard = setTimeout(() => bouncer.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(hard);
  }
  api?.server.closeAllConnections();
  await new Promise((r) => (api ? api.server.close(r) : r()));
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

api = await startSampleApi();
bouncer = spawn(process.execPath, [main], {
  cwd: root,
  env: {
    ...process.env,
    PORT: port,
    HOST: '127.0.0.1',
    DATA_DIR: join(dir, 'data'),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: password,
    UPSTREAM_URL: api.url,
    UPSTREAM_TIMEOUT_MS: '5000',
    POLICY_FILE: policyFile,
    // info: the start-up line (with the port) is logged at info.
    LOG_LEVEL: 'info',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  bouncer.stdout.on('data', (d) => {
    // Read on (so Bouncer never blocks on a full pipe) but keep only what is needed to find the address.
    if (out.length > 100_000) return;
    out += d;
    const m = /listening on (http:\/\/[^\s"]+?)\/? /.exec(out) ?? /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) resolve(m[1].replace(/\/$/, ''));
  });
  bouncer.on('exit', (code) => reject(new Error(`Bouncer exited (${code}): ${out.slice(-400)}`)));
}).catch((err) => {
  console.error(err.message);
  return stop(1);
});

console.log(`
Bouncer guards the sample API (${api.url}) at ${url}
  dashboard:  ${url}/   sign in as admin / ${password}
  try:        curl ${url}/api/items     (forwarded, with X-Bouncer-* identity headers)
Traffic: normal users from 127.0.1.x; a brute force on /login from 127.66.0.1; a 404 scan from 127.66.0.2.
Ctrl-C stops everything.${seconds ? ` (ends by itself after ${seconds} s)` : ''}
`);

const tally = { users: {}, bruteForce: {}, scan: {} };
const count = (who, status) => (tally[who][status] = (tally[who][status] ?? 0) + 1);
const users = Object.entries(api.users);
let tick = 0;
// Normal users: browse the API and sign in to the sample API now and then, each from its own address.
timers.push(
  setInterval(() => {
    tick++;
    const i = tick % 5;
    const [name, pass] = users[i % users.length];
    const from = `127.0.1.${i + 1}`;
    void send(url, tick % 10 === 0 ? '/api/items?page=2' : '/api/items', { from }).then((r) => count('users', r.status));
    if (tick % 15 === 0)
      void send(url, '/login', { from, method: 'POST', body: { username: name, password: pass } }).then((r) => count('users', r.status));
  }, 200),
);
// The brute force: one address guessing alice's password on the sample API's own sign-in route.
let guess = 0;
timers.push(
  setInterval(() => {
    void send(url, '/login', { from: '127.66.0.1', method: 'POST', body: { username: 'alice', password: `guess-${guess++}` } }).then((r) =>
      count('bruteForce', r.status),
    );
  }, 250),
);
// The scan: one address looking for well-known admin pages that do not exist.
const probes = ['/wp-login.php', '/.env', '/phpmyadmin/', '/admin.php', '/.git/config', '/backup.zip', '/server-status', '/actuator/env'];
let probe = 0;
timers.push(
  setInterval(() => {
    const path = `${probes[probe % probes.length]}?n=${probe++}`;
    void send(url, path, { from: '127.66.0.2' }).then((r) => count('scan', r.status));
  }, 150),
);
const fmt = (t) =>
  Object.entries(t)
    .map(([s, n]) => `${s}:${n}`)
    .join(' ') || '-';
timers.push(
  setInterval(() => {
    console.log(
      `users ${fmt(tally.users)} | brute force ${fmt(tally.bruteForce)} | scan ${fmt(tally.scan)} | sample API saw ${api.counts.total} (failed sign-ins ${api.counts.login_failed}, 404s ${api.counts.not_found})`,
    );
  }, 5000),
);
if (seconds > 0) {
  setTimeout(() => {
    const result = {
      brute_force_stopped: (tally.bruteForce['429'] ?? 0) + (tally.bruteForce['403'] ?? 0) > 0,
      scanner_blocked: (tally.scan['403'] ?? 0) > 0,
      users_served: tally.users['200'] ?? 0,
      tally,
      sample_api: api.counts,
    };
    console.log(`DEMO RESULT ${JSON.stringify(result)}`);
    void stop(0);
  }, seconds * 1000);
}
