// Issue #11 point 5 (bench line 12): what guarding an API costs, as ratios measured in one run
// against the same tiny upstream reached directly:
//   12a  through Bouncer's reverse-proxy mode (UPSTREAM_URL)   target: >= 0.6 of direct throughput, < 2 ms added at p99
//   12b  through nginx with forward-auth (auth_request -> Bouncer's /forward-auth, tools/nginx/forward-auth.conf)
//                                                               reported, no target in the issue
//   12r, 12n  references: a bare Fastify + @fastify/http-proxy, and nginx proxy_pass alone (no check)
// Needs the built API (dist/apps/api/main.js: `npx nx build api`) and /usr/sbin/nginx (12b is
// skipped without it). Alone: `node tools/bench/gateway.mjs [--smoke]`; tools/bench/run.mjs imports
// benchGateway(). Contract: /tmp/helpers/gw-proxy-bench.md (and the README, Performance).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { percentile } from './http.mjs';

const root = new URL('../..', import.meta.url).pathname;
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** The upstream: a bare node:http server answering a small JSON body, in its own process. */
const UPSTREAM_SOURCE = `
const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
require('node:http').createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(0, '127.0.0.1', function () { console.log('READY ' + this.address().port); });
`;

/**
 * The ceiling of the stack: a bare Fastify with @fastify/http-proxy (the library the reverse-proxy
 * mode uses) and nothing else, in front of the same upstream. Line 12r shows how much of it
 * Bouncer keeps, as line 1r does for a bare Fastify route.
 */
const BARE_PROXY_SOURCE = `
const app = require('fastify')({ logger: false });
app.register(require('@fastify/http-proxy'), { upstream: process.env.UPSTREAM_URL, undici: { connections: 128, pipelining: 1 } });
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log('READY ' + app.server.address().port));
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function startProcess(children, cmd, args, env, readyPattern, timeoutMs = 240_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start in ${timeoutMs} ms: ${out.slice(-500)}`)), timeoutMs);
    const read = (d) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

async function startBouncer(children, env) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bouncer-bench-gw-'));
  const { port } = await startProcess(
    children,
    process.execPath,
    [join(root, 'dist/apps/api/main.js')],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: `Bench-${randomBytes(12).toString('base64url')}`,
      // info: the start-up line (with the port) is logged at info; requests are logged only at debug.
      LOG_LEVEL: 'info',
      // The load generator is one address: lift the per-client limits so every request takes
      // the full path (gateway check, counting) without being refused.
      RATE_LIMIT: '1000000000',
      PROBE_THRESHOLD: '1000000000',
      ...env,
    },
    /listening on https?:\/\/[^:]+:(\d+)/,
  );
  return { url: `http://127.0.0.1:${port}`, dataDir };
}

/** nginx with the forward-auth configuration the gateway tests use, its {{fields}} filled in. */
async function startNginx(children, { bouncer, upstream, logPort }) {
  const template = join(root, 'tools/nginx/forward-auth.conf');
  if (!existsSync(NGINX) || !existsSync(template)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-bench-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const fields = {
    PID_FILE: join(dir, 'nginx.pid'),
    ERROR_LOG: join(dir, 'error.log'),
    TMP_DIR: dir,
    BOUNCER_LOG: `127.0.0.1:${logPort}`,
    BOUNCER: bouncer,
    UPSTREAM: upstream,
    PORT: String(port),
    UPSTREAM_TIMEOUT: '30s',
  };
  const conf = readFileSync(template, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name) => {
    if (!(name in fields)) throw new Error(`tools/nginx/forward-auth.conf: unknown field {{${name}}}`);
    return fields[name];
  });
  return runNginx(children, dir, port, conf, 'nginx');
}

/**
 * The cheapest proxy on the machine: nginx passing every request to the upstream, no check,
 * keep-alive both sides. Line 12n shows what any proxy in front of the upstream keeps of the
 * direct throughput on this machine, the floor under what line 12a can reach.
 */
async function startPlainNginx(children, upstream) {
  if (!existsSync(NGINX)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-bench-nginx-plain-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const port = await freePort();
  const conf = `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream api { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
  return runNginx(children, dir, port, conf, 'nginx (plain)');
}

/** Starts nginx on `conf` (written to `dir`) and waits until it answers on `port`. */
async function runNginx(children, dir, port, conf, label) {
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null)
      throw new Error(`${label} exited ${child.exitCode}: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-500)}`);
    try {
      await fetch(`${url}/`);
      return { url, dir };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${label} did not start`);
}

function cannon(url, seconds, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds }, (err, result) => {
      if (err) return reject(err);
      resolve({
        rps: result.requests.average,
        p99: result.latency.p99,
        total: result.requests.total,
        bad: result.non2xx + result.errors + result.timeouts,
      });
    });
  });
}

/**
 * Measures the two gateway lines. `smoke`: one short round, no thresholds (pass is null).
 * Returns rows `{ line, name, measured, p99AddedMs, target, pass, detail }`: `measured` is the
 * ratio of throughput through the gateway to direct, `p99AddedMs` the p99 it adds.
 */
