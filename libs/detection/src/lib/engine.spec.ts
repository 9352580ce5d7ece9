/**
 * The engine itself, for what the table tests (testdata/) cannot say well: a store that answers
 * with promises, the exact effects the sink receives, lifts, mode off, and the follow-up programs.
 */
import { RecordingSink } from '../testing';
import type { Decision } from './decision';
import { DetectionEngine, type EngineOptions } from './engine';
import type { DetectionEvent } from './events';
import { requestRate } from './rules/kinds/request-rate.rule';
import { compileRules } from './rules/rules-document';
import type { CounterOp, CounterResult, CounterStore } from './store/counter-store';
import { MemoryCounterStore } from './store/memory-counter-store';
import { ManualClock } from './time';

/** A memory store that answers later, as a shared store (Redis) does: each program still runs whole. */
class AsyncStore implements CounterStore {
  readonly inner = new MemoryCounterStore();
  run(ops: readonly CounterOp[], now: number): Promise<CounterResult[]> {
    return new Promise((resolve) => setImmediate(() => resolve(this.inner.run(ops, now))));
  }
  async prune(now: number): Promise<number> {
    return this.inner.prune(now);
  }
  async size(): Promise<number> {
    return this.inner.size();
  }
}

/** Records every program the engine runs. */
class SpyStore extends MemoryCounterStore {
  readonly programs: CounterOp[][] = [];
  override run(ops: readonly CounterOp[], now: number): CounterResult[] {
    this.programs.push([...ops]);
    return super.run(ops, now);
  }
}

const A = '10.0.0.1';
const B = '10.0.0.2';

function setup(over: Partial<EngineOptions> & { doc?: unknown } = {}) {
  const clock = new ManualClock();
  const sink = new RecordingSink();
  const store = over.store ?? new MemoryCounterStore();
  const engine = new DetectionEngine({ rules: compileRules(over.doc ?? { version: 1 }, 'test'), clock, sink, ...over, store });
  /** A synchronous decision (the memory store answers at once). */
  const decide = (e: DetectionEvent): Decision => {
    const d = engine.decide(e);
    if (d instanceof Promise) throw new Error('expected a synchronous decision');
    return d;
  };
  const count = (key: string): number => {
    const r = (store as MemoryCounterStore).run([{ op: 'get', key }], clock.now());
    return r[0]!.count;
  };
  const types = () => sink.effects.map((x) => x.type);
  return { clock, sink, store, engine, decide, count, types };
}

const req = (client: string): DetectionEvent => ({ type: 'request', client });

