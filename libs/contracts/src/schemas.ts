/**
 * The response and request shapes as zod schemas: the one source of the contract types (each
 * type in `@bouncer/contracts` is inferred from one of these) and of the OpenAPI document's
 * component schemas (the API turns API_SCHEMAS into `components.schemas`). A separate entry
 * point: the dashboard imports only the types, and so never bundles zod.
 */
import {
  JwksResponseSchema,
  MeResponseSchema,
  DeviceViewSchema,
  SessionResponseSchema,
  TokenResponseSchema,
  ValidateTokenResponseSchema,
} from './schemas/auth.schema';
import { AdminStatsResponseSchema, DashboardDataResponseSchema, TrafficHistoryResponseSchema } from './schemas/dashboard.schema';
import {
  AccountClientPageSchema,
  AccountPageSchema,
  BulkDecisionResultSchema,
  ClientActivitySchema,
  DecisionPageSchema,
  DecisionViewSchema,
  ListEntrySchema,
  RoutePolicyViewSchema,
  RulesDocumentSchema,
  SecurityEventSchema,
} from './schemas/detection.schema';
import { LivenessResponseSchema, ReadinessResponseSchema } from './schemas/health.schema';
import { ProblemDetailsSchema } from './schemas/problem.schema';
import { PasswordResetResponseSchema, UserSessionSchema, UserSummarySchema } from './schemas/users.schema';

export * from './schemas/auth.schema';
export * from './schemas/dashboard.schema';
export * from './schemas/detection.schema';
export * from './schemas/health.schema';
export * from './schemas/problem.schema';
export * from './schemas/users.schema';

/** The named schemas of the OpenAPI document (`#/components/schemas/<name>`). */
export const API_SCHEMAS = {
  Problem: ProblemDetailsSchema,
  TokenResponse: TokenResponseSchema,
  SessionResponse: SessionResponseSchema,
  ValidateTokenResponse: ValidateTokenResponseSchema,
  MeResponse: MeResponseSchema,
  DeviceView: DeviceViewSchema,
  Jwks: JwksResponseSchema,
  UserSummary: UserSummarySchema,
  PasswordReset: PasswordResetResponseSchema,
  UserSession: UserSessionSchema,
  DecisionView: DecisionViewSchema,
  DecisionPage: DecisionPageSchema,
  BulkDecisionResult: BulkDecisionResultSchema,
  ListEntry: ListEntrySchema,
  SecurityEvent: SecurityEventSchema,
  ClientActivity: ClientActivitySchema,
  AccountPage: AccountPageSchema,
  AccountClientPage: AccountClientPageSchema,
  RulesDocument: RulesDocumentSchema,
  RoutePolicy: RoutePolicyViewSchema,
  DashboardData: DashboardDataResponseSchema,
  AdminStats: AdminStatsResponseSchema,
  TrafficHistory: TrafficHistoryResponseSchema,
  Liveness: LivenessResponseSchema,
  Readiness: ReadinessResponseSchema,
} as const;

export type ApiSchemaName = keyof typeof API_SCHEMAS;
