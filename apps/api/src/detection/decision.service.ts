import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { and, eq, gt, lt, lte } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { ClientState, DecisionView, ListEntry, ListKind, RuleId } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { blockHistory, decisions, listEntries } from '../db/schema';
import { CidrList, canonicalRange } from './client/cidr';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';
import { type BlockHistoryEntry, escalatedSeconds } from './engine/rules';

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

/**
 * Blocks from these rules hold back sign-ins only: the login routes answer 429 while they
 * run (the original's time buffer), other routes stay open.
 */
export const LOGIN_SCOPED_RULES: ReadonlySet<RuleId> = new Set<RuleId>(['failed-logins', 'successful-logins']);

export interface BlockInput {
  client: string;
  rule: RuleId;
  reason: string;
  seconds: number;
  /** `admin:<name>`; `rule:<id>` by default. */
  by?: string;
  /** Repeat offenders within the repeat window are blocked twice as long (capped). */
  escalate?: boolean;
}

export interface SuspectInput {
  client: string;
  rule: RuleId;
  reason: string;
  seconds?: number;
  by?: string;
}

/**
 * The standing decisions (blocked, suspicious) and the allow and deny lists. Everything the
 * request path asks is answered from memory, synchronously; SQL keeps the same facts across
 * restarts (written behind, in order) and every decision and lift goes to the audit log.
 */
@Injectable()
export class DecisionService implements OnModuleInit {
  private readonly logger = new Logger(DecisionService.name);
  private readonly blocked = new Map<string, Decision>();
  private readonly suspicious = new Map<string, Decision>();
  /** Blocks of whole ranges (admin CIDRs), checked by membership: a small array. */
  private rangeBlocks: { list: CidrList; decision: Decision }[] = [];
  private readonly history: LRUCache<string, BlockHistoryEntry>;
  private entries: ListEntry[] = [];
  private allow = new CidrList();
  private deny = new CidrList();
  private readonly liftListeners: ((client: string, state: Decision['state']) => void)[] = [];
  /** SQL writes run one after another, so an upsert and a later delete never swap. */
  private writes: Promise<void> = Promise.resolve();
  private readonly audits = new Set<Promise<void>>();

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {
    this.history = new LRUCache({ max: options.maxTrackedClients });
    this.rebuildLists();
  }

  /** Reloads standing decisions, recent block history and list entries. */
  async onModuleInit(): Promise<void> {
    const now = this.clock.now();
    const db = this.database.db;
    for (const row of await db.select().from(decisions).where(gt(decisions.expiresAt, new Date(now)))) {
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
    const since = new Date(now - this.options.repeatWindowSeconds * 1000);
    for (const h of await db.select().from(blockHistory).where(gt(blockHistory.lastBlockedAt, since))) {
      this.history.set(h.client, { at: h.lastBlockedAt.getTime(), seconds: h.lastDurationSeconds, count: h.count });
    }
    const rows = await db.select().from(listEntries);
    this.entries = rows.map((r) => ({ kind: r.kind, cidr: r.cidr, note: r.note, created_at: r.createdAt.toISOString(), created_by: r.createdBy }));
    this.rebuildLists();
  }

  /** Called whenever a decision is lifted (by an admin, by allowlisting, or on expiry). */
  onLift(listener: (client: string, state: Decision['state']) => void): void {
    this.liftListeners.push(listener);
  }

  /** Resolves once every write and audit record issued so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    await this.writes;
    await Promise.all([...this.audits]);
  }

  // ---- the request path: memory only ------------------------------------------------------

  isAllowlisted(client: string): boolean {
    return this.allow.size > 0 && this.allow.match(client) !== null;
  }

  /** False in observe mode, or for a rule put in observe mode; admin decisions always apply. */
  isEnforced(rule: RuleId): boolean {
    if (rule === 'admin' || rule === 'denylist') return this.options.mode !== 'off';
    return this.options.mode === 'enforce' && !this.options.observeRules.includes(rule);
  }

  /**
   * The enforced block that closes every route to this client, if any: a standing block
   * (not a login time buffer), a range block, or the denylist. The allowlist beats rules
   * and the denylist, not an admin's block.
   */
  enforcedBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    if (d && d.enforced && d.expiresAt > now && !LOGIN_SCOPED_RULES.has(d.rule)) {
      if (d.rule === 'admin' || !this.isAllowlisted(client)) return d;
    }
    for (const r of this.rangeBlocks) {
      if (r.decision.enforced && r.decision.expiresAt > now && r.list.match(client)) return r.decision;
    }
    if (this.deny.size > 0) {
      const entry = this.deny.match(client);
      if (entry && this.isEnforced('denylist') && !this.isAllowlisted(client)) {
        return {
          client,
          state: 'blocked',
          rule: 'denylist',
          reason: `${entry} is on the denylist`,
          createdAt: now,
          expiresAt: now + 3600_000,
          decidedBy: 'list:deny',
          enforced: true,
        };
      }
    }
    return null;
  }

