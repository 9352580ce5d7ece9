import { type CounterOp, type CounterResult, MemoryCounterStore } from '@bouncer/detection';
import { counterStoreContract, ManualClock } from '@bouncer/detection/testing';
import { FallbackCounterStore, type SharedHealth } from './fallback-counter-store';

/** A shared store in memory that can be made to fail or hang (unit level; real Redis faults are in the e2e specs). */
class FlakyStore extends MemoryCounterStore {
  mode: 'up' | 'down' | 'hung' = 'up';
  override run(ops: readonly CounterOp[], now: number): CounterResult[] {
    if (this.mode === 'down') throw new Error('connection refused');
    return super.run(ops, now);
  }
  runShared(ops: readonly CounterOp[], now: number): Promise<CounterResult[]> {
    if (this.mode === 'hung') return new Promise(() => undefined);
    return Promise.resolve().then(() => this.run(ops, now));
  }
  async ping(): Promise<void> {
    if (this.mode !== 'up') throw new Error('no');
  }
}

/** The CounterStore view of a FlakyStore (async, as a remote store is). */
const remote = (s: FlakyStore) => ({ run: s.runShared.bind(s), prune: () => 0, size: () => s.size(), ping: () => s.ping() });

class FakeHealth implements SharedHealth {
  up = true;
  private readonly listeners: ((up: boolean) => void)[] = [];
  isUp(): boolean {
    return this.up;
  }
  onChange(l: (up: boolean) => void): void {
    this.listeners.push(l);
  }
  set(up: boolean): void {
    this.up = up;
    this.listeners.forEach((l) => l(up));
  }
}

const T0 = Date.UTC(2026, 0, 1);
const W = 60_000;

counterStoreContract(
  'fallback over memory',
  { make: () => new FallbackCounterStore(new MemoryCounterStore()), dispose: (s) => (s as FallbackCounterStore).close() },
  { describe, it, expect },
);

counterStoreContract(
  'fallback while the shared store fails',
  {
    make: () => {
      const shared = new FlakyStore();
      shared.mode = 'down';
      return new FallbackCounterStore(remote(shared));
    },
    dispose: (s) => (s as FallbackCounterStore).close(),
  },
  { describe, it, expect },
);

counterStoreContract(
  'fallback while the shared store hangs',
  {
    make: () => {
      const shared = new FlakyStore();
      shared.mode = 'hung';
      return new FallbackCounterStore(remote(shared), { timeoutMs: 20 });
    },
    dispose: (s) => (s as FallbackCounterStore).close(),
  },
  { describe, it, expect },
);

describe('FallbackCounterStore', () => {
  let shared: FlakyStore;
  let health: FakeHealth;
  let clock: ManualClock;
  let store: FallbackCounterStore;
  const one = async (op: CounterOp, now = clock.now()) => (await store.run([op], now))[0]!;
  const sharedCount = (key: string) => shared.run([{ op: 'get', key }], clock.now())[0]!;
  const recovered = () => new Promise((resolve) => store.onRecovered(resolve));

  beforeEach(() => {
    shared = new FlakyStore();
    health = new FakeHealth();
    clock = new ManualClock(T0);
    store = new FallbackCounterStore(remote(shared), { health, clock: () => clock.now(), timeoutMs: 50 });
  });
  afterEach(() => store.close());

  it('counts locally at once while the shared store is down, and says so', async () => {
    const changes: boolean[] = [];
    store.onChange((d) => changes.push(d));
    health.set(false);
    const result = store.run([{ op: 'add', key: 'a', windowMs: W }], T0);
    expect(Array.isArray(result)).toBe(true); // synchronous: no waiting at all
    expect(store.degraded).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('waits on a hung shared store no longer than its timeout', async () => {
    shared.mode = 'hung';
    const started = performance.now();
    const r = await one({ op: 'add', key: 'a', windowMs: W });
    expect(r.count).toBe(1);
    expect(performance.now() - started).toBeLessThan(250);
    expect(store.degraded).toBe(true);
  });

  it('hands the outage to the shared store when it returns: adds, resets, sets', async () => {
    await store.run(
      [
        { op: 'add', key: 'a', windowMs: W, by: 3 },
        { op: 'add', key: 'd', windowMs: W },
        { op: 'see', key: 's', member: 'first', windowMs: W },
      ],
      T0,
    );
    clock.advance(1000);
    shared.mode = 'down';
    health.set(false);
    await one({ op: 'add', key: 'a', windowMs: W, by: 2 });
    await one({ op: 'take', key: 'b', windowMs: W, limit: 5 });
    await one({ op: 'take', key: 'b', windowMs: W, limit: 5 });
    await one({ op: 'see', key: 's', member: 'x', windowMs: W });
    await one({ op: 'see', key: 's', member: 'first', windowMs: W });
    await one({ op: 'arm', key: 'g', windowMs: 5000, count: 7 });
    await one({ op: 'del', key: 'd' });
    await one({ op: 'add', key: 'short', windowMs: 500 });
    clock.advance(1000); // 'short' ran out during the outage: nothing to hand over

    shared.mode = 'up';
    const back = recovered();
    health.set(true);
    expect(await back).toEqual({ downSince: T0 + 1000, recoveredAt: T0 + 2000, reconciledKeys: 6 });
    expect(store.degraded).toBe(false);
    expect([sharedCount('a').count, sharedCount('a').resetAt]).toEqual([5, T0 + W]);
    expect(sharedCount('b').count).toBe(2);
    expect([sharedCount('g').count, sharedCount('g').resetAt]).toEqual([7, T0 + 6000]);
    expect(sharedCount('d').count).toBe(0);
    expect(sharedCount('short').count).toBe(0);
    const s = shared.run([{ op: 'see', key: 's', member: 'first', windowMs: W }], clock.now())[0]!;
    expect([s.count, s.first]).toEqual([2, 'first']);
    expect(await store.size()).toBe(shared.size());
    expect((await one({ op: 'add', key: 'a', windowMs: W })).count).toBe(6);
  });

  it('keeps the outage counts when the shared store fails again mid-reconcile, and hands them over later', async () => {
    health.set(false);
    shared.mode = 'down';
    await one({ op: 'add', key: 'a', windowMs: W, by: 4 });
    health.set(true); // the connection says up, the store still refuses
    await new Promise((r) => setImmediate(r));
    expect(store.degraded).toBe(true);
    expect((await one({ op: 'add', key: 'a', windowMs: W })).count).toBe(5);
    shared.mode = 'up';
    const back = recovered();
    health.set(false);
    health.set(true);
    await back;
    expect(sharedCount('a').count).toBe(5);
  });

  it('recovers by probing when nobody reports the connection', async () => {
    const probed = new FallbackCounterStore(remote(shared), { clock: () => clock.now(), probeEveryMs: 10 });
    try {
      shared.mode = 'down';
      expect((await probed.run([{ op: 'add', key: 'p', windowMs: W }], T0))[0]!.count).toBe(1);
      expect(probed.degraded).toBe(true);
      shared.mode = 'up';
      await new Promise((resolve) => probed.onRecovered(resolve));
      expect(sharedCount('p').count).toBe(1);
    } finally {
      probed.close();
    }
  });
});
