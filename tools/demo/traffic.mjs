#!/usr/bin/env node
// `npm run demo`: traffic against Bouncer so the dashboard, /metrics and the alerts show each attack
// being caught, then a check that they did. It stops by itself (DEMO_SECONDS, 90 by default).
//
// Steady traffic that must never be refused: three people signing in and calling routes from
// 127.0.1.1-3, and an API client (a service account calling /validate-token with its bearer token
// from 127.0.2.1). Then, staggered, five attacks from addresses of their own:
//   brute force   wrong passwords at one account from 127.0.66.6: the sign-in buffer answers 429
//   scanner       probes for admin pages and secrets from 127.0.66.7: blocked 403
//   stolen token  a person's access token used from 127.0.66.8-10: revoked, the replayer blocked
//   botnet        127.0.77.1-60 each try one or two passwords at one admin account: no address
//                 fails often, the account rule answers 429 and an admin-under-attack alert goes out
// While it runs it reads GET /dashboard-data and GET /metrics every few seconds, and, when it starts
// Bouncer itself, receives the alerts on a local webhook (signed; ALERT_WEBHOOKS and
// ALERT_WEBHOOK_SECRET are set for that server, and ALERT_ATTACK_THRESHOLD=1 because each demo
// attack but the botnet comes from one address: a rule's first decision is an attack here).
// At the end it prints one row per attack: refused and when, seen on the dashboard, counted in
// /metrics, alerted; and exits 1 if an attack was not caught within 60 s of its start or went
// unseen, or if the people or the API client were refused.
//
//   npm run demo                       starts Bouncer from the build (dist/) on the embedded store
//                                      in a temporary data folder, and stops it at the end
//   BOUNCER_URL=http://127.0.0.1:3000 DEMO_ADMIN_USERNAME=admin DEMO_ADMIN_PASSWORD=… npm run demo
//                                      against a running Bouncer (it creates demo-* users; alerts
//                                      go wherever that server sends them and are not checked)
//   DEMO_SECONDS=60 npm run demo       stop after 60 s (at least 20: the attacks start in the first
//                                      10 s); DEMO_SECONDS=0 runs until Ctrl-C
//
// Only loopback addresses are used: every 127.x.y.z is a distinct client to Bouncer (Linux routes
// the whole 127.0.0.0/8 to lo). The last line is `demo result: {json}` for scripts and the smoke test.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/apps/api/main.js');
// Unset or empty: the default run of 90 s.
const seconds = process.env.DEMO_SECONDS ? Number(process.env.DEMO_SECONDS) : 90;
if (!Number.isFinite(seconds) || seconds < 0 || (seconds > 0 && seconds < 20))
  fail(`DEMO_SECONDS must be 0 (until Ctrl-C) or at least 20 seconds, not "${process.env.DEMO_SECONDS}"`);
/** How soon after its start an attack must be refused, and seen on the dashboard, in /metrics and in an alert. */
const CATCH_WITHIN_S = 60;
/** How often the dashboard data and the metrics are read while the demo runs. */
const WATCH_EVERY_MS = 2000;

const BOTNET = Array.from({ length: 60 }, (_, i) => `127.0.77.${i + 1}`);
const REPLAYERS = ['127.0.66.8', '127.0.66.9', '127.0.66.10'];

/**
 * The attacks and how each one shows: the decision or event on the dashboard that names it, the
 * /metrics series that must rise from its value when the attack started (counters are per
 * instance, not per client), and the alert it raises.
 */
