import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ClientState, DecisionView, ListEntry, ListKind } from '@bouncer/contracts';
import { canonicalRange, decisionRef, DetectionEngine } from '@bouncer/detection';
import { AuditService } from '../../audit/audit.service';
import { DETECTION_OPTIONS, type DetectionOptions } from '../../config/detection-options';
import { CLOCK, type Clock } from '../../core/clock';
import { storedFirst } from '../../http/stored-first';
import { Prunable, type PrunableProvider, type PruneResult } from '../../core/prunable';
import { DETECTION_ENGINE } from '../engine.provider';
import { AccessLists } from './access-lists';
import { type Decision, type DecisionState, toView } from './decision';
import { DecisionRecorder } from './decision-recorder';
import { decisionLine, liftLine } from './decision-log';
import { DecisionRepository } from './decision.repository';
import { DecisionSync, type SyncEvent } from './decision-sync';
import { describeError } from '../../db/query-errors';
import { Metrics } from '../../core/metrics';

export { type Decision, toView } from './decision';

/** While Redis is down (or absent) with a shared database, instances read each other's decisions this often. */
const DEGRADED_POLL_MS = 2_000;
/** While Redis is up, a read this often still catches what a dropped message missed. */
const HEALTHY_POLL_MS = 30_000;

/**
 * The admin façade over the engine's decision book: what stands (answered from memory), what a
 * person blocks or lifts (through the engine, so it is recorded like every decision), the
 * allow and deny lists (stored, shared, audited), and the pieces that keep the book true across
 * restarts (load from SQL) and instances (pub/sub, and a reconcile with the database when
 * Redis comes back and every few seconds while it is down).
 */
