import { Inject, Injectable, Logger } from '@nestjs/common';
import { desc, lt } from 'drizzle-orm';
import type { SecurityEvent } from '@bouncer/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { auditLog } from '../db/schema';

export interface AuditInput {
  type: string;
  client?: string | null;
  actor?: string | null;
  detail: string;
  data?: Record<string, unknown>;
}

const RECENT_LIMIT = 200;

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
    this.recentEvents.unshift(event);
    if (this.recentEvents.length > RECENT_LIMIT) this.recentEvents.length = RECENT_LIMIT;
    try {
      await this.database.db.insert(auditLog).values({
        at,
        type: input.type,
        client: input.client ?? null,
        actor: input.actor ?? null,
        detail: input.detail,
        data: input.data ?? null,
      });
    } catch (err) {
      this.logger.error(`audit write failed for ${input.type}: ${(err as Error).message}`);
    }
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

  /** Deletes entries older than the cutoff; returns how many went. */
  async trimOlderThan(cutoff: Date): Promise<number> {
    const deleted = await this.database.db.delete(auditLog).where(lt(auditLog.at, cutoff)).returning({ id: auditLog.id });
    return deleted.length;
  }

  async pruneStale(now: number): Promise<PruneResult> {
    return { trimmed: await this.trimOlderThan(new Date(now - this.config.detection.auditRetentionDays * 86_400_000)) };
  }
}
