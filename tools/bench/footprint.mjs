// Footprint benchmark: lines 7, 8, 9 and 11 of `npm run bench` (issue 12).
//   node tools/bench/footprint.mjs [--smoke]      (needs `nx build api` for lines 9 and 11)
// Imported by tools/bench/run.mjs: `benchFootprint({ smoke })` returns rows
// { line, name, measured, unit, target, pass, detail?, error? }; pass is null in smoke mode.
// Each line runs in a child process of its own: 7 and 8 load the TypeScript engine and traffic
// monitor in-process (node --expose-gc -r @swc-node/register tools/bench/footprint-probe.ts),
// 9 and 11 start the built API (dist/apps/api/main.js) with an embedded store in a temp folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const MAIN = join(root, 'dist/apps/api/main.js');

function sizes(smoke) {
  return smoke
    ? { perClient: 2_000, flood: 20_000, dashboardClients: 2_000, dashboardReads: 20, idleSeconds: 3 }
    : { perClient: 100_000, flood: 1_000_000, dashboardClients: 100_000, dashboardReads: 200, idleSeconds: 60 };
}

/** Runs footprint-probe.ts in a child and returns its JSON answer. */
function probe(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '-r', '@swc-node/register', join(root, 'tools/bench/footprint-probe.ts'), ...args],
      {
        cwd: root,
        env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`probe ${args[0]} exited ${code}: ${err.slice(-500)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (e) {
        reject(new Error(`probe ${args[0]}: ${e.message}: ${out.slice(-300)}`));
      }
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process, in bytes (Linux /proc). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The highest VmHWM among a process's current children (a first start's initdb process), in bytes. */
function childrenPeak(pid) {
  let peak = 0;
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean)) {
      try {
        peak = Math.max(peak, memoryOf(child).hwm || 0);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc children list (kernel without it): reported as 0
  }
  return peak;
}

function get(port, path, { headers = {}, agent, method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: agent ?? false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The built API on a free port with an embedded store in a fresh folder, as `npm start` runs it. */
async function startApi(env = {}) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx nx build api\` first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bouncer-footprint-'));
  const port = await freePort();
  const password = `Footprint-${randomBytes(9).toString('base64url')}-7`;
  const child = spawn(process.execPath, [MAIN], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: password,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => (clearTimeout(t), r()));
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = performance.now();
  let peak = 0;
  // A first start creates the embedded database in a short-lived process of its own.
  let childPeak = 0;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`the API exited (${exited}): ${stderr}`);
    }
    try {
      peak = Math.max(peak, memoryOf(child.pid).hwm);
      childPeak = Math.max(childPeak, childrenPeak(child.pid));
    } catch {
      // not there yet
    }
    const up = await get(port, '/health').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (performance.now() - started > 300_000) {
      await stop();
      throw new Error('the API did not answer /health within 300 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, password, stop, startMs: performance.now() - started, childPeak };
}

/** Line 11: resident memory of the default start after an idle spell, and its peak. */
async function idleMemory({ idleSeconds }) {
  const api = await startApi();
  try {
    const samples = [];
    const end = performance.now() + idleSeconds * 1000;
    while (performance.now() < end) {
      samples.push(memoryOf(api.child.pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    const last = memoryOf(api.child.pid);
    return { idle: last.rss, peak: last.hwm, startMs: api.startMs, childPeak: api.childPeak };
  } finally {
    await api.stop();
  }
}

/**
 * Line 9: /dashboard-data with `clients` clients tracked. The real server is filled through
 * its front door: it trusts 127.0.0.1 as a proxy, so each request's X-Forwarded-For is a
 * distinct client (one request each, over keep-alive connections).
 */
async function dashboardAtScale({ dashboardClients, dashboardReads }) {
  const api = await startApi({ TRUSTED_PROXIES: '127.0.0.1' });
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    let next = 0;
    const worker = async () => {
      while (next < dashboardClients) {
        const n = next++;
        await get(api.port, '/footprint', {
          agent,
          headers: { 'x-forwarded-for': `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` },
        });
      }
    };
    const fillStart = performance.now();
    await Promise.all(Array.from({ length: 32 }, worker));
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const form = new URLSearchParams({ username: 'admin', password: api.password }).toString();
    const signIn = await get(api.port, '/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) },
      body: form,
    });
    if (signIn.status !== 200) throw new Error(`admin sign-in: ${signIn.status} ${signIn.body}`);
    const token = JSON.parse(signIn.body.toString()).access_token;
    const times = [];
    let body = 0;
    let tracked = 0;
    for (let i = 0; i < dashboardReads + 5; i++) {
      const t0 = performance.now();
      const res = await get(api.port, '/dashboard-data', { agent, headers: { authorization: `Bearer ${token}` } });
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`/dashboard-data: ${res.status} ${res.body.toString().slice(0, 200)}`);
      if (i >= 5) times.push(ms); // the first reads warm the code paths
      body = Math.max(body, res.body.length);
      tracked = JSON.parse(res.body.toString()).total_ips ?? tracked;
    }
    agent.destroy();
    times.sort((a, b) => a - b);
    return { p95: times[Math.floor(times.length * 0.95)], body, tracked, fillSeconds };
  } finally {
    await api.stop();
  }
}

function row(line, name, measured, unit, target, ok, smoke, detail) {
  return { line, name, measured, unit, target, pass: smoke ? null : ok, ...(detail ? { detail } : {}) };
}

function failed(line, name, unit, target, error) {
  return { line, name, measured: null, unit, target, pass: false, error: String(error?.message ?? error) };
}

/** `lines` (or FOOTPRINT_LINES=9,11) runs only some lines. */
export async function benchFootprint({ smoke = false, lines = process.env.FOOTPRINT_LINES?.split(',').map(Number) } = {}) {
  const s = sizes(smoke);
  const want = (line) => !lines?.length || lines.includes(line);
  const rows = [];
  const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

  const n7 = `heap per tracked client at ${s.perClient.toLocaleString('en')} clients`;
  if (want(7))
    try {
      const r = await probe(['per-client', String(s.perClient)]);
      rows.push(
        row(
          7,
          n7,
          round(r.perClient),
          'B',
          '<= 200 B',
          r.perClient <= 200,
          smoke,
          'engine + counter store + traffic monitor, heapUsed + arrayBuffers after gc',
        ),
      );
    } catch (e) {
      rows.push(failed(7, n7, 'B', '<= 200 B', e));
    }

  const n8 = `${s.flood.toLocaleString('en')} one-off addresses`;
  if (want(8))
    try {
      const r = await probe(['flood', String(s.flood)]);
      const detail = `tracked ${r.tracked.monitor} clients, ${r.tracked.store} counters; peak growth ${round(r.peakGrowth / 2 ** 20)} MB`;
      rows.push(
        row(
          8,
          `${n8}: heap growth`,
          round(r.growth / 2 ** 20),
          'MB',
          '< 256 MB',
          r.growth < 256 * 2 ** 20 && r.peakGrowth < 256 * 2 ** 20,
          smoke,
          detail,
        ),
      );
      rows.push(
        row(
          8,
          `${n8}: event-loop delay p99`,
          round(r.loopDelayP99Ms),
          'ms',
          '< 50 ms',
          r.loopDelayP99Ms < 50,
          smoke,
          `max ${round(r.loopDelayMaxMs)} ms`,
        ),
      );
    } catch (e) {
      rows.push(failed(8, `${n8}: heap growth`, 'MB', '< 256 MB', e));
    }

  const n9 = `/dashboard-data at ${s.dashboardClients.toLocaleString('en')} tracked clients`;
  if (want(9))
    try {
      const r = await dashboardAtScale(s);
      const detail = `${r.tracked} tracked, filled in ${round(r.fillSeconds)} s`;
      rows.push(row(9, `${n9}: p95 latency`, round(r.p95, 2), 'ms', '<= 20 ms', r.p95 <= 20, smoke, detail));
      rows.push(row(9, `${n9}: body`, round(r.body / 1024), 'KB', '<= 64 KB', r.body <= 64 * 1024, smoke));
    } catch (e) {
      rows.push(failed(9, `${n9}: p95 latency`, 'ms', '<= 20 ms', e));
    }

  const n11 = 'resident memory of the default start (embedded store)';
  if (want(11))
    try {
      const r = await idleMemory(s);
      rows.push(
        row(11, `${n11} after ${s.idleSeconds} s idle`, round(r.idle / 2 ** 20), 'MB', '<= 200 MB', r.idle <= 200 * 2 ** 20, smoke),
      );
      rows.push(
        row(
          11,
          `${n11}: peak during start`,
          round(r.peak / 2 ** 20),
          'MB',
          'reported',
          true,
          smoke,
          `ready in ${round(r.startMs / 1000)} s; server process only, the initdb process peaked at ${round(r.childPeak / 2 ** 20)} MB`,
        ),
      );
    } catch (e) {
      rows.push(failed(11, `${n11} after ${s.idleSeconds} s idle`, 'MB', '<= 200 MB', e));
    }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes('--smoke');
  const rows = await benchFootprint({ smoke });
  for (const r of rows) {
    const verdict = r.pass === null ? 'smoke' : r.pass ? 'ok' : 'MISSED';
    console.log(
      `${String(r.line).padStart(2)}  ${r.name.padEnd(72)} ${String(r.measured ?? 'n/a').padStart(9)} ${r.unit.padEnd(3)} ${r.target.padEnd(10)} ${verdict}${r.error ? `  (${r.error})` : ''}`,
    );
  }
  console.log(JSON.stringify(rows));
}
