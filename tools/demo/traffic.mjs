#!/usr/bin/env node
// `npm run demo`: traffic against Bouncer so the dashboard, /metrics and the alerts show something live.
//
// Normal users sign in and call routes from their own loopback addresses (127.0.1.x); then, one
// after the other, three attacks from addresses of their own: password guessing at one account
// (127.0.66.6), a scanner probing for admin pages (127.0.66.7), and a stolen access token replayed
// from three other addresses (127.0.66.8-10). Each line says when an attack got refused.
//
//   npm run demo                       starts Bouncer from the build (dist/) on the embedded store
//                                      in a temporary data folder, and stops it at the end
//   BOUNCER_URL=http://127.0.0.1:3000 DEMO_ADMIN_USERNAME=admin DEMO_ADMIN_PASSWORD=… npm run demo
//                                      against a running Bouncer (it creates three demo-* users)
//   DEMO_SECONDS=60 npm run demo       stop by itself after 60 s (default: run until Ctrl-C)
//
// Only loopback addresses are used: every 127.x.y.z is a distinct client to Bouncer (Linux routes
// the whole 127.0.0.0/8 to lo). The last line is `demo result: {json}` for scripts and the smoke test.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
const seconds = Number(process.env.DEMO_SECONDS ?? 0);
if (!Number.isFinite(seconds) || seconds < 0) fail(`DEMO_SECONDS must be a number of seconds, not "${process.env.DEMO_SECONDS}"`);

const result = {
  normal: { requests: 0, ok: 0, refused: 0 },
  guessing: { tries: 0, refused: 0, firstRefusedAfter: null },
  scan: { tries: 0, refused: 0, firstRefusedAfter: null },
  replay: { tries: 0, refused: 0, firstRefusedAfter: null },
};
let stopping = false;
let finished = false;
let server = null;
let dataDir = null;

process.on('SIGINT', () => stop('Ctrl-C'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  await main();
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  await cleanUp();
  process.exit(1);
}

async function main() {
  const target = await bouncer();
  const url = target.url;
  const admin = await signIn(url, target.adminUsername, target.adminPassword, '127.0.0.1');
  console.log(`\nBouncer:    ${url}/  (the dashboard; sign in as the admin below)`);
  console.log(`admin:      ${target.adminUsername} / ${target.adminPassword}${target.started ? '   (generated for this run)' : ''}`);
  console.log(`metrics:    curl -H "Authorization: Bearer <admin token>" ${url}/metrics`);
  console.log(seconds ? `running for ${seconds} s` : 'running until Ctrl-C');
  console.log('');

  const tag = randomBytes(3).toString('hex');
  const people = [];
  for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
    const username = `demo-${name}-${tag}`;
    const password = strongPassword();
    const created = await call(url, 'POST', '/admin/users', { token: admin.access_token, body: { username, password, role: 'user' } });
    if (created.status !== 201) throw new Error(`could not create ${username}: ${created.status} ${created.text}`);
    people.push({ username, password, from: `127.0.1.${i + 1}` });
  }
  console.log(`users:      ${people.map((p) => p.username).join(', ')} (normal traffic from 127.0.1.1-3)`);

  const started = Date.now();
  const deadline = seconds ? started + seconds * 1000 : Infinity;
  const running = () => !stopping && Date.now() < deadline;
  const sessions = new Map();

  const normal = people.map((p) => normalUser(url, p, sessions, running));
  // Staggered, then side by side: each stops a few refusals after it was caught; the normal
  // traffic goes on until the end.
  const after = async (ms, attack) => {
    await pause(ms, running);
    if (running()) await attack();
  };
  const attacks = [
    after(2000, () => passwordGuessing(url, people[0].username, running)),
    after(4000, () => scanner(url, running)),
    after(6000, async () => {
      const stolen = sessions.get(people[1].username);
      if (stolen) await tokenReplay(url, stolen, running);
    }),
  ];
  await Promise.all([...normal, ...attacks]);
  await stop(seconds && Date.now() >= deadline ? `${seconds} s are up` : 'stopped');
}

/** A person: signs in, reads their account, checks the token, refreshes now and then. */
async function normalUser(url, p, sessions, running) {
  let session = null;
  while (running()) {
    if (!session) {
      const res = await call(url, 'POST', '/token', { form: { username: p.username, password: p.password }, from: p.from });
      count(res);
      if (res.status === 200) {
        session = res.json;
        sessions.set(p.username, session.access_token);
      }
    } else {
      const path = Math.random() < 0.5 ? '/me' : '/validate-token';
      const res = await call(url, 'GET', path, { token: session.access_token, from: p.from });
      count(res);
      if (res.status === 401 || Math.random() < 0.05) {
        const r = await call(url, 'POST', '/token', {
          form: { grant_type: 'refresh_token', refresh_token: session.refresh_token },
          from: p.from,
        });
        count(r);
        session = r.status === 200 ? r.json : null;
        if (session) sessions.set(p.username, session.access_token);
      }
    }
    await pause(250 + Math.random() * 250, running);
  }
}

function count(res) {
  result.normal.requests++;
  if (res.status < 400) result.normal.ok++;
  else if (res.status === 403 || res.status === 429) result.normal.refused++;
}

/** Wrong passwords at one account from one address, until the sign-in buffer answers 429. */
async function passwordGuessing(url, username, running) {
  const from = '127.0.66.6';
  console.log(`attack:     password guessing at ${username} from ${from}`);
  for (let i = 0; i < 30 && running() && result.guessing.refused < 3; i++) {
    const res = await call(url, 'POST', '/token', { form: { username, password: `guess-${i}-${randomBytes(4).toString('hex')}` }, from });
    result.guessing.tries++;
    if (res.status === 429 || res.status === 403) {
      result.guessing.refused++;
      if (result.guessing.firstRefusedAfter === null) {
        result.guessing.firstRefusedAfter = result.guessing.tries;
        console.log(`  caught:   ${from} refused ${res.status} after ${result.guessing.tries} tries (${res.json?.detail ?? ''})`);
      }
    }
    await pause(150, running);
  }
}

