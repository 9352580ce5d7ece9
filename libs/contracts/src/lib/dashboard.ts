import type { ClientState, DecisionView, SecurityEvent } from './detection';

/** Remaining seconds of a time buffer or login block, in the original's shape. */
export interface RemainingEntry {
  ip: string;
  remaining: number;
}

/** One bucket of the traffic series. */
export interface SeriesPoint {
  /** Bucket start, ISO-8601. */
  t: string;
  requests: number;
  client_errors: number;
  unauthorized: number;
  blocks: number;
}

export interface TopClient {
  client: string;
  requests: number;
  state: ClientState;
}

/** What the scheduled healing job did on its last run. */
export interface HealingRun {
  at: string;
  duration_ms: number;
  lifted: number;
  pruned_counters: number;
  trimmed_audit: number;
}

/** `GET /dashboard-data` (admin only). The first six keys are the original's. */
export interface DashboardDataResponse {
  total_ips: number;
  blocked_ips: string[];
  suspicious_ips: string[];
  /** Requests per client in the current window, top clients only (bounded). */
  request_counts: Record<string, number>;
  brute_force_ips: RemainingEntry[];
  successful_block_ips: RemainingEntry[];

  generated_at: string;
  mode: 'enforce' | 'observe';
  /** True when a shared store (Redis) is unreachable and this instance protects on its own. */
  degraded: boolean;
  requests_per_minute: number;
  /** Series over the last 15 minutes. */
  series: { bucket_seconds: number; points: SeriesPoint[] };
  top_clients: TopClient[];
  decisions: DecisionView[];
  /** The latest events, newest first (actor and detail clipped). */
  events: SecurityEvent[];
  /** The latest decision and list events (blocked, lifted, cleared, list changes), newest first: a feed failed sign-ins cannot flood. */
  decision_events: SecurityEvent[];
  healing: HealingRun | null;
  /** Requests to the protected API per route class of the route policy (forward-auth, reverse proxy), this instance since start. */
  route_classes: RouteClassView[];
}

/** One route class of the route policy, for the dashboard. */
export interface RouteClassView {
  name: string;
  requests: number;
  allowed: number;
  /** Passed, but a rule in observe mode would have refused. */
  observed: number;
  refused: number;
  /** Refusals by status ("401", "403", "429", …). */
  by_status: Record<string, number>;
  on_store_down: 'open' | 'closed' | 'local';
  /** What the class does now: `normal`, or what it does while the shared store is unreachable. */
  store_down_now: 'normal' | 'passing uncounted' | 'refusing (503)' | 'counting on this instance';
}

/** `GET /admin/stats` (the original's shape). */
export interface AdminStatsResponse {
  total_ips: number;
  blocked_ips: number;
  system_health: 'ok' | 'degraded';
  active_threshold: number;
}
