import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, lt, lte } from 'drizzle-orm';
import type { ListEntry, ListKind } from '@bouncer/contracts';
import { type Database, DATABASE, type DatabaseHandle } from '../../db/database';
import { blockHistory, decisions, listEntries } from '../../db/schema';
import type { OffenceHistory } from '@bouncer/detection';
import type { Decision, DecisionState } from './decision';

/**
 * The decisions' SQL (Drizzle): standing decisions, block history and list entries, so they
 * survive a restart. Writes take an optional `db`: the transaction that also audits a person's change.
 */
@Injectable()
export class DecisionRepository {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  /** Whether other instances may share this database (PostgreSQL), so their decisions show up in it. */
  get shared(): boolean {
    return this.database.kind === 'postgres';
  }
  private get db() {
    return this.database.db;
  }

  /** Runs `fn` in one transaction: a person's change and its audit record are stored together or not at all. */
  transaction<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(tx as unknown as Database));
  }

  async liveDecisions(now: number): Promise<Decision[]> {
    const rows = await this.db
      .select()
      .from(decisions)
      .where(gt(decisions.expiresAt, new Date(now)));
    return rows.map((row) => ({
      client: row.client,
      state: row.state,
      scope: row.scope,
      rule: row.rule,
      reason: row.reason,
      createdAt: row.createdAt.getTime(),
      expiresAt: row.expiresAt.getTime(),
      decidedBy: row.decidedBy,
      enforced: row.enforced,
    }));
  }

  async blockHistory(): Promise<(OffenceHistory & { client: string })[]> {
    const rows = await this.db.select().from(blockHistory);
    return rows.map((h) => ({ client: h.client, at: h.lastBlockedAt.getTime(), seconds: h.lastDurationSeconds, count: h.count }));
  }

  async listEntries(): Promise<ListEntry[]> {
    const rows = await this.db.select().from(listEntries);
    return rows.map((r) => ({
      kind: r.kind,
      cidr: r.cidr,
      note: r.note,
      created_at: r.createdAt.toISOString(),
      created_by: r.createdBy,
      expires_at: r.expiresAt?.toISOString() ?? null,
    }));
  }

  async saveDecision(d: Decision, db: Database = this.db): Promise<void> {
    const row = {
      client: d.client,
      state: d.state,
      scope: d.scope,
      rule: d.rule,
      reason: d.reason,
      createdAt: new Date(d.createdAt),
      expiresAt: new Date(d.expiresAt),
      decidedBy: d.decidedBy,
      enforced: d.enforced,
    };
    await db
      .insert(decisions)
      .values(row)
      .onConflictDoUpdate({ target: [decisions.client, decisions.state, decisions.scope], set: row });
  }

  /** Upserts a client's last block; `count` is the new total. */
  async saveBlockHistory(client: string, at: number, seconds: number, count: number, db: Database = this.db): Promise<void> {
    await db
      .insert(blockHistory)
      .values({ client, lastBlockedAt: new Date(at), lastDurationSeconds: seconds, count: 1 })
      .onConflictDoUpdate({ target: blockHistory.client, set: { lastBlockedAt: new Date(at), lastDurationSeconds: seconds, count } });
  }

  /** Forgets offences older than `before` (past the repeat-offender window); returns how many. */
  async pruneBlockHistory(before: number): Promise<number> {
    const gone = await this.db
      .delete(blockHistory)
      .where(lt(blockHistory.lastBlockedAt, new Date(before)))
      .returning({ c: blockHistory.client });
    return gone.length;
  }

  async deleteDecision(client: string, state: DecisionState, db: Database = this.db): Promise<void> {
    await db.delete(decisions).where(and(eq(decisions.client, client), eq(decisions.state, state)));
  }

  /** Deletes every decision past its expiry; returns the rows this call removed. */
  async deleteExpired(now: number): Promise<{ client: string; state: string; rule: string }[]> {
    return this.db
      .delete(decisions)
      .where(lte(decisions.expiresAt, new Date(now)))
      .returning({ client: decisions.client, state: decisions.state, rule: decisions.rule });
  }

  async saveListEntry(
    entry: { kind: ListKind; cidr: string; note: string; at: number; by: string; expiresAt: number | null },
    db: Database = this.db,
  ): Promise<void> {
    const expiresAt = entry.expiresAt === null ? null : new Date(entry.expiresAt);
    await db
      .insert(listEntries)
      .values({ kind: entry.kind, cidr: entry.cidr, note: entry.note, createdAt: new Date(entry.at), createdBy: entry.by, expiresAt })
      .onConflictDoUpdate({ target: [listEntries.kind, listEntries.cidr], set: { note: entry.note, expiresAt } });
  }

  /** Deletes the list entries past their expiry; returns the rows this call removed. */
  async deleteExpiredListEntries(now: number): Promise<{ kind: ListKind; cidr: string; note: string }[]> {
    return this.db
      .delete(listEntries)
      .where(lte(listEntries.expiresAt, new Date(now)))
      .returning({ kind: listEntries.kind, cidr: listEntries.cidr, note: listEntries.note });
  }

  async deleteListEntry(kind: ListKind, cidr: string, db: Database = this.db): Promise<void> {
    await db.delete(listEntries).where(and(eq(listEntries.kind, kind), eq(listEntries.cidr, cidr)));
  }
}
