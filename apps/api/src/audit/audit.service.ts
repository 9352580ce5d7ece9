import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, asc, desc, eq, gt, gte, like, lt, or, type SQL } from 'drizzle-orm';
import type { SecurityEvent } from '@bouncer/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { type Database, DATABASE, type DatabaseHandle } from '../db/database';
import { auditLog } from '../db/schema';
import { describeError } from '../db/query-errors';

export interface AuditInput {
  type: string;
  client?: string | null;
  actor?: string | null;
  detail: string;
  data?: Record<string, unknown>;
}

const RECENT_LIMIT = 200;

/** Event types of the decisions feed: what was decided about clients, kept apart from sign-in noise. */
const DECISION_TYPE_PREFIXES = ['decision.', 'list.'];

/** Feed entries are bounded: an attacker chooses the username of a failed sign-in (up to 128 characters). */
const FEED_ACTOR_MAX = 40;
const FEED_DETAIL_MAX = 160;

/** Filters of the audit API; all optional, combined with AND. */
export interface EventFilter {
  /** Only events with an id below this (the position a cursor carries). */
  before?: number;
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** An exact type, or a prefix ending in a dot (`decision.`). */
  type?: string;
  actor?: string;
  client?: string;
}

export interface StoredEvent extends SecurityEvent {
  id: number;
}

