import { counterStoreContract } from '@bouncer/detection/testing';
import type { Redis } from 'ioredis';
import { connect, deleteRun, disconnect, freePort, ready, runPrefix } from '../e2e/redis-servers';
import { BatchingCounterStore } from './batching-counter-store';
import { FallbackCounterStore } from './fallback-counter-store';
import { RedisCounterStore } from './redis-counter-store';

const T0 = Date.UTC(2026, 0, 1);
const prefix = runPrefix('store');
let client: Redis;
let down: Redis;
let cases = 0;
/** A fresh key space per contract case, inside this run's prefix. */
const fresh = (c: Redis) => new RedisCounterStore(c, { prefix: `${prefix}${++cases}:` });
const closeFallback = (s: unknown) => (s as FallbackCounterStore).close();
/**
 * No per-command timeout where semantics are tested: 1,000 commands at once on a busy CI box
 * may take over a second, and a timeout there would test the machine, not the store.
 */
const patient = () => connect(undefined, { commandTimeout: undefined });
/** Semantics over a live Redis: the fallback must not give up on a slow but live answer. */
const fallbackOver = (c: Redis) => new FallbackCounterStore(fresh(c), { timeoutMs: 10_000 });

beforeAll(async () => {
  client = patient();
  await ready(client);
  // Nothing listens on a port just freed: every command is refused, a real fault.
  down = connect(await freePort(), { commandTimeout: undefined });
});

afterAll(async () => {
  await deleteRun(client, prefix);
  expect(await client.keys(`{${prefix}*`)).toEqual([]);
  await Promise.all([disconnect(client), disconnect(down)]);
});

counterStoreContract('redis', { make: () => fresh(client) }, { describe, it, expect });
counterStoreContract('fallback over redis', { make: () => fallbackOver(client), dispose: closeFallback }, { describe, it, expect });
counterStoreContract(
  'batching over redis, alone',
  { make: () => new BatchingCounterStore(fresh(client), { sole: () => true }) },
  { describe, it, expect },
);
counterStoreContract('fallback while redis is down', { make: () => fallbackOver(down), dispose: closeFallback }, { describe, it, expect });

describe('RedisCounterStore in Redis', () => {
  it('keeps a counter as a hash {c, r} that Redis expires a grace after the window', async () => {
    const store = new RedisCounterStore(client, { prefix: `${prefix}shape:`, expiryGraceMs: 5_000 });
    await store.run([{ op: 'add', key: 'k', windowMs: 10_000, by: 2 }], T0);
    const key = `{${prefix}shape:}k`;
    expect(await client.hgetall(key)).toEqual({ c: '2', r: String(T0 + 10_000) });
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(14_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
  });

  it('extends a set when a member comes later, never shortens it', async () => {
    const store = new RedisCounterStore(client, { prefix: `${prefix}see:` });
    await store.run([{ op: 'see', key: 's', member: 'a', windowMs: 60_000 }], T0);
    const later = await store.run([{ op: 'see', key: 's', member: 'b', windowMs: 1_000 }], T0 + 10);
    expect(later[0]).toEqual({ ran: true, count: 2, resetAt: T0 + 60_000, admitted: true, first: 'a' });
    expect(await client.pttl(`{${prefix}see:}s`)).toBeGreaterThan(60_000);
  });

  it('re-loads its script after Redis forgets it (SCRIPT FLUSH, as after a restart)', async () => {
    const store = new RedisCounterStore(client, { prefix: `${prefix}flush:` });
    await store.run([{ op: 'add', key: 'k', windowMs: 1000 }], T0);
    await client.script('FLUSH');
    expect((await store.run([{ op: 'add', key: 'k', windowMs: 1000 }], T0))[0]!.count).toBe(2);
  });
});

describe('two instances sharing Redis (separate connections)', () => {
  const instances: Redis[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 4; i++) instances.push(patient());
    await Promise.all(instances.map(ready));
  });
  afterAll(() => Promise.all(instances.map(disconnect)));

  it('admit exactly the limit: 500 parallel takes on each of two connections, limit 37', async () => {
    const stores = instances.slice(0, 2).map((c) => new RedisCounterStore(c, { prefix: `${prefix}x-take:` }));
    const take = { op: 'take', key: 'login:alice', windowMs: 60_000, limit: 37 } as const;
    const all = await Promise.all(stores.flatMap((s) => Array.from({ length: 500 }, () => s.run([take], T0))));
    expect(all.filter(([r]) => r!.admitted).length).toBe(37);
    expect((await stores[0]!.run([{ op: 'get', key: 'login:alice' }], T0))[0]!.count).toBe(37);
  });

  it('count 1,000 parallel adds across four connections exactly, each seeing its own position', async () => {
    const stores = instances.map((c) => new RedisCounterStore(c, { prefix: `${prefix}x-add:` }));
    const add = { op: 'add', key: 'ip:10.0.0.1', windowMs: 60_000 } as const;
    const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => stores[i % 4]!.run([add], T0)));
    const counts = all.map(([r]) => r!.count);
    expect(new Set(counts).size).toBe(1000);
    expect(Math.max(...counts)).toBe(1000);
  });
});
