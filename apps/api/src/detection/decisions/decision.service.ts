import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ClientState, DecisionView, ListEntry, ListKind, RuleId } from '@bouncer/contracts';
import { AuditService } from '../../audit/audit.service';
import { DETECTION_OPTIONS, type DetectionOptions } from '../../config/detection-options';
import { CLOCK, type Clock } from '../../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../../core/prunable';
import { canonicalRange, CidrList } from '../client-identity';
import { AccessLists } from './access-lists';
import { type BlockInput, type Decision, type DecisionState } from './decision';
import { DecisionBook } from './decision-book';
import { DecisionRepository } from './decision.repository';
import { DecisionSync, type SyncEvent } from './decision-sync';

export { type BlockInput, type Decision, LOGIN_SCOPED_RULES, toView } from './decision';

/**
 * The standing decisions (blocked, suspicious) and the allow and deny lists, behind one
 * façade. Every check on the request path is answered from memory (DecisionBook,
 * AccessLists); SQL keeps the same facts across restarts (DecisionRepository), other
 * instances hear of each change (DecisionSync), and every decision and lift goes into the
 * audit log.
 *
 * Over 250 lines on purpose: block() and suspect() (escalation of repeat offenders included)
 * are kept exactly as they were until the rules move into libs/detection; everything else
 * here only delegates.
 */
