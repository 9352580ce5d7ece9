import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { HealingRun } from '@bouncer/contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider } from '../core/prunable';
import { describeError } from '../db/query-errors';

const JOB = 'self-healing';

/**
 * Every few seconds (HEALING_INTERVAL): asks every `@Prunable()` provider to clean its stale
 * state (lift expired decisions, drop stale counters and expired revocations and tokens, trim
 * the audit log past its retention), and remembers what the last pass did.
 */
@Injectable()
export class HealingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(HealingService.name);
  private running = false;
  private last: HealingRun | null = null;
  private prunables?: PrunableProvider[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly discovery: DiscoveryService,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.runOnce(), this.config.detection.healingIntervalSeconds * 1000);
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
      let lifted = 0;
      let pruned = 0;
      let trimmed = 0;
      for (const p of this.registered()) {
        const r = await p.pruneStale(started);
        lifted += r.lifted ?? 0;
        pruned += r.pruned ?? 0;
        trimmed += r.trimmed ?? 0;
      }
      this.last = {
        at: new Date(started).toISOString(),
        duration_ms: Math.round(performance.now() - t0),
        lifted,
        pruned_counters: pruned,
        trimmed_audit: trimmed,
      };
      return this.last;
    } catch (err) {
      this.logger.error(`healing run failed: ${describeError(err)}`);
      return null;
    } finally {
      this.running = false;
    }
  }

  lastRun(): HealingRun | null {
    return this.last;
  }

  /** Every `@Prunable()` provider in the app, in their declared order (found once). */
  private registered(): PrunableProvider[] {
    this.prunables ??= this.discovery
      .getProviders({ metadataKey: Prunable.KEY })
      .filter((w) => w.instance)
      .map((w) => ({ p: w.instance as PrunableProvider, order: this.discovery.getMetadataByDecorator(Prunable, w)?.order ?? 50 }))
      .sort((a, b) => a.order - b.order)
      .map((x) => x.p);
    return this.prunables;
  }
}