function storedEvent(r: typeof auditLog.$inferSelect): StoredEvent {
  return { id: r.id, at: r.at.toISOString(), type: r.type, client: r.client, actor: r.actor, detail: r.detail };
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function isDecisionEvent(type: string): boolean {
  return DECISION_TYPE_PREFIXES.some((p) => type.startsWith(p));
}

/** An event as the dashboard's feeds show it: actor and detail clipped. */
export function feedEntry(e: SecurityEvent): SecurityEvent {
  return { ...e, actor: e.actor === null ? null : clip(e.actor, FEED_ACTOR_MAX), detail: clip(e.detail, FEED_DETAIL_MAX) };
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * The audit log: every decision, lift and admin action, written to SQL, plus a small
 * in-memory ring of the latest events for the dashboard feed. The healing job trims entries
 * older than AUDIT_RETENTION_DAYS (last in a pass, after the lifts it records).
 */
@Injectable()
@Prunable({ order: 90 })
export class AuditService implements PrunableProvider {
  private readonly logger = new Logger(AuditService.name);
  private readonly recentEvents: SecurityEvent[] = [];
  /** The latest decision and list events, in a ring of their own so sign-in failures cannot push them out. */
  private readonly recentDecisionEvents: SecurityEvent[] = [];

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Records an event; resolves once it is stored. Never rejects: a failed write is logged. */
  async record(input: AuditInput): Promise<void> {
    const at = new Date(this.clock.now());
    const event: SecurityEvent = {
      at: at.toISOString(),
      type: input.type,
      client: input.client ?? null,
      actor: input.actor ?? null,
      detail: input.detail,
    };
    this.remember(event);
    try {
      await this.insert(input, at, this.database.db);
    } catch (err) {
      this.logger.error(`audit write failed for ${input.type}: ${describeError(err)}`);
    }
  }

  /**
   * Records a person's action as part of storing it: rejects when the write fails (`db` may be
   * the transaction that stores the change), and shows in the feeds only once written. `atMs`
   * is when the action happened, if earlier than now (a decision stored after a database outage).
   */
  async write(input: AuditInput, db: Database = this.database.db, atMs: number = this.clock.now()): Promise<void> {
    const at = new Date(atMs);
    await this.insert(input, at, db);
    this.remember({
      at: at.toISOString(),
      type: input.type,
      client: input.client ?? null,
      actor: input.actor ?? null,
      detail: input.detail,
    });
  }

  private async insert(input: AuditInput, at: Date, db: Database): Promise<void> {
    await db.insert(auditLog).values({
      at,
      type: input.type,
      client: input.client ?? null,
      actor: input.actor ?? null,
      detail: input.detail,
      data: input.data ?? null,
    });
  }

  /** Listeners told of every event as it is recorded (alerts watch the log rather than each feature). */
  private readonly listeners: ((event: SecurityEvent) => void)[] = [];

  /** Calls `listener` synchronously for every event recorded from now on; it must not throw or block. */
  onEvent(listener: (event: SecurityEvent) => void): void {
    this.listeners.push(listener);
  }

  private remember(event: SecurityEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.logger.error(`audit listener failed: ${describeError(err)}`);
      }
    }
    const ring = isDecisionEvent(event.type) ? [this.recentEvents, this.recentDecisionEvents] : [this.recentEvents];
    for (const r of ring) {
      r.unshift(event);
      if (r.length > RECENT_LIMIT) r.length = RECENT_LIMIT;
    }
  }

  /** The latest decision and list events, newest first. */
  recentDecisions(limit = 50): SecurityEvent[] {
    return this.recentDecisionEvents.slice(0, limit);
  }

  /** Reads the stored decision and list events, newest first (several instances share them). */
  async listDecisions(limit = 50): Promise<SecurityEvent[]> {
    const rows = await this.database.db
      .select()
      .from(auditLog)
      .where(or(...DECISION_TYPE_PREFIXES.map((p) => like(auditLog.type, `${p}%`))))
      .orderBy(desc(auditLog.id))
      .limit(limit);
    return rows.map((r) => ({ at: r.at.toISOString(), type: r.type, client: r.client, actor: r.actor, detail: r.detail }));
  }

  /** The latest events, newest first. */
  recent(limit = 50): SecurityEvent[] {
    return this.recentEvents.slice(0, limit);
  }

  /** Reads the stored log, newest first (admin API). */
  async list(limit = 100): Promise<SecurityEvent[]> {
    const rows = await this.database.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit);
    return rows.map((r) => ({ at: r.at.toISOString(), type: r.type, client: r.client, actor: r.actor, detail: r.detail }));
  }

  /**
   * One page of the stored log, newest first, after `filter.before` (an id, from a cursor).
   * Reads one row more than asked to know, without counting, whether the page is the last.
   */
  async page(filter: EventFilter, limit: number): Promise<{ items: StoredEvent[]; nextBefore: number | null }> {
    const where = this.where(filter, filter.before === undefined ? undefined : lt(auditLog.id, filter.before));
    const rows = await this.database.db
      .select()
      .from(auditLog)
      .where(where)
      .orderBy(desc(auditLog.id))
      .limit(limit + 1);
    const items = rows.slice(0, limit).map(storedEvent);
    return { items, nextBefore: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  /**
   * Every matching event, oldest first, read from the database a page at a time: an export of
   * any size holds one page in memory. New events written meanwhile are included up to the end.
   */
  async *export(filter: EventFilter, pageSize = 500): AsyncGenerator<StoredEvent> {
    let after = 0;
    for (;;) {
      const rows = await this.database.db
        .select()
        .from(auditLog)
        .where(this.where(filter, gt(auditLog.id, after)))
        .orderBy(asc(auditLog.id))
        .limit(pageSize);
      for (const r of rows) yield storedEvent(r);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  private where(f: EventFilter, position: SQL | undefined): SQL | undefined {
    return and(
      position,
      f.since ? gte(auditLog.at, f.since) : undefined,
      f.until ? lt(auditLog.at, f.until) : undefined,
      f.type ? (f.type.endsWith('.') ? like(auditLog.type, `${escapeLike(f.type)}%`) : eq(auditLog.type, f.type)) : undefined,
      f.actor ? eq(auditLog.actor, f.actor) : undefined,
      f.client ? eq(auditLog.client, f.client) : undefined,
    );
  }

  /** Deletes entries older than the cutoff; returns how many went. */
  async trimOlderThan(cutoff: Date): Promise<number> {
    const deleted = await this.database.db.delete(auditLog).where(lt(auditLog.at, cutoff)).returning({ id: auditLog.id });
    return deleted.length;
  }

  async pruneStale(now: number): Promise<PruneResult> {
    return { trimmed: await this.trimOlderThan(new Date(now - this.config.detection.auditRetentionDays * 86_400_000)) };
  }
}