export async function benchGateway({
  seconds = 5,
  connections = 16,
  smoke = false,
  rounds = smoke ? 1 : 3,
  log = (l) => process.stderr.write(l + '\n'),
} = {}) {
  if (smoke) seconds = Math.min(seconds, 1);
  const main = join(root, 'dist/apps/api/main.js');
  if (!existsSync(main)) throw new Error('dist/apps/api/main.js is missing: run `npx nx build api` first');
  const children = [];
  const dirs = [];
  try {
    const upstream = await startProcess(children, process.execPath, ['-e', UPSTREAM_SOURCE], {}, /READY (\d+)/);
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const bare = await startProcess(children, process.execPath, ['-e', BARE_PROXY_SOURCE], { UPSTREAM_URL: upstreamUrl }, /READY (\d+)/);
    const proxy = await startBouncer(children, { UPSTREAM_URL: upstreamUrl });
    dirs.push(proxy.dataDir);
    const logPort = await freePort();
    const auth = await startBouncer(children, { TRUSTED_PROXIES: '127.0.0.1', GATEWAY_LOG_LISTEN: `127.0.0.1:${logPort}` });
    dirs.push(auth.dataDir);
    const nginx = await startNginx(children, {
      bouncer: auth.url.slice('http://'.length),
      upstream: `127.0.0.1:${upstream.port}`,
      logPort,
    });
    if (nginx) dirs.push(nginx.dir);
    else log('gateway bench: nginx or tools/nginx/forward-auth.conf not available; line 12b skipped');
    const plain = await startPlainNginx(children, `127.0.0.1:${upstream.port}`);
    if (plain) dirs.push(plain.dir);

    const cases = [
      ['direct', `${upstreamUrl}/api/items`],
      ['proxy', `${proxy.url}/api/items`],
      ['bare', `http://127.0.0.1:${bare.port}/api/items`],
      ...(nginx ? [['nginx', `${nginx.url}/api/items`]] : []),
      ...(plain ? [['plain', `${plain.url}/api/items`]] : []),
    ];
    const results = Object.fromEntries(cases.map(([name]) => [name, []]));
    // Warm-up (JIT, connection pools), then interleaved rounds so machine noise hits every case alike.
    for (const [, url] of cases) await cannon(url, smoke ? 0.5 : 1, connections);
    for (let r = 0; r < rounds; r++) {
      for (const [name, url] of cases) {
        const res = await cannon(url, seconds, connections);
        // A handful of failed answers under full load is reported; more than 1 % makes the ratio meaningless.
        if (res.bad > Math.max(0, res.total) * 0.01) throw new Error(`gateway bench ${name}: ${res.bad} of ${res.total} answers failed`);
        results[name].push(res);
        log(`gateway bench round ${r + 1} ${name}: ${Math.round(res.rps)} req/s, p99 ${res.p99} ms`);
      }
    }
    // Medians per case: one lucky or unlucky round does not decide the line.
    const median = (xs) => percentile(xs, 50);
    const stat = (name) => ({ rps: median(results[name].map((x) => x.rps)), p99: median(results[name].map((x) => x.p99)) });
    const direct = stat('direct');
    const row = (line, name, key, target, check) => {
      const s = stat(key);
      const measured = +(s.rps / direct.rps).toFixed(3);
      const p99AddedMs = +(s.p99 - direct.p99).toFixed(2);
      return {
        line,
        name,
        measured,
        p99AddedMs,
        target,
        pass: smoke || !check ? null : check(measured, p99AddedMs),
        detail: {
          direct_rps: Math.round(direct.rps),
          rps: Math.round(s.rps),
          direct_p99_ms: direct.p99,
          p99_ms: s.p99,
          connections,
          seconds,
          rounds,
          failed_answers: results[key].reduce((n, r) => n + r.bad, 0),
        },
      };
    };
    const rows = [
      row(
        '12a',
        'reverse-proxy mode (UPSTREAM_URL) / direct, small JSON',
        'proxy',
        '>= 0.6 of direct, < 2 ms added at p99',
        (m, p) => m >= 0.6 && p < 2,
      ),
    ];
    const bareRow = row('12r', 'reference (no target): a bare Fastify + @fastify/http-proxy / direct', 'bare', '', null);
    bareRow.detail.bouncer_share_of_bare = +(stat('proxy').rps / stat('bare').rps).toFixed(3);
    rows.push(bareRow);
    if (nginx) rows.push(row('12b', 'nginx + forward-auth (auth_request) / direct, small JSON', 'nginx', 'reported (no target)', null));
    if (plain) rows.push(row('12n', 'reference (no target): nginx proxy_pass alone, no check / direct', 'plain', '', null));
    return rows;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  benchGateway({
    smoke,
    seconds: Number(process.env.BENCH_SECONDS ?? 5),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  })
    .then((rows) => {
      console.table(rows.map(({ detail, ...r }) => ({ ...r, rps: detail.rps, direct_rps: detail.direct_rps })));
      if (rows.some((r) => r.pass === false)) process.exitCode = 1;
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
