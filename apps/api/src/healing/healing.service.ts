import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { HealingRun } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { RefreshTokenService } from '../auth/refresh-token.service';
import { RevocationService } from '../access/revocation.service';
import { CLOCK, type Clock } from '../core/clock';
import { DecisionService, DETECTION_OPTIONS, type DetectionOptions, DetectionService } from '../detection';

const JOB = 'self-healing';

/**
 * Every few seconds (HEALING_INTERVAL): lift expired decisions, drop stale counters and
 * expired revocations, trim the audit log past its retention, and record what it did.
 */
@Injectable()
export class HealingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HealingService.name);
  private running = false;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
    private readonly revocation: RevocationService,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.runOnce(), this.options.healingIntervalSeconds * 1000);
    timer.unref();
    this.scheduler.addInterval(JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', JOB)) this.scheduler.deleteInterval(JOB);
  }

  /** One healing pass. Public so tests (and operators) can run it on demand. */
  async runOnce(): Promise<HealingRun | null> {
    if (this.running) return null;
    this.running = true;
    const started = this.clock.now();
    const t0 = performance.now();
    try {
      const lifted = await this.decisions.liftExpired(started);
      const pruned = (await this.detection.prune()) + (await this.revocation.prune()) + (await this.refreshTokens.prune());
      const cutoff = new Date(started - this.options.auditRetentionDays * 86_400_000);
      const trimmed = await this.audit.trimOlderThan(cutoff);
      const run: HealingRun = {
        at: new Date(started).toISOString(),
        duration_ms: Math.round(performance.now() - t0),
        lifted,
        pruned_counters: pruned,
        trimmed_audit: trimmed,
      };
      this.detection.recordHealing(run);
      return run;
    } catch (err) {
      this.logger.error(`healing run failed: ${(err as Error).message}`);
      return null;
    } finally {
      this.running = false;
    }
  }

  lastRun(): HealingRun | null {
    return this.detection.lastHealingRun();
  }
}
