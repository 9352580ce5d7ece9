import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { HealingRun } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { DecisionService } from '../detection/decision.service';
import { DETECTION_OPTIONS } from '../detection/detection.tokens';
import type { DetectionOptions } from '../detection/detection-options';
import { DetectionService } from '../detection/detection.service';
import { LoginDefenseService } from '../detection/login-defense.service';
import { TokenMisuseService } from '../detection/token-misuse.service';

export const HEALING_JOB = 'self-healing';

/** Extra pruning other modules hand in (expired revocations, used refresh tokens): resolves to how many went. */
export type HealingTask = (now: number) => number | Promise<number>;

/**
 * Every HEALING_INTERVAL (5 s by default): lifts expired decisions (audited as
 * `decision.lifted`), drops stale counters, clients and token records, forgets old block
 * history, trims the audit log past AUDIT_RETENTION, and records what it did.
 * `runOnce()` is the whole job; the interval only says when.
 */
@Injectable()
export class HealingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HealingService.name);
  private readonly tasks = new Map<string, HealingTask>();
  private running: Promise<HealingRun | null> | null = null;
  private last: HealingRun | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly logins: LoginDefenseService,
    private readonly tokens: TokenMisuseService,
    private readonly audit: AuditService,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.runOnce(), this.options.healingIntervalSeconds * 1000);
    timer.unref();
    this.timer = timer;
    if (this.scheduler && !this.scheduler.doesExist('interval', HEALING_JOB)) this.scheduler.addInterval(HEALING_JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.scheduler?.doesExist('interval', HEALING_JOB)) this.scheduler.deleteInterval(HEALING_JOB);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Adds pruning work to every run (its count goes into `pruned_counters`). */
  addTask(name: string, task: HealingTask): void {
    this.tasks.set(name, task);
  }

  /** One pass. A run already under way is joined, not doubled. */
  runOnce(): Promise<HealingRun | null> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  lastRun(): HealingRun | null {
    return this.last;
  }

  private async run(): Promise<HealingRun | null> {
    const now = this.clock.now();
    const t0 = performance.now();
    try {
      const lifted = this.decisions.liftExpired(now).length;
      let pruned = (await this.detection.prune()) + this.logins.prune(now) + this.tokens.prune(now) + this.decisions.pruneHistory(now);
      for (const [name, task] of this.tasks) {
        try {
          pruned += await task(now);
        } catch (err) {
          this.logger.warn(`healing task ${name} failed: ${(err as Error).message}`);
        }
      }
      const trimmed = await this.audit.trimOlderThan(new Date(now - this.options.auditRetentionSeconds * 1000));
      await this.decisions.settled();
      const run: HealingRun = {
        at: new Date(now).toISOString(),
        duration_ms: Math.round(performance.now() - t0),
        lifted,
        pruned_counters: pruned,
        trimmed_audit: trimmed,
      };
      this.last = run;
      this.detection.recordHealing(run);
      return run;
    } catch (err) {
      this.logger.error(`healing run failed: ${(err as Error).message}`);
      return null;
    }
  }
}
