import { Inject, Injectable } from '@nestjs/common';
import { and, count, countDistinct, desc, eq, gte, inArray, isNotNull, like, lt, max, min, sql, type SQL } from 'drizzle-orm';
import type { AccountClientPage, AccountPage } from '@bouncer/contracts';
import { escapeLike } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { auditLog, users } from '../db/schema';
import { FAILED_SIGN_IN_TYPES, toIso } from './client-activity.service';

/** The window when the caller gives none: the last 24 hours. */
export const DEFAULT_WINDOW_MS = 24 * 3600_000;
/** The account rule's record that it started limiting an account. */
const DELAYED = 'account.delayed';

export interface AccountsQuery {
  since?: Date;
  /** End of the window (exclusive); none: up to now. */
  until?: Date;
  /** Part of the account name, normalized as names are. */
  q?: string;
  page: number;
  pageSize: number;
}

/**
 * Accounts under attack, worked out by the database from the audit log: grouped, counted,
 * sorted and paged there, so the answer covers every failed sign-in in the window however many
 * there are (the browser used to read at most 1,000 events of each type). `total` counts every
 * account that matches.
 */
@Injectable()
export class AccountAttacksService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
  ) {}

  async accounts(query: AccountsQuery): Promise<AccountPage> {
    const since = query.since ?? new Date(this.clock.now() - DEFAULT_WINDOW_MS);
    const failed = inArray(auditLog.type, FAILED_SIGN_IN_TYPES);
    const where = and(
      inArray(auditLog.type, [...FAILED_SIGN_IN_TYPES, DELAYED]),
      gte(auditLog.at, since),
      query.until ? lt(auditLog.at, query.until) : undefined,
      isNotNull(auditLog.actor),
      query.q ? like(auditLog.actor, `%${escapeLike(query.q)}%`) : undefined,
    );
    const failures = sql<number>`count(*) filter (where ${failed})`;
    const db = this.database.db;
    const [rows, [all]] = await Promise.all([
      db
        .select({
          username: auditLog.actor,
          failures,
          clients: sql<number>`count(distinct ${auditLog.client}) filter (where ${failed})`,
          first: min(auditLog.at),
          last: max(auditLog.at),
          throttled: sql<boolean>`bool_or(${auditLog.type} = ${DELAYED})`,
        })
        .from(auditLog)
        .where(where)
        .groupBy(auditLog.actor)
        .orderBy(desc(failures), desc(max(auditLog.at)), auditLog.actor)
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      db
        .select({ n: countDistinct(auditLog.actor) })
        .from(auditLog)
        .where(where),
    ]);
    const names = rows.map((r) => r.username ?? '');
    const known = new Set(
      names.length ? (await db.select({ u: users.username }).from(users).where(inArray(users.username, names))).map((r) => r.u) : [],
    );
    return {
      items: rows.map((r) => ({
        username: r.username ?? '',
        failures: Number(r.failures),
        clients: Number(r.clients),
        first_at: toIso(r.first),
        last_at: toIso(r.last),
        throttled: r.throttled === true || String(r.throttled) === 'true',
        known: known.has(r.username ?? ''),
      })),
      total: Number(all?.n ?? 0),
      page: query.page,
      page_size: query.pageSize,
      since: since.toISOString(),
      until: query.until?.toISOString() ?? null,
    };
  }

  /** The clients whose sign-ins at `account` failed in the window, most failures first. */
  async clients(account: string, query: Omit<AccountsQuery, 'q'>): Promise<AccountClientPage> {
    const since = query.since ?? new Date(this.clock.now() - DEFAULT_WINDOW_MS);
    const where: SQL | undefined = and(
      inArray(auditLog.type, FAILED_SIGN_IN_TYPES),
      gte(auditLog.at, since),
      query.until ? lt(auditLog.at, query.until) : undefined,
      eq(auditLog.actor, account),
      isNotNull(auditLog.client),
    );
    const db = this.database.db;
    const [rows, [all]] = await Promise.all([
      db
        .select({ client: auditLog.client, failures: count(), first: min(auditLog.at), last: max(auditLog.at) })
        .from(auditLog)
        .where(where)
        .groupBy(auditLog.client)
        .orderBy(desc(count()), desc(max(auditLog.at)), auditLog.client)
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      db
        .select({ n: countDistinct(auditLog.client) })
        .from(auditLog)
        .where(where),
    ]);
    return {
      items: rows.map((r) => ({ client: r.client ?? '', failures: Number(r.failures), first_at: toIso(r.first), last_at: toIso(r.last) })),
      total: Number(all?.n ?? 0),
      page: query.page,
      page_size: query.pageSize,
      since: since.toISOString(),
      until: query.until?.toISOString() ?? null,
    };
  }
}
