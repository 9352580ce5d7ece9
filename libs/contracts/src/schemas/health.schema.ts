import { z } from 'zod';
import { HealingRunSchema } from './dashboard.schema';

/** `GET /health`: liveness (the process answers), with the healing job's last run. */
export const LivenessResponseSchema = z.object({
  status: z.literal('ok'),
  healing: HealingRunSchema.nullable(),
});

/** A part that is down, and what the instance does instead (for the on-call engineer reading the probe). */
export const FallbackSchema = z.object({
  part: z.enum(['database', 'redis']),
  state: z.enum(['unreachable', 'unstored']),
  instead: z.string(),
});

const queueSchema = z.object({ queued: z.int(), dropped: z.int() });

/** `GET /health/ready`: 200 when ready or degraded, 503 (same body) when unavailable or draining. */
export const ReadinessResponseSchema = z.object({
  /** ready: every promise kept; degraded: serving with a fallback (still 200); unavailable/draining: 503. */
  status: z.enum(['ready', 'degraded', 'unavailable', 'draining']),
  database: z.string(),
  shared_store: z.string(),
  degraded: z.boolean(),
  fallbacks: z.array(FallbackSchema),
  /** Effects in force here that wait for the database (see DecisionRecorder and RevocationService). */
  unstored: z.object({ decisions: queueSchema, revocations: queueSchema }),
  /** Per route class of the route policy: what it does about a lost shared store, and what it does now. */
  route_classes: z.array(
    z.object({
      name: z.string(),
      on_store_down: z.enum(['open', 'closed', 'local']),
      now: z.enum(['normal', 'passing uncounted', 'refusing (503)', 'counting on this instance']),
    }),
  ),
  /** Reverse-proxy mode only: whether UPSTREAM_URL accepts connections (never a reason for 503). */
  upstream: z.enum(['ok', 'unreachable']).optional(),
});
