import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The exposition format /metrics answers in (Prometheus text 0.0.4). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

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
 * One label set of a counter, bound once. Why not prom-client's own `labels()` child: its `inc`
 * hashes and validates the label object on every call. Here `inc` adds to a number (no
 * allocation on the request path) and the counter takes the sum when it is scraped.
 */
export class CounterChild {
  pending = 0;

  inc(by = 1): void {
    this.pending += by;
  }
}

/** A prom-client Counter whose label sets are bound once (see CounterChild). */
export class BoundCounter {
  private readonly children = new Map<string, { labels: Record<string, string>; child: CounterChild }>();

  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly string[] = [],
  ) {
    const children = this.children;
    new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        for (const { labels, child } of children.values()) {
          if (child.pending === 0) continue;
          this.inc(labels, child.pending);
          child.pending = 0;
        }
      },
    });
    this.counter = registry.getSingleMetric(name) as Counter<string>;
  }

  private readonly counter: Counter<string>;

  /** The child for these label values; keep it. A new label set shows at 0 from now on. */
  labels(...values: string[]): CounterChild {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, child: new CounterChild() };
      this.children.set(key, entry);
      this.counter.inc(labels, 0);
    }
    return entry.child;
  }
}

/**
 * This application's metrics, on prom-client with a registry of its own (two apps in one
 * process do not share counts), plus its default process metrics under the bouncer_ prefix.
 */
@Injectable()
export class Metrics implements OnModuleDestroy {
  readonly registry = new Registry();
  private sources: MetricsSources | null = null;
  /** Per route class, per outcome: plain property reads on the request path (no key to build and hash). */
  private readonly requests = {} as Record<RouteClass, Record<Outcome, CounterChild>>;
  readonly decisions: BoundCounter;
  readonly lifts: BoundCounter;
  readonly signIns: BoundCounter;
  readonly tokenMisuse: BoundCounter;
  readonly evictions: CounterChild;
  readonly storeRoundTrip: Histogram;
  private readonly loopDelay: IntervalHistogram;
  private readonly ruleKinds = new Map<string, string>();

  constructor() {
    const r = this.registry;
    const requests = new BoundCounter(
      r,
      'bouncer_http_requests_total',
      'HTTP requests answered by this instance, by route class and outcome (blocked: refused by the client gate).',
      ['route_class', 'outcome'],
    );
    for (const c of ROUTE_CLASSES) {
      const byOutcome = {} as Record<Outcome, CounterChild>;
      for (const o of OUTCOMES) byOutcome[o] = requests.labels(c, o);
      this.requests[c] = byOutcome;
    }
    this.decisions = new BoundCounter(
      r,
      'bouncer_decisions_total',
      'Decisions made by this instance, by rule, rule kind and state (blocked, suspicious, observed).',
      ['rule', 'kind', 'state'],
    );
    this.lifts = new BoundCounter(
      r,
      'bouncer_lifts_total',
      'Decisions lifted by this instance, by the rule behind them and by whom (healing = expiry, admin, rule).',
      ['rule', 'by'],
    );
    this.signIns = new BoundCounter(r, 'bouncer_sign_ins_total', 'Sign-in attempts answered by this instance, by outcome.', ['outcome']);
    for (const o of ['succeeded', 'failed']) this.signIns.labels(o);
    this.tokenMisuse = new BoundCounter(
      r,
      'bouncer_token_misuse_events_total',
      'Token misuse seen by this instance: refresh_reuse (a rotated refresh token presented again), spread_revoked (a token used from too many clients, revoked).',
      ['kind'],
    );
    for (const k of ['refresh_reuse', 'spread_revoked']) this.tokenMisuse.labels(k);
    this.evictions = new BoundCounter(
      r,
      'bouncer_tracked_client_evictions_total',
      'Clients dropped from the traffic picture because it was full (MAX_TRACKED_CLIENTS).',
    ).labels();
    this.storeRoundTrip = new Histogram({
      name: 'bouncer_store_round_trip_seconds',
      help: 'Round trip of the shared counter store (Redis) for one gate decision, seconds; empty with the embedded store.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [r],
    });
    const reading = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          // A reading that fails shows as NaN (unknown), and the other families still answer.
          this.set(safely(read));
        },
      });
    reading(
      'bouncer_blocked_clients',
      "Clients currently blocked, in this instance's view of the cluster-wide decision book (every instance reports the same book).",
      () => this.read().decisionCounts().blocked,
    );
    reading(
      'bouncer_suspicious_clients',
      "Clients currently suspicious, in this instance's view of the cluster-wide decision book.",
      () => this.read().decisionCounts().suspicious,
    );
    reading('bouncer_store_degraded', '1 while the shared store (Redis) is unreachable and this instance counts on its own, else 0.', () =>
      this.read().storeDegraded() ? 1 : 0,
    );
    reading('bouncer_tracked_clients', 'Clients tracked by this instance (its traffic picture).', () => this.read().trackedClients());
    reading(
      'bouncer_unstored_decisions',
      'Decisions in force on this instance but not yet stored (the database did not answer).',
      () => this.read().unstored().decisions,
    );
    reading(
      'bouncer_unstored_revocations',
      'Revocations in force on this instance but not yet stored (the database did not answer).',
      () => this.read().unstored().revocations,
    );
    // Since start, unlike the default metrics' nodejs_eventloop_lag_* (reset at every scrape): the
    // alert rules and the dashboard read this one.
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    const loopDelay = this.loopDelay;
    new Gauge({
      name: 'bouncer_event_loop_delay_seconds',
      help: 'Event-loop delay of this process since start, seconds (mean, p50, p99, max).',
      labelNames: ['stat'],
      registers: [r],
      collect() {
        const stats: [string, number][] = [
          ['mean', loopDelay.mean],
          ['p50', loopDelay.percentile(50)],
          ['p99', loopDelay.percentile(99)],
          ['max', loopDelay.max],
        ];
        for (const [stat, ns] of stats) this.set({ stat }, Number.isFinite(ns) ? ns / 1e9 : 0);
      },
    });
    // CPU, memory, heap, handles, GC, event-loop lag, version: prom-client's, named bouncer_process_* and bouncer_nodejs_*.
    collectDefaultMetrics({ register: r, prefix: 'bouncer_' });
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  /** The exposition of every family, as GET /metrics answers it. */
  render(): Promise<string> {
    return this.registry.metrics();
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
    this.requests[cls]?.[outcome]?.inc();
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

function safely(read: () => number): number {
  try {
    return read();
  } catch {
    return NaN;
  }
}
