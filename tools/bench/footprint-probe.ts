// In-process footprint measurements (lines 7 and 8 of the benchmark), run in a child process by
// tools/bench/footprint.mjs with --expose-gc and @swc-node/register so it loads the TypeScript
// engine and traffic monitor as the API does. Prints one JSON object on stdout.
//   node --expose-gc -r @swc-node/register tools/bench/footprint-probe.ts per-client 100000
//   node --expose-gc -r @swc-node/register tools/bench/footprint-probe.ts flood 1000000
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { compileRules, DEFAULT_RULES, DetectionEngine, ManualClock, MemoryCounterStore } from '@bouncer/detection';
import { TrafficMonitor } from '../../apps/api/src/detection/traffic/traffic-monitor';

/** The API's default cap (MAX_TRACKED_CLIENTS) and how it sizes the embedded store from it. */
const MAX_TRACKED = 100_000;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) g();
}

/** Heap as the process pays for it: the JS heap plus typed-array backing stores (outside it). */
function heap(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The n-th distinct IPv4 client, as the gate's ClientIdentity writes it. */
function address(n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** What a request from an unknown client touches: one engine decision and the traffic picture. */
function setup() {
  const clock = new ManualClock();
  const evictions = { monitor: 0 };
  const store = new MemoryCounterStore(MAX_TRACKED * 4);
  const engine = new DetectionEngine({
    rules: compileRules(DEFAULT_RULES, 'defaults'),
    store,
    clock,
    sink: { record: () => undefined },
    maxTrackedClients: MAX_TRACKED,
  });
  const monitor = new TrafficMonitor(MAX_TRACKED, 60_000, () => evictions.monitor++);
  const request = (client: string) => {
    const now = clock.now();
    engine.decide({ type: 'request', client });
    monitor.request(client, now);
    monitor.response(200, now);
  };
  return { clock, store, engine, monitor, request, evictions };
}

function perClient(n: number, snapshotDir?: string) {
  const s = setup();
  // Warm the code paths (and the one-off structures) on other clients, then forget them.
  for (let i = 0; i < 1000; i++) s.request(`192.168.${i >> 8}.${i & 255}`);
  s.clock.advance(3_600_000);
  s.store.prune(s.clock.now());
  s.monitor.prune(s.clock.now());
  const before = heap();
  if (snapshotDir) writeHeapSnapshot(`${snapshotDir}/before.heapsnapshot`);
  for (let i = 0; i < n; i++) s.request(address(i));
  const after = heap();
  if (snapshotDir) writeHeapSnapshot(`${snapshotDir}/after.heapsnapshot`);
  const tracked = { monitor: s.monitor.trackedClients(), store: s.store.size() };
  return { clients: n, bytes: after - before, perClient: (after - before) / n, tracked };
}

async function flood(n: number) {
  const s = setup();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const before = heap();
  let peak = 0;
  delay.enable();
  // Requests arrive interleaved with I/O: a slice of them per event-loop turn.
  const perTurn = 500;
  for (let i = 0; i < n; i += perTurn) {
    for (let j = i; j < Math.min(n, i + perTurn); j++) {
      s.request(address(j));
      if ((j & 1023) === 0) s.clock.advance(1);
    }
    if ((i / perTurn) % 200 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    await new Promise((r) => setImmediate(r));
  }
  delay.disable();
  const end = process.memoryUsage();
  peak = Math.max(peak, end.heapUsed + end.arrayBuffers);
  const after = heap();
  return {
    addresses: n,
    growth: after - before,
    peakGrowth: peak - before,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
    loopDelayP50Ms: delay.percentile(50) / 1e6,
    tracked: { monitor: s.monitor.trackedClients(), store: s.store.size() },
    evictions: s.evictions.monitor,
  };
}

async function main() {
  const [what, size, dir] = process.argv.slice(2);
  const n = Number(size);
  const result = what === 'per-client' ? perClient(n, dir) : what === 'flood' ? await flood(n) : null;
  if (!result) throw new Error(`unknown measurement ${what}`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
