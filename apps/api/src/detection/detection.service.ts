import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import type { SeriesPoint } from '@bouncer/contracts';
import { ClientIdentity, type CounterStore, type Decision, type DetectionEngine, type MaybePromise } from '@bouncer/detection';
import { BatchingCounterStore, FallbackCounterStore, type InstanceRoster } from '@bouncer/store-redis';
import { DETECTION_OPTIONS, type DetectionOptions } from '../config/detection-options';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { REDIS, type RedisHandle } from '../core/redis';
import { COUNTER_STORE, DETECTION_ENGINE, INSTANCE_ROSTER } from './engine.provider';
import { SharedTraffic } from './traffic/shared-traffic';
import { ClientTimeline, TIMELINE_MAX_CLIENTS } from './traffic/client-timeline';
import { TrafficMonitor } from './traffic/traffic-monitor';
import { describeError } from '../db/query-errors';
import { Metrics } from '../core/metrics';

/** Answers the gate gives a request before any route code runs. */
export type GateVerdict = { client: string; blocked: null } | { client: string; blocked: Decision };

export interface TrafficPicture {
  /** True when the numbers are merged across instances (Redis). */
  merged: boolean;
  top: { client: string; requests: number }[];
  series: { bucket_seconds: number; points: SeriesPoint[] };
  tracked: number;
}

/**
 * The request path's adapter over the engine: who sent a request, whether it may pass (one
 * engine decision per request), and what its answer says (the engine counts probing). Also
 * keeps the traffic picture the dashboard reads through stats/.
 */
@Injectable()
@Prunable({ order: 20 })
export class DetectionService implements OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(DetectionService.name);
  readonly identity: ClientIdentity;
  readonly monitor: TrafficMonitor;
  /** Per-client requests per minute for the client page (this instance's own view). */
  readonly timeline = new ClientTimeline(TIMELINE_MAX_CLIENTS);
  /** With several instances, the dashboard's traffic picture is merged in Redis. */
  private readonly shared: SharedTraffic | null;

  constructor(
    @Inject(DETECTION_OPTIONS) readonly options: DetectionOptions,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(REDIS) redis: RedisHandle | null = null,
    @Optional() readonly metrics?: Metrics,
    @Optional() @Inject(INSTANCE_ROSTER) private readonly roster: InstanceRoster | null = null,
  ) {
    this.identity = new ClientIdentity(options.trustedProxies, options.ipv6Prefix, options.forwardedHeader);
    const rate = options.rules.rules.find((r) => r.kind.kind === 'request-rate')?.spec['windowSeconds'];
    this.monitor = new TrafficMonitor(options.maxTrackedClients, (typeof rate === 'number' ? rate : 60) * 1000, () =>
      metrics?.evictions.inc(),
    );
    metrics?.setRuleKinds(options.rules.rules.map((r) => [r.id, r.kind.kind]));
    this.shared = redis ? new SharedTraffic(redis, () => this.clock.now()) : null;
  }

  async onModuleDestroy(): Promise<void> {
    this.shared?.stop();
    // Hits counted locally go to the shared store before the connection closes (CoreModule, at shutdown).
    if (this.store instanceof BatchingCounterStore) await this.store.flush().catch(() => undefined);
    await this.roster?.stop();
  }

  get enabled(): boolean {
    return this.options.mode !== 'off';
  }

  /** First look at a request (before body parsing and authentication): one engine decision. */
  admit(peer: string | undefined, headers: Record<string, string | string[] | undefined>, requestId?: string): MaybePromise<GateVerdict> {
    const now = this.clock.now();
    const client = this.identity.resolve(peer, headers);
    const decided = this.engine.decide({ type: 'request', client, cause: requestId });
    // No closure for the usual (synchronous) answer: this runs for every request.
    return decided instanceof Promise ? decided.then((d) => this.counted(client, now, d)) : this.counted(client, now, decided);
  }

  private counted(client: string, now: number, d: Decision): GateVerdict {
    // Refused requests count too: a blocked client still knocking is what its page should show.
    this.timeline.request(client, now);
    if (d.verdict === 'blocked') {
      this.monitor.blocked(now);
      this.shared?.blocked(now);
      return { client, blocked: d };
    }
    this.monitor.request(client, now);
    this.shared?.request(client, now);
    return { client, blocked: null };
  }

  /**
   * The answer a request got (the engine's probing rule counts 401, 403 and 404 per client).
   * An answer that is not the client's doing (`attributable` false: a request another site made
   * its browser send) is shown in the traffic picture but not counted against the client.
   */
  answered(client: string, status: number, attributable = true, requestId?: string): void {
    const now = this.clock.now();
    this.monitor.response(status, now);
    this.shared?.response(status, now);
    // Most answers (a 200) concern no rule: no event is built for them.
    if (!attributable || !this.engine.countsAnswer(status)) return;
    const d = this.engine.decide({ type: 'response', client, status, cause: requestId });
    if (d instanceof Promise) d.catch((e: Error) => this.logger.warn(`counting an answer failed: ${describeError(e)}`));
  }

  /** True while the shared store (Redis) is unreachable and this instance protects on its own. */
  isDegraded(): boolean {
    return (this.store instanceof FallbackCounterStore || this.store instanceof BatchingCounterStore) && this.store.degraded;
  }

  /** Drops idle counters and clients (the healing job). */
  async prune(): Promise<number> {
    const now = this.clock.now();
    return (await this.store.prune(now)) + this.monitor.prune(now) + this.timeline.prune(now);
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
