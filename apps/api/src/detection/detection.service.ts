import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import type { SeriesPoint } from '@bouncer/contracts';
import { DETECTION_OPTIONS, type DetectionOptions } from '../config/detection-options';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { REDIS, type RedisHandle } from '../core/redis';
import { describeWait } from '../http/problem.exception';
import { ClientIdentity } from './client-identity';
import { type Decision, DecisionService } from './decisions/decision.service';
import { COUNTER_STORE, type CounterRecord, type CounterStore } from './store/counter-store';
import { ResilientCounterStore } from './store/resilient-counter-store';
import { SharedTraffic } from './traffic/shared-traffic';
import { TrafficMonitor } from './traffic/traffic-monitor';

/** Answers the gate gives a request before any route code runs. */
export type GateVerdict = { client: string; blocked: null } | { client: string; blocked: Decision };

const PROBE_STATUSES = new Set([401, 403, 404]);

export interface TrafficPicture {
  /** True when the numbers are merged across instances (Redis). */
  merged: boolean;
  top: { client: string; requests: number }[];
  series: { bucket_seconds: number; points: SeriesPoint[] };
  tracked: number;
}

/**
 * Watches every request: who sent it, whether it may pass, and what its answer says about
 * the client (rule 1, request rate; rule 6, probing). The dashboard's data is read from here
 * by stats/.
 */
@Injectable()
@Prunable({ order: 20 })
export class DetectionService implements OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(DetectionService.name);
  readonly identity: ClientIdentity;
  readonly monitor: TrafficMonitor;

  constructor(
    @Inject(DETECTION_OPTIONS) readonly options: DetectionOptions,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(CLOCK) private readonly clock: Clock,
    readonly decisions: DecisionService,
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
        r.then((rec) => this.checkRate(client, rec), (e) => this.countingFailed(e));
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
    if (r instanceof Promise) r.then((rec) => this.checkProbe(client, rec), (e) => this.countingFailed(e));
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

  /** Drops idle counters and clients (the healing job). */
  async prune(): Promise<number> {
    const now = this.clock.now();
    return (await this.store.prune(now)) + this.monitor.prune(now);
  }

  async pruneStale(): Promise<PruneResult> {
    return { pruned: await this.prune() };
  }

  /** Clients tracked by this instance. */
  trackedClients(): number {
    return this.monitor.trackedClients();
  }

  /**
   * The traffic picture for the dashboard: the busiest clients, the request series and how many
   * clients are tracked. With several instances it is merged in Redis; otherwise this instance's.
   */
  async traffic(now: number, topN: number): Promise<TrafficPicture> {
    const merged = this.shared ? await this.shared.read(now, topN) : null;
    return {
      merged: merged !== null,
      top: merged?.top ?? this.monitor.top(topN, now),
      series: merged?.series ?? this.monitor.series(now),
      tracked: merged ? Math.max(merged.tracked, this.monitor.trackedClients()) : this.monitor.trackedClients(),
    };
  }
}
