/**
 * Test kit of the engine: the store contract every CounterStore must pass (memory, Redis, the
 * fallback wrapper), and a recording sink. Imported by tests only (`@bouncer/detection/testing`).
 */
import type { Effect, EventSink } from './lib/decision';
import type { CounterOp, CounterResult, CounterStore } from './lib/store/counter-store';

export { ManualClock } from './lib/time';

/** Keeps every effect, for assertions. */
export class RecordingSink implements EventSink {
  readonly effects: Effect[] = [];
  /** The cause each effect came with, by index (undefined when its event named none). */
  readonly causes: (string | undefined)[] = [];
  record(effect: Effect, cause?: string): void {
    this.effects.push(effect);
    this.causes.push(cause);
  }
  clear(): void {
    this.effects.length = 0;
    this.causes.length = 0;
  }
}

export interface ContractFixture {
  /** A fresh store (its keys must not collide with another run's). */
  make(): Promise<CounterStore> | CounterStore;
  /** Called after each case. */
  dispose?(store: CounterStore): Promise<void> | void;
}

type Jest = {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>, timeout?: number) => void;
  expect: (v: unknown) => { toEqual(x: unknown): void; toBe(x: unknown): void; toBeGreaterThan(x: number): void };
};

/**
 * The behaviour every store must have. Pass jest's globals in (this file must not depend on
 * jest itself): `counterStoreContract('memory', { make: () => new MemoryCounterStore() }, { describe, it, expect })`.
 */
