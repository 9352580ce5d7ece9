// CPU profile of line 1 under load: the built API with --cpu-prof, GET /validate-token with a
// valid token hammered by autocannon, then the top frames by self time (the README's evidence).
//   node tools/bench/profile.mjs [seconds] [--route=/validate-token]
// Writes the .cpuprofile to tools/bench/results/ (open it in Chrome DevTools for the tree).
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cannon } from './load.mjs';
import { ROOT, startBouncer, stopAll, tempDir } from './processes.mjs';

const seconds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10);
const top = 25;

/**
 * Self time per function (name + file:line), from the profile's samples taken between `from`
 * and `to` (µs on the monotonic clock, which the profile's timestamps and process.hrtime share).
 */
export function selfTimes(profile, from = -Infinity, to = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from || at > to) return;
    total += dt;
    const f = byId.get(id).callFrame;
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return { total, frames: [...self.entries()].sort((a, b) => b[1] - a[1]).map(([frame, us]) => ({ frame, share: us / total })) };
}

async function main() {
  const dir = tempDir('cpu-prof');
  const app = await startBouncer('profiled', {
    NODE_ARGS: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    RATE_LIMIT: '1000000000',
    PROBE_THRESHOLD: '1000000000',
    SHUTDOWN_DRAIN_SECONDS: '1',
    SHUTDOWN_TIMEOUT_SECONDS: '5',
  });
  const token = await app.signIn();
  // Start-up (PGlite's WASM, migrations) is left out: only the samples taken under load count.
  await cannon({
    url: app.url,
    path: '/validate-token',
    headers: { authorization: `Bearer ${token}` },
    expect: 200,
    seconds: 2,
    connections: 16,
  });
  const from = Number(process.hrtime.bigint() / 1000n);
  const res = await cannon({
    url: app.url,
    path: '/validate-token',
    headers: { authorization: `Bearer ${token}` },
    expect: 200,
    seconds,
    connections: 16,
  });
  const to = Number(process.hrtime.bigint() / 1000n);
  process.stderr.write(`${Math.round(res.rps)} req/s under the profiler, p99 ${res.p99} ms\n`);
  await app.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written (did the process exit cleanly?)');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const { frames } = selfTimes(profile, from, to);
  // Idle time is the load generator's turn on this machine, not a cost of the request path.
  const idle = frames.find((f) => f.frame === '(idle)')?.share ?? 0;
  const busy = frames.filter((f) => f.frame !== '(idle)').map((f) => ({ ...f, share: f.share / (1 - idle) }));
  process.stdout.write(`| self time (of busy time) | frame |\n|---|---|\n`);
  for (const f of busy.slice(0, top)) process.stdout.write(`| ${(f.share * 100).toFixed(1)} % | \`${f.frame}\` |\n`);
  process.stdout.write(`(idle ${(idle * 100).toFixed(1)} % of the profile)\n\n| group | self time (of busy time) |\n|---|---|\n`);
  // Coarse groups by where a frame lives (the built API is one bundle, main.js; libraries stay in node_modules).
  const groups = [
    ['writev (the answer, one system call)', /^writev\b/],
    ['garbage collector', /^\(garbage collector\)/],
    [
      'async hooks (AsyncLocalStorage of the request id)',
      /async_hooks|promiseInitHook|promiseBeforeHook|promiseAfterHook|promiseResolveHook/,
    ],
    ['Bouncer (main.js, the engine included)', / main\.js:/],
    ['Fastify', / (fastify|reply|request|hooks|route|wrap-thenable|handle-request|content-type-parser|context)\.js:/],
    [
      'Nest',
      / (router-execution-context|router-proxy|guards-consumer|interceptors-consumer|pipes-consumer|external-context-creator|fastify-adapter|execution-context-host|router-response-controller)\.js:/,
    ],
  ];
  for (const [name, re] of groups) {
    const share = busy.filter((f) => re.test(f.frame)).reduce((a, f) => a + f.share, 0);
    process.stdout.write(`| ${name} | ${(share * 100).toFixed(1)} % |\n`);
  }
  const kept = join(ROOT, 'tools/bench/results', `validate-token-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  mkdirSync(join(ROOT, 'tools/bench/results'), { recursive: true });
  renameSync(join(dir, file), kept);
  process.stdout.write(`profile: ${kept}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  main()
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => stopAll());
}
