import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { REDIS, type RedisHandle } from '../core/redis';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { SharedTraffic } from './shared-traffic';
import type { DashboardDataResponse } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait } from '../common/problem.exception';
import { ClientIdentity } from './client-identity';
import { COUNTER_STORE, type CounterRecord, type CounterStore } from './counter-store';
import { type Decision, DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';
import { ResilientCounterStore } from './resilient-counter-store';
import { TrafficMonitor } from './traffic-monitor';
import type { HealingRun } from '@bouncer/contracts';

/** Answers the gate gives a request before any route code runs. */
export type GateVerdict = { client: string; blocked: null } | { client: string; blocked: Decision };

const PROBE_STATUSES = new Set([401, 403, 404]);

/**
 * Watches every request: who sent it, whether it may pass, and what its answer says about
 * the client (rule 1, request rate; rule 6, probing). Also gathers the dashboard's data.
 */
@Injectable()
export class DetectionService implements OnModuleDestroy {
  private readonly logger = new Logger(DetectionService.name);
  readonly identity: ClientIdentity;
  readonly monitor: TrafficMonitor;
  private lastHealing: HealingRun | null = null;

  constructor(
    @Inject(DETECTION_OPTIONS) readonly options: DetectionOptions,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(CLOCK) private readonly clock: Clock,
    readonly decisions: DecisionService,
    private readonly audit: AuditService,
    @Optional() @Inject(DATABASE) private readonly database: DatabaseHandle | null = null,
    @Optional() @Inject(REDIS) redis: RedisHandle | null = null,
  ) {
    this.identity = new ClientIdentity(options.trustedProxies, options.ipv6Prefix);
    this.monitor = new TrafficMonitor(options.maxTrackedClients, options.rateWindowSeconds * 1000);
    this.shared = redis ? new SharedTraffic(redis, () => this.clock.now()) : null;
  }

  /** With several instances, the dashboard's traffic picture is merged in Redis. */
  private readonly shared: SharedTraffic | null;

  onModuleDestroy(): void {
    this.shared?.stop();
  }

  get enabled(): boolean {
    return this.options.mode !== 'off';
  }

  /** First look at a request (before body parsing and authentication). Memory only. */
  admit(peer: string | undefined, headers: Record<string, string | string[] | undefined>): GateVerdict {
    const now = this.clock.now();
    const client = this.identity.resolve(peer, headers);
    const block = this.decisions.enforcedBlock(client, now);
    if (block) {
      this.monitor.blocked(now);
      this.shared?.blocked(now);
      return { client, blocked: block };
    }
    this.monitor.request(client, now);
    this.shared?.request(client, now);
    if (!this.decisions.isAllowlisted(client)) {
      const windowMs = this.options.rateWindowSeconds * 1000;
      const r = this.store.hit(`rate:${client}`, windowMs, now);
      if (r instanceof Promise) {
        // A shared store answers later: its decision applies from the next request on.
        r.then((rec) => this.checkRate(client, rec), (e: Error) => this.countingFailed(e));
      } else if (this.checkRate(client, r)) {
        // This very request crossed the limit: refuse it already.
        const block = this.decisions.enforcedBlock(client, now);
        if (block) {
          this.shared?.blocked(now);
          return { client, blocked: block };
        }
      }
    }
    return { client, blocked: null };
  }

  /** The answer a request got (rule 6 counts 401, 403 and 404 per client). */
  answered(client: string, status: number): void {
    const now = this.clock.now();
    this.monitor.response(status, now);
    this.shared?.response(status, now);
    if (!PROBE_STATUSES.has(status) || this.decisions.isAllowlisted(client)) return;
    const r = this.store.hit(`probe:${client}`, this.options.probeWindowSeconds * 1000, now);
    if (r instanceof Promise) r.then((rec) => this.checkProbe(client, rec), (e: Error) => this.countingFailed(e));
    else this.checkProbe(client, r);
  }

  /** The 403 body for a blocked client. */
  blockedProblem(d: Decision): { body: string; retryAfter: number } {
    const retryAfter = Math.max(1, Math.ceil((d.expiresAt - this.clock.now()) / 1000));
    const body = JSON.stringify({
      type: 'urn:bouncer:problem:client-blocked',
      title: 'Forbidden',
      status: 403,
      detail: `This client is blocked: ${d.reason}. Try again in ${describeWait(retryAfter)}.`,
      retry_after: retryAfter,
    });
    return { body, retryAfter };
  }

  /** Rule 1; true when this hit made a block. */
  private checkRate(client: string, r: CounterRecord): boolean {
    const limit = this.options.rateLimit;
    const window = this.options.rateWindowSeconds;
    if (r.count === Math.ceil(limit * this.options.suspiciousRatio) && r.count <= limit) {
      void this.decisions.suspect({ client, rule: 'request-rate', reason: `${r.count} requests in ${window} s (limit ${limit})` });
    }
    if (r.count === limit + 1) {
      void this.store.reset(`rate:${client}`);
      void this.decisions.block({
        client,
        rule: 'request-rate',
        reason: `more than ${limit} requests in ${window} s`,
        seconds: this.options.banSeconds,
        escalate: true,
      });
      return true;
    }
    return false;
  }

  private checkProbe(client: string, r: CounterRecord): void {
    const limit = this.options.probeThreshold;
    const window = this.options.probeWindowSeconds;
    if (r.count === Math.ceil(limit * this.options.suspiciousRatio) && r.count <= limit) {
      void this.decisions.suspect({ client, rule: 'probing', reason: `${r.count} answers 401/403/404 in ${window} s (limit ${limit})` });
    }
    if (r.count === limit + 1) {
      void this.store.reset(`probe:${client}`);
      void this.decisions.block({
        client,
        rule: 'probing',
        reason: `more than ${limit} answers 401/403/404 in ${window} s`,
        seconds: this.options.banSeconds,
        escalate: true,
      });
    }
  }

  /** The shared store falls back to memory by itself; anything else reaching here is logged. */
  private countingFailed(err: Error): void {
    this.logger.warn(`counting failed: ${err.message}`);
  }

  /** True while the shared store (Redis) is unreachable and this instance protects on its own. */
  isDegraded(): boolean {
    return this.store instanceof ResilientCounterStore && this.store.degraded;
  }

  recordHealing(run: HealingRun): void {
    this.lastHealing = run;
  }

  lastHealingRun(): HealingRun | null {
    return this.lastHealing;
  }

  /** Drops idle counters and clients (the healing job). */
  async prune(): Promise<number> {
    const now = this.clock.now();
    return (await this.store.prune(now)) + this.monitor.prune(now);
  }

  /** `GET /dashboard-data`: bounded in size however many clients are tracked. */
  async dashboardData(): Promise<DashboardDataResponse> {
    const now = this.clock.now();
    const decisions = this.decisions.list(now);
    const blocked = decisions.filter((d) => d.state === 'blocked');
    const suspicious = decisions.filter((d) => d.state === 'suspicious');
    // Several instances: traffic merged in Redis and events from the shared audit log.
    const merged = this.shared ? await this.shared.read(now, 20) : null;
    const top = merged?.top ?? this.monitor.top(20, now);
    const series = merged?.series ?? this.monitor.series(now);
    const events =
      this.database?.kind === 'postgres' ? await this.audit.list(50).catch(() => this.audit.recent(50)) : this.audit.recent(50);
    const uniq = (xs: string[]) => [...new Set(xs)];
    return {
      total_ips: merged ? Math.max(merged.tracked, this.monitor.trackedClients()) : this.monitor.trackedClients(),
      blocked_ips: uniq(blocked.map((d) => d.client)).slice(0, 500),
      // A client in a login time buffer is listed as both blocked and suspicious (the original's rule).
      suspicious_ips: uniq([...suspicious.map((d) => d.client), ...blocked.filter((d) => d.rule === 'failed-logins').map((d) => d.client)]).slice(0, 500),
      request_counts: Object.fromEntries(top.map((t) => [t.client, t.requests])),
      brute_force_ips: blocked.filter((d) => d.rule === 'failed-logins').map((d) => ({ ip: d.client, remaining: d.remaining_seconds })),
      successful_block_ips: blocked.filter((d) => d.rule === 'successful-logins').map((d) => ({ ip: d.client, remaining: d.remaining_seconds })),
      generated_at: new Date(now).toISOString(),
      mode: this.options.mode === 'observe' ? 'observe' : 'enforce',
      degraded: this.isDegraded(),
      requests_per_minute: series.points.slice(-6).reduce((sum, p) => sum + p.requests, 0),
      series,
      top_clients: top.map((t) => ({ client: t.client, requests: t.requests, state: this.decisions.state(t.client, now) })),
      decisions: decisions.slice(0, 200),
      events,
      healing: this.lastHealing,
    };
  }
}
