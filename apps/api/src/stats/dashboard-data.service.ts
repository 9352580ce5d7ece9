import { Inject, Injectable } from '@nestjs/common';
import type { AdminStatsResponse, DashboardDataResponse } from '@bouncer/contracts';
import { AuditService, feedEntry } from '../audit/audit.service';
import { DETECTION_OPTIONS, type DetectionOptions } from '../config/detection-options';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { DecisionService, DetectionService } from '../detection';
import { GatewayService } from '../gateway/gateway.service';
import { HealingService } from '../healing/healing.service';

/** The dashboard's picture: decisions, traffic, recent events and the last healing run, in one read. */
@Injectable()
export class DashboardDataService {
  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly healing: HealingService,
    private readonly audit: AuditService,
    private readonly gateway: GatewayService,
  ) {}

  /** `GET /dashboard-data`: bounded in size however many clients are tracked. */
  async dashboardData(viewer: string): Promise<DashboardDataResponse> {
    const now = this.clock.now();
    const decisions = this.decisions.list(now);
    const blocked = decisions.filter((d) => d.state === 'blocked');
    const suspicious = decisions.filter((d) => d.state === 'suspicious');
    // Several instances: traffic merged in Redis and events from the shared audit log.
    const { top, series, tracked } = await this.detection.traffic(now, 20);
    const shared = this.database.kind === 'postgres';
    const events = shared ? await this.audit.list(50).catch(() => this.audit.recent(50)) : this.audit.recent(50);
    // Decisions have a feed of their own: a flood of failed sign-ins cannot push them out of sight.
    const decisionEvents = shared
      ? await this.audit.listDecisions(50).catch(() => this.audit.recentDecisions(50))
      : this.audit.recentDecisions(50);
    const uniq = (xs: string[]) => [...new Set(xs)];
    const blockedClients = uniq(blocked.map((d) => d.client));
    // A client in a login time buffer is listed as both blocked and suspicious (the original's rule).
    const suspiciousClients = uniq([
      ...suspicious.map((d) => d.client),
      ...blocked.filter((d) => d.rule === 'failed-logins').map((d) => d.client),
    ]);
    return {
      total_ips: tracked,
      blocked_ips: blockedClients.slice(0, 500),
      suspicious_ips: suspiciousClients.slice(0, 500),
      // The lists above are bounded; the counters are not (D2: counters and tables never disagree).
      counts: { blocked: blockedClients.length, suspicious: suspiciousClients.length },
      request_counts: Object.fromEntries(top.map((t) => [t.client, t.requests])),
      brute_force_ips: blocked.filter((d) => d.rule === 'failed-logins').map((d) => ({ ip: d.client, remaining: d.remaining_seconds })),
      successful_block_ips: blocked
        .filter((d) => d.rule === 'successful-logins')
        .map((d) => ({ ip: d.client, remaining: d.remaining_seconds })),
      generated_at: new Date(now).toISOString(),
      mode: this.options.mode === 'observe' ? 'observe' : 'enforce',
      degraded: this.detection.isDegraded(),
      requests_per_minute: series.points.slice(-6).reduce((sum, p) => sum + p.requests, 0),
      series,
      top_clients: top.map((t) => ({ client: t.client, requests: t.requests, state: this.decisions.state(t.client, now) })),
      decisions: decisions.slice(0, 200),
      events: events.map(feedEntry),
      decision_events: decisionEvents.map(feedEntry),
      healing: this.healing.lastRun(),
      route_classes: this.gateway.routeClasses(),
      viewer_client: viewer,
    };
  }

  /** `GET /admin/stats`: the original's shape. */
  stats(): AdminStatsResponse {
    const counts = this.decisions.counts(this.clock.now());
    return {
      total_ips: this.detection.trackedClients(),
      blocked_ips: counts.blocked,
      system_health: this.detection.isDegraded() ? 'degraded' : 'ok',
      active_threshold: requestRateThreshold(this.options),
    };
  }
}

/** The request-rate rule's threshold (the original's `active_threshold`); 0 when no such rule is on. */
function requestRateThreshold(o: DetectionOptions): number {
  const t = o.rules.rules.find((r) => r.enabled && r.kind.kind === 'request-rate')?.spec['threshold'];
  return typeof t === 'number' ? t : 0;
}
