import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { cpuSeconds } from './cpu-per-request.mjs';
import { startBouncer, stopAll } from './processes.mjs';
const UP = `const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
require('node:http').createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); }).listen(0, '127.0.0.1', function () { console.log('READY ' + this.address().port); });`;
const BARE = `const app = require('fastify')({ logger: false });
app.register(require('@fastify/http-proxy'), { upstream: process.env.UPSTREAM_URL, undici: { connections: 128, pipelining: 1 } });
app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log('READY ' + app.server.address().port));`;
const kids = [];
function proc(src, env = {}) {
  const c = spawn(process.execPath, ['-e', src], { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  kids.push(c);
  return new Promise((r) => c.stdout.on('data', (d) => { const m = /READY (\d+)/.exec(String(d)); if (m) r({ pid: c.pid, url: `http://127.0.0.1:${m[1]}` }); }));
}
const fire = (url, amount) => new Promise((res, rej) => autocannon({ url: `${url}/api/items`, amount, connections: 16 }, (e, r) => (e ? rej(e) : res(r))));
async function measure(t, amount) { const b = cpuSeconds(t.pid); const r = await fire(t.url, amount); const used = cpuSeconds(t.pid) - b; return { us: Math.round((used * 1e6) / r.requests.total), bad: r.non2xx + r.errors }; }
process.on('exit', () => { for (const k of kids) k.kill(); });
const up = await proc(UP);
const targets = [{ name: 'direct', ...up }, { name: 'bare', ...(await proc(BARE, { UPSTREAM_URL: up.url })) }];
const builds = process.argv.slice(2);
for (const b of builds.length ? builds : ['dist/apps/api/main.js']) {
  const app = await startBouncer('cpu', { UPSTREAM_URL: up.url, RATE_LIMIT: '1000000000', PROBE_THRESHOLD: '1000000000', API_MAIN: b });
  targets.push({ name: b, pid: app.pid ?? app.child?.pid, url: app.url });
}
const n = Number(process.env.N ?? 20000);
for (const t of targets) await fire(t.url, 3000);
const res = Object.fromEntries(targets.map((t) => [t.name, []]));
for (let r = 0; r < Number(process.env.ROUNDS ?? 4); r++) for (const t of targets) { const m = await measure(t, n); res[t.name].push(m); console.error(t.name, m.us); }
for (const t of targets) console.log(t.name.padEnd(40), res[t.name].map((x) => x.us).join(' '), 'µs/req', res[t.name].some((x) => x.bad) ? 'BAD' : '');
await stopAll();
for (const k of kids) k.kill();
