import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { decisionRef, type Effect, type EventSink } from '@bouncer/detection';
import { AuditService } from '../../audit/audit.service';
import type { Database } from '../../db/database';
import { CLOCK, type Clock } from '../../core/clock';
import { DecisionRepository } from './decision.repository';
import { DecisionSync } from './decision-sync';
import { decisionLine, liftLine } from './decision-log';
import { describeError } from '../../db/query-errors';
import { Metrics } from '../../core/metrics';

/**
 * The engine's event sink: what the engine decided is stored (so it survives a restart), told
 * to the other instances, and audited. The engine calls `record` synchronously; the I/O runs
 * in the background and `flush()` lets a caller wait for it, so an answer is sent only after
 * the decision it reports is stored. Peers are told once it is stored.
 *
 * A rule's decision is enforced even when the database does not answer (refusing is the safe
 * side): what could not be stored waits in a bounded queue, in order, and is written with its
 * audit record as soon as the database answers again (its size is in /health/ready).
 */
@Injectable()
export class DecisionRecorder implements EventSink, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DecisionRecorder.name);
  private pending: Promise<void>[] = [];
  /** Effects in force but not stored yet (the database did not answer), oldest first. */
  private readonly unstored: Held[] = [];
  private unstoredDropped = 0;
  private retryTimer?: NodeJS.Timeout;
  private retrying?: Promise<void>;
  /**
   * Counts every change to the book made here (recorded, a person's, a peer's), and the count at
   * each decision's last change, so a reconcile with the database leaves alone what changed
   * while it was reading.
   */
  private changeCount = 0;
  private readonly lastChange = new Map<string, number>();

  constructor(
    private readonly repository: DecisionRepository,
    private readonly sync: DecisionSync,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  private muted = false;

  onModuleInit(): void {
    this.retryTimer = setInterval(() => void this.storeQueued(), UNSTORED_RETRY_MS);
    this.retryTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  record(effect: Effect, cause?: string): void {
    // Logged here with the request that caused it (`cause`, its id); a person's lift is logged
    // too (it reaches the engine muted), a person's block by DecisionService.
    if (effect.type === 'decided') this.logger.log(decisionLine(effect.decision, cause));
    else if (effect.type === 'lifted') this.logger.log(liftLine(effect, cause));
    else if (effect.type === 'extended') this.logger.debug({ ...decisionLine(effect.decision, cause), event: 'decision.extended' });
    if (this.muted) return;
    // Counted once, here: a person's block and lift are counted by DecisionService (they reach the engine muted).
    if (effect.type === 'decided') {
      const d = effect.decision;
      this.metrics?.decided(d.rule, d.state === 'blocked' && !d.enforced ? 'observed' : d.state);
    } else if (effect.type === 'lifted') this.metrics?.lifted(effect.by.startsWith('rule:') ? effect.by.slice(5) : 'unknown', effect.by);
    this.noteEffect(effect);
    const held: Held = { effect, at: this.clock.now() };
    // Shared once stored, so a peer that reconciles with the database in between does not drop it;
    // shared at once when it cannot be stored (the peers enforce it too: refusing is the safe side).
    const unstored = (why: string) => {
      this.share(effect);
      this.queue(held, why);
    };
    // Behind what already waits, so the database gets the effects in the order they happened.
    if (this.unstored.length) unstored('earlier effects are not stored yet');
    else
      this.pending.push(
        this.store(held).then(
          () => this.share(effect),
          (e: Error) => unstored(describeError(e)),
        ),
      );
  }

  /** A change to the book about this decision, made here or heard from a peer. */
  touched(client: string, state: string, scope = 'all'): void {
    this.lastChange.set(decisionKey(client, state, scope), ++this.changeCount);
  }

  /** Where the change count stands: pass it to `changedSince` after reading the database. */
  mark(): number {
    return this.changeCount;
  }

  /** Whether the decision changed here after `mark` (or waits to be stored): a reconcile leaves it alone. */
  changedSince(mark: number, client: string, state: string, scope: string): boolean {
    const key = decisionKey(client, state, scope);
    if ((this.lastChange.get(key) ?? -1) > mark) return true;
    return this.unstored.some((h) => effectKey(h.effect) === key);
  }

  /** Forgets the change counts a reconcile that started at `mark` has seen (keeps the map bounded). */
  forgetUpTo(mark: number): void {
    for (const [k, n] of this.lastChange) if (n <= mark) this.lastChange.delete(k);
  }

  /** Effects in force but not stored yet, and how many a full queue dropped (logged). */
  backlog(): { queued: number; dropped: number } {
    return { queued: this.unstored.length, dropped: this.unstoredDropped };
  }

  /** Writes the queued effects, oldest first, stopping at the first failure. */
  storeQueued(): Promise<void> {
    if (!this.unstored.length) return Promise.resolve();
    this.retrying ??= (async () => {
      try {
        while (this.unstored.length) {
          const held = this.unstored[0] as Held;
          await this.store(held);
          this.unstored.shift();
          // Again, now that it is stored: a peer's reconcile may have dropped it while it was not.
          this.share(held.effect);
        }
        this.logger.log('decisions held during the database outage are stored');
      } catch {
        // Still down: the next tick tries again.
      } finally {
        this.retrying = undefined;
      }
    })();
    return this.retrying;
  }

  private queue(held: Held, why: string): void {
    if (this.unstored.length >= UNSTORED_LIMIT) {
      this.unstored.shift();
      this.unstoredDropped++;
    }
    this.unstored.push(held);
    if (this.unstored.length === 1 || this.unstored.length % 100 === 0)
      this.logger.error(`${held.effect.type} in force but not stored yet (${this.unstored.length} queued): ${why}`);
  }

  private noteEffect(effect: Effect): void {
    if (effect.type === 'decided' || effect.type === 'extended')
      this.touched(effect.decision.client, effect.decision.state, effect.decision.scope);
    else if (effect.type === 'lifted') this.touched(effect.client, effect.state, 'all');
  }

  /**
   * Runs an engine call whose effects the caller has already stored, shared and audited (a
   * person's block or lift, stored before it takes effect): they are not recorded twice. The
   * engine emits synchronously, so only this call's effects are dropped.
   */
  alreadyRecorded<T>(engineCall: () => T): T {
    this.muted = true;
    try {
      return engineCall();
    } finally {
      this.muted = false;
    }
  }

  /** Waits for everything recorded so far. */
  async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Tells the peers at once (Redis), whether or not the database answers. */
  private share(effect: Effect): void {
    if (effect.type === 'decided' || effect.type === 'extended') this.sync.publish({ op: 'set', decision: effect.decision });
    else if (effect.type === 'lifted') this.sync.publish({ op: 'lift', client: effect.client, state: effect.state });
  }

  /** Stores an effect and its audit record (one transaction, dated when it happened); safe to run again. */
  private store({ effect, at }: Held): Promise<void> {
    return this.repository.transaction((db) => this.storeIn(db, effect, at));
  }

  private async storeIn(db: Database, effect: Effect, at: number): Promise<void> {
    switch (effect.type) {
      case 'decided': {
        const d = effect.decision;
        await this.repository.saveDecision(d, db);
        const seconds = Math.round((d.expiresAt - d.createdAt) / 1000);
        if (d.state === 'suspicious') {
          await this.audit.write(
            {
              type: 'decision.suspicious',
              client: d.client,
              actor: d.decidedBy,
              detail: `${d.reason} (${d.rule}; ref ${decisionRef(d)})`,
            },
            db,
            at,
          );
        } else {
          await this.audit.write(
            {
              type: d.enforced ? 'decision.blocked' : 'decision.blocked.observed',
              client: d.client,
              actor: d.decidedBy,
              detail: `${d.reason} (${d.rule}, ${seconds} s${d.scope === 'sign-in' ? ', sign-in routes' : ''}${d.enforced ? '' : ', observe only'}; ref ${decisionRef(d)})`,
            },
            db,
            at,
          );
        }
        return;
      }
      case 'extended':
        // Lengthened, not new: stored and shared quietly.
        await this.repository.saveDecision(effect.decision, db);
        return;
      case 'lifted':
        await this.repository.deleteDecision(effect.client, effect.state, db);
        await this.audit.write(
          {
            type: `decision.${effect.state === 'blocked' ? 'unblocked' : 'cleared'}`,
            client: effect.client,
            actor: effect.by,
            detail: `${effect.state} decision ${effect.why} by ${effect.by}`,
          },
          db,
          at,
        );
        return;
      case 'offence':
        await this.repository.saveBlockHistory(effect.client, effect.history.at, effect.history.seconds, effect.history.count, db);
        return;
      case 'notice':
        await this.audit.write({ type: effect.event, client: effect.client, actor: effect.actor, detail: effect.detail }, db, at);
        return;
      case 'revoke-token':
        // The caller that presented the token revokes it (auth owns revocation).
        return;
    }
  }
}

/** An effect in force and when it happened. */
interface Held {
  effect: Effect;
  at: number;
}

/** Rule decisions waiting for the database; beyond this the oldest are dropped from the queue (still in force here). */
const UNSTORED_LIMIT = 10_000;
/** How often the queue is written again while the database does not answer. */
const UNSTORED_RETRY_MS = 2_000;

function decisionKey(client: string, state: string, scope: string): string {
  return `${client}|${state}|${state === 'blocked' ? scope : 'all'}`;
}

function effectKey(e: Effect): string | null {
  if (e.type === 'decided' || e.type === 'extended') return decisionKey(e.decision.client, e.decision.state, e.decision.scope);
  if (e.type === 'lifted') return decisionKey(e.client, e.state, 'all');
  return null;
}
