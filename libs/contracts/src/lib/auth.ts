import type { z } from 'zod';
import type * as S from '../schemas/auth.schema';

// Each type is inferred from its zod schema in ../schemas (the one source, also of the OpenAPI
// document); `import type` only, so importing these never bundles zod.

/** Roles a person can hold. Admins see the dashboard; users their home page. */
export type Role = z.infer<typeof S.RoleSchema>;
export const ROLES: readonly Role[] = ['admin', 'user'];

/** `POST /token` (OAuth2 password and refresh_token grants). */
export type TokenResponse = z.infer<typeof S.TokenResponseSchema>;

/** `POST /session` and `POST /session/refresh`: the refresh token travels only in an httpOnly cookie. */
export type SessionResponse = z.infer<typeof S.SessionResponseSchema>;

export type LoginRequest = z.infer<typeof S.LoginRequestSchema>;

/** `GET /validate-token` */
export type ValidateTokenResponse = z.infer<typeof S.ValidateTokenResponseSchema>;

/** One successful sign-in, shown on the user's home page. */
export type SignInRecord = z.infer<typeof S.SignInRecordSchema>;

/** `GET /me` */
export type MeResponse = z.infer<typeof S.MeResponseSchema>;

/** `GET /me/devices`: the browsers remembered for the caller. */
export type DeviceView = z.infer<typeof S.DeviceViewSchema>;

/** `POST /me/password` */
export type ChangePasswordRequest = z.infer<typeof S.ChangePasswordRequestSchema>;

/** `GET /.well-known/jwks.json` */
export type JwksResponse = z.infer<typeof S.JwksResponseSchema>;

/**
 * The problem type of the 403 every route but `GET /me`, `POST /me/password` and signing out
 * answers to a token of an account that must change its password first.
 */
export const PASSWORD_CHANGE_REQUIRED_TYPE = 'urn:bouncer:problem:password-change-required';

/** A failed sign-in at the caller's account, or its throttling (in `GET /me`). */
export type SignInFailure = z.infer<typeof S.SignInFailureSchema>;
