import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit, Optional } from '@nestjs/common';
import { and, eq, gt, lte } from 'drizzle-orm';
import type { ClientState, DecisionView, ListEntry, ListKind, RuleId } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { REDIS, type RedisHandle } from '../core/redis';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { blockHistory, decisions, listEntries } from '../db/schema';
import { CidrList, canonicalRange } from './client-identity';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';

export interface Decision {
  client: string;
  state: 'blocked' | 'suspicious';
  rule: RuleId;
  reason: string;
  createdAt: number;
  expiresAt: number;
  decidedBy: string;
  enforced: boolean;
}

/** Blocks from these rules hold back sign-ins only (429 on the login routes), not every route. */
export const LOGIN_SCOPED_RULES: ReadonlySet<RuleId> = new Set(['failed-logins', 'successful-logins']);

/** Decisions travel between instances on this Redis channel. */
const CHANNEL = 'bouncer:decisions';
type SyncMessage =
  | { from: string; op: 'set'; decision: Decision }
  | { from: string; op: 'lift'; client: string; state: 'blocked' | 'suspicious' }
  | { from: string; op: 'lists' };

export interface BlockInput {
  client: string;
  rule: RuleId;
  reason: string;
  seconds: number;
  by?: string;
  /** Double the duration for a client blocked again within the repeat window (capped). */
  escalate?: boolean;
}

/**
 * The standing decisions (blocked, suspicious) and the allow and deny lists. Every check on
 * the request path is answered from memory; SQL keeps the same facts across restarts, and
 * every decision and lift goes into the audit log.
 */
