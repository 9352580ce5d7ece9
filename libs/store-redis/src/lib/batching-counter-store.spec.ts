import { type CounterOp, type CounterResult, type CounterStore, MemoryCounterStore } from '@bouncer/detection';
import { counterStoreContract } from '@bouncer/detection/testing';
import fc from 'fast-check';
import { BatchingCounterStore } from './batching-counter-store';

const T0 = Date.UTC(2026, 0, 1);

/** A memory store behind a round trip: each program is answered a tick later, and counted. */
class RemoteStore implements CounterStore {
  readonly inner = new MemoryCounterStore();
  programs: CounterOp[][] = [];
  failing = false;
  async run(ops: readonly CounterOp[], now: number): Promise<CounterResult[]> {
    await Promise.resolve();
    if (this.failing) throw new Error('connection refused');
    this.programs.push([...ops]);
    return this.inner.run(ops, now);
  }
  prune(now: number): number {
    return this.inner.prune(now);
  }
  size(): number {
    return this.inner.size();
  }
  count(key: string, now: number): number {
    return this.inner.run([{ op: 'get', key }], now)[0]?.count ?? 0;
  }
}

const quiet = (key: string, quietBelow: number, windowMs = 60_000): CounterOp => ({
  op: 'add',
  key,
  windowMs,
  sliding: true,
  quietBelow,
});

function setUp(sole = true) {
  const remote = new RemoteStore();
  let alone = sole;
  const store = new BatchingCounterStore(remote, { sole: () => alone, flushEveryMs: 60_000, clock: () => T0 });
  return { remote, store, setAlone: (a: boolean) => (alone = a) };
}

counterStoreContract('batching, alone', { make: () => setUp(true).store }, { describe, it, expect });
counterStoreContract('batching, with peers', { make: () => setUp(false).store }, { describe, it, expect });

