import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { type Counter, type CounterChild, type Histogram, MetricsRegistry } from './metrics-registry';

/** What a request was for: bounded, never a path, address or username. */
export type RouteClass = 'auth' | 'admin' | 'api' | 'docs' | 'other';
export type Outcome = '2xx' | '3xx' | '4xx' | '5xx' | 'blocked';

const ROUTE_CLASSES: readonly RouteClass[] = ['auth', 'admin', 'api', 'docs', 'other'];
const OUTCOMES: readonly Outcome[] = ['2xx', '3xx', '4xx', '5xx', 'blocked'];

export function routeClass(url: string | undefined): RouteClass {
  const path = url ?? '';
  if (path.startsWith('/admin')) return 'admin';
  if (path.startsWith('/token') || path.startsWith('/session') || path.startsWith('/.well-known')) return 'auth';
  if (path.startsWith('/validate-token') || path.startsWith('/me') || path.startsWith('/dashboard-data')) return 'api';
  if (path.startsWith('/docs')) return 'docs';
  // Everything else (unknown paths: a scanner's probing lands here).
  return 'other';
}

export function outcomeOf(status: number): Outcome {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : '2xx';
}

/** Who ended a decision, as a label: the kind of actor, never the actor's name. */
export function liftedBy(by: string): string {
  const kind = by.split(':', 1)[0] ?? '';
  return ['admin', 'rule', 'expiry', 'list', 'peer', 'healing'].includes(kind) ? kind : by === 'expired' ? 'expiry' : 'other';
}

/** Readings other parts register at start-up (the gauges read them when scraped). */
export interface MetricsSources {
  decisionCounts(): { blocked: number; suspicious: number };
  storeDegraded(): boolean;
  trackedClients(): number;
  unstored(): { decisions: number; revocations: number };
}

/**
 * This application's metrics (one registry per app: two apps in one process do not share
 * counts). Counters are bound to their label values once, so counting a request adds to a
 * number and allocates nothing.
 */
@Injectable()
export class Metrics implements OnModuleDestroy {
  readonly registry = new MetricsRegistry();
  private sources: MetricsSources | null = null;
  private readonly requests: Map<string, CounterChild>;
  readonly decisions: Counter;
  readonly lifts: Counter;
  readonly signIns: Counter;
  readonly tokenMisuse: Counter;
  readonly evictions: CounterChild;
  readonly storeRoundTrip: Histogram;
  private readonly loopDelay: IntervalHistogram;
  private readonly ruleKinds = new Map<string, string>();