export function counterStoreContract(name: string, fixture: ContractFixture, t: Jest): void {
  const { describe, it, expect } = t;
  const T0 = Date.UTC(2026, 0, 1);
  const with_ = async (fn: (s: CounterStore) => Promise<void>) => {
    const s = await fixture.make();
    try {
      await fn(s);
    } finally {
      await fixture.dispose?.(s);
    }
  };
  const run = async (s: CounterStore, ops: CounterOp[], now = T0): Promise<CounterResult[]> => s.run(ops, now);
  const one = async (s: CounterStore, op: CounterOp, now = T0): Promise<CounterResult> => (await run(s, [op], now))[0]!;

  describe(`CounterStore contract: ${name}`, () => {
    it('counts within a window and starts a new one after it', () =>
      with_(async (s) => {
        expect((await one(s, { op: 'add', key: 'a', windowMs: 1000 })).count).toBe(1);
        const second = await one(s, { op: 'add', key: 'a', windowMs: 1000 }, T0 + 500);
        expect([second.count, second.resetAt]).toEqual([2, T0 + 1000]);
        const fresh = await one(s, { op: 'add', key: 'a', windowMs: 1000 }, T0 + 1000);
        expect([fresh.count, fresh.resetAt]).toEqual([1, T0 + 2000]);
      }));

    it('adds more than one, and a decrement never goes below zero nor opens a window', () =>
      with_(async (s) => {
        expect((await one(s, { op: 'add', key: 'b', windowMs: 1000, by: 3 })).count).toBe(3);
        expect((await one(s, { op: 'add', key: 'b', windowMs: 1000, by: -1 })).count).toBe(2);
        expect((await one(s, { op: 'add', key: 'b', windowMs: 1000, by: -5 })).count).toBe(0);
        expect((await one(s, { op: 'add', key: 'nothing', windowMs: 1000, by: -1 })).count).toBe(0);
        expect((await one(s, { op: 'get', key: 'nothing' })).count).toBe(0);
      }));

    it('reads, forgets and re-arms', () =>
      with_(async (s) => {
        await one(s, { op: 'add', key: 'c', windowMs: 1000, by: 2 });
        expect((await one(s, { op: 'get', key: 'c' }, T0 + 10)).count).toBe(2);
        expect((await one(s, { op: 'get', key: 'c' }, T0 + 1000)).count).toBe(0);
        await one(s, { op: 'add', key: 'c', windowMs: 1000 });
        await one(s, { op: 'del', key: 'c' });
        expect((await one(s, { op: 'get', key: 'c' })).count).toBe(0);
        const armed = await one(s, { op: 'arm', key: 'c', windowMs: 5000, count: 2 }, T0 + 100);
        expect([armed.count, armed.resetAt]).toEqual([2, T0 + 5100]);
        const again = await one(s, { op: 'arm', key: 'c', windowMs: 1000 }, T0 + 200);
        expect([again.count, again.resetAt]).toEqual([1, T0 + 1200]);
      }));

    it('takes only below the limit, and the window expires', () =>
      with_(async (s) => {
        const takes = [];
        for (let i = 0; i < 4; i++) takes.push(await one(s, { op: 'take', key: 'd', windowMs: 1000, limit: 3 }));
        expect(takes.map((r) => r.admitted)).toEqual([true, true, true, false]);
        expect(takes.map((r) => r.count)).toEqual([1, 2, 3, 3]);
        expect((await one(s, { op: 'take', key: 'd', windowMs: 1000, limit: 3 }, T0 + 1000)).admitted).toBe(true);
      }));

    it('runs a guarded program as one step', () =>
      with_(async (s) => {
        const program: CounterOp[] = [
          { op: 'take', key: 'e', windowMs: 1000, limit: 1 },
          { op: 'add', key: 'e-ok', windowMs: 1000, if: { ref: 0, admitted: true } },
          { op: 'add', key: 'e-no', windowMs: 1000, if: { ref: 0, admitted: false } },
          { op: 'add', key: 'e-big', windowMs: 1000, if: { ref: 0, atLeast: 1 } },
        ];
        const first = await run(s, program);
        expect(first.map((r) => r.ran)).toEqual([true, true, false, true]);
        const second = await run(s, program);
        expect(second.map((r) => r.ran)).toEqual([true, false, true, true]);
        expect((await one(s, { op: 'get', key: 'e-big' })).count).toBe(2);
      }));

    it('keeps a set of members per key with its first one', () =>
      with_(async (s) => {
        const a = await one(s, { op: 'see', key: 'f', member: '10.0.0.1', windowMs: 1000 });
        const b = await one(s, { op: 'see', key: 'f', member: '10.0.0.2', windowMs: 1000 });
        const again = await one(s, { op: 'see', key: 'f', member: '10.0.0.1', windowMs: 1000 });
        expect([a.count, b.count, again.count, again.first]).toEqual([1, 2, 2, '10.0.0.1']);
        expect((await one(s, { op: 'see', key: 'f', member: '10.0.0.3', windowMs: 1000 }, T0 + 1000)).count).toBe(1);
      }));

    it(
      'counts 1,000 simultaneous increments exactly',
      () =>
        with_(async (s) => {
          const all = await Promise.all(Array.from({ length: 1000 }, () => one(s, { op: 'add', key: 'g', windowMs: 60_000 })));
          expect(Math.max(...all.map((r) => r.count))).toBe(1000);
          expect(new Set(all.map((r) => r.count)).size).toBe(1000);
          expect((await one(s, { op: 'get', key: 'g' })).count).toBe(1000);
        }),
      30_000,
    );

    it(
      'admits exactly the limit of 500 simultaneous takes',
      () =>
        with_(async (s) => {
          const all = await Promise.all(Array.from({ length: 500 }, () => one(s, { op: 'take', key: 'h', windowMs: 60_000, limit: 37 })));
          expect(all.filter((r) => r.admitted).length).toBe(37);
        }),
      30_000,
    );

    it('slides: the previous window counts by the share of it still within the last windowMs', () =>
      with_(async (s) => {
        const slide = (now: number, by?: number) => one(s, { op: 'add', key: 's', windowMs: 1000, sliding: true, by }, now);
        expect((await slide(T0, 10)).count).toBe(10);
        // A burst at the start of the next window sees the previous one at full weight.
        const next = await slide(T0 + 1000);
        expect([next.count, next.resetAt]).toEqual([11, T0 + 2000]);
        expect((await slide(T0 + 1500)).count).toBe(2 + 5);
        expect((await one(s, { op: 'get', key: 's' }, T0 + 1750)).count).toBe(2 + 2);
        expect((await slide(T0 + 2000)).count).toBe(1 + 2);
        // More than a whole window of silence: a fresh count.
        expect((await slide(T0 + 4100)).count).toBe(1);
      }));

    it('keeps a sliding counter one window longer when pruning', () =>
      with_(async (s) => {
        await one(s, { op: 'add', key: 'sp', windowMs: 1000, sliding: true, by: 4 });
        await s.prune(T0 + 1500);
        expect((await one(s, { op: 'add', key: 'sp', windowMs: 1000, sliding: true }, T0 + 1500)).count).toBe(1 + 2);
      }));

    it('answers a quiet add exactly from quietBelow on, and reads see every hit', () =>
      with_(async (s) => {
        const quiet = (now: number) => one(s, { op: 'add', key: 'q', windowMs: 1000, sliding: true, quietBelow: 5 }, now);
        const counts: number[] = [];
        for (let i = 0; i < 3; i++) counts.push((await quiet(T0 + i)).count);
        expect((await one(s, { op: 'get', key: 'q' }, T0 + 3)).count).toBe(3);
        for (let i = 3; i < 8; i++) counts.push((await quiet(T0 + i)).count);
        // Below quietBelow a store may answer any count below it; from it on, the exact one.
        expect(counts.slice(0, 4).every((c) => c >= 1 && c < 5)).toBe(true);
        expect(counts.slice(4)).toEqual([5, 6, 7, 8]);
        await one(s, { op: 'del', key: 'q' }, T0 + 9);
        expect((await quiet(T0 + 10)).count).toBe(1);
        expect((await one(s, { op: 'get', key: 'q' }, T0 + 11)).count).toBe(1);
      }));

    it('prunes expired windows', () =>
      with_(async (s) => {
        await one(s, { op: 'add', key: 'p1', windowMs: 1000 });
        await one(s, { op: 'add', key: 'p2', windowMs: 5000 });
        await s.prune(T0 + 2000);
        expect((await one(s, { op: 'get', key: 'p1' }, T0 + 2000)).count).toBe(0);
        expect((await one(s, { op: 'get', key: 'p2' }, T0 + 2000)).count).toBe(1);
      }));
  });
}
