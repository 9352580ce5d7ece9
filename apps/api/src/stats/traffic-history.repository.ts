import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gte, lt, or, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { trafficBuckets } from '../db/schema';
import type { StoredBucket } from './traffic-history';

/**
 * The traffic history's SQL: minute and hour buckets, written as they are sampled and read back
 * at start. One row per granularity and bucket start; a write keeps the larger of each count, so
 * instances that sample the same merged series (Redis) write it once between them, and a sample
 * that saw less (a restart's zeros) never lowers what is stored.
 */
@Injectable()
export class TrafficHistoryRepository {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  /** One statement for every changed bucket of a sample (usually one minute and its hour). */
  async upsert(buckets: readonly StoredBucket[]): Promise<void> {
    if (buckets.length === 0) return;
    const greatest = (column: AnyPgColumn) => sql`greatest(${column}, excluded.${sql.identifier(column.name)})`;
    await this.database.db
      .insert(trafficBuckets)
      .values(
        buckets.map((b) => ({
          granularity: b.granularity,
          start: new Date(b.start),
          requests: b.requests,
          clientErrors: b.client_errors,
          unauthorized: b.unauthorized,
          blocks: b.blocks,
        })),
      )
      .onConflictDoUpdate({
        target: [trafficBuckets.granularity, trafficBuckets.start],
        set: {
          requests: greatest(trafficBuckets.requests),
          clientErrors: greatest(trafficBuckets.clientErrors),
          unauthorized: greatest(trafficBuckets.unauthorized),
          blocks: greatest(trafficBuckets.blocks),
        },
      });
  }

  /** Minutes starting at or after `minutesFrom` and hours at or after `hoursFrom`. */
  async load(minutesFrom: number, hoursFrom: number): Promise<StoredBucket[]> {
    const rows = await this.database.db
      .select()
      .from(trafficBuckets)
      .where(
        or(
          and(eq(trafficBuckets.granularity, 'minute'), gte(trafficBuckets.start, new Date(minutesFrom))),
          and(eq(trafficBuckets.granularity, 'hour'), gte(trafficBuckets.start, new Date(hoursFrom))),
        ),
      );
    return rows.map((r) => ({
      granularity: r.granularity,
      start: r.start.getTime(),
      requests: Number(r.requests),
      client_errors: Number(r.clientErrors),
      unauthorized: Number(r.unauthorized),
      blocks: Number(r.blocks),
    }));
  }

  /** Deletes minutes older than `minutesBefore` and hours older than `hoursBefore`; returns how many went. */
  async prune(minutesBefore: number, hoursBefore: number): Promise<number> {
    const gone = await this.database.db
      .delete(trafficBuckets)
      .where(
        or(
          and(eq(trafficBuckets.granularity, 'minute'), lt(trafficBuckets.start, new Date(minutesBefore))),
          and(eq(trafficBuckets.granularity, 'hour'), lt(trafficBuckets.start, new Date(hoursBefore))),
        ),
      )
      .returning({ start: trafficBuckets.start });
    return gone.length;
  }
}