  /** The enforced login-only block (time buffer, sign-in flood) of this client, if any. */
  loginBlock(client: string, now: number): Decision | null {
    const d = this.blocked.get(client);
    return d && d.enforced && d.expiresAt > now && LOGIN_SCOPED_RULES.has(d.rule) ? d : null;
  }

  /** normal, suspicious or blocked (observed blocks included: this is what is shown). */
  stateOf(client: string, now: number): ClientState {
    const b = this.blocked.get(client);
    if (b && b.expiresAt > now) return 'blocked';
    if (this.enforcedBlock(client, now)) return 'blocked';
    const s = this.suspicious.get(client);
    return s && s.expiresAt > now ? 'suspicious' : 'normal';
  }

  blockOf(client: string, now: number): Decision | null {
    const b = this.blocked.get(client);
    return b && b.expiresAt > now ? b : null;
  }

  suspicionOf(client: string, now: number): Decision | null {
    const s = this.suspicious.get(client);
    return s && s.expiresAt > now ? s : null;
  }

  // ---- making and lifting decisions (memory at once, SQL behind) ---------------------------

  /**
   * Blocks a client (an address, an IPv6 prefix key, or a CIDR). Applies at once and returns
   * the standing block: a longer or broader block already in place is kept.
   */
  block(input: BlockInput): Decision {
    const now = this.clock.now();
    const enforced = this.isEnforced(input.rule);
    let seconds = Math.min(input.seconds, input.rule === 'admin' ? Number.MAX_SAFE_INTEGER : this.options.maxBanSeconds);
    let reason = input.reason;
    if (input.escalate) {
      const prev = this.history.get(input.client);
      seconds = escalatedSeconds(input.seconds, prev, now, this.options.repeatWindowSeconds, this.options.maxBanSeconds);
      if (prev && seconds > input.seconds) reason += `; blocked again within ${Math.round(this.options.repeatWindowSeconds / 3600)} h, for ${seconds} s`;
      const entry = { at: now, seconds, count: (prev?.count ?? 0) + 1 };
      this.history.set(input.client, entry);
      this.write(async () => {
        const row = { client: input.client, lastBlockedAt: new Date(now), lastDurationSeconds: seconds, count: entry.count };
        await this.database.db.insert(blockHistory).values(row).onConflictDoUpdate({ target: blockHistory.client, set: row });
      });
    }
    const decision: Decision = {
      client: input.client,
      state: 'blocked',
      rule: input.rule,
      reason,
      createdAt: now,
      expiresAt: now + seconds * 1000,
      decidedBy: input.by ?? `rule:${input.rule}`,
      enforced,
    };
    const existing = this.blockOf(input.client, now);
    if (existing && !supersedes(decision, existing)) return existing;
    this.remember(decision);
    this.persist(decision);
    this.record({
      type: enforced ? 'decision.blocked' : 'decision.blocked.observed',
      client: decision.client,
      actor: decision.decidedBy,
      detail: `Blocked for ${seconds} s: ${reason}${enforced ? '' : ' (observe mode: not enforced)'}`,
      data: { rule: decision.rule, seconds, enforced },
    });
    return decision;
  }

  /** Marks a client suspicious. The same rule again only extends the standing suspicion, quietly. */
  suspect(input: SuspectInput): Decision {
    const now = this.clock.now();
    const expiresAt = now + (input.seconds ?? this.options.suspicionSeconds) * 1000;
    const existing = this.suspicionOf(input.client, now);
    if (existing && existing.rule === input.rule) {
      if (expiresAt > existing.expiresAt || existing.reason !== input.reason) {
        existing.expiresAt = Math.max(existing.expiresAt, expiresAt);
        existing.reason = input.reason;
        this.persist(existing);
      }
      return existing;
    }
    const decision: Decision = {
      client: input.client,
      state: 'suspicious',
      rule: input.rule,
      reason: input.reason,
      createdAt: now,
      expiresAt: Math.max(expiresAt, existing?.expiresAt ?? 0),
      decidedBy: input.by ?? `rule:${input.rule}`,
      enforced: this.isEnforced(input.rule),
    };
    this.remember(decision);
    this.persist(decision);
    this.record({
      type: 'decision.suspicious',
      client: decision.client,
      actor: decision.decidedBy,
      detail: `Suspicious: ${input.reason}`,
      data: { rule: decision.rule },
    });
    return decision;
  }