@Injectable()
@Prunable({ order: 10 })
export class DecisionService implements OnModuleInit, OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(DecisionService.name);
  private readonly accessLists: AccessLists;
  private pollTimer?: NodeJS.Timeout;
  /** Real time (not the injected clock) of the last reconcile: it paces I/O, it decides nothing. */
  private lastReconcileAt = 0;
  private reconciling?: Promise<void>;

  constructor(
    @Inject(DETECTION_OPTIONS) options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    private readonly recorder: DecisionRecorder,
    private readonly repository: DecisionRepository,
    private readonly sync: DecisionSync,
    private readonly audit: AuditService,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.accessLists = new AccessLists(options.allowlist, options.denylist);
    this.applyLists();
  }

  async onModuleInit(): Promise<void> {
    // Subscribed before the database is read: a peer's decision published while this instance
    // starts is heard, and the first read (a reconcile) keeps what changed meanwhile. Read
    // first and subscribed after, such a decision was missed until the next poll (30 s).
    await this.sync.start(
      (e) => this.applyRemote(e),
      () => void this.resync(),
    );
    // A database that cannot answer at start fails the start, as before.
    await this.reconcileOnce();
    if (this.repository.shared) {
      // Often while Redis cannot tell us (seconds, as the revocations), rarely while it can.
      this.pollTimer = setInterval(() => {
        const interval = this.sync.connected() ? HEALTHY_POLL_MS : DEGRADED_POLL_MS;
        if (performance.now() - this.lastReconcileAt >= interval - 50) void this.resync();
      }, DEGRADED_POLL_MS);
      this.pollTimer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
  }

  /**
   * Makes this instance's book agree with the database (when Redis comes back, and
   * periodically): the database is the truth, so nothing held in memory is published again. A
   * decision made or lifted elsewhere while Redis was down is picked up; one lifted elsewhere
   * is dropped here. What changed here while the database was being read, or waits to be
   * stored (a rule's decision during a database outage), is left as it is.
   */
  resync(): Promise<void> {
    return this.reconcileOnce().catch((e: Error) => this.logger.warn(`reconcile with the database failed: ${describeError(e)}`));
  }

  /** One reconcile at a time: a call while one runs waits for it. */
  private reconcileOnce(): Promise<void> {
    this.reconciling ??= this.reconcile().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcile(): Promise<void> {
    this.lastReconcileAt = performance.now();
    const mark = this.recorder.mark();
    const now = this.clock.now();
    const stored = await this.repository.liveDecisions(now);
    const history = await this.repository.blockHistory();
    const entries = await this.repository.listEntries();
    const key = (d: Decision) => `${d.client}|${d.state}|${d.scope}`;
    const storedKeys = new Set(stored.map(key));
    for (const d of this.engine.book.list(now)) {
      if (storedKeys.has(key(d)) || this.recorder.changedSince(mark, d.client, d.state, d.scope)) continue;
      this.engine.book.remove(d.client, d.state, now, d.state === 'blocked' ? d.scope : undefined);
    }
    for (const d of stored) if (!this.recorder.changedSince(mark, d.client, d.state, d.scope)) this.engine.book.put(d, now);
    for (const h of history) this.engine.book.setOffence(h.client, { at: h.at, seconds: h.seconds, count: h.count });
    this.accessLists.replace(entries);
    this.applyLists();
    this.recorder.forgetUpTo(mark);
  }

  private async loadLists(): Promise<void> {
    this.accessLists.replace(await this.repository.listEntries());
    this.applyLists();
  }

  private applyLists(): void {
    const { allow, deny } = this.accessLists.ranges(this.clock.now());
    this.engine.book.setLists(allow, deny);
  }

  /** Another instance decided something: apply it here (it already stored and audited it). */
  private applyRemote(e: SyncEvent): void {
    const now = this.clock.now();
    if (e.op === 'set') {
      this.recorder.touched(e.decision.client, e.decision.state, e.decision.scope);
      this.engine.book.put(e.decision, now);
    } else if (e.op === 'lift') {
      this.recorder.touched(e.client, e.state);
      this.engine.book.remove(e.client, e.state, now);
    } else {
      // Lists are re-read whole; if the database cannot answer now, the next reconcile picks them up.
      this.loadLists().catch((e: Error) => this.logger.warn(`reloading the lists failed: ${describeError(e)}`));
    }
  }

  // ---- reads: memory only ------------------------------------------------------------------

  isAllowlisted(client: string): boolean {
    return this.engine.book.isAllowlisted(client);
  }

  state(client: string, now: number): ClientState {
    return this.engine.book.state(client, now);
  }

  /** Standing decisions, newest first. */
  list(now: number, state?: DecisionState): DecisionView[] {
    return this.engine.book.list(now, state).map((d) => toView(d, now));
  }

  /** Rule decisions in force but not stored yet (the database did not answer), for /health/ready. */
  unstored(): { queued: number; dropped: number } {
    return this.recorder.backlog();
  }

  counts(now: number): { blocked: number; suspicious: number } {
    const all = this.engine.book.list(now);
    const blocked = all.filter((d) => d.state === 'blocked').length;
    return { blocked, suspicious: all.length - blocked };
  }

  // ---- a person's decisions ------------------------------------------------------------------

  /**
   * Blocks a client (an address, an IPv6 prefix key, or a CIDR) on every route. The block is
   * stored and audited (one transaction) before it takes effect here and on the other
   * instances; if storing fails nothing changes and the caller answers 503.
   */
  async block(input: { client: string; reason: string; seconds: number; by: string; requestId?: string }): Promise<Decision> {
    const now = this.clock.now();
    const d: Decision = {
      client: input.client,
      state: 'blocked',
      scope: 'all',
      rule: 'admin',
      reason: input.reason,
      createdAt: now,
      expiresAt: now + input.seconds * 1000,
      decidedBy: input.by,
      enforced: true,
    };
    await storedFirst(`block of ${d.client}`, () =>
      this.repository.transaction(async (db) => {
        await this.repository.saveDecision(d, db);
        await this.audit.write(
          {
            type: 'decision.blocked',
            client: d.client,
            actor: d.decidedBy,
            detail: `${d.reason} (admin, ${input.seconds} s; ref ${decisionRef(d)})`,
          },
          db,
        );
      }),
    );
    // A person's block replaces the route block that stood, shorter or longer: it is what they asked for.
    // A sign-in buffer is another decision and stays.
    this.recorder.touched(d.client, d.state, d.scope);
    this.engine.book.remove(d.client, 'blocked', now, 'all');
    this.engine.book.put(d, now);
    this.sync.publish({ op: 'set', decision: d });
    this.logger.log(decisionLine(d, input.requestId));
    this.metrics?.decided('admin', 'blocked');
    return d;
  }

  /**
   * Lengthens a standing decision by `seconds`, keeping its rule, reason and reference (a
   * person extending a rule's block does not rewrite why it was made); null if none stands.
   * Stored and audited first, then in force here and on the other instances.
   */
  async extend(client: string, state: DecisionState, seconds: number, by: string): Promise<Decision | null> {
    const now = this.clock.now();
    const standing = this.engine.book.list(now, state).filter((d) => d.client === client);
    if (standing.length === 0) return null;
    const longer = standing.map((d) => ({ ...d, expiresAt: d.expiresAt + seconds * 1000 }));
    await storedFirst(`extension of ${client}`, () =>
      this.repository.transaction(async (db) => {
        for (const d of longer) await this.repository.saveDecision(d, db);
        await this.audit.write(
          {
            type: 'decision.extended',
            client,
            actor: by,
            detail: `${state} decision extended by ${seconds} s by ${by} (ref ${longer.map(decisionRef).join(', ')})`,
          },
          db,
        );
      }),
    );
    for (const d of longer) {
      this.recorder.touched(d.client, d.state, d.scope);
      this.engine.book.put(d, now);
      this.sync.publish({ op: 'set', decision: d });
    }
    return longer[0]!;
  }

  /**
   * Lifts a standing decision; false if there was none. Stored and audited first, like a
   * block; then the engine drops it (and forgives the counts behind a block) without recording it again.
   */
  async lift(client: string, state: DecisionState, by: string, why = 'lifted', requestId?: string): Promise<boolean> {
    const standing = this.engine.book.list(this.clock.now(), state).find((d) => d.client === client);
    if (!standing) return false;
    await storedFirst(`lift of ${client}`, () =>
      this.repository.transaction(async (db) => {
        await this.repository.deleteDecision(client, state, db);
        await this.audit.write(
          {
            type: `decision.${state === 'blocked' ? 'unblocked' : 'cleared'}`,
            client,
            actor: by,
            detail: `${state} decision ${why} by ${by}`,
          },
          db,
        );
      }),
    );
    this.recorder.touched(client, state);
    await this.recorder.alreadyRecorded(() => this.engine.decide({ type: 'admin-lift', client, state, by, why, cause: requestId }));
    this.sync.publish({ op: 'lift', client, state });
    this.metrics?.lifted(standing.rule, by);
    return true;
  }

  /**
   * Lifts every decision past its expiry (the healing job); returns how many. Every instance
   * drops its own copies; the one whose delete removed the stored row records the event, so a
   * shared audit log gets each lift once.
   */
  async liftExpired(now: number): Promise<number> {
    const expired = this.engine.expire(now);
    for (const d of expired) {
      this.logger.log(liftLine({ client: d.client, state: d.state, rule: d.rule, by: 'healing', why: 'expired' }));
      this.metrics?.lifted(d.rule, 'healing');
    }
    const lifted = expired.length;
    const rows = await this.repository.deleteExpired(now).catch(() => [] as { client: string; state: string; rule: string }[]);
    for (const r of rows) {
      await this.audit.record({
        type: 'decision.lifted',
        client: r.client,
        actor: 'healing',
        detail: `${r.state} (${r.rule}) expired and was lifted`,
      });
    }
    return lifted;
  }

  /**
   * The healing job: expired decisions are lifted first in every pass; offence records older
   * than the repeat-offender window are forgotten (they no longer lengthen a block), in memory
   * and in SQL, so clients that rotate addresses cannot grow them without bound; list entries
   * past their expiry stop applying and are deleted (counted as pruned).
   */
  async pruneStale(now: number): Promise<PruneResult> {
    const lifted = await this.liftExpired(now);
    const before = now - this.repeatWindowSeconds() * 1000;
    let pruned = this.engine.book.pruneOffences(before) + (await this.pruneExpiredListEntries(now));
    pruned += await this.repository.pruneBlockHistory(before).catch((e: Error) => {
      this.logger.warn(`pruning block history failed: ${describeError(e)}`);
      return 0;
    });
    return { lifted, pruned };
  }

  /** How long an offence counts (the escalation rule's window); 0 when no rule escalates. */
  private repeatWindowSeconds(): number {
    const w = this.engine.rules.rules.find((r) => r.enabled && r.kind.kind === 'escalation')?.spec['windowSeconds'];
    return typeof w === 'number' ? w : 0;
  }

  // ---- allow and deny lists ----------------------------------------------------------------

  /**
   * List entries past their expiry stop applying (here, and on the other instances at their
   * own healing pass, which runs every few seconds) and are deleted; the instance whose delete
   * removed a row audits it, so a shared log has each once. Returns how many this call deleted.
   */
  private async pruneExpiredListEntries(now: number): Promise<number> {
    if (this.accessLists.dropExpired(now).length > 0) this.applyLists();
    // As with expired decisions: a database outage only delays the delete (the entry already
    // stopped applying above), and the next pass retries; no warning every few seconds.
    const rows = await this.repository.deleteExpiredListEntries(now).catch(() => []);
    for (const r of rows) {
      await this.audit.record({
        type: `list.${r.kind}.expired`,
        client: r.cidr,
        actor: 'healing',
        detail: `${r.cidr} left the ${r.kind}list: its entry expired${r.note ? ` (${r.note})` : ''}`,
      });
    }
    if (rows.length > 0) this.sync.publish({ op: 'lists' });
    return rows.length;
  }

  lists(): ListEntry[] {
    return this.accessLists.all();
  }

  /** Adds an allow or deny entry: stored and audited first, then in force here and on the other instances. */
  async addListEntry(kind: ListKind, cidr: string, note: string, by: string, seconds?: number): Promise<ListEntry> {
    const canonical = canonicalRange(cidr) as string;
    const now = this.clock.now();
    const expiresAt = seconds === undefined ? null : now + seconds * 1000;
    const entry: ListEntry = {
      kind,
      cidr: canonical,
      note,
      created_at: new Date(now).toISOString(),
      created_by: by,
      expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    };
    await storedFirst(`${kind}list entry ${canonical}`, () =>
      this.repository.transaction(async (db) => {
        await this.repository.saveListEntry({ kind, cidr: canonical, note, at: now, by, expiresAt }, db);
        await this.audit.write(
          {
            type: `list.${kind}.added`,
            client: canonical,
            actor: by,
            detail: `${canonical} added to the ${kind}list${seconds === undefined ? '' : ` for ${seconds} s`}${note ? `: ${note}` : ''}`,
          },
          db,
        );
      }),
    );
    this.accessLists.put(entry);
    this.applyLists();
    this.sync.publish({ op: 'lists' });
    if (kind === 'allow') {
      // Allowlisting forgives: standing blocks inside the range end now.
      for (const client of this.engine.book.blockedWithin(canonical, this.clock.now()))
        await this.lift(client, 'blocked', by, 'allowlisted');
    }
    return entry;
  }

  /** Removes an admin's entry (not one from the configuration); false if there was none. */
  async removeListEntry(kind: ListKind, cidr: string, by: string): Promise<boolean> {
    const canonical = canonicalRange(cidr) ?? cidr;
    if (!this.accessLists.hasEntry(kind, canonical)) return false;
    await storedFirst(`${kind}list entry ${canonical}`, () =>
      this.repository.transaction(async (db) => {
        await this.repository.deleteListEntry(kind, canonical, db);
        await this.audit.write(
          { type: `list.${kind}.removed`, client: canonical, actor: by, detail: `${canonical} removed from the ${kind}list` },
          db,
        );
      }),
    );
    this.accessLists.remove(kind, canonical);
    this.applyLists();
    this.sync.publish({ op: 'lists' });
    return true;
  }
}