const ATTACKS = {
  guessing: {
    label: 'brute force',
    from: '127.0.66.6',
    onDashboard: (d) => hasDecisionOrEvent(d, (client) => client === '127.0.66.6'),
    metric: { name: 'bouncer_decisions_total', labels: { rule: 'failed-logins' } },
    alert: (a) => a.kind === 'attack.started' && a.details?.rule === 'failed-logins',
  },
  scan: {
    label: 'scanner',
    from: '127.0.66.7',
    onDashboard: (d) => hasDecisionOrEvent(d, (client) => client === '127.0.66.7'),
    metric: { name: 'bouncer_decisions_total', labels: { rule: 'probing' } },
    alert: (a) => a.kind === 'attack.started' && a.details?.rule === 'probing',
  },
  replay: {
    label: 'stolen token',
    from: REPLAYERS.join(','),
    onDashboard: (d) => hasDecisionOrEvent(d, (client) => REPLAYERS.includes(client)),
    metric: { name: 'bouncer_token_misuse_events_total', labels: { kind: 'spread_revoked' } },
    alert: (a) => a.kind === 'attack.started' && a.details?.rule === 'token-misuse',
  },
  botnet: {
    label: 'botnet',
    from: `${BOTNET[0]}-${BOTNET.at(-1).split('.').at(-1)}`,
    // Failed sign-ins at the sprayed account from the botnet's addresses (no address fails often
    // enough for a decision of its own: the account rule holds them back instead).
    onDashboard: (d, target) =>
      hasDecisionOrEvent(d, (client) => BOTNET.includes(client)) ||
      (d.events ?? []).some((e) => e.type === 'login.failed' && e.actor === target && BOTNET.includes(e.client)),
    // Shared with the brute force's refusals: it must have risen by at least the botnet's own.
    metric: { name: 'bouncer_sign_ins_total', labels: { outcome: 'refused' }, byEachRefusal: true },
    alert: (a, target) => a.kind === 'admin.under-attack' && a.details?.account === target,
  },
};

const result = {
  seconds,
  normal: { requests: 0, ok: 0, refused: 0 },
  api_client: { requests: 0, ok: 0, refused: 0 },
  guessing: attackResult(),
  scan: attackResult(),
  replay: attackResult(),
  botnet: attackResult(),
  alerts: { checked: false, received: 0, unsigned: 0, kinds: {} },
  caught: false,
};
let stopping = false;
let finished = false;
let server = null;
let receiver = null;
let dataDir = null;
let demoStarted = 0;
/** Alerts the local webhook received: kind, details, when (s since the demo started), signature valid. */
const alerts = [];
/** /metrics as it read when each attack started. */
const baselines = {};

process.on('SIGINT', () => stop('Ctrl-C'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  await main();
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  await cleanUp();
  process.exit(1);
}

function attackResult() {
  return {
    started_at_s: null,
    tries: 0,
    refused: 0,
    firstRefusedAfter: null,
    caught_after_s: null,
    dashboard_after_s: null,
    metrics_after_s: null,
    alert_after_s: null,
  };
}

async function main() {
  const target = await bouncer();
  const url = target.url;
  const admin = await signIn(url, target.adminUsername, target.adminPassword, '127.0.0.1');
  console.log(`\nBouncer:    ${url}/  (the dashboard; sign in as the admin below)`);
  console.log(`admin:      ${target.adminUsername} / ${target.adminPassword}${target.started ? '   (generated for this run)' : ''}`);
  console.log(`metrics:    curl -H "Authorization: Bearer <admin token>" ${url}/metrics`);
  if (receiver) console.log(`alerts:     ${receiver.url} (signed webhook received here)`);
  console.log(seconds ? `running for ${seconds} s` : 'running until Ctrl-C');
  console.log('');

  const tag = randomBytes(3).toString('hex');
  const create = async (username, role) => {
    const password = strongPassword();
    const created = await call(url, 'POST', '/admin/users', { token: admin.access_token, body: { username, password, role } });
    if (created.status !== 201) throw new Error(`could not create ${username}: ${created.status} ${created.text}`);
    return password;
  };
  const people = [];
  for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
    const username = `demo-${name}-${tag}`;
    people.push({ username, password: await create(username, 'user'), from: `127.0.1.${i + 1}` });
  }
  const service = { username: `demo-service-${tag}`, from: '127.0.2.1' };
  service.password = await create(service.username, 'user');
  // The botnet's target: an admin account, so that spraying it raises the admin-under-attack alert.
  const sprayed = `demo-ops-${tag}`;
  await create(sprayed, 'admin');
  console.log(`users:      ${people.map((p) => p.username).join(', ')} (people, from 127.0.1.1-3)`);
  console.log(`api client: ${service.username} (service account, /validate-token from ${service.from})`);

  demoStarted = Date.now();
  const deadline = seconds ? demoStarted + seconds * 1000 : Infinity;
  const running = () => !stopping && Date.now() < deadline;
  const sessions = new Map();

  const steady = [...people.map((p) => normalUser(url, p, sessions, running)), apiClient(url, service, running)];
  const watching = watch(url, admin.access_token, sprayed, running);
  // Staggered, then side by side: each stops a few refusals after it was caught; the steady
  // traffic goes on until the end.
  const after = async (ms, key, attack) => {
    await pause(ms, running);
    if (!running()) return;
    baselines[key] = await scrape(url, admin.access_token);
    result[key].started_at_s = sinceStart();
    await attack();
  };
  const attacks = [
    after(2000, 'guessing', () => passwordGuessing(url, people[0].username, running)),
    after(4000, 'scan', () => scanner(url, running)),
    after(6000, 'replay', async () => {
      const stolen = sessions.get(people[1].username);
      if (stolen) await tokenReplay(url, stolen, running);
    }),
    after(8000, 'botnet', () => botnet(url, sprayed, running)),
  ];
  await Promise.all([...steady, ...attacks, watching]);
  // A last look (alerts are delivered in the background: a few seconds for the last ones).
  await look(url, admin.access_token, sprayed);
  for (let i = 0; i < 10 && receiver && Object.keys(ATTACKS).some((k) => result[k].alert_after_s === null); i++) {
    await new Promise((r) => setTimeout(r, 500));
    matchAlerts(sprayed);
  }
  await stop(seconds && Date.now() >= deadline ? `${seconds} s are up` : 'stopped');
}

