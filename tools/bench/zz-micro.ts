import { compileRules, DEFAULT_RULES, DetectionEngine, ManualClock, MemoryCounterStore, ClientIdentity } from '@bouncer/detection';
import { TrafficMonitor } from '../../apps/api/src/detection/traffic/traffic-monitor';
const rules = compileRules({ ...DEFAULT_RULES, rules: { ...DEFAULT_RULES.rules, 'request-rate': { ...(DEFAULT_RULES.rules as any)['request-rate'], threshold: 1e9 }, probing: { ...(DEFAULT_RULES.rules as any).probing, threshold: 1e9 } } } as any, 'x');
const clock = { now: () => Date.now() };
const store = new MemoryCounterStore(400_000);
const engine = new DetectionEngine({ rules, store, clock, sink: { record: () => undefined }, maxTrackedClients: 100_000 });
const monitor = new TrafficMonitor(100_000, 60_000, () => undefined);
const identity = new ClientIdentity([], 64, undefined as any);
const headers = { host: '127.0.0.1:3000', authorization: 'Bearer abc' };
function time(name: string, n: number, fn: (i: number) => void) {
  for (let i = 0; i < 20000; i++) fn(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  console.log(name.padEnd(28), (Number(process.hrtime.bigint() - t) / n / 1000).toFixed(2), 'µs');
}
const N = 300_000;
time('identity.resolve', N, () => identity.resolve('127.0.0.1', headers));
time('decide request', N, () => engine.decide({ type: 'request', client: '127.0.0.1' }));
time('decide response 200', N, () => engine.decide({ type: 'response', client: '127.0.0.1', status: 200 }));
time('decide token-seen (seen)', N, () => engine.decide({ type: 'token-seen', client: '127.0.0.1', token: 'jti:abcdef-1234', what: 'x', expiresAt: Date.now() + 1e6 }));
time('monitor.request', N, () => monitor.request('127.0.0.1', Date.now()));
time('monitor.response', N, () => monitor.response(200, Date.now()));
time('Date.now', N, () => Date.now());
