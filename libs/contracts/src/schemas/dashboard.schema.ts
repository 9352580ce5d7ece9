import { z } from 'zod';
import { ClientStateSchema, DecisionViewSchema, SecurityEventSchema } from './detection.schema';

/** Remaining seconds of a time buffer or login block, in the original's shape. */
export const RemainingEntrySchema = z.object({
  ip: z.string(),
  remaining: z.number(),
});

/** One bucket of the traffic series. */
export const SeriesPointSchema = z.object({
  /** Bucket start, ISO-8601. */
  t: z.string(),
  requests: z.int(),
  client_errors: z.int(),
  unauthorized: z.int(),
  blocks: z.int(),
});

export const TopClientSchema = z.object({
  client: z.string(),
  requests: z.int(),
  state: ClientStateSchema,
});

/** What the scheduled healing job did on its last run. */
export const HealingRunSchema = z.object({
  at: z.string(),
  duration_ms: z.number(),
  lifted: z.int(),
  pruned_counters: z.int(),
  trimmed_audit: z.int(),
});

/** `GET /dashboard-data` (admin only). The first six keys are the original's. */
/** One route class of the route policy, for the dashboard. */
export const RouteClassViewSchema = z.object({
  name: z.string(),
  requests: z.int(),
  allowed: z.int(),
  /** Passed, but a rule in observe mode would have refused. */
  observed: z.int(),
  refused: z.int(),
  /** Refusals by status ("401", "403", "429", …). */
  by_status: z.record(z.string(), z.int()),
  on_store_down: z.enum(['open', 'closed', 'local']),
  /** What the class does now: `normal`, or what it does while the shared store is unreachable. */
  store_down_now: z.enum(['normal', 'passing uncounted', 'refusing (503)', 'counting on this instance']),
});

export const DashboardDataResponseSchema = z.object({
  total_ips: z.int(),
  blocked_ips: z.array(z.string()),
  suspicious_ips: z.array(z.string()),
  /** Requests per client in the current window, top clients only (bounded). */
  request_counts: z.record(z.string(), z.number()),
  brute_force_ips: z.array(RemainingEntrySchema),
  successful_block_ips: z.array(RemainingEntrySchema),

  /** Distinct clients blocked and suspicious, uncapped (the two lists above hold at most 500). */
  counts: z.object({ blocked: z.int(), suspicious: z.int() }),
  generated_at: z.string(),
  mode: z.enum(['enforce', 'observe']),
  /** True when a shared store (Redis) is unreachable and this instance protects on its own. */
  degraded: z.boolean(),
  requests_per_minute: z.number(),
  /** Series over the last 15 minutes. */
  series: z.object({ bucket_seconds: z.int(), points: z.array(SeriesPointSchema) }),
  top_clients: z.array(TopClientSchema),
  decisions: z.array(DecisionViewSchema),
  /** The latest events, newest first (actor and detail clipped). */
  events: z.array(SecurityEventSchema),
  /** The latest decision and list events (blocked, lifted, cleared, list changes), newest first: a feed failed sign-ins cannot flood. */
  decision_events: z.array(SecurityEventSchema),
  healing: HealingRunSchema.nullable(),
  /** Requests to the protected API per route class of the route policy (forward-auth, reverse proxy), this instance since start. */
  route_classes: z.array(RouteClassViewSchema),
  /** The client key of the admin asking (their own polling shows among the busiest clients, tagged "you"). */
  viewer_client: z.string(),
});

/** `GET /admin/traffic`: the traffic series over a time range, in the finest bucket the kept history allows. */
export const TrafficHistoryResponseSchema = z.object({
  /** First bucket's start (the range's start rounded down to a bucket), ISO-8601. */
  from: z.string(),
  /** End of the range (exclusive), ISO-8601. */
  to: z.string(),
  /** Each point counts this many seconds: 10 within the last 15 minutes, whole minutes within 24 h, whole hours beyond. */
  bucket_seconds: z.int(),
  /** Nothing before this is known (the oldest stored bucket, or this process's start when none is stored): zeros before it are not quiet traffic. */
  history_since: z.string(),
  points: z.array(SeriesPointSchema),
});

/** `GET /admin/stats` (the original's shape). */
export const AdminStatsResponseSchema = z.object({
  total_ips: z.int(),
  blocked_ips: z.int(),
  system_health: z.enum(['ok', 'degraded']),
  active_threshold: z.number(),
});
