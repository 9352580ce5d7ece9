// CPU time per request of each server (user + system, from /proc/<pid>/stat), for a fixed number
// of requests: on a shared 2-core machine the request rate says as much about the neighbours as
// about the server, while the CPU a server spends per answer barely moves with them. The
// evidence for lines 1-3 when the machine is not quiet.
//   node tools/bench/cpu-per-request.mjs [requests] [--cases=reference,on,off,redisOn,redisOff,served,blocked] [--rounds=3]
//   (served and blocked: line 4's pair, one process behind the trusted proxy: a served client and one an admin blocked)
//     [--before=/work/main/dist/apps/api/main.js]   (each Bouncer case from that build too)
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import autocannon from 'autocannon';
import { request } from './http.mjs';
import { redisPrefix, startBouncer, startReference, stopAll } from './processes.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds of a process so far. */
export function cpuSeconds(pid) {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function fire(url, headers, amount, connections = 16, expect = 200) {
  return new Promise((resolve, reject) =>
    autocannon({ url: `${url}/validate-token`, headers, amount, connections }, (err, r) => {
      if (err) return reject(err);
      const ok = r.statusCodeStats?.[String(expect)]?.count ?? 0;
      resolve({ ok, total: r.requests.total, rps: r.requests.total / Math.max(r.duration, 1e-3) });
    }),
  );
}

/** CPU µs per request of the process `pid` serving `amount` requests, and the rate it reached. */
export async function measure(target, amount) {
  const before = cpuSeconds(target.pid);
  const res = await fire(target.url, target.headers, amount, 16, target.expect ?? 200);
  const used = cpuSeconds(target.pid) - before;
  if (res.ok !== res.total)
    throw new Error(`${target.name}: ${res.total - res.ok} of ${res.total} answers were not ${target.expect ?? 200}`);
  return { cpuMicros: (used * 1e6) / res.total, rps: Math.round(res.rps) };
}

const UNREFUSED = { RATE_LIMIT: '1000000000', PROBE_THRESHOLD: '1000000000' };

async function main() {
  const amount = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 40_000);
  const wanted = (process.argv.find((a) => a.startsWith('--cases='))?.slice(8) ?? 'reference,on,off').split(',');
  // --before=<main.js>: every Bouncer case also from that build (e.g. main's), measured in the same rounds.
  const before = process.argv.find((a) => a.startsWith('--before='))?.slice(9);
  const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
  const targets = [];
  for (const name of wanted) {
    if (name === 'reference') {
      const ref = await startReference();
      targets.push({ ...ref, headers: {} });
      continue;
    }
    if (name === 'blocked') continue; // started with `served`
    for (const build of before ? [before, undefined] : [undefined]) {
      const env = { ...UNREFUSED, ...(build ? { API_MAIN: build } : {}) };
      if (name.startsWith('redis')) Object.assign(env, redisPrefix());
      if (name.toLowerCase().endsWith('off')) env.SHIELD_MODE = 'off';
      const label = build ? `${name} (before)` : name;
      if (name === 'served') {
        targets.push(...(await lineFourPair(label, { ...env, TRUSTED_PROXIES: '127.0.0.1/32' }, wanted.includes('blocked'))));
        continue;
      }
      const app = await startBouncer(label.replace(/\W+/g, '-'), env);
      targets.push({ name: label, url: app.url, pid: app.pid, headers: { authorization: `Bearer ${await app.signIn()}` } });
    }
  }
  // Warm-up: the JIT compiles the hot path before anything is counted.
  for (const t of targets) await fire(t.url, t.headers, Math.min(amount, 20_000), 16, t.expect ?? 200);
  const results = Object.fromEntries(targets.map((t) => [t.name, []]));
  // Interleaved rounds; the least disturbed (lowest) figure of each case is its cost.
  for (let r = 0; r < rounds; r++) for (const t of targets) results[t.name].push(await measure(t, amount));
  process.stdout.write(`| case | CPU µs per request: lowest (each round) | req/s (each round) |\n|---|---|---|\n`);
  for (const [name, rs] of Object.entries(results)) {
    const lowest = Math.min(...rs.map((x) => x.cpuMicros)).toFixed(1);
    process.stdout.write(
      `| ${name} | ${lowest} (${rs.map((x) => x.cpuMicros.toFixed(1)).join(', ')}) | ${rs.map((x) => x.rps).join(', ')} |\n`,
    );
  }
}

/** Line 4's pair on one process: a client an admin blocked and a served one, both named by the trusted proxy (this tool). */
async function lineFourPair(label, env, withBlocked) {
  const app = await startBouncer(label.replace(/\W+/g, '-'), env);
  const admin = await app.signIn();
  const blocked = await request(app.url, '/admin/blocks', {
    token: admin,
    body: { client: '198.51.100.7', duration_seconds: 3600, reason: 'cpu-per-request: line 4' },
  });
  if (blocked.status !== 201) throw new Error(`blocking answered ${blocked.status} ${blocked.text}`);
  const token = await app.signIn('admin', app.adminPassword, { 'x-forwarded-for': '198.51.100.8' });
  const base = { url: app.url, pid: app.pid };
  const pair = [{ ...base, name: label, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.8' } }];
  if (withBlocked)
    pair.push({
      ...base,
      name: label.replace('served', 'blocked'),
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.7' },
      expect: 403,
    });
  return pair;
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  main()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => stopAll());
}