describe('BatchingCounterStore', () => {
  it('answers quiet hits here after the first, and sends them on in one program per flush', async () => {
    const { remote, store } = setUp();
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push((await store.run([quiet('a', 100)], T0 + i))[0]!.count);
    for (let i = 0; i < 3; i++) await store.run([quiet('b', 100)], T0 + i);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    // The first hit of each key went to the shared store; the others wait here.
    expect(remote.programs).toHaveLength(2);
    expect(store.unsentHits).toBe(5 + 2);
    expect(remote.count('a', T0 + 10)).toBe(1);
    await store.flush();
    expect(remote.programs).toHaveLength(3);
    expect(remote.programs[2]!.map((op) => [op.key, (op as { by?: number }).by])).toEqual([
      ['a', 5],
      ['b', 2],
    ]);
    expect([remote.count('a', T0 + 10), remote.count('b', T0 + 10), store.unsentHits]).toEqual([6, 3, 0]);
  });

  it('sends the hit that reaches quietBelow, with the ones waiting, so its count is exact', async () => {
    const { remote, store } = setUp();
    const counts: number[] = [];
    for (let i = 0; i < 7; i++) counts.push((await store.run([quiet('c', 5)], T0 + i))[0]!.count);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Hits 1, 5, 6 and 7 went to the shared store; the 5th carried 2, 3 and 4 with it.
    expect(remote.programs.map((p) => (p[0] as { by?: number }).by ?? 1)).toEqual([1, 4, 1, 1]);
    expect(store.unsentHits).toBe(0);
  });

  it('sends everything while another instance counts, and hands over what waited when one appears', async () => {
    const { remote, store, setAlone } = setUp();
    await store.run([quiet('d', 100)], T0);
    await store.run([quiet('d', 100)], T0 + 1);
    setAlone(false);
    const r = await store.run([quiet('d', 100)], T0 + 2);
    expect(r[0]!.count).toBe(3);
    expect(remote.programs).toHaveLength(2);
    expect(remote.count('d', T0 + 3)).toBe(3);
  });

  it('does not trust a copy made before a peer counted, whether or not a request came meanwhile', async () => {
    for (const requestWhilePeer of [true, false]) {
      const { remote, store, setAlone } = setUp();
      for (let i = 0; i < 3; i++) await store.run([quiet('p', 10)], T0);
      // A peer appears and counts 5 hits of the same client in the shared store.
      setAlone(false);
      if (requestWhilePeer) await store.run([quiet('other', 10)], T0);
      else await store.handOver();
      remote.inner.run([{ op: 'add', key: 'p', windowMs: 60_000, sliding: true, by: 5 }], T0);
      setAlone(true);
      // 3 + 5 + 1 = 9: answered by the shared store, not from the copy (which would say 4).
      const before = remote.programs.length;
      expect((await store.run([quiet('p', 10)], T0))[0]!.count).toBe(9);
      expect(remote.programs.length).toBeGreaterThan(before);
      // The 10th is the first judged: exact.
      expect((await store.run([quiet('p', 10)], T0))[0]!.count).toBe(10);
    }
  });

  it('lets a read see the hits waiting, and del forget them', async () => {
    const { remote, store } = setUp();
    for (let i = 0; i < 4; i++) await store.run([quiet('e', 100)], T0);
    expect((await store.run([{ op: 'get', key: 'e' }], T0))[0]!.count).toBe(4);
    await store.run([quiet('e', 100)], T0);
    await store.run([{ op: 'del', key: 'e' }], T0);
    expect(store.unsentHits).toBe(0);
    await store.flush();
    expect(remote.count('e', T0)).toBe(0);
  });

  it('asks the shared store again once the window it copied has ended', async () => {
    const { remote, store } = setUp();
    await store.run([quiet('f', 100, 1000)], T0);
    await store.run([quiet('f', 100, 1000)], T0 + 500);
    expect(remote.programs).toHaveLength(1);
    await store.run([quiet('f', 100, 1000)], T0 + 1000);
    // The waiting hit is sent first, as of the old window's end, then the new one.
    expect(remote.programs.map((p) => (p[0] as { by?: number }).by ?? 1)).toEqual([1, 1, 1]);
    expect(remote.count('f', T0 + 1000)).toBe(1 + 2);
  });

  it('keeps hits a failed flush could not send, and sends them with the next', async () => {
    const errors: unknown[] = [];
    const remote = new RemoteStore();
    const store = new BatchingCounterStore(remote, { sole: () => true, flushEveryMs: 60_000, onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) await store.run([quiet('g', 100)], T0);
    remote.failing = true;
    await store.flush(T0);
    expect([errors.length, store.unsentHits]).toEqual([1, 2]);
    remote.failing = false;
    await store.flush(T0);
    expect([remote.count('g', T0), store.unsentHits]).toEqual([3, 0]);
  });

  it('never answers a count from quietBelow on other than the exact one (random hits, reads, deletes and flushes)', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('hit' as const), key: fc.constantFrom('x', 'y'), dt: fc.integer({ min: 0, max: 400 }) }),
      fc.record({
        kind: fc.constantFrom('flush' as const, 'del' as const, 'get' as const, 'peer' as const, 'alone' as const),
        key: fc.constantFrom('x', 'y'),
        dt: fc.constant(0),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (steps, quietBelow) => {
        const { store, remote, setAlone } = setUp();
        const exact = new MemoryCounterStore();
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          if (s.kind === 'flush') {
            await store.flush(now);
            continue;
          }
          if (s.kind === 'alone') {
            setAlone(true);
            continue;
          }
          if (s.kind === 'peer') {
            // Another instance joins (the roster tells this one) and counts two hits of its own.
            setAlone(false);
            await store.handOver();
            const peerHits: CounterOp = { op: 'add', key: s.key, windowMs: 1000, sliding: true, by: 2 };
            remote.inner.run([peerHits], now);
            exact.run([peerHits], now);
            continue;
          }
          const op: CounterOp = s.kind === 'hit' ? quiet(s.key, quietBelow, 1000) : { op: s.kind, key: s.key };
          const got = (await store.run([op], now))[0]!;
          const want = exact.run([op], now)[0]!;
          if (s.kind === 'hit' && want.count < quietBelow) expect(got.count).toBeLessThan(quietBelow);
          else expect(got.count).toBe(want.count);
        }
      }),
      { numRuns: Number(process.env['FUZZ_RUNS'] ?? 300) },
    );
  });

  it('holds the same with everything in flight at once (no answer awaited before the next request)', async () => {
    const step = fc.record({
      kind: fc.constantFrom('hit' as const, 'hit' as const, 'hit' as const, 'flush' as const, 'get' as const, 'del' as const),
      key: fc.constantFrom('x', 'y'),
      dt: fc.integer({ min: 0, max: 300 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (steps, quietBelow) => {
        const { store } = setUp();
        const exact = new MemoryCounterStore();
        const checks: Promise<void>[] = [];
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          if (s.kind === 'flush') {
            checks.push(store.flush(now));
            continue;
          }
          const op: CounterOp = s.kind === 'hit' ? quiet(s.key, quietBelow, 1000) : { op: s.kind, key: s.key };
          const want = exact.run([op], now)[0]!;
          const got = Promise.resolve(store.run([op], now));
          checks.push(
            got.then(([r]) => {
              if (s.kind === 'hit' && want.count < quietBelow) expect(r!.count).toBeLessThan(quietBelow);
              else expect(r!.count).toBe(want.count);
            }),
          );
        }
        await Promise.all(checks);
      }),
      { numRuns: Number(process.env['FUZZ_RUNS'] ?? 300) },
    );
  });
});
