import { type CounterOp, MemoryCounterStore } from '@bouncer/detection';
import { ManualClock } from '@bouncer/detection/testing';
import type { Redis } from 'ioredis';
import { connect, disconnect, healthOf, PrivateRedis, ready, runPrefix } from '../e2e/redis-servers';
import { FallbackCounterStore } from './fallback-counter-store';
import { RedisCounterStore } from './redis-counter-store';

const W = 60_000;
const ADD: CounterOp = { op: 'add', key: 'login:alice', windowMs: W };

/** Real faults on a redis-server of the spec's own: SIGKILL and restart, SIGSTOP and SIGCONT. */
describe.each([
  ['told by connection events', true],
  ['finding out by probes', false],
])('FallbackCounterStore over a Redis that dies (%s)', (_label, withHealth) => {
  let server: PrivateRedis;
  let client: Redis;
  let inspector: Redis;
  let store: FallbackCounterStore;
  let clock: ManualClock;
  let local: MemoryCounterStore;
  const changes: boolean[] = [];
  const key = `{${runPrefix('fallback')}}login:alice`;
  const prefix = key.slice(1, key.indexOf('}'));
  const add = async () => (await store.run([ADD], clock.now()))[0]!;
  const recovered = () => new Promise<void>((resolve) => store.onRecovered(() => resolve()));
  const inRedis = async () => Number(await inspector.hget(key, 'c'));

  beforeEach(async () => {
    server = await PrivateRedis.start();
    client = connect(server.port);
    inspector = connect(server.port, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    await Promise.all([ready(client), ready(inspector)]);
    clock = new ManualClock(Date.now());
    changes.length = 0;
    local = new MemoryCounterStore();
    store = new FallbackCounterStore(new RedisCounterStore(client, { prefix }), {
      local,
      health: withHealth ? healthOf(client) : undefined,
      clock: () => clock.now(),
      timeoutMs: 300,
      probeEveryMs: 100,
    });
    store.onChange((d) => changes.push(d));
  });

  afterEach(async () => {
    store.close();
    await Promise.all([disconnect(client), disconnect(inspector)]);
    await server.stop();
  });

  it('goes on counting locally when Redis is killed, and hands the counts over when it is back', async () => {
    for (let i = 1; i <= 5; i++) expect((await add()).count).toBe(i);
    expect(await inRedis()).toBe(5);

    await server.kill('SIGKILL');
    const during = [];
    for (let i = 0; i < 10; i++) {
      clock.advance(10);
      during.push(await add());
    }
    // No error reached the caller; this instance alone counted the outage's attempts.
    expect(during.map((r) => r.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(store.degraded).toBe(true);

    const back = recovered();
    await server.restart();
    await back;
    expect(store.degraded).toBe(false);
    expect(changes).toEqual([true, false]);
    // The 5 from before (kept by the AOF) plus the 10 counted locally: the outage bought nothing.
    expect(await inRedis()).toBe(15);
    expect(local.size()).toBe(0); // the local counts were handed over, not kept twice
    expect((await add()).count).toBe(16);
  });

  it('answers every request in flight when Redis is killed under load', async () => {
    await add();
    const inFlight = Array.from({ length: 200 }, () => store.run([ADD], clock.now()));
    await server.kill('SIGKILL');
    const results = await Promise.all(inFlight.map((r) => Promise.resolve(r)));
    expect(results.every((r) => r[0]!.ran)).toBe(true);
    expect(store.degraded).toBe(true);
    const back = recovered();
    await server.restart();
    await back;
    // Each one counted once, or twice when Redis ran it but the answer was lost (counted locally as well).
    const total = await inRedis();
    expect(total).toBeGreaterThanOrEqual(201);
    expect(total).toBeLessThanOrEqual(401);
  });

  it('makes no request wait on a frozen Redis longer than its timeout', async () => {
    await add();
    server.freeze();
    const started = performance.now();
    const first = await add();
    const waited = performance.now() - started;
    expect(waited).toBeLessThan(700);
    expect(first.count).toBe(1);
    expect(store.degraded).toBe(true);
    const t = performance.now();
    await add();
    expect(performance.now() - t).toBeLessThan(50); // degraded: local at once, no waiting at all

    const back = recovered();
    server.thaw();
    await back;
    expect(store.degraded).toBe(false);
    // 1 before, 2 local, and the timed-out one that Redis ran after thawing, if it did.
    expect(await inRedis()).toBeGreaterThanOrEqual(3);
  });
});
