import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ClientState, DecisionView, ListEntry, ListKind } from '@bouncer/contracts';
import { canonicalRange, type Decision as EngineDecision, DetectionEngine } from '@bouncer/detection';
import { AuditService } from '../../audit/audit.service';
import { DETECTION_OPTIONS, type DetectionOptions } from '../../config/detection-options';
import { CLOCK, type Clock } from '../../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../../core/prunable';
import { DETECTION_ENGINE } from '../engine.provider';
import { AccessLists } from './access-lists';
import { type Decision, type DecisionState, toView } from './decision';
import { DecisionRecorder } from './decision-recorder';
import { DecisionRepository } from './decision.repository';
import { DecisionSync, type SyncEvent } from './decision-sync';

export { type Decision, toView } from './decision';

/**
 * The admin façade over the engine's decision book: what stands (answered from memory), what a
 * person blocks or lifts (through the engine, so it is recorded like every decision), the
 * allow and deny lists (stored, shared, audited), and the pieces that keep the book true across
 * restarts (load from SQL) and instances (pub/sub, and a reload when Redis comes back).
 */
@Injectable()
@Prunable({ order: 10 })
export class DecisionService implements OnModuleInit, PrunableProvider {
  private readonly logger = new Logger(DecisionService.name);
  private readonly accessLists: AccessLists;

  constructor(
    @Inject(DETECTION_OPTIONS) options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    private readonly recorder: DecisionRecorder,
    private readonly repository: DecisionRepository,
    private readonly sync: DecisionSync,
    private readonly audit: AuditService,
  ) {
    this.accessLists = new AccessLists(options.allowlist, options.denylist);
    this.applyLists();
  }

  async onModuleInit(): Promise<void> {
    await this.loadFromDatabase();
    await this.sync.start(
      (e) => this.applyRemote(e),
      () => void this.resync(),
    );
  }

  /**
   * Redis is back after an outage: push every decision this instance holds (some were made
   * while the others could not hear), and pick up the others' from the shared database.
   */
  async resync(): Promise<void> {
    await this.loadFromDatabase().catch((e: Error) => this.logger.warn(`reload failed: ${e.message}`));
    for (const d of this.engine.book.list(this.clock.now())) this.sync.publish({ op: 'set', decision: d });
  }

  private async loadFromDatabase(): Promise<void> {
    const now = this.clock.now();
    for (const d of await this.repository.liveDecisions(now)) this.engine.book.put(d, now);
    for (const h of await this.repository.blockHistory())
      this.engine.book.setOffence(h.client, { at: h.at, seconds: h.seconds, count: h.count });
    await this.loadLists();
  }

  private async loadLists(): Promise<void> {
    this.accessLists.replace(await this.repository.listEntries());
    this.applyLists();
  }

  private applyLists(): void {
    const { allow, deny } = this.accessLists.ranges();
    this.engine.book.setLists(allow, deny);
  }

  /** Another instance decided something: apply it here (it already stored and audited it). */
  private applyRemote(e: SyncEvent): void {
    const now = this.clock.now();
    if (e.op === 'set') this.engine.book.put(e.decision, now);
    else if (e.op === 'lift') this.engine.book.remove(e.client, e.state, now);
    else void this.loadLists();
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

  counts(now: number): { blocked: number; suspicious: number } {
    const all = this.engine.book.list(now);
    const blocked = all.filter((d) => d.state === 'blocked').length;
    return { blocked, suspicious: all.length - blocked };
  }

  // ---- a person's decisions ------------------------------------------------------------------

  /** Blocks a client (an address, an IPv6 prefix key, or a CIDR) on every route, at once. */
  async block(input: { client: string; reason: string; seconds: number; by: string }): Promise<Decision> {
    await this.engine.decide({ type: 'admin-block', client: input.client, seconds: input.seconds, reason: input.reason, by: input.by });
    await this.recorder.flush();
    const now = this.clock.now();
    const d =
      this.engine.book.blockFor(input.client, 'all', now) ?? this.engine.book.list(now, 'blocked').find((x) => x.client === input.client);
    if (!d) throw new Error(`block of ${input.client} did not stand`);
    return d;
  }

  /** Lifts a standing decision; false if there was none. */
  async lift(client: string, state: DecisionState, by: string, why = 'lifted'): Promise<boolean> {
    const d: EngineDecision = await this.engine.decide({ type: 'admin-lift', client, state, by, why });
    await this.recorder.flush();
    return d.reason === 'lifted';
  }

  /**
   * Lifts every decision past its expiry (the healing job); returns how many. Every instance
   * drops its own copies; the one whose delete removed the stored row records the event, so a
   * shared audit log gets each lift once.
   */
  async liftExpired(now: number): Promise<number> {
    const lifted = this.engine.expire(now).length;
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

  /** The healing job: expired decisions are lifted first in every pass. */
  async pruneStale(now: number): Promise<PruneResult> {
    return { lifted: await this.liftExpired(now) };
  }

  // ---- allow and deny lists ----------------------------------------------------------------

  lists(): ListEntry[] {
    return this.accessLists.all();
  }

  async addListEntry(kind: ListKind, cidr: string, note: string, by: string): Promise<ListEntry> {
    const canonical = canonicalRange(cidr) as string;
    const entry: ListEntry = { kind, cidr: canonical, note, created_at: new Date(this.clock.now()).toISOString(), created_by: by };
    this.accessLists.put(entry);
    this.applyLists();
    await this.repository.saveListEntry(kind, canonical, note, this.clock.now(), by);
    this.sync.publish({ op: 'lists' });
    await this.audit.record({
      type: `list.${kind}.added`,
      client: canonical,
      actor: by,
      detail: `${canonical} added to the ${kind}list${note ? `: ${note}` : ''}`,
    });
    if (kind === 'allow') {
      // Allowlisting forgives: standing blocks inside the range end now.
      for (const client of this.engine.book.blockedWithin(canonical, this.clock.now()))
        await this.lift(client, 'blocked', by, 'allowlisted');
    }
    return entry;
  }

  async removeListEntry(kind: ListKind, cidr: string, by: string): Promise<boolean> {
    const canonical = canonicalRange(cidr) ?? cidr;
    if (!this.accessLists.remove(kind, canonical)) return false;
    this.applyLists();
    await this.repository.deleteListEntry(kind, canonical);
    this.sync.publish({ op: 'lists' });
    await this.audit.record({
      type: `list.${kind}.removed`,
      client: canonical,
      actor: by,
      detail: `${canonical} removed from the ${kind}list`,
    });
    return true;
  }
}