  /** Lifts a standing decision; false if there was none. */
  lift(client: string, state: Decision['state'], by: string, why = 'lifted'): boolean {
    const removed = this.forget(client, state);
    if (!removed) return false;
    this.unpersist(client, state);
    this.record({
      type: 'decision.lifted',
      client,
      actor: by,
      detail: `${state === 'blocked' ? 'Block' : 'Suspicion'} (${removed.rule}: ${removed.reason}) ${why} by ${by}`,
      data: { rule: removed.rule, state },
    });
    return true;
  }

  /** Lifts every decision past its expiry (the healing job); returns them. */
  liftExpired(now: number): Decision[] {
    const expired: Decision[] = [];
    for (const map of [this.blocked, this.suspicious]) for (const d of map.values()) if (d.expiresAt <= now) expired.push(d);
    for (const r of this.rangeBlocks) if (r.decision.expiresAt <= now) expired.push(r.decision);
    if (expired.length === 0) return expired;
    for (const d of expired) this.forget(d.client, d.state);
    this.write(async () => {
      await this.database.db.delete(decisions).where(lte(decisions.expiresAt, new Date(now)));
    });
    // One event per decision, up to a bound; a mass expiry gets one summary line.
    const detailed = expired.slice(0, 100);
    for (const d of detailed) {
      this.record({
        type: 'decision.lifted',
        client: d.client,
        actor: 'healing',
        detail: `${d.state === 'blocked' ? 'Block' : 'Suspicion'} (${d.rule}: ${d.reason}) expired and was lifted`,
        data: { rule: d.rule, state: d.state },
      });
    }
    if (expired.length > detailed.length) {
      this.record({ type: 'decision.lifted', actor: 'healing', detail: `${expired.length - detailed.length} more expired decisions were lifted` });
    }
    return expired;
  }

  /** Forgets block history past the repeat window; returns how many entries went. */
  pruneHistory(now: number): number {
    const cutoff = now - this.options.repeatWindowSeconds * 1000;
    let n = 0;
    for (const [k, h] of this.history.entries()) {
      if (h.at <= cutoff) {
        this.history.delete(k);
        n++;
      }
    }
    this.write(async () => {
      await this.database.db.delete(blockHistory).where(lt(blockHistory.lastBlockedAt, new Date(cutoff)));
    });
    return n;
  }

  /** Standing decisions, newest first; at most `limit`. */
  list(now: number, state?: Decision['state'], limit = Number.MAX_SAFE_INTEGER): DecisionView[] {
    const all: Decision[] = [];
    if (state !== 'suspicious') {
      for (const d of this.blocked.values()) if (d.expiresAt > now) all.push(d);
      for (const r of this.rangeBlocks) if (r.decision.expiresAt > now) all.push(r.decision);
    }
    if (state !== 'blocked') for (const d of this.suspicious.values()) if (d.expiresAt > now) all.push(d);
    all.sort((a, b) => b.createdAt - a.createdAt || a.client.localeCompare(b.client));
    return all.slice(0, limit).map((d) => toView(d, now));
  }

