import { Logger } from '@nestjs/common';
import { compileRules, DetectionEngine, MemoryCounterStore } from '@bouncer/detection';
import { ManualClock } from '@bouncer/detection/testing';
import type { AuditService } from '../../audit/audit.service';
import type { DetectionOptions } from '../../config/detection-options';
import type { Decision } from './decision';
import { DecisionRecorder } from './decision-recorder';
import type { DecisionRepository } from './decision.repository';
import type { DecisionSync, SyncEvent } from './decision-sync';
import { DecisionService } from './decision.service';

const decision = (client: string, at: number, over: Partial<Decision> = {}): Decision => ({
  client,
  state: 'blocked',
  scope: 'all',
  rule: 'request-rate',
  reason: 'too many requests',
  createdAt: at,
  expiresAt: at + 600_000,
  decidedBy: 'rule:request-rate',
  enforced: true,
  ...over,
});

// The recorder logs the outage and the recovery: expected here.
beforeAll(() => {
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterAll(() => jest.restoreAllMocks());

/** The service over a real engine and recorder, with the database and Redis replaced by fakes the test drives. */
function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  let stored: Decision[] = [];
  let databaseUp = true;
  let duringRead: (() => void) | undefined;
  let peer: ((e: SyncEvent) => void) | undefined;
  const audited: { type: string; at: number }[] = [];
  const down = async () => {
    if (!databaseUp) throw new Error('connect ECONNREFUSED');
  };
  const repository = {
    shared: false,
    transaction: async <T>(fn: (db: unknown) => Promise<T>) => (await down(), fn({})),
    liveDecisions: async () => {
      await down();
      const answer = stored;
      // What happens elsewhere while the read is on its way (a peer's published decision, say).
      duringRead?.();
      return answer;
    },
    blockHistory: async () => [],
    listEntries: async () => [],
    saveDecision: async (d: Decision) => {
      await down();
      stored = stored.filter((s) => s.client !== d.client).concat(d);
    },
    deleteDecision: async (client: string) => {
      await down();
      stored = stored.filter((s) => s.client !== client);
    },
    saveBlockHistory: down,
  };
  const published: unknown[] = [];
  const sync = {
    start: async (onEvent: (e: SyncEvent) => void) => void (peer = onEvent),
    publish: (e: unknown) => published.push(e),
    connected: () => false,
  };
  const audit = { write: async (e: { type: string }, _db: unknown, at: number) => void audited.push({ type: e.type, at }) };
  const recorder = new DecisionRecorder(
    repository as unknown as DecisionRepository,
    sync as unknown as DecisionSync,
    audit as unknown as AuditService,
    clock,
  );
  const engine = new DetectionEngine({
    rules: compileRules({ version: 1 }, 'test'),
    store: new MemoryCounterStore(),
    clock,
    sink: recorder,
  });
  const service = new DecisionService(
    { allowlist: [], denylist: [] } as unknown as DetectionOptions,
    clock,
    engine,
    recorder,
    repository as unknown as DecisionRepository,
    sync as unknown as DecisionSync,
    audit as unknown as AuditService,
  );
  const held = () => engine.book.list(clock.now()).map((d) => d.client);
  return {
    clock,
    engine,
    recorder,
    service,
    published,
    audited,
    held,
    setStored: (d: Decision[]) => (stored = d),
    getStored: () => stored,
    setDatabaseUp: (up: boolean) => (databaseUp = up),
    whileReading: (fn: () => void) => (duringRead = fn),
    fromPeer: (e: SyncEvent) => {
      if (!peer) throw new Error('not subscribed: the peer message is lost');
      peer(e);
    },
  };
}

describe('DecisionService reconcile (D3)', () => {
  it('D3 drops what the database no longer has (lifted elsewhere), picks up what it has, and publishes nothing', async () => {
    const t = setup();
    const now = t.clock.now();
    t.engine.book.put(decision('10.0.0.1', now), now);
    t.setStored([decision('10.0.0.2', now)]);
    await t.service.resync();
    expect(t.held()).toEqual(['10.0.0.2']);
    expect(t.published).toEqual([]);
  });

  it('D3 keeps a decision that changed here while the database was read', async () => {
    const t = setup();
    const now = t.clock.now();
    t.setStored([]);
    const reading = t.service.resync();
    // A peer's block arrives (or a rule decides) between the read and its answer.
    t.recorder.touched('10.0.0.3', 'blocked', 'all');
    t.engine.book.put(decision('10.0.0.3', now), now);
    await reading;
    expect(t.held()).toEqual(['10.0.0.3']);
  });
});

describe('DecisionService start', () => {
  it('keeps a peer decision published while the database is read at start (subscribed first, not missed until the next poll)', async () => {
    const t = setup();
    const now = t.clock.now();
    t.setStored([decision('10.0.0.5', now)]);
    // The peer stored and published its block after this instance's read began: the read does not have it.
    t.whileReading(() => t.fromPeer({ op: 'set', decision: decision('10.0.0.6', now) }));
    await t.service.onModuleInit();
    t.service.onModuleDestroy();
    expect(t.held().sort()).toEqual(['10.0.0.5', '10.0.0.6']);
  });

  it('a lift heard while the database is read at start is not undone by the read', async () => {
    const t = setup();
    const now = t.clock.now();
    t.setStored([decision('10.0.0.7', now)]);
    t.whileReading(() => t.fromPeer({ op: 'lift', client: '10.0.0.7', state: 'blocked' }));
    await t.service.onModuleInit();
    t.service.onModuleDestroy();
    expect(t.held()).toEqual([]);
  });
});

describe('DecisionRecorder queue (D4)', () => {
  it('D4 a rule decision the database could not store is kept through a reconcile, then stored and audited, dated when it happened', async () => {
    const t = setup();
    const decidedAt = t.clock.now();
    t.setDatabaseUp(false);
    t.recorder.record({ type: 'decided', decision: decision('10.0.0.4', decidedAt) });
    t.engine.book.put(decision('10.0.0.4', decidedAt), decidedAt);
    await t.recorder.flush();
    expect(t.recorder.backlog()).toEqual({ queued: 1, dropped: 0 });

    t.clock.advance(30_000);
    t.setDatabaseUp(true);
    // The database does not have it yet: a reconcile must not drop it.
    await t.service.resync();
    expect(t.held()).toEqual(['10.0.0.4']);

    await t.recorder.storeQueued();
    expect(t.recorder.backlog().queued).toBe(0);
    expect(t.getStored().map((d) => d.client)).toEqual(['10.0.0.4']);
    expect(t.audited).toEqual([{ type: 'decision.blocked', at: decidedAt }]);
  });
});
