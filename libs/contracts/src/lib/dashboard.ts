import type { z } from 'zod';
import type * as S from '../schemas/dashboard.schema';
import type * as H from '../schemas/health.schema';

/** Remaining seconds of a time buffer or login block, in the original's shape. */
export type RemainingEntry = z.infer<typeof S.RemainingEntrySchema>;

/** One bucket of the traffic series. */
export type SeriesPoint = z.infer<typeof S.SeriesPointSchema>;

export type TopClient = z.infer<typeof S.TopClientSchema>;

/** What the scheduled healing job did on its last run. */
export type HealingRun = z.infer<typeof S.HealingRunSchema>;

/** `GET /dashboard-data` (admin only). The first six keys are the original's. */
export type DashboardDataResponse = z.infer<typeof S.DashboardDataResponseSchema>;

/** `GET /admin/traffic`: the series over a time range. */
export type TrafficHistoryResponse = z.infer<typeof S.TrafficHistoryResponseSchema>;

/** `GET /admin/stats` (the original's shape). */
export type AdminStatsResponse = z.infer<typeof S.AdminStatsResponseSchema>;

/** `GET /health` */
export type LivenessResponse = z.infer<typeof H.LivenessResponseSchema>;

/** A part that is down, and what the instance does instead (in `GET /health/ready`). */
export type Fallback = z.infer<typeof H.FallbackSchema>;

/** `GET /health/ready` */
export type ReadinessResponse = z.infer<typeof H.ReadinessResponseSchema>;

/** One route class of the route policy, for the dashboard. */
export type RouteClassView = z.infer<typeof S.RouteClassViewSchema>;