/** Seconds since the demo's traffic started, one decimal. */
function sinceStart() {
  return Math.round((Date.now() - demoStarted) / 100) / 10;
}

/** Reads the dashboard data and the metrics every few seconds and notes when each attack first shows. */
async function watch(url, token, sprayed, running) {
  while (running()) {
    await pause(WATCH_EVERY_MS, running);
    await look(url, token, sprayed).catch((err) => console.error(`demo: watching failed: ${err.message}`));
  }
}

async function look(url, token, sprayed) {
  const [dash, now] = await Promise.all([call(url, 'GET', '/dashboard-data', { token, from: '127.0.0.1' }), scrape(url, token)]);
  for (const [key, attack] of Object.entries(ATTACKS)) {
    const r = result[key];
    if (r.started_at_s === null) continue;
    if (r.dashboard_after_s === null && dash.status === 200 && attack.onDashboard(dash.json, sprayed))
      r.dashboard_after_s = round(sinceStart() - r.started_at_s);
    if (r.metrics_after_s === null && now && baselines[key] && rose(baselines[key], now, attack.metric, r.refused))
      r.metrics_after_s = round(sinceStart() - r.started_at_s);
  }
  matchAlerts(sprayed);
}

function matchAlerts(sprayed) {
  for (const [key, attack] of Object.entries(ATTACKS)) {
    const r = result[key];
    if (r.started_at_s === null || r.alert_after_s !== null) continue;
    const alert = alerts.find((a) => a.valid && attack.alert(a, sprayed));
    if (alert) r.alert_after_s = round(Math.max(0, alert.at_s - r.started_at_s));
  }
}

function hasDecisionOrEvent(dash, isClient) {
  return (
    (dash.decisions ?? []).some((d) => isClient(d.client)) ||
    [...(dash.decision_events ?? []), ...(dash.events ?? [])].some((e) => e.type?.startsWith('decision.') && isClient(e.client))
  );
}