@Injectable()
@Prunable({ order: 10 })
export class DecisionService implements OnModuleInit, PrunableProvider {
  private readonly logger = new Logger(DecisionService.name);
  private readonly book: DecisionBook;
  private readonly accessLists: AccessLists;
  /** Called when a block is lifted (login defense forgets the client's counts). */
  private readonly liftListeners: ((client: string) => void)[] = [];

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repository: DecisionRepository,
    private readonly sync: DecisionSync,
    private readonly audit: AuditService,
  ) {
    this.book = new DecisionBook(options.ipv6Prefix);
    this.accessLists = new AccessLists(options.allowlist, options.denylist);
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
    await this.loadFromDatabase().catch((e) => this.logger.warn(`reload failed: ${e.message}`));
    const now = this.clock.now();
    for (const d of this.book.all()) if (d.expiresAt > now) this.sync.publish({ op: 'set', decision: d });
  }

  private async loadFromDatabase(): Promise<void> {
    for (const d of await this.repository.liveDecisions(this.clock.now())) this.book.remember(d);
    for (const h of await this.repository.blockHistory()) this.book.recordBlock(h.client, { at: h.at, seconds: h.seconds, count: h.count });
    await this.loadLists();
  }

  private async loadLists(): Promise<void> {
    this.accessLists.replace(await this.repository.listEntries());
  }

  /** Another instance decided something: apply it here (it already stored and audited it). */
  private applyRemote(e: SyncEvent): void {
    if (e.op === 'set') this.book.remember(e.decision);
    else if (e.op === 'lift') this.forget(e.client, e.state);
    else void this.loadLists();
  }

  private forget(client: string, state: DecisionState): boolean {
    const found = this.book.forget(client, state);
    if (state === 'blocked' && found) for (const l of this.liftListeners) l(client);
    return found;
  }

  onLift(listener: (client: string) => void): void {
    this.liftListeners.push(listener);
  }

  // ---- the request path: memory only ------------------------------------------------------

  isAllowlisted(client: string): boolean {
    return this.accessLists.isAllowlisted(client);
  }

  /** The enforced block that applies to every route for this client, if any. */
  enforcedBlock(client: string, now: number): Decision | null {
    return this.book.enforcedClientBlock(client, now) ?? this.accessLists.denyDecision(client, now) ?? this.book.enforcedRangeBlock(client, now);
  }

  /** The enforced login-only block (time buffer) for this client, if any. */
  loginBlock(client: string, now: number): Decision | null {
    return this.book.loginBlock(client, now);
  }

  state(client: string, now: number): ClientState {
    if (this.book.isBlocked(client, now)) return 'blocked';
    if (this.enforcedBlock(client, now)) return 'blocked';
    return this.book.suspicion(client, now) ? 'suspicious' : 'normal';
  }

  suspicion(client: string, now: number): Decision | null {
    return this.book.suspicion(client, now);
  }

  // ---- making and lifting decisions --------------------------------------------------------

  isEnforced(rule: RuleId): boolean {
    return rule === 'admin' || (this.options.mode === 'enforce' && !this.options.observeRules.includes(rule));
  }

  /** Blocks a client (an address, an IPv6 prefix key, or a CIDR). The block applies at once. */
  async block(input: BlockInput): Promise<Decision> {
    const now = this.clock.now();
    let seconds = input.seconds;
    if (input.escalate) {
      const h = this.book.lastBlock(input.client);
      if (h && now - h.at < this.options.repeatWindowSeconds * 1000) {
        seconds = Math.min(Math.max(seconds, h.seconds * 2), this.options.maxBanSeconds);
      }
    }
    const escalated = seconds > input.seconds;
    const decision: Decision = {
      client: input.client,
      state: 'blocked',
      rule: input.rule,
      reason: escalated ? `${input.reason}; repeat offender, blocked ${seconds} s` : input.reason,
      createdAt: now,
      expiresAt: now + seconds * 1000,
      decidedBy: input.by ?? `rule:${input.rule}`,
      enforced: this.isEnforced(input.rule),
    };
    this.book.remember(decision);
    this.sync.publish({ op: 'set', decision });
    if (input.escalate) {
      const count = (this.book.lastBlock(input.client)?.count ?? 0) + 1;
      this.book.recordBlock(input.client, { at: now, seconds, count });
      await this.repository
        .saveBlockHistory(input.client, now, seconds, count)
        .catch((e) => this.logger.error(`block history write failed: ${e.message}`));
    }
    await this.persist(decision);
    await this.audit.record({
      type: decision.enforced ? 'decision.blocked' : 'decision.blocked.observed',
      client: decision.client,
      actor: decision.decidedBy,
      detail: `${decision.reason} (${decision.rule}, ${seconds} s${decision.enforced ? '' : ', observe only'})`,
    });
    return decision;
  }

  /** Marks a client suspicious. Repeating the same suspicion only extends it, quietly. */
  async suspect(input: { client: string; rule: RuleId; reason: string; seconds?: number; by?: string }): Promise<Decision> {
    const now = this.clock.now();
    const existing = this.book.standingSuspicion(input.client);
    const expiresAt = now + (input.seconds ?? this.options.suspicionSeconds) * 1000;
    if (existing && existing.expiresAt > now && existing.rule === input.rule) {
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      existing.reason = input.reason;
      this.sync.publish({ op: 'set', decision: existing });
      await this.persist(existing);
      return existing;
    }
    const decision: Decision = {
      client: input.client,
      state: 'suspicious',
      rule: input.rule,
      reason: input.reason,
      createdAt: now,
      expiresAt,
      decidedBy: input.by ?? `rule:${input.rule}`,
      enforced: this.isEnforced(input.rule),
    };
    this.book.remember(decision);
    this.sync.publish({ op: 'set', decision });
    await this.persist(decision);
    await this.audit.record({ type: 'decision.suspicious', client: input.client, actor: decision.decidedBy, detail: `${input.reason} (${input.rule})` });
    return decision;
  }

  /** Lifts a standing decision; false if there was none. */
  async lift(client: string, state: DecisionState, by: string, why = 'lifted'): Promise<boolean> {
    if (!this.forget(client, state)) return false;
    this.sync.publish({ op: 'lift', client, state });
    await this.repository.deleteDecision(client, state).catch((e) => this.logger.error(`decision delete failed: ${e.message}`));
    await this.audit.record({ type: `decision.${state === 'blocked' ? 'unblocked' : 'cleared'}`, client, actor: by, detail: `${state} decision ${why} by ${by}` });
    return true;
  }

  /**
   * Lifts every decision past its expiry (the healing job); returns how many. Every instance
   * drops its own copies; the one whose delete removed the stored row records the event, so a
   * shared audit log gets each lift once.
   */
  async liftExpired(now: number): Promise<number> {
    const lifted = this.book.forgetExpired(now);
    const rows = await this.repository.deleteExpired(now).catch(() => [] as { client: string; state: string; rule: string }[]);
    for (const r of rows) {
      await this.audit.record({ type: 'decision.lifted', client: r.client, actor: 'healing', detail: `${r.state} (${r.rule}) expired and was lifted` });
    }
    return lifted;
  }

  /** The healing job: expired decisions are lifted first in every pass. */
  async pruneStale(now: number): Promise<PruneResult> {
    return { lifted: await this.liftExpired(now) };
  }

  /** Standing decisions, newest first. */
  list(now: number, state?: DecisionState): DecisionView[] {
    return this.book.list(now, state);
  }

  counts(now: number): { blocked: number; suspicious: number } {
    const all = this.list(now);
    const blocked = all.filter((d) => d.state === 'blocked').length;
    return { blocked, suspicious: all.length - blocked };
  }

  // ---- allow and deny lists ----------------------------------------------------------------

  lists(): ListEntry[] {
    return this.accessLists.all();
  }

  async addListEntry(kind: ListKind, cidr: string, note: string, by: string): Promise<ListEntry> {
    const canonical = canonicalRange(cidr) as string;
    const entry: ListEntry = { kind, cidr: canonical, note, created_at: new Date(this.clock.now()).toISOString(), created_by: by };
    this.accessLists.put(entry);
    await this.repository.saveListEntry(kind, canonical, note, this.clock.now(), by);
    this.sync.publish({ op: 'lists' });
    await this.audit.record({ type: `list.${kind}.added`, client: canonical, actor: by, detail: `${canonical} added to the ${kind}list${note ? `: ${note}` : ''}` });
    if (kind === 'allow') {
      // Allowlisting forgives: standing blocks inside the range end now.
      const list = new CidrList([canonical]);
      for (const client of this.book.blockedClients()) if (list.match(client)) await this.lift(client, 'blocked', by, 'allowlisted');
    }
    return entry;
  }

  async removeListEntry(kind: ListKind, cidr: string, by: string): Promise<boolean> {
    const canonical = canonicalRange(cidr) ?? cidr;
    if (!this.accessLists.remove(kind, canonical)) return false;
    await this.repository.deleteListEntry(kind, canonical);
    this.sync.publish({ op: 'lists' });
    await this.audit.record({ type: `list.${kind}.removed`, client: canonical, actor: by, detail: `${canonical} removed from the ${kind}list` });
    return true;
  }

  private async persist(d: Decision): Promise<void> {
    await this.repository.saveDecision(d).catch((e) => this.logger.error(`decision write failed: ${e.message}`));
  }
}