@Injectable()
export class DecisionService implements OnModuleInit {
  private readonly logger = new Logger(DecisionService.name);
  private readonly blocked = new Map<string, Decision>();
  private readonly suspicious = new Map<string, Decision>();
  /** Admin blocks of whole ranges, checked by membership. */
  private rangeBlocks: { list: CidrList; decision: Decision }[] = [];
  private readonly history = new Map<string, { at: number; seconds: number; count: number }>();
  private entries: ListEntry[] = [];
  private allow = new CidrList([]);
  private deny = new CidrList([]);
  /** Called when a block is lifted (login defense forgets the client's counts). */
  private readonly liftListeners: ((client: string) => void)[] = [];
  private readonly instanceId = randomUUID();

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    @Optional() @Inject(REDIS) private readonly redis: RedisHandle | null = null,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.loadFromDatabase();
    if (this.redis) {
      const redis = this.redis;
      redis.subscriber.on('message', (channel: string, message: string) => {
        if (channel === CHANNEL) this.applyRemote(JSON.parse(message) as SyncMessage);
      });
      await redis.subscriber.subscribe(CHANNEL).catch(() => undefined);
      redis.onChange((up) => {
        if (up) void this.resync();
      });
    }
  }

  /**
   * Redis is back after an outage: push every decision this instance holds (some were made
   * while the others could not hear), and pick up the others' from the shared database.
   */
  async resync(): Promise<void> {
    await this.loadFromDatabase().catch((e: Error) => this.logger.warn(`reload failed: ${e.message}`));
    const now = this.clock.now();
    const all = [...this.blocked.values(), ...this.suspicious.values(), ...this.rangeBlocks.map((r) => r.decision)];
    for (const d of all) if (d.expiresAt > now) this.publish({ from: this.instanceId, op: 'set', decision: d });
  }

  private async loadFromDatabase(): Promise<void> {
    const now = new Date(this.clock.now());
    const db = this.database.db;
    for (const row of await db.select().from(decisions).where(gt(decisions.expiresAt, now))) {
      this.remember({
        client: row.client,
        state: row.state,
        rule: row.rule as RuleId,
        reason: row.reason,
        createdAt: row.createdAt.getTime(),
        expiresAt: row.expiresAt.getTime(),
        decidedBy: row.decidedBy,
        enforced: row.enforced,
      });
    }
    for (const h of await db.select().from(blockHistory)) {
      this.history.set(h.client, { at: h.lastBlockedAt.getTime(), seconds: h.lastDurationSeconds, count: h.count });
    }
    await this.loadLists();
  }

  private async loadLists(): Promise<void> {
    const rows = await this.database.db.select().from(listEntries);
    this.entries = rows.map((r) => ({ kind: r.kind, cidr: r.cidr, note: r.note, created_at: r.createdAt.toISOString(), created_by: r.createdBy }));
    this.rebuildLists();
  }

  private publish(message: SyncMessage): void {
    if (this.redis?.isUp()) void this.redis.client.publish(CHANNEL, JSON.stringify(message)).catch(() => undefined);
  }

  /** Another instance decided something: apply it here (it already stored and audited it). */
  private applyRemote(m: SyncMessage): void {
    if (m.from === this.instanceId) return;
    if (m.op === 'set') this.remember(m.decision);
    else if (m.op === 'lift') this.forget(m.client, m.state);
    else void this.loadLists();
  }

  private forget(client: string, state: 'blocked' | 'suspicious'): boolean {
    const map = state === 'blocked' ? this.blocked : this.suspicious;
    let found = map.delete(client);
    if (state === 'blocked') {
      const before = this.rangeBlocks.length;
      this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.client !== client);
      found = found || this.rangeBlocks.length < before;
      if (found) for (const l of this.liftListeners) l(client);
    }
    return found;
  }

  onLift(listener: (client: string) => void): void {
    this.liftListeners.push(listener);
  }

  // ---- the request path: memory only ------------------------------------------------------

  isAllowlisted(client: string): boolean {
    return this.allow.size > 0 && this.allow.match(client) !== null;
  }

  /** The enforced block that applies to every route for this client, if any. */
  enforcedBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    if (d && d.enforced && d.expiresAt > now && !LOGIN_SCOPED_RULES.has(d.rule)) return d;
    if (this.deny.size > 0) {
      const entry = this.deny.match(client);
      if (entry && !this.isAllowlisted(client)) {
        return { client, state: 'blocked', rule: 'denylist', reason: `${entry} is on the denylist`, createdAt: 0, expiresAt: now + 3600_000, decidedBy: 'list:deny', enforced: true };
      }
    }
    for (const r of this.rangeBlocks) {
      if (r.decision.enforced && r.decision.expiresAt > now && r.list.match(client)) return r.decision;
    }
    return null;
  }

  /** The enforced login-only block (time buffer) for this client, if any. */
  loginBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    return d && d.enforced && d.expiresAt > now && LOGIN_SCOPED_RULES.has(d.rule) ? d : null;
  }

  state(client: string, now: number): ClientState {
    const b = this.blocked.get(client);
    if (b && b.expiresAt > now) return 'blocked';
    if (this.enforcedBlock(client, now)) return 'blocked';
    const s = this.suspicious.get(client);
    return s && s.expiresAt > now ? 'suspicious' : 'normal';
  }

  suspicion(client: string, now: number): Decision | null {
    const s = this.suspicious.get(client);
    return s && s.expiresAt > now ? s : null;
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
      const h = this.history.get(input.client);
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
    this.remember(decision);
    this.publish({ from: this.instanceId, op: 'set', decision });
    if (input.escalate) {
      const prev = this.history.get(input.client);
      this.history.set(input.client, { at: now, seconds, count: (prev?.count ?? 0) + 1 });
      await this.database.db
        .insert(blockHistory)
        .values({ client: input.client, lastBlockedAt: new Date(now), lastDurationSeconds: seconds, count: 1 })
        .onConflictDoUpdate({ target: blockHistory.client, set: { lastBlockedAt: new Date(now), lastDurationSeconds: seconds, count: (prev?.count ?? 0) + 1 } })
        .catch((e: Error) => this.logger.error(`block history write failed: ${e.message}`));
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
    const existing = this.suspicious.get(input.client);
    const expiresAt = now + (input.seconds ?? this.options.suspicionSeconds) * 1000;
    if (existing && existing.expiresAt > now && existing.rule === input.rule) {
      existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
      existing.reason = input.reason;
      this.publish({ from: this.instanceId, op: 'set', decision: existing });
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
    this.remember(decision);
    this.publish({ from: this.instanceId, op: 'set', decision });
    await this.persist(decision);
    await this.audit.record({ type: 'decision.suspicious', client: input.client, actor: decision.decidedBy, detail: `${input.reason} (${input.rule})` });
    return decision;
  }

  /** Lifts a standing decision; false if there was none. */
  async lift(client: string, state: 'blocked' | 'suspicious', by: string, why = 'lifted'): Promise<boolean> {
    if (!this.forget(client, state)) return false;
    this.publish({ from: this.instanceId, op: 'lift', client, state });
    await this.database.db
      .delete(decisions)
      .where(and(eq(decisions.client, client), eq(decisions.state, state)))
      .catch((e: Error) => this.logger.error(`decision delete failed: ${e.message}`));
    await this.audit.record({ type: `decision.${state === 'blocked' ? 'unblocked' : 'cleared'}`, client, actor: by, detail: `${state} decision ${why} by ${by}` });
    return true;
  }

  /**
   * Lifts every decision past its expiry (the healing job); returns how many. Every instance
   * drops its own copies; the one whose delete removed the stored row records the event, so a
   * shared audit log gets each lift once.
   */
  async liftExpired(now: number): Promise<number> {
    let lifted = 0;
    for (const map of [this.blocked, this.suspicious]) {
      for (const d of [...map.values()]) if (d.expiresAt <= now) {
        map.delete(d.client);
        lifted++;
      }
    }
    const before = this.rangeBlocks.length;
    this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.expiresAt > now);
    lifted += before - this.rangeBlocks.length;
    const rows = await this.database.db
      .delete(decisions)
      .where(lte(decisions.expiresAt, new Date(now)))
      .returning({ client: decisions.client, state: decisions.state, rule: decisions.rule })
      .catch(() => [] as { client: string; state: string; rule: string }[]);
    for (const r of rows) {
      await this.audit.record({ type: 'decision.lifted', client: r.client, actor: 'healing', detail: `${r.state} (${r.rule}) expired and was lifted` });
    }
    return lifted;
  }

  /** Standing decisions, newest first. */
  list(now: number, state?: 'blocked' | 'suspicious'): DecisionView[] {
    const all: Decision[] = [];
    if (state !== 'suspicious') all.push(...this.blocked.values(), ...this.rangeBlocks.map((r) => r.decision));
    if (state !== 'blocked') all.push(...this.suspicious.values());
    return all
      .filter((d) => d.expiresAt > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((d) => toView(d, now));
  }

  counts(now: number): { blocked: number; suspicious: number } {
    const all = this.list(now);
    const blocked = all.filter((d) => d.state === 'blocked').length;
    return { blocked, suspicious: all.length - blocked };
  }

  // ---- allow and deny lists ----------------------------------------------------------------

  lists(): ListEntry[] {
    return [
      ...this.options.allowlist.map((cidr) => ({ kind: 'allow' as const, cidr, note: 'from ALLOWLIST', created_at: '', created_by: 'config' })),
      ...this.options.denylist.map((cidr) => ({ kind: 'deny' as const, cidr, note: 'from DENYLIST', created_at: '', created_by: 'config' })),
      ...this.entries,
    ];
  }

  async addListEntry(kind: ListKind, cidr: string, note: string, by: string): Promise<ListEntry> {
    const canonical = canonicalRange(cidr) as string;
    const entry: ListEntry = { kind, cidr: canonical, note, created_at: new Date(this.clock.now()).toISOString(), created_by: by };
    this.entries = this.entries.filter((e) => !(e.kind === kind && e.cidr === canonical)).concat(entry);
    this.rebuildLists();
    await this.database.db
      .insert(listEntries)
      .values({ kind, cidr: canonical, note, createdAt: new Date(this.clock.now()), createdBy: by })
      .onConflictDoUpdate({ target: [listEntries.kind, listEntries.cidr], set: { note } });
    this.publish({ from: this.instanceId, op: 'lists' });
    await this.audit.record({ type: `list.${kind}.added`, client: canonical, actor: by, detail: `${canonical} added to the ${kind}list${note ? `: ${note}` : ''}` });
    if (kind === 'allow') {
      // Allowlisting forgives: standing blocks inside the range end now.
      const list = new CidrList([canonical]);
      for (const client of [...this.blocked.keys()]) if (list.match(client)) await this.lift(client, 'blocked', by, 'allowlisted');
    }
    return entry;
  }

  async removeListEntry(kind: ListKind, cidr: string, by: string): Promise<boolean> {
    const canonical = canonicalRange(cidr) ?? cidr;
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !(e.kind === kind && e.cidr === canonical));
    if (this.entries.length === before) return false;
    this.rebuildLists();
    await this.database.db.delete(listEntries).where(and(eq(listEntries.kind, kind), eq(listEntries.cidr, canonical)));
    this.publish({ from: this.instanceId, op: 'lists' });
    await this.audit.record({ type: `list.${kind}.removed`, client: canonical, actor: by, detail: `${canonical} removed from the ${kind}list` });
    return true;
  }

  private rebuildLists(): void {
    this.allow = new CidrList([...this.options.allowlist, ...this.entries.filter((e) => e.kind === 'allow').map((e) => e.cidr)]);
    this.deny = new CidrList([...this.options.denylist, ...this.entries.filter((e) => e.kind === 'deny').map((e) => e.cidr)]);
  }

  private remember(d: Decision): void {
    if (d.state === 'blocked' && d.client.includes('/') && !this.isClientKey(d.client)) {
      this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.client !== d.client).concat({ list: new CidrList([d.client]), decision: d });
      return;
    }
    (d.state === 'blocked' ? this.blocked : this.suspicious).set(d.client, d);
  }

  /** IPv6 client keys look like CIDRs (`2001:db8::/64`) but are exact keys, not ranges. */
  private isClientKey(client: string): boolean {
    return client.includes(':') && client.endsWith(`/${this.options.ipv6Prefix}`);
  }

  private async persist(d: Decision): Promise<void> {
    const row = {
      client: d.client,
      state: d.state,
      rule: d.rule,
      reason: d.reason,
      createdAt: new Date(d.createdAt),
      expiresAt: new Date(d.expiresAt),
      decidedBy: d.decidedBy,
      enforced: d.enforced,
    };
    await this.database.db
      .insert(decisions)
      .values(row)
      .onConflictDoUpdate({ target: [decisions.client, decisions.state], set: row })
      .catch((e: Error) => this.logger.error(`decision write failed: ${e.message}`));
  }
}


export function toView(d: Decision, now: number): DecisionView {
  return {
    client: d.client,
    state: d.state,
    reason: d.reason,
    rule: d.rule,
    created_at: new Date(d.createdAt).toISOString(),
    expires_at: new Date(d.expiresAt).toISOString(),
    remaining_seconds: Math.max(0, Math.ceil((d.expiresAt - now) / 1000)),
    decided_by: d.decidedBy,
    enforced: d.enforced,
  };
}