/** Prometheus text format -> [{name, labels, value}] (enough for counters and gauges). */
function parseMetrics(text) {
  const samples = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The attack's series rose since it started (by at least its refusals so far, for a series each refusal counts in). */
function rose(before, after, { name, labels, byEachRefusal }, refusals) {
  const sum = (samples) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  const delta = sum(after) - sum(before);
  return byEachRefusal ? refusals > 0 && delta >= refusals : delta > 0;
}

/** GET /metrics, parsed; null when it did not answer 200. */
async function scrape(url, token) {
  const res = await call(url, 'GET', '/metrics', { token, from: '127.0.0.1' });
  return res.status === 200 ? parseMetrics(res.text) : null;
}

function round(n) {
  return Math.round(n * 10) / 10;
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

/**
 * An API client: a service account that signs in once and then calls /validate-token with its
 * bearer token twice a second (under the request-rate rule's suspicion line), refreshing when
 * the access token ends. It must never be refused.
 */
async function apiClient(url, service, running) {
  const counted = (res) => {
    result.api_client.requests++;
    if (res.status < 400) result.api_client.ok++;
    else if (res.status === 403 || res.status === 429) result.api_client.refused++;
    return res;
  };
  let session = null;
  while (running()) {
    if (!session) {
      const res = counted(
        await call(url, 'POST', '/token', { form: { username: service.username, password: service.password }, from: service.from }),
      );
      session = res.status === 200 ? res.json : null;
    } else {
      const res = counted(await call(url, 'GET', '/validate-token', { token: session.access_token, from: service.from }));
      if (res.status === 401) {
        const r = counted(
          await call(url, 'POST', '/token', {
            form: { grant_type: 'refresh_token', refresh_token: session.refresh_token },
            from: service.from,
          }),
        );
        session = r.status === 200 ? r.json : null;
      }
    }
    await pause(500, running);
  }
}

/** One refused attempt of an attack; the first one prints how long after its start it came. */
function refused(key, what) {
  const r = result[key];
  r.refused++;
  if (r.firstRefusedAfter !== null) return;
  r.firstRefusedAfter = r.tries;
  r.caught_after_s = round(sinceStart() - r.started_at_s);
  console.log(`  caught:   ${what}, ${r.caught_after_s} s after it started`);
}

/** Wrong passwords at one account from one address, until the sign-in buffer answers 429. */
async function passwordGuessing(url, username, running) {
  const from = ATTACKS.guessing.from;
  console.log(`attack:     brute force at ${username} from ${from}`);
  for (let i = 0; i < 30 && running() && result.guessing.refused < 3; i++) {
    const res = await call(url, 'POST', '/token', { form: { username, password: `guess-${i}-${randomBytes(4).toString('hex')}` }, from });
    result.guessing.tries++;
    if (res.status === 429 || res.status === 403)
      refused('guessing', `${from} refused ${res.status} after ${result.guessing.tries} tries (${res.json?.detail ?? ''})`);
    await pause(150, running);
  }
}

/** A scanner walking through well-known admin and secret paths, until a 403 block. */
async function scanner(url, running) {
  const from = ATTACKS.scan.from;
  const paths = ['/wp-admin/', '/.env', '/phpmyadmin/', '/.git/config', '/admin.php', '/server-status', '/actuator/env', '/config.json'];
  console.log(`attack:     scanner from ${from}`);
  for (let i = 0; i < 40 && running() && result.scan.refused < 3; i++) {
    const res = await call(url, 'GET', `${paths[i % paths.length]}?n=${i}`, { from });
    result.scan.tries++;
    if (res.status === 403) refused('scan', `${from} blocked 403 after ${result.scan.tries} probes (${res.json?.detail ?? ''})`);
    await pause(50, running);
  }
}

/** A signed-in user's access token, used from three other addresses: the token is revoked, the replayer blocked. */
async function tokenReplay(url, token, running) {
  console.log(`attack:     a stolen access token replayed from ${REPLAYERS.join(', ')}`);
  for (let round = 0; round < 3 && running(); round++)
    for (const from of REPLAYERS) {
      const res = await call(url, 'GET', '/me', { token, from });
      result.replay.tries++;
      if (res.status === 401 || res.status === 403)
        refused(
          'replay',
          `the replayed token refused ${res.status} at ${from} after ${result.replay.tries} uses (${res.json?.detail ?? ''})`,
        );
      await pause(100, running);
    }
}

/**
 * Password spraying at one account from many addresses, each trying one or two passwords: no
 * address fails often enough for the per-client buffer, so the account rule is what answers 429.
 */
async function botnet(url, username, running) {
  console.log(`attack:     botnet of ${BOTNET.length} addresses (${ATTACKS.botnet.from}) spraying admin account ${username}`);
  for (const [i, from] of BOTNET.entries()) {
    for (let t = 0; t < 1 + (i % 2) && running() && result.botnet.refused < 5; t++) {
      const res = await call(url, 'POST', '/token', { form: { username, password: `spray-${randomBytes(6).toString('hex')}` }, from });
      result.botnet.tries++;
      if (res.status === 429 || res.status === 403)
        refused('botnet', `${from} refused ${res.status} at try ${result.botnet.tries} of the botnet (${res.json?.detail ?? ''})`);
      await pause(100, running);
    }
  }
}

/**
 * The alerts' receiver, on loopback: it checks each POST's signature (HMAC-SHA256 of
 * "<timestamp>.<body>" with the secret given to the server) and keeps what it got.
 */
async function startReceiver(secret) {
  const port = await freePort();
  const http = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const timestamp = String(req.headers['x-bouncer-timestamp'] ?? '');
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-bouncer-signature'] ?? ''));
      const valid = given.length === expected.length && timingSafeEqual(given, expected);
      let alert = {};
      try {
        alert = JSON.parse(body);
      } catch {
        // counted as unsigned below: a body that is no JSON is no alert of ours
      }
      alerts.push({ ...alert, valid: valid && typeof alert.kind === 'string', at_s: demoStarted ? sinceStart() : 0 });
      if (valid) console.log(`  alert:    ${alert.kind}: ${alert.summary}`);
      res.writeHead(valid ? 204 : 401).end();
    });
  });
  await new Promise((done) => http.listen(port, '127.0.0.1', done));
  return { http, url: `http://127.0.0.1:${port}/alerts` };
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
  const secret = randomBytes(24).toString('base64url');
  receiver = await startReceiver(secret);
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    ALERT_WEBHOOKS: receiver.url,
    ALERT_WEBHOOK_SECRET: secret,
    ALERT_FORMAT: 'json',
    // Each attack here but the botnet comes from one address, so one decision by a rule is an
    // attack (the default, 10 decisions in a minute, is for many attackers at once).
    ALERT_ATTACK_THRESHOLD: '1',
    ALERT_ATTACK_WINDOW: '60',
    ALERT_ADMIN_FAILED_SIGNINS: '10',
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
  result.alerts = {
    checked: Boolean(receiver),
    received: alerts.filter((a) => a.valid).length,
    unsigned: alerts.filter((a) => !a.valid).length,
    kinds: countBy(alerts.filter((a) => a.valid).map((a) => a.kind)),
  };
  // Caught: refused within a minute of its start, and seen within a minute on the dashboard, in
  // /metrics and (when the alerts come here) in an alert. Steady traffic never refused.
  const within = (s) => s !== null && s <= CATCH_WITHIN_S;
  const rows = Object.entries(ATTACKS).map(([key, attack]) => {
    const r = result[key];
    const checks = [r.caught_after_s, r.dashboard_after_s, r.metrics_after_s, ...(receiver ? [r.alert_after_s] : [])];
    r.ok = r.started_at_s !== null && checks.every(within);
    return [
      attack.label,
      attack.from,
      r.started_at_s === null ? 'not run' : `${r.started_at_s} s`,
      cell(r.caught_after_s, r.firstRefusedAfter),
      cell(r.dashboard_after_s),
      cell(r.metrics_after_s),
      receiver ? cell(r.alert_after_s) : 'not checked',
      r.ok ? 'CAUGHT' : 'MISSED',
    ];
  });
  const steadyOk = result.normal.refused === 0 && result.api_client.refused === 0;
  result.caught = Object.keys(ATTACKS).every((k) => result[k].ok);
  console.log(
    `\ndemo over (${why}). Each attack, from its start: refused after, seen on the dashboard after, in /metrics after, alerted after`,
  );
  printTable([['attack', 'from', 'started', 'refused', 'dashboard', 'metrics', 'alert', 'verdict'], ...rows]);
  console.log(
    `people:     ${result.normal.requests} requests, ${result.normal.refused} refused; api client: ${result.api_client.requests} requests, ${result.api_client.refused} refused`,
  );
  console.log(
    result.caught && steadyOk
      ? `every attack was caught within ${CATCH_WITHIN_S} s and shown; nobody else was refused`
      : `NOT as expected: ${[...(result.caught ? [] : ['an attack was missed or shown late']), ...(steadyOk ? [] : ['steady traffic was refused'])].join('; ')}`,
  );
  console.log(`demo result: ${JSON.stringify(result)}`);
  if (!(result.caught && steadyOk) && why !== 'Ctrl-C' && why !== 'SIGTERM') process.exitCode = 1;
  await cleanUp();
  process.exit(process.exitCode ?? 0);
}

/** "1.2 s" (and the tries when given), or "no". */
function cell(s, tries) {
  if (s === null) return 'no';
  return tries === undefined || tries === null ? `${s} s` : `${s} s (try ${tries})`;
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(`  ${r.map((c, i) => String(c).padEnd(widths[i])).join('  ')}`.trimEnd());
}

function countBy(xs) {
  const out = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

async function cleanUp() {
  if (server && server.exitCode === null) {
    const gone = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }
  if (receiver) {
    receiver.http.closeAllConnections();
    await new Promise((r) => receiver.http.close(r));
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