/** A timeline touching every rule, with the outcomes fed back as the app would. */
function* script(): Generator<{ advance?: number; event?: DetectionEvent; outcome?: 'failed' | 'succeeded' }> {
  for (let i = 0; i < 305; i++) yield { event: req(A) };
  for (let i = 0; i < 7; i++) yield { advance: 1000, event: { type: 'sign-in-attempt', client: B, account: 'alice' }, outcome: 'failed' };
  for (let i = 0; i < 22; i++) yield { event: { type: 'response', client: '10.0.0.3', status: 404 } };
  for (const c of ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.1'])
    yield { event: { type: 'token-seen', client: c, token: 'jti', what: 'access token', expiresAt: Date.UTC(2026, 0, 2) } };
  yield { event: { type: 'refresh-reused', client: '10.0.2.1', subject: 'alice' } };
  for (let i = 0; i < 6; i++) yield { event: { type: 'sign-in-attempt', client: '10.0.3.1', account: 'bob' }, outcome: 'succeeded' };
  yield { advance: 300_000, event: req(A) };
  for (let i = 0; i < 301; i++) yield { event: req(A) };
  yield { event: { type: 'admin-block', client: '198.51.100.0/24', seconds: 60, reason: 'manual', by: 'admin:root' } };
  yield { event: req('198.51.100.7') };
  yield { event: { type: 'admin-lift', client: A, state: 'blocked', by: 'admin:root' } };
  yield { event: req(A) };
}

async function play(async: boolean) {
  const t = setup(async ? { store: new AsyncStore() } : {});
  const decisions: Decision[] = [];
  for (const s of script()) {
    if (s.advance) t.clock.advance(s.advance);
    if (!s.event) continue;
    const d = await t.engine.decide(s.event);
    decisions.push(d);
    if (s.outcome && s.event.type === 'sign-in-attempt' && d.verdict !== 'blocked') {
      const { client, account } = s.event;
      decisions.push(await t.engine.decide({ type: `sign-in-${s.outcome}`, client, account, ticket: d.ticket } as DetectionEvent));
    }
  }
  return { decisions, effects: t.sink.effects, book: t.engine.book.list(t.clock.now()) };
}

describe('DetectionEngine with a store that answers with promises', () => {
  it('decides exactly as with the synchronous store', async () => {
    const sync = await play(false);
    const async = await play(true);
    expect(async.decisions).toEqual(sync.decisions);
    expect(async.effects).toEqual(sync.effects);
    expect(async.book).toEqual(sync.book);
    // The script did reach the interesting places.
    const verdicts = new Set(sync.decisions.map((d) => `${d.verdict}:${d.ruleId ?? ''}`));
    for (const v of [
      'blocked:request-rate',
      'blocked:failed-logins',
      'blocked:token-misuse',
      'blocked:successful-logins',
      'blocked:admin',
      'suspicious:refresh-reuse',
    ])
      expect([v, verdicts.has(v)]).toEqual([v, true]);
  });

  it('answers a promise, and with the memory store a plain value', () => {
    expect(setup({ store: new AsyncStore() }).engine.decide(req(A))).toBeInstanceOf(Promise);
    expect(setup().engine.decide(req(A))).not.toBeInstanceOf(Promise);
  });

  it('refuses every request in flight past the threshold, and decides the block once', async () => {
    const t = setup({ store: new AsyncStore() });
    const all = await Promise.all(Array.from({ length: 310 }, () => Promise.resolve(t.engine.decide(req(A)))));
    expect(all.filter((d) => d.verdict === 'blocked').length).toBe(10);
    expect(all.filter((d) => d.verdict === 'blocked').every((d) => d.status === 403 && d.ruleId === 'request-rate')).toBe(true);
    expect(t.types()).toEqual(['decided', 'offence', 'decided']);
    expect(await t.engine.decide(req(A))).toMatchObject({ verdict: 'blocked', retryAfter: 300 });
  });

  it('checks exactly 10 of 160 simultaneous wrong passwords at one account from 40 clients', async () => {
    const t = setup({ store: new AsyncStore() });
    const clients = Array.from({ length: 40 }, (_, i) => `10.9.0.${i + 1}`);
    const attempts = await Promise.all(
      Array.from({ length: 160 }, async (_, k) => {
        const client = clients[k % 40]!;
        return { client, d: await t.engine.decide({ type: 'sign-in-attempt', client, account: 'target' }) };
      }),
    );
    const checked = attempts.filter((a) => a.d.verdict !== 'blocked');
    expect(checked.length).toBe(10);
    await Promise.all(
      checked.map((a) =>
        Promise.resolve(t.engine.decide({ type: 'sign-in-failed', client: a.client, account: 'target', ticket: a.d.ticket! })),
      ),
    );
    expect(
      t.store instanceof AsyncStore && t.store.inner.run([{ op: 'get', key: 'account-failed-logins:n:target' }], t.clock.now())[0]!.count,
    ).toBe(10);
  });

  it('checks exactly 5 of 12 simultaneous attempts from one client', async () => {
    const t = setup({ store: new AsyncStore() });
    const all = await Promise.all(
      Array.from({ length: 12 }, () => Promise.resolve(t.engine.decide({ type: 'sign-in-attempt', client: A, account: 'alice' }))),
    );
    expect(all.filter((d) => d.verdict !== 'blocked').length).toBe(5);
    // The client rule refuses them; the account rule may too (its pair budget counts this client's burst as well).
    expect(
      all
        .filter((d) => d.verdict === 'blocked')
        .every((d) => d.status === 429 && ['failed-logins', 'account-failed-logins'].includes(d.ruleId!)),
    ).toBe(true);
  });
});

describe('what the sink receives', () => {
  it("each effect with the cause its event named (the request id for the decision's log line)", async () => {
    const t = setup();
    t.decide({ type: 'refresh-reused', client: A, subject: 'alice', cause: 'req-1' });
    t.decide({ type: 'admin-block', client: B, seconds: 60, reason: 'manual', by: 'admin', cause: 'req-2' });
    t.decide({ type: 'admin-lift', client: B, state: 'blocked', by: 'admin', cause: 'req-3' });
    t.decide({ type: 'refresh-reused', client: '10.0.0.3', subject: 'bob' });
    expect(t.types()).toEqual(['decided', 'decided', 'lifted', 'decided']);
    expect(t.sink.causes).toEqual(['req-1', 'req-2', 'req-3', undefined]);
    // With a store that answers later, the cause still reaches the effect.
    const later = setup({ store: new AsyncStore(), doc: { version: 1, rules: { 'request-rate': { threshold: 2, blockSeconds: 60 } } } });
    for (const n of [4, 5, 6]) await later.engine.decide({ type: 'request', client: A, cause: `req-${n}` });
    expect(later.types()).toContain('decided');
    // The second request reaches the threshold: its block names it.
    expect(later.sink.causes[later.types().indexOf('decided')]).toBe('req-5');
  });

  it('decided for a new decision, extended when it is lengthened, nothing when it is not', () => {
    const t = setup();
    t.decide({ type: 'refresh-reused', client: A, subject: 'alice' });
    expect(t.types()).toEqual(['decided']);
    t.clock.advance(100_000);
    t.decide({ type: 'refresh-reused', client: A, subject: 'alice' });
    expect(t.types()).toEqual(['decided', 'extended']);
    const extended = t.sink.effects[1]!;
    expect(extended.type === 'extended' && extended.decision.expiresAt - extended.decision.createdAt).toBe(600_000);
    // The same suspicion again, lasting exactly as long as the one that stands: kept quietly.
    t.decide({ type: 'refresh-reused', client: A, subject: 'alice' });
    expect(t.types()).toEqual(['decided', 'extended']);
  });

  it('keeps a longer block, quietly, and extends it with a longer one', () => {
    const t = setup({
      doc: {
        version: 1,
        rules: {
          'token-misuse': { blockSeconds: 60, escalate: false },
          probing: { blockSeconds: 900, escalate: false },
        },
      },
    });
    for (let i = 0; i < 301; i++) t.decide(req(A));
    expect(t.types()).toEqual(['decided', 'offence', 'decided']);
    t.sink.clear();

    // A 60 s token-misuse block does not shorten the 300 s request-rate block: nothing decided,
    // and the refusal lasts as long as the block that stands.
    t.clock.advance(10_000);
    const tok = (client: string) =>
      t.decide({ type: 'token-seen', client, token: 'jti', what: 'access token', expiresAt: Date.UTC(2026, 0, 2) });
    tok(B);
    tok('10.0.0.3');
    tok('10.0.0.4');
    t.sink.clear();
    expect(tok(A)).toMatchObject({ verdict: 'blocked', ruleId: 'token-misuse', revokeToken: true, retryAfter: 290 });
    expect(t.types()).toEqual(['revoke-token']);
    expect(t.engine.book.blockFor(A, 'all', t.clock.now())).toMatchObject({ rule: 'request-rate' });

    // A 900 s probing block lengthens it: extended, with the new decision.
    t.sink.clear();
    for (let i = 0; i < 21; i++) t.decide({ type: 'response', client: A, status: 404 });
    // (The 14th answer also lengthened the standing suspicion.)
    expect(t.sink.effects.map((x) => (x.type === 'extended' ? `${x.type}:${x.decision.state}` : x.type))).toEqual([
      'extended:suspicious',
      'extended:blocked',
    ]);
    const e = t.sink.effects[1]!;
    expect(e.type === 'extended' && [e.decision.rule, e.decision.expiresAt - t.clock.now()]).toEqual(['probing', 900_000]);
  });

  it('a suspicion shorter than the standing one is kept without an effect', () => {
    const t = setup({ doc: { version: 1, rules: { 'failed-logins': { bufferSeconds: 1000 } } } });
    for (let i = 0; i < 5; i++) {
      const d = t.decide({ type: 'sign-in-attempt', client: A, account: 'alice' });
      t.decide({ type: 'sign-in-failed', client: A, account: 'alice', ticket: d.ticket! });
    }
    expect(t.engine.book.suspicion(A, t.clock.now())!.expiresAt - t.clock.now()).toBe(1_000_000);
    t.sink.clear();
    expect(t.decide({ type: 'refresh-reused', client: A, subject: 'alice' }).verdict).toBe('suspicious');
    expect(t.types()).toEqual([]);
  });
});

describe('admin-lift', () => {
  it('of a block emits lifted and forgets the client counters: the next request counts from 1', () => {
    const t = setup();
    for (let i = 0; i < 100; i++) t.decide(req(A));
    for (let i = 0; i < 5; i++) {
      const d = t.decide({ type: 'sign-in-attempt', client: A, account: 'alice' });
      t.decide({ type: 'sign-in-failed', client: A, account: 'alice', ticket: d.ticket! });
    }
    expect([t.count('request-rate:c:10.0.0.1'), t.count('failed-logins:n:10.0.0.1'), t.count('failed-logins:g:10.0.0.1')]).toEqual([
      100, 5, 2,
    ]);
    t.sink.clear();

    expect(t.decide({ type: 'admin-lift', client: A, state: 'blocked', by: 'admin:root', why: 'a colleague' })).toEqual({
      verdict: 'allow',
      reason: 'lifted',
    });
    expect(t.sink.effects).toEqual([{ type: 'lifted', client: A, state: 'blocked', by: 'admin:root', why: 'a colleague' }]);
    expect([t.count('request-rate:c:10.0.0.1'), t.count('failed-logins:n:10.0.0.1'), t.count('failed-logins:g:10.0.0.1')]).toEqual([
      0, 0, 0,
    ]);
    // The account's failures are not the client's: they stay.
    expect(t.count('account-failed-logins:n:alice')).toBe(5);

    t.decide(req(A));
    expect(t.count('request-rate:c:10.0.0.1')).toBe(1);
    expect(t.decide({ type: 'sign-in-attempt', client: A, account: 'alice' }).verdict).toBe('allow');
    expect(t.count('failed-logins:n:10.0.0.1')).toBe(1);
  });

  it('of a suspicion emits lifted and keeps the counters', () => {
    const t = setup();
    for (let i = 0; i < 210; i++) t.decide(req(A));
    t.sink.clear();
    t.decide({ type: 'admin-lift', client: A, state: 'suspicious', by: 'admin:root' });
    expect(t.sink.effects).toEqual([{ type: 'lifted', client: A, state: 'suspicious', by: 'admin:root', why: 'lifted' }]);
    expect(t.count('request-rate:c:10.0.0.1')).toBe(210);
    expect(t.decide(req(A)).verdict).toBe('allow');
  });

  it('of nothing emits nothing', () => {
    const t = setup();
    expect(t.decide({ type: 'admin-lift', client: A, state: 'blocked', by: 'admin:root' })).toEqual({ verdict: 'allow' });
    expect(t.types()).toEqual([]);
  });

  it('with a promising store forgets before it answers', async () => {
    const t = setup({ store: new AsyncStore() });
    for (let i = 0; i < 301; i++) await t.engine.decide(req(A));
    await t.engine.decide({ type: 'admin-lift', client: A, state: 'blocked', by: 'admin:root' });
    expect(t.types()).toEqual(['decided', 'offence', 'decided', 'lifted']);
    expect((await t.engine.decide(req(A))).verdict).toBe('suspicious');
  });
});

describe('unlockAccount', () => {
  it("forgets the account's failures and spacing: a client that spent its budget may try again", () => {
    const t = setup();
    // Ten clients, two wrong passwords each: past the account's free attempts.
    for (let i = 0; i < 20; i++) {
      t.clock.advance(61_000);
      const d = t.decide({ type: 'sign-in-attempt', client: `10.0.9.${i % 10}`, account: 'alice' });
      if (d.verdict !== 'blocked') t.decide({ type: 'sign-in-failed', client: `10.0.9.${i % 10}`, account: 'alice', ticket: d.ticket! });
    }
    expect(t.count('account-failed-logins:n:alice')).toBeGreaterThan(0);
    expect(t.decide({ type: 'sign-in-attempt', client: '10.0.9.1', account: 'alice' }).verdict).toBe('blocked');

    expect(t.engine.unlockAccount('alice')).toBe(2);
    expect([t.count('account-failed-logins:n:alice'), t.count('account-failed-logins:g:alice')]).toEqual([0, 0]);
    expect(t.decide({ type: 'sign-in-attempt', client: '10.0.9.1', account: 'alice' }).verdict).toBe('allow');
    // Another account's count is not touched.
    expect(t.engine.unlockAccount('bob')).toBe(2);
  });
});

describe('mode off', () => {
  it('decides nothing, counts nothing, records nothing', () => {
    const store = new SpyStore();
    const t = setup({ mode: 'off', store });
    for (let i = 0; i < 1000; i++) expect(t.decide(req(A))).toEqual({ verdict: 'allow' });
    for (let i = 0; i < 50; i++) t.decide({ type: 'response', client: A, status: 404 });
    for (let i = 0; i < 20; i++) {
      const d = t.decide({ type: 'sign-in-attempt', client: A, account: 'alice' });
      expect(d).toEqual({ verdict: 'allow', ticket: { holds: {} } });
      t.decide({ type: 'sign-in-failed', client: A, account: 'alice', ticket: d.ticket! });
    }
    for (let i = 0; i < 10; i++)
      t.decide({ type: 'token-seen', client: `10.0.5.${i}`, token: 'jti', what: 'access token', expiresAt: Date.UTC(2026, 0, 2) });
    t.decide({ type: 'refresh-reused', client: A, subject: 'alice' });
    expect(t.types()).toEqual([]);
    expect(store.programs).toEqual([]);
    expect(store.size()).toBe(0);
    expect(t.engine.book.list(t.clock.now())).toEqual([]);
  });
});

describe('events no rule watches', () => {
  it('are answered without a program: a 200 costs the probing rule nothing, a 404 is counted', () => {
    const store = new SpyStore();
    const t = setup({ store });
    for (let i = 0; i < 100; i++) expect(t.decide({ type: 'response', client: A, status: 200 })).toEqual({ verdict: 'allow' });
    expect(store.programs).toEqual([]);
    t.decide({ type: 'response', client: A, status: 404 });
    expect(store.programs.map((p) => p.map((op) => op.key))).toEqual([[`probing:c:${A}`]]);
  });

  it('countsAnswer says which statuses a rule counts, as the rules in force configure them', () => {
    const t = setup({ doc: { version: 1, rules: { probing: { statuses: [418, 404] } } } });
    expect([200, 401, 404, 418, 500].map((s) => t.engine.countsAnswer(s))).toEqual([false, false, true, true, false]);
    // Asked again (now from memory): the same answers; a status outside HTTP's range is asked of the rules.
    expect([200, 404, 418].map((s) => t.engine.countsAnswer(s))).toEqual([false, true, true]);
    expect(t.engine.countsAnswer(1000)).toBe(false);
    expect(setup({ mode: 'off' }).engine.countsAnswer(404)).toBe(false);
    expect(setup({ doc: { version: 1, rules: { probing: { enabled: false } } } }).engine.countsAnswer(404)).toBe(false);
  });
});

describe("a client's request program", () => {
  it('is planned once per client and run again for its next requests, counting as before', () => {
    const store = new SpyStore();
    const t = setup({ store });
    const plan = jest.spyOn(requestRate, 'plan');
    try {
      for (let i = 0; i < 5; i++) t.decide(req(A));
      t.decide(req(B));
      expect(plan).toHaveBeenCalledTimes(2);
    } finally {
      plan.mockRestore();
    }
    expect(store.programs.map((p) => p.map((op) => op.key))).toEqual([
      ...Array.from({ length: 5 }, () => [`request-rate:c:${A}`]),
      [`request-rate:c:${B}`],
    ]);
    expect([t.count(`request-rate:c:${A}`), t.count(`request-rate:c:${B}`)]).toEqual([5, 1]);
    // A block and its follow-up (the count restarts) from a kept program, as from a fresh one.
    for (let i = 5; i < 301; i++) t.decide(req(A));
    expect(t.decide(req(A))).toMatchObject({ verdict: 'blocked', ruleId: 'request-rate' });
    expect(t.count(`request-rate:c:${A}`)).toBe(0);
  });
});

describe('follow-up programs', () => {
  it('run after the decision: the block restarts the count', () => {
    const store = new SpyStore();
    const t = setup({ store });
    for (let i = 0; i < 301; i++) t.decide(req(A));
    expect(store.programs.at(-1)).toEqual([{ op: 'del', key: 'request-rate:c:10.0.0.1' }]);
    expect(store.programs.length).toBe(302);
    expect(t.count('request-rate:c:10.0.0.1')).toBe(0);
  });

  it('give back what other rules reserved for a refused attempt', () => {
    const store = new SpyStore();
    const t = setup({ store });
    const all = Array.from({ length: 12 }, () => t.decide({ type: 'sign-in-attempt', client: A, account: 'alice' }));
    expect(all.filter((d) => d.verdict !== 'blocked').length).toBe(5);
    // Each of the 7 refused attempts took an account place and gave it back.
    expect(t.count('account-failed-logins:n:alice')).toBe(5);
    expect(
      store.programs.filter((p) => p.some((op) => op.key === 'account-failed-logins:n:alice' && op.op === 'add' && op.by === -1)).length,
    ).toBe(7);
    // A refused attempt carries no reservation for the app to hand back.
    expect(all.filter((d) => d.verdict === 'blocked').every((d) => Object.keys(d.ticket!.holds).length === 0)).toBe(true);
  });

  it('are awaited with a promising store before the decision is answered', async () => {
    const t = setup({ store: new AsyncStore() });
    for (let i = 0; i < 301; i++) await t.engine.decide(req(A));
    const inner = (t.store as AsyncStore).inner;
    expect(inner.run([{ op: 'get', key: 'request-rate:c:10.0.0.1' }], t.clock.now())[0]!.count).toBe(0);
  });
});

describe('observe mode', () => {
  it('records every rule decision unenforced, but a person and the denylist are always enforced', () => {
    const t = setup({ mode: 'observe' });
    t.engine.book.setLists([], ['203.0.113.0/24']);
    expect(t.engine.isEnforced('request-rate')).toBe(false);
    expect([t.engine.isEnforced('admin'), t.engine.isEnforced('denylist')]).toEqual([true, true]);
    expect(t.decide(req('203.0.113.9'))).toMatchObject({ verdict: 'blocked', status: 403, ruleId: 'denylist' });
    for (let i = 0; i < 305; i++) expect(t.decide(req(A)).verdict).not.toBe('blocked');
    const decided = t.sink.effects.filter((x) => x.type === 'decided');
    expect(decided.length).toBeGreaterThan(0);
    expect(decided.every((x) => x.type === 'decided' && !x.decision.enforced)).toBe(true);
  });
});

describe('a token its client showed before', () => {
  it('is seenBefore exactly when a token-seen event for the pair would be allowed with no effect', () => {
    const t = setup();
    const seen = (client: string) =>
      t.decide({ type: 'token-seen', client, token: 'jti:y', what: 'access token of bob', expiresAt: t.clock.now() + 600_000 });
    expect(t.engine.seenBefore('jti:y', '10.0.0.1')).toBe(false);
    expect(seen('10.0.0.1')).toMatchObject({ verdict: 'allow' });
    expect(t.engine.seenBefore('jti:y', '10.0.0.1')).toBe(true);
    t.sink.clear();
    expect(seen('10.0.0.1')).toMatchObject({ verdict: 'allow' });
    expect(t.sink.effects).toEqual([]);
    // Another client, another token: not seen; a client refused with the token is never "seen".
    expect(t.engine.seenBefore('jti:y', '10.0.0.2')).toBe(false);
    expect(t.engine.seenBefore('jti:z', '10.0.0.1')).toBe(false);
    for (const c of ['10.0.0.2', '10.0.0.3']) seen(c);
    expect(seen('10.0.0.4')).toMatchObject({ verdict: 'blocked', revokeToken: true });
    expect(t.engine.seenBefore('jti:y', '10.0.0.4')).toBe(false);
  });
});

describe('a client already blocked', () => {
  it('is not blocked again, nor escalated, when a rule fires again during its block', () => {
    const t = setup();
    const seen = (client: string) =>
      t.decide({ type: 'token-seen', client, token: 'jti:x', what: 'access token of bob', expiresAt: t.clock.now() + 600_000 });
    for (const c of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) seen(c);
    t.sink.clear();
    expect(seen('10.0.0.4')).toMatchObject({ verdict: 'blocked', revokeToken: true });
    t.clock.advance(1000);
    seen('10.0.0.4');
    seen('10.0.0.4');
    const effects = t.sink.effects.filter((e) => e.type === 'offence' || e.type === 'decided');
    expect(effects.map((e) => e.type)).toEqual(['offence', 'decided']);
    expect(t.engine.book.offence('10.0.0.4')?.count).toBe(1);
  });
});

describe('the warning before a sign-in pause', () => {
  /** One wrong password from `client`, as the app reports it: attempt, then failure. */
  const fail = (t: ReturnType<typeof setup>, client: string): Decision => {
    const d = t.decide({ type: 'sign-in-attempt', client, account: 'alice' });
    if (d.verdict === 'blocked') return d;
    return t.decide({ type: 'sign-in-failed', client, account: 'alice', ticket: d.ticket! });
  };

  it('counts down the failures left before the 60 s buffer, then says the pause started and how long', () => {
    const t = setup();
    const warnings = [1, 2, 3, 4, 5].map(() => fail(t, A).signInWarning);
    expect(warnings).toEqual([
      { attemptsLeft: 4, pauseSeconds: 60 },
      { attemptsLeft: 3, pauseSeconds: 60 },
      { attemptsLeft: 2, pauseSeconds: 60 },
      { attemptsLeft: 1, pauseSeconds: 60 },
      { attemptsLeft: 0, pauseSeconds: 60 },
    ]);
    // A refused attempt warns of nothing: it says only how long to wait.
    expect(fail(t, A)).toMatchObject({ verdict: 'blocked', status: 429 });
    expect(fail(t, A).signInWarning).toBeUndefined();
    t.clock.advance(60_000);
    expect(fail(t, A).signInWarning).toEqual({ attemptsLeft: 0, pauseSeconds: 120 });
  });

  it('names the nearest pause of all the rules: an IPv6 client is counted per /64 and per allocation', () => {
    const t = setup({
      doc: {
        version: 1,
        rules: { 'failed-logins-per-56': { kind: 'login-buffer', threshold: 3, bufferSeconds: 30, memorySeconds: 3600, ipv6Prefix: 56 } },
      },
    });
    expect(fail(t, '2001:db8:0:1::/64').signInWarning).toEqual({ attemptsLeft: 2, pauseSeconds: 30 });
    expect(fail(t, '2001:db8:0:2::/64').signInWarning).toEqual({ attemptsLeft: 1, pauseSeconds: 30 });
  });

  it('is not given by a rule in observe mode, which pauses nothing', () => {
    const t = setup({ mode: 'observe' });
    expect(fail(t, A).signInWarning).toBeUndefined();
  });
});