  /** Standing decisions of one state and rule (dashboard lists). */
  byRule(now: number, state: Decision['state'], rule: RuleId, limit: number): Decision[] {
    const out: Decision[] = [];
    for (const d of (state === 'blocked' ? this.blocked : this.suspicious).values()) {
      if (d.rule === rule && d.expiresAt > now) out.push(d);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  }

  counts(now: number): { blocked: number; suspicious: number } {
    let blocked = 0;
    let suspicious = 0;
    for (const d of this.blocked.values()) if (d.expiresAt > now) blocked++;
    for (const r of this.rangeBlocks) if (r.decision.expiresAt > now) blocked++;
    for (const d of this.suspicious.values()) if (d.expiresAt > now) suspicious++;
    return { blocked, suspicious };
  }

  // ---- allow and deny lists ----------------------------------------------------------------

  lists(): ListEntry[] {
    return [
      ...this.options.allowlist.map((cidr) => ({ kind: 'allow' as const, cidr, note: 'from ALLOWLIST', created_at: '', created_by: 'config' })),
      ...this.options.denylist.map((cidr) => ({ kind: 'deny' as const, cidr, note: 'from DENYLIST', created_at: '', created_by: 'config' })),
      ...this.entries,
    ];
  }

  /** Adds (or renotes) an entry; the caller validated the CIDR. Allowlisting lifts rule blocks inside it. */
  async addListEntry(kind: ListKind, cidr: string, note: string, by: string): Promise<ListEntry> {
    const canonical = canonicalRange(cidr);
    if (!canonical) throw new Error(`not an IP address or CIDR: ${cidr}`);
    const at = new Date(this.clock.now());
    const entry: ListEntry = { kind, cidr: canonical, note, created_at: at.toISOString(), created_by: by };
    this.entries = this.entries.filter((e) => !(e.kind === kind && e.cidr === canonical)).concat(entry);
    this.rebuildLists();
    await this.database.db
      .insert(listEntries)
      .values({ kind, cidr: canonical, note, createdAt: at, createdBy: by })
      .onConflictDoUpdate({ target: [listEntries.kind, listEntries.cidr], set: { note, createdAt: at, createdBy: by } });
    this.record({ type: `list.${kind}.added`, client: canonical, actor: by, detail: `${canonical} added to the ${kind}list${note ? `: ${note}` : ''}` });
    if (kind === 'allow') {
      const range = new CidrList([canonical]);
      for (const d of [...this.blocked.values()]) if (d.rule !== 'admin' && range.match(d.client)) this.lift(d.client, 'blocked', by, 'allowlisted');
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
    this.record({ type: `list.${kind}.removed`, client: canonical, actor: by, detail: `${canonical} removed from the ${kind}list` });
    return true;
  }

  // ---- internals ---------------------------------------------------------------------------

  private rebuildLists(): void {
    this.allow = new CidrList([...this.options.allowlist, ...this.entries.filter((e) => e.kind === 'allow').map((e) => e.cidr)]);
    this.deny = new CidrList([...this.options.denylist, ...this.entries.filter((e) => e.kind === 'deny').map((e) => e.cidr)]);
  }

  /** IPv6 client keys look like CIDRs (`2001:db8::/64`) but are exact keys, not ranges. */
  private isRange(client: string): boolean {
    const slash = client.indexOf('/');
    if (slash < 0) return false;
    return !(client.includes(':') && client.slice(slash + 1) === String(this.options.ipv6Prefix));
  }

  private remember(d: Decision): void {
    if (d.state === 'blocked' && this.isRange(d.client)) {
      this.rangeBlocks = this.rangeBlocks.filter((r) => r.decision.client !== d.client).concat({ list: new CidrList([d.client]), decision: d });
      return;
    }
    (d.state === 'blocked' ? this.blocked : this.suspicious).set(d.client, d);
  }

  private forget(client: string, state: Decision['state']): Decision | null {
    let removed: Decision | null = null;
    if (state === 'blocked' && this.isRange(client)) {
      const hit = this.rangeBlocks.find((r) => r.decision.client === client);
      if (hit) {
        removed = hit.decision;
        this.rangeBlocks = this.rangeBlocks.filter((r) => r !== hit);
      }
    } else {
      const map = state === 'blocked' ? this.blocked : this.suspicious;
      removed = map.get(client) ?? null;
      map.delete(client);
    }
    if (removed) for (const l of this.liftListeners) l(client, state);
    return removed;
  }

  private persist(d: Decision): void {
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
    this.write(async () => {
      await this.database.db.insert(decisions).values(row).onConflictDoUpdate({ target: [decisions.client, decisions.state], set: row });
    });
  }

  private unpersist(client: string, state: Decision['state']): void {
    this.write(async () => {
      await this.database.db.delete(decisions).where(and(eq(decisions.client, client), eq(decisions.state, state)));
    });
  }

  private write(op: () => Promise<void>): void {
    this.writes = this.writes.then(op).catch((err: Error) => this.logger.error(`decision store write failed: ${err.message}`));
  }

  private record(input: Parameters<AuditService['record']>[0]): void {
    const p = this.audit.record(input).catch(() => undefined);
    this.audits.add(p);
    void p.finally(() => this.audits.delete(p));
  }
}

/** Whether a new block replaces the standing one: enforced over observed, all routes over login-only, then the later expiry. */
function supersedes(incoming: Decision, existing: Decision): boolean {
  if (incoming.enforced !== existing.enforced) return incoming.enforced;
  const inAll = !LOGIN_SCOPED_RULES.has(incoming.rule);
  const exAll = !LOGIN_SCOPED_RULES.has(existing.rule);
  if (inAll !== exAll) return inAll;
  return incoming.rule === existing.rule || incoming.expiresAt >= existing.expiresAt;
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
