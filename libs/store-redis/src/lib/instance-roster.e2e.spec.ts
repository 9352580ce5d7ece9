import type { Redis } from 'ioredis';
import { connect, deleteRun, disconnect, freePort, ready, runPrefix } from '../e2e/redis-servers';
import { BatchingCounterStore } from './batching-counter-store';
import { InstanceRoster } from './instance-roster';
import { RedisCounterStore } from './redis-counter-store';

const prefix = runPrefix('roster');
let client: Redis;
const stops: (() => Promise<void>)[] = [];
const fast = { beatEveryMs: 50, ttlMs: 200 };
const waitFor = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
  return what();
};

beforeAll(async () => {
  client = connect();
  await ready(client);
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

afterAll(async () => {
  await deleteRun(client, prefix);
  await disconnect(client);
});

function roster(p = prefix, c: Redis = client): InstanceRoster {
  const r = new InstanceRoster(c, { prefix: p, ...fast });
  stops.push(() => r.stop());
  return r;
}

describe('InstanceRoster in Redis', () => {
  it('knows when it is alone, when a peer joins, and when the peer leaves', async () => {
    const a = roster();
    await a.start();
    expect([a.alone(), a.count]).toEqual([true, 1]);
    const changes: boolean[] = [];
    a.onChange((alone) => changes.push(alone));

    const b = roster();
    const joined = Date.now();
    await b.start();
    // The newcomer waits a beat and a margin, so the peer has seen it before it serves.
    expect(Date.now() - joined).toBeGreaterThanOrEqual(fast.beatEveryMs);
    expect([b.alone(), b.count, a.alone(), a.count]).toEqual([false, 2, false, 2]);
    expect(changes).toEqual([false]);

    await b.stop();
    expect(await waitFor(() => a.alone())).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('takes a silent peer for gone after its time to live (a crash sends no goodbye)', async () => {
    const p = `${prefix}crash:`;
    const a = roster(p);
    await a.start();
    const own = connect();
    await ready(own);
    const crashed = roster(p, own);
    await crashed.start();
    expect(await waitFor(() => !a.alone())).toBe(true);
    // Its connection goes without a goodbye, as a killed process's does.
    own.disconnect();
    expect(await waitFor(() => a.alone())).toBe(true);
  });

  it('is not alone when Redis does not answer: the safe side is the shared store', async () => {
    const down = connect(await freePort(), { commandTimeout: 100, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const r = roster(`${prefix}down:`, down);
    await r.start();
    expect([r.alone(), r.count]).toEqual([false, 0]);
    await r.stop();
    down.disconnect();
  });

  it("batches a lone instance's quiet counts into Redis, and stops batching when a peer joins", async () => {
    const p = `${prefix}batch:`;
    const a = roster(p);
    await a.start();
    const redis = new RedisCounterStore(client, { prefix: p });
    const store = new BatchingCounterStore(redis, { sole: () => a.alone(), flushEveryMs: 10 });
    a.onChange((alone) => {
      if (!alone) void store.handOver();
    });
    const now = Date.now();
    const hit = () => store.run([{ op: 'add', key: 'k', windowMs: 60_000, sliding: true, quietBelow: 1000 }], now);
    for (let i = 0; i < 50; i++) await hit();
    expect(store.unsentHits).toBeGreaterThan(0);
    await store.flush(now);
    expect((await redis.run([{ op: 'get', key: 'k' }], now))[0]!.count).toBe(50);

    for (let i = 0; i < 10; i++) await hit();
    const b = roster(p);
    await b.start();
    // The peer's arrival sent what waited; from now on every hit is counted in Redis at once.
    expect(store.unsentHits).toBe(0);
    expect((await redis.run([{ op: 'get', key: 'k' }], now))[0]!.count).toBe(60);
    const r = await hit();
    expect(r[0]!.count).toBe(61);
    expect((await redis.run([{ op: 'get', key: 'k' }], now))[0]!.count).toBe(61);
  });
});