/** A scanner walking through well-known admin and secret paths, until a 403 block. */
async function scanner(url, running) {
  const from = '127.0.66.7';
  const paths = ['/wp-admin/', '/.env', '/phpmyadmin/', '/.git/config', '/admin.php', '/server-status', '/actuator/env', '/config.json'];
  console.log(`attack:     scanner from ${from}`);
  for (let i = 0; i < 40 && running() && result.scan.refused < 3; i++) {
    const res = await call(url, 'GET', `${paths[i % paths.length]}?n=${i}`, { from });
    result.scan.tries++;
    if (res.status === 403) {
      result.scan.refused++;
      if (result.scan.firstRefusedAfter === null) {
        result.scan.firstRefusedAfter = result.scan.tries;
        console.log(`  caught:   ${from} blocked 403 after ${result.scan.tries} probes (${res.json?.detail ?? ''})`);
      }
    }
    await pause(50, running);
  }
}

/** A signed-in user's access token, used from three other addresses: the token is revoked, the replayer blocked. */
async function tokenReplay(url, token, running) {
  const froms = ['127.0.66.8', '127.0.66.9', '127.0.66.10'];
  console.log(`attack:     a stolen access token replayed from ${froms.join(', ')}`);
  for (let round = 0; round < 3 && running(); round++)
    for (const from of froms) {
      const res = await call(url, 'GET', '/me', { token, from });
      result.replay.tries++;
      if (res.status === 401 || res.status === 403) {
        result.replay.refused++;
        if (result.replay.firstRefusedAfter === null) {
          result.replay.firstRefusedAfter = result.replay.tries;
          console.log(
            `  caught:   the replayed token refused ${res.status} at ${from} after ${result.replay.tries} uses (${res.json?.detail ?? ''})`,
          );
        }
      }
      await pause(100, running);
    }
}

/** The Bouncer to talk to: BOUNCER_URL, or one started here from the build. */
async function bouncer() {
  if (process.env.BOUNCER_URL) {
    const adminUsername = process.env.DEMO_ADMIN_USERNAME ?? 'admin';
    const adminPassword = process.env.DEMO_ADMIN_PASSWORD;
    if (!adminPassword) fail('with BOUNCER_URL, give the admin credentials in DEMO_ADMIN_USERNAME and DEMO_ADMIN_PASSWORD');
    return { url: process.env.BOUNCER_URL.replace(/\/$/, ''), adminUsername, adminPassword, started: false };
  }
  if (!existsSync(MAIN)) fail(`no build at ${MAIN}: run \`npx nx run-many -t build -p api dashboard\` first (or set BOUNCER_URL)`);
  dataDir = mkdtempSync(join(tmpdir(), 'bouncer-demo-'));
  const port = Number(process.env.PORT ?? 0) || (await freePort());
  const adminPassword = strongPassword();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
  };
  // The embedded defaults: no shared store, whatever the shell had.
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'JWT_PRIVATE_KEY_FILE', 'BOUNCER_URL']) delete env[k];
  env.LOG_LEVEL ??= 'warn';
  console.log(`starting Bouncer from ${MAIN} (embedded store in ${dataDir}) …`);
  server = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  server.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`demo: Bouncer exited (${code ?? signal}) before the demo ended`);
      process.exitCode = 1;
      stopping = true;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 180_000;
  for (;;) {
    if (stopping) throw new Error('Bouncer did not start');
    const res = await call(url, 'GET', '/health/ready', { from: '127.0.0.1' }).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > until) throw new Error('Bouncer did not become ready within 180 s');
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, adminUsername: 'admin', adminPassword, started: true };
}

async function signIn(url, username, password, from) {
  const res = await call(url, 'POST', '/token', { form: { username, password }, from });
  if (res.status !== 200) throw new Error(`admin sign-in as ${username} failed: ${res.status} ${res.json?.detail ?? res.text}`);
  if (res.json.must_change_password) throw new Error(`${username} must change their password first (sign in to the dashboard once)`);
  return res.json;
}

async function stop(why) {
  if (finished) return;
  finished = true;
  stopping = true;
  const caught = ['guessing', 'scan', 'replay'].filter((k) => result[k].refused > 0);
  console.log(
    `\ndemo over (${why}): ${result.normal.requests} normal requests (${result.normal.refused} refused); attacks caught: ${caught.join(', ') || 'none'}`,
  );
  console.log(`demo result: ${JSON.stringify(result)}`);
  await cleanUp();
  process.exit(process.exitCode ?? 0);
}

async function cleanUp() {
  if (server && server.exitCode === null) {
    const gone = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

/** One HTTP request from a chosen loopback address; resolves with status, text and parsed JSON. */
function call(base, method, path, { body, form, token, from } = {}) {
  const url = new URL(path, base);
  const headers = {};
  let payload;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  } else if (form) {
    payload = new URLSearchParams(form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (token) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
  return new Promise((done, failed) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: from, timeout: 15_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          done({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', failed);
    req.end(payload);
  });
}

function pause(ms, running) {
  if (!running()) return Promise.resolve();
  return new Promise((r) => setTimeout(r, ms));
}

function freePort() {
  return new Promise((done, failed) => {
    const s = createServer();
    s.once('error', failed);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** A random password the password policy accepts (zxcvbn scores 144 random bits as strong). */
function strongPassword() {
  return randomBytes(18).toString('base64url');
}

function fail(message) {
  console.error(`demo: ${message}`);
  process.exit(2);
}
