import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClientState, DashboardDataResponse, HealingRun } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../common/clock';
import { describeWait } from '../common/problem.exception';
import { ClientIdentity } from './client/client-identity';
import { type Decision, DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import type { DetectionOptions } from './detection-options';
import { evaluateThreshold, type ThresholdRule, thresholdRules } from './engine/rules';
import { COUNTER_STORE, type CounterRecord, type CounterStore, isSyncCounterStore } from './store/counter-store.interface';
import { TrafficMonitor } from './traffic-monitor';

/** What the gate does with a request before any route code runs. */
export type GateVerdict = { client: string; refused: null } | { client: string; refused: Decision };

const PROBE_STATUSES: ReadonlySet<number> = new Set([401, 403, 404]);
/** Bounds of what `/dashboard-data` returns, whatever the traffic. */
export const DASHBOARD_LIMITS = { topClients: 20, addresses: 100, decisions: 100, remaining: 50, events: 50 } as const;

/**
 * Watches every request: who sent it (client identity), whether it may pass (decisions),
 * and what it and its answer say about the client (rule 1, request rate; rule 6, probing).
 * Also gathers the dashboard's data. Everything on the request path is synchronous with the
 * memory store; with a shared store, counts are applied when they arrive.
 */
@Injectable()
export class DetectionService {
  private readonly logger = new Logger(DetectionService.name);
  readonly identity: ClientIdentity;
  readonly monitor: TrafficMonitor;
  private readonly rules: { requestRate: ThresholdRule; probing: ThresholdRule };
  private lastHealing: HealingRun | null = null;
  private storeFailed = false;

  constructor(
    @Inject(DETECTION_OPTIONS) readonly options: DetectionOptions,
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(CLOCK) private readonly clock: Clock,
    readonly decisions: DecisionService,
    private readonly audit: AuditService,
  ) {
    this.identity = new ClientIdentity(options.trustedProxies, options.ipv6Prefix);
    this.monitor = new TrafficMonitor(options.maxTrackedClients, options.rateWindowSeconds * 1000);
    this.rules = thresholdRules(options);
  }

  /** First look at a request (before body parsing and authentication). */
  admit(peer: string | undefined, headers: Record<string, string | string[] | undefined>): GateVerdict {
    const client = this.identity.resolve(peer, headers);
    if (this.options.mode === 'off') return { client, refused: null };
    const now = this.clock.now();
    const block = this.decisions.enforcedBlock(client, now);
    if (block) {
      this.monitor.refused(now);
      return { client, refused: block };
    }
    this.monitor.request(client, now);
    if (this.decisions.isAllowlisted(client)) return { client, refused: null };
    const decided = this.count(client, this.rules.requestRate, now);
    // The request that crosses the limit is refused too, when the count came back at once.
    if (decided && decided.state === 'blocked' && decided.enforced && decided.rule === 'request-rate') {
      return { client, refused: decided };
    }
    return { client, refused: null };
  }

  /** The status a request was answered with (rule 6 counts 401, 403 and 404). */
  answered(client: string, status: number): void {
    if (this.options.mode === 'off') return;
    const now = this.clock.now();
    this.monitor.response(status, now);
    if (!PROBE_STATUSES.has(status) || this.decisions.isAllowlisted(client)) return;
    this.count(client, this.rules.probing, now);
  }

  /** The problem+json body and wait for a refused client. */
  refusal(d: Decision): { status: 403; body: string; retryAfter: number } {
    const retryAfter = Math.max(1, Math.ceil((d.expiresAt - this.clock.now()) / 1000));
    const body = JSON.stringify({
      type: 'urn:bouncer:problem:client-blocked',
      title: 'Client blocked',
      status: 403,
      detail: `This client is blocked: ${d.reason}. Try again in ${describeWait(retryAfter)}.`,
      retry_after: retryAfter,
    });
    return { status: 403, body, retryAfter };
  }

  /** Counts one event for a threshold rule; returns the decision made now, if any. */
  private count(client: string, rule: ThresholdRule, now: number): Decision | null {
    const key = `${rule.id}:${client}`;
    const windowMs = rule.windowSeconds * 1000;
    if (isSyncCounterStore(this.store)) return this.apply(client, rule, this.store.hitSync(key, windowMs, now));
    this.store.hit(key, windowMs, now).then(
      (r) => {
        this.storeFailed = false;
        this.apply(client, rule, r);
      },
      (err: Error) => {
        if (!this.storeFailed) this.logger.warn(`counter store failed: ${err.message}`);
        this.storeFailed = true;
      },
    );
    return null;
  }

  private apply(client: string, rule: ThresholdRule, r: CounterRecord): Decision | null {
    const v = evaluateThreshold(rule, r.count);
    if (v.action === 'suspect') return this.decisions.suspect({ client, rule: rule.id, reason: v.reason });
    if (v.action === 'block') {
      const d = this.decisions.block({ client, rule: rule.id, reason: v.reason, seconds: v.seconds, escalate: rule.escalate });
      this.decisions.suspect({ client, rule: rule.id, reason: v.reason, seconds: Math.max(this.options.suspicionSeconds, Math.ceil((d.expiresAt - this.clock.now()) / 1000)) });
      return d;
    }
    return null;
  }

  isDegraded(): boolean {
    return this.storeFailed || this.store.isDegraded();
  }

  getState(client: string): ClientState {
    return this.decisions.stateOf(client, this.clock.now());
  }

  recordHealing(run: HealingRun): void {
    this.lastHealing = run;
  }

  lastHealingRun(): HealingRun | null {
    return this.lastHealing;
  }

  /** Drops idle counters and clients (the healing job); returns how many went. */
  async prune(): Promise<number> {
    const now = this.clock.now();
    return (await this.store.prune(now)) + this.monitor.prune(now);
  }

  /** `GET /dashboard-data`: bounded in size and time however many clients are tracked. */
  dashboardData(): DashboardDataResponse {
    const now = this.clock.now();
    const L = DASHBOARD_LIMITS;
    const d = this.decisions;
    const decisions = d.list(now, undefined, L.decisions);
    const blocked = d.list(now, 'blocked', L.addresses);
    const suspicious = d.list(now, 'suspicious', L.addresses);
    const bruteForce = d.byRule(now, 'blocked', 'failed-logins', L.remaining);
    const successBlocks = d.byRule(now, 'blocked', 'successful-logins', L.remaining);
    const top = this.monitor.top(L.topClients, now);
    const remaining = (x: Decision) => ({ ip: x.client, remaining: Math.max(0, Math.ceil((x.expiresAt - now) / 1000)) });
    // A client in a login time buffer is listed as both blocked and suspicious (the original's rule).
    const suspiciousIps = new Set([...suspicious.map((x) => x.client), ...bruteForce.map((x) => x.client)]);
    return {
      total_ips: this.monitor.trackedClients(),
      blocked_ips: blocked.map((x) => x.client),
      suspicious_ips: [...suspiciousIps].slice(0, L.addresses),
      request_counts: Object.fromEntries(top.map((t) => [t.client, t.requests])),
      brute_force_ips: bruteForce.map(remaining),
      successful_block_ips: successBlocks.map(remaining),
      generated_at: new Date(now).toISOString(),
      mode: this.options.mode === 'observe' ? 'observe' : 'enforce',
      degraded: this.isDegraded(),
      requests_per_minute: this.monitor.requestsLastMinute(now),
      series: this.monitor.series(now),
      top_clients: top.map((t) => ({ client: t.client, requests: t.requests, state: d.stateOf(t.client, now) })),
      decisions,
      events: this.audit.recent(L.events),
      healing: this.lastHealing,
    };
  }
}
