import type { StoredBucket } from './traffic-history';
import type { TrafficHistoryRepository } from './traffic-history.repository';

/**
 * The traffic history's table in memory, with the real one's rules (one row per granularity and
 * start, a write keeps the larger of each count), for the service's unit tests. `failWrites`
 * makes every write reject, as a database outage does; `writes` counts the statements.
 */
export class MemoryTrafficHistoryRepository implements Pick<TrafficHistoryRepository, 'upsert' | 'load' | 'prune'> {
  readonly rows = new Map<string, StoredBucket>();
  writes = 0;
  failWrites = false;

  async upsert(buckets: readonly StoredBucket[]): Promise<void> {
    if (buckets.length === 0) return;
    if (this.failWrites) throw new Error('connection refused');
    this.writes++;
    for (const b of buckets) {
      const key = `${b.granularity}:${b.start}`;
      const kept = this.rows.get(key);
      this.rows.set(
        key,
        kept
          ? {
              ...kept,
              requests: Math.max(kept.requests, b.requests),
              client_errors: Math.max(kept.client_errors, b.client_errors),
              unauthorized: Math.max(kept.unauthorized, b.unauthorized),
              blocks: Math.max(kept.blocks, b.blocks),
            }
          : { ...b },
      );
    }
  }

  async load(minutesFrom: number, hoursFrom: number): Promise<StoredBucket[]> {
    return [...this.rows.values()].filter((b) => b.start >= (b.granularity === 'minute' ? minutesFrom : hoursFrom)).map((b) => ({ ...b }));
  }

  async prune(minutesBefore: number, hoursBefore: number): Promise<number> {
    let n = 0;
    for (const [key, b] of this.rows) {
      if (b.start >= (b.granularity === 'minute' ? minutesBefore : hoursBefore)) continue;
      this.rows.delete(key);
      n++;
    }
    return n;
  }

  get(granularity: StoredBucket['granularity'], start: number): StoredBucket | undefined {
    return this.rows.get(`${granularity}:${start}`);
  }
}
