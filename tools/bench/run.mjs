// Throughput benchmark: Bouncer's routes as ratios against a bare Fastify route measured in
// the same run (these machines are noisy, so absolute numbers alone say little).
//   npm run bench            (builds the API first)
//   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 node tools/bench/run.mjs
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const root = new URL('../..', import.meta.url).pathname;
const children = [];

function start(cmd, args, env, readyPattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
}

async function startBouncer(extraEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bouncer-bench-'));
  const password = `Bench-${randomBytes(12).toString('base64url')}`;
  const { port } = await start(
    process.execPath,
    [join(root, 'dist/apps/api/main.js')],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: password,
      LOG_LEVEL: 'warn',
      // The benchmark client is one address: lift the per-client request limit so every
      // request still goes through the full detection path without being blocked.
      RATE_LIMIT: '1000000000',
      PROBE_THRESHOLD: '1000000000',
      ...extraEnv,
    },
    /listening on https?:\/\/[^:]+:(\d+)/,
  );
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { access_token: token } = await res.json();
  return { url, token, dataDir };
}

function cannon(url, headers = {}) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, headers }, (err, result) => {
      if (err) return reject(err);
      const bad = result.non2xx + result.errors + result.timeouts;
      resolve({ rps: result.requests.average, p99: result.latency.p99, bad });
    });
  });
}

async function main() {
  const baseline = await start(process.execPath, [join(root, 'tools/bench/baseline-server.mjs')], {}, /READY (\d+)/);
  const off = await startBouncer({ SHIELD_MODE: 'off' });
  const on = await startBouncer({});
  const auth = (t) => ({ authorization: `Bearer ${t}` });
  const cases = [
    ['baseline: bare Fastify route', () => cannon(`http://127.0.0.1:${baseline.port}/ping`)],
    ['bouncer GET /health (public)', () => cannon(`${on.url}/health`)],
    ['bouncer GET /validate-token, detection on', () => cannon(`${on.url}/validate-token`, auth(on.token))],
    ['bouncer GET /validate-token, detection off', () => cannon(`${off.url}/validate-token`, auth(off.token))],
  ];
  const results = new Map(cases.map(([name]) => [name, []]));
  // Interleave rounds so a noisy moment hurts every case alike; keep each case's best.
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of cases) {
      const res = await run();
      if (res.bad > 0) throw new Error(`${name}: ${res.bad} non-2xx/errors`);
      results.get(name).push(res);
      process.stderr.write(`round ${r + 1} ${name}: ${Math.round(res.rps)} req/s\n`);
    }
  }
  const best = (name) => results.get(name).reduce((a, b) => (b.rps > a.rps ? b : a));
  const base = best(cases[0][0]).rps;
  const rows = cases.map(([name]) => {
    const b = best(name);
    return { case: name, rps: Math.round(b.rps), p99_ms: b.p99, ratio_to_baseline: +(b.rps / base).toFixed(3) };
  });
  const validateOn = best(cases[2][0]).rps;
  const validateOff = best(cases[3][0]).rps;
  const summary = {
    date: new Date().toISOString(),
    connections,
    seconds,
    rounds,
    node: process.version,
    rows,
    detection_overhead_ratio: +(validateOn / validateOff).toFixed(3),
    validate_token_vs_original_4700: +(validateOn / 4700).toFixed(2),
  };
  console.table(rows);
  console.log(`detection on / off on /validate-token: ${summary.detection_overhead_ratio}`);
  console.log(`/validate-token vs the original's 4,700 req/s: ${summary.validate_token_vs_original_4700}x`);
  mkdirSync(join(root, 'tmp/bench'), { recursive: true });
  writeFileSync(join(root, 'tmp/bench/results.json'), JSON.stringify(summary, null, 2));
  for (const s of [on, off]) rmSync(s.dataDir, { recursive: true, force: true });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => children.forEach((c) => c.kill()));