  constructor() {
    const r = this.registry;
    const requests = r.counter(
      'bouncer_http_requests_total',
      'HTTP requests answered by this instance, by route class and outcome (blocked: refused by the client gate).',
      ['route_class', 'outcome'],
    );
    this.requests = new Map();
    for (const c of ROUTE_CLASSES) for (const o of OUTCOMES) this.requests.set(`${c}|${o}`, requests.labels(c, o));
    this.decisions = r.counter(
      'bouncer_decisions_total',
      'Decisions made by this instance, by rule, rule kind and state (blocked, suspicious, observed).',
      ['rule', 'kind', 'state'],
    );
    this.lifts = r.counter(
      'bouncer_lifts_total',
      'Decisions lifted by this instance, by the rule behind them and by whom (healing = expiry, admin, rule).',
      ['rule', 'by'],
    );
    this.signIns = r.counter('bouncer_sign_ins_total', 'Sign-in attempts answered by this instance, by outcome.', ['outcome']);
    for (const o of ['succeeded', 'failed']) this.signIns.labels(o);
    this.tokenMisuse = r.counter(
      'bouncer_token_misuse_events_total',
      'Token misuse seen by this instance: refresh_reuse (a rotated refresh token presented again), spread_revoked (a token used from too many clients, revoked).',
      ['kind'],
    );
    for (const k of ['refresh_reuse', 'spread_revoked']) this.tokenMisuse.labels(k);
    this.evictions = r
      .counter(
        'bouncer_tracked_client_evictions_total',
        'Clients dropped from the traffic picture because it was full (MAX_TRACKED_CLIENTS).',
      )
      .labels();
    this.storeRoundTrip = r.histogram(
      'bouncer_store_round_trip_seconds',
      'Round trip of the shared counter store (Redis) for one gate decision, seconds; empty with the embedded store.',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    );
    r.gauge(
      'bouncer_blocked_clients',
      "Clients currently blocked, in this instance's view of the cluster-wide decision book (every instance reports the same book).",
      () => this.read().decisionCounts().blocked,
    );
    r.gauge(
      'bouncer_suspicious_clients',
      "Clients currently suspicious, in this instance's view of the cluster-wide decision book.",
      () => this.read().decisionCounts().suspicious,
    );
    r.gauge('bouncer_store_degraded', '1 while the shared store (Redis) is unreachable and this instance counts on its own, else 0.', () =>
      this.read().storeDegraded() ? 1 : 0,
    );
    r.gauge('bouncer_tracked_clients', 'Clients tracked by this instance (its traffic picture).', () => this.read().trackedClients());
    r.gauge(
      'bouncer_unstored_decisions',
      'Decisions in force on this instance but not yet stored (the database did not answer).',
      () => this.read().unstored().decisions,
    );
    r.gauge(
      'bouncer_unstored_revocations',
      'Revocations in force on this instance but not yet stored (the database did not answer).',
      () => this.read().unstored().revocations,
    );
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    r.gauge('bouncer_event_loop_delay_seconds', 'Event-loop delay of this process since start, seconds (mean, p50, p99, max).', () => {
      const h = this.loopDelay;
      return [
        { labels: { stat: 'mean' }, value: h.mean / 1e9 },
        { labels: { stat: 'p50' }, value: h.percentile(50) / 1e9 },
        { labels: { stat: 'p99' }, value: h.percentile(99) / 1e9 },
        { labels: { stat: 'max' }, value: h.max / 1e9 },
      ].map((s) => ({ ...s, value: Number.isFinite(s.value) ? s.value : 0 }));
    });
    registerProcessMetrics(this.registry);
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  /** Registered once by the part that can read them (metrics/). */
  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  private read(): MetricsSources {
    if (!this.sources) throw new Error('metrics sources not registered');
    return this.sources;
  }

  request(cls: RouteClass, outcome: Outcome): void {
    this.requests.get(`${cls}|${outcome}`)?.inc();
  }

  /** Rule id to rule kind (from the rules in force); ids outside it are a person's or a list's. */
  setRuleKinds(kinds: Iterable<[string, string]>): void {
    for (const [id, kind] of kinds) this.ruleKinds.set(id, kind);
  }

  /** A decision made here; `state` is blocked, suspicious, or observed (a rule in observe mode). */
  decided(rule: string, state: string): void {
    this.decisions.labels(rule, this.ruleKinds.get(rule) ?? (rule === 'admin' ? 'manual' : 'list'), state).inc();
  }

  lifted(rule: string, by: string): void {
    this.lifts.labels(rule, liftedBy(by)).inc();
  }
}

/** The process metrics prom-client's collectDefaultMetrics gives, under the bouncer_ prefix. */
function registerProcessMetrics(r: MetricsRegistry): void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  r.gauge(
    'bouncer_process_cpu_seconds_total',
    'User and system CPU time spent by this process, seconds.',
    () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    'counter',
  );
  r.gauge('bouncer_process_resident_memory_bytes', 'Resident memory size, bytes.', () => process.memoryUsage.rss());
  r.gauge('bouncer_process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.', () => startSeconds);
  r.gauge('bouncer_nodejs_heap_size_used_bytes', 'V8 heap used, bytes.', () => process.memoryUsage().heapUsed);
  r.gauge('bouncer_nodejs_heap_size_total_bytes', 'V8 heap total, bytes.', () => process.memoryUsage().heapTotal);
  r.gauge(
    'bouncer_nodejs_external_memory_bytes',
    'Memory of C++ objects bound to JavaScript objects, bytes.',
    () => process.memoryUsage().external,
  );
  r.gauge('bouncer_nodejs_version_info', 'Node.js version.', () => [{ labels: { version: process.version }, value: 1 }]);
}
