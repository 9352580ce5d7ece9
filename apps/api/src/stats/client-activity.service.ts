import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, gt, gte, inArray, isNotNull, isNull, max, min, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { ClientActivity } from '@bouncer/contracts';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { auditLog, refreshFamilies, signIns, users } from '../db/schema';
import { DetectionService } from '../detection';
import { type RangeQuery, rangeBounds } from './time-range';

/** How far back the targeted accounts are read. */
const ACCOUNTS_WINDOW_MS = 24 * 3600_000;
/** Rows of each list at most: a page about one client, not an export. */
const ROWS = 50;
/** Event types that record a failed sign-in with the targeted account as `actor`. */
export const FAILED_SIGN_IN_TYPES = ['login.failed', 'gateway.login.failed'];

/**
 * What one client (a client key, or a range) did lately, for its page: the request timeline
 * this instance keeps, the accounts it guessed at (audit log), and the sign-ins and sessions
 * seen from it (by session id and username; never a token).
 */
@Injectable()
export class ClientActivityService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly detection: DetectionService,
  ) {}

  /** `range`: the timeline's time range (validated here: a contradictory one is a 400 before any query). */
  async activity(client: string, range: RangeQuery = { range: '1h' }): Promise<ClientActivity> {
    const now = this.clock.now();
    const { from, to } = rangeBounds(range, now);
    const db = this.database.db;
    const timeline = this.detection.timeline.read(client, { from, to, now });
    const [accounts, seen, sessions] = await Promise.all([
      db
        .select({ username: auditLog.actor, failures: count(), first: min(auditLog.at), last: max(auditLog.at) })
        .from(auditLog)
        .where(
          and(
            inArray(auditLog.type, FAILED_SIGN_IN_TYPES),
            gte(auditLog.at, new Date(now - ACCOUNTS_WINDOW_MS)),
            isNotNull(auditLog.actor),
            this.within(auditLog.client, client),
          ),
        )
        .groupBy(auditLog.actor)
        .orderBy(desc(count()), desc(max(auditLog.at)))
        .limit(ROWS),
      db
        .select({ username: users.username, at: signIns.at, userAgent: signIns.userAgent })
        .from(signIns)
        .innerJoin(users, eq(users.id, signIns.userId))
        .where(this.within(signIns.address, client))
        .orderBy(desc(signIns.at), desc(signIns.id))
        .limit(ROWS),
      db
        .select({
          id: refreshFamilies.id,
          username: users.username,
          lastUsed: refreshFamilies.rotatedAt,
          expiresAt: refreshFamilies.expiresAt,
        })
        .from(refreshFamilies)
        .innerJoin(users, eq(users.id, refreshFamilies.userId))
        .where(
          and(
            isNull(refreshFamilies.revokedAt),
            gt(refreshFamilies.expiresAt, new Date(now)),
            isNotNull(refreshFamilies.rotatedAt),
            this.within(refreshFamilies.rotatedBy, client),
          ),
        )
        .orderBy(desc(refreshFamilies.rotatedAt))
        .limit(ROWS),
    ]);
    return {
      client,
      timeline: {
        since: new Date(timeline.since).toISOString(),
        until: new Date(to).toISOString(),
        bucket_seconds: timeline.bucketMs / 1000,
        requests: timeline.requests,
        tracked: timeline.tracked,
      },
      accounts: accounts.map((a) => ({
        username: a.username ?? '',
        failures: Number(a.failures),
        first_at: toIso(a.first),
        last_at: toIso(a.last),
      })),
      sign_ins: seen.map((s) => ({ username: s.username, at: s.at.toISOString(), user_agent: s.userAgent })),
      sessions: sessions.map((s) => ({
        id: s.id,
        username: s.username,
        last_used_at: toIso(s.lastUsed),
        expires_at: s.expiresAt.toISOString(),
      })),
    };
  }

  /**
   * A stored client column matches the client key exactly, or, for a range, lies inside it.
   * The cast is guarded: a value that is not an address (none should be) matches nothing
   * instead of failing the query.
   */
  private within(column: AnyPgColumn, client: string): SQL {
    if (!client.includes('/')) return eq(column, client);
    return sql`(${eq(column, client)} or (${column} ~ '^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$' and ${column}::inet <<= ${client}::cidr))`;
  }
}

/** Aggregates come back as Date or string depending on the driver (PGlite, pg). */
export function toIso(v: Date | string | null): string {
  if (v === null) return '';
  return (v instanceof Date ? v : new Date(v)).toISOString();
}
