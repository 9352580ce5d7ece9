import { z } from 'zod';

/** Roles a person can hold. Admins see the dashboard; users their home page. */
export const RoleSchema = z.enum(['admin', 'user']);

/** `POST /token` (OAuth2 password and refresh_token grants). */
export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  /** Seconds until the access token expires. */
  expires_in: z.int().describe('Seconds until the access token expires.'),
  refresh_token: z.string(),
  /** The account must change its password first: the access token permits only `GET /me`, `POST /me/password` and signing out. */
  must_change_password: z.boolean(),
});

/**
 * `POST /session` and `POST /session/refresh` (the browser flow): the refresh token
 * travels only in an httpOnly cookie, so the body carries the access token alone.
 */
export const SessionResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.int(),
  username: z.string(),
  role: RoleSchema,
  /** The account must change its password first: the access token permits only `GET /me`, `POST /me/password` and signing out. */
  must_change_password: z.boolean(),
});

export const LoginRequestSchema = z.object({
  username: z.string(),
  password: z.string(),
});

/** `GET /validate-token` */
export const ValidateTokenResponseSchema = z.object({
  valid: z.literal(true),
  username: z.string(),
  role: RoleSchema,
});

/** One successful sign-in, shown on the user's home page. */
export const SignInRecordSchema = z.object({
  at: z.string(),
  address: z.string(),
  user_agent: z.string().nullable(),
});

/** A failed sign-in at the caller's account, or the account being throttled because of them ("was this you?"). */
export const SignInFailureSchema = z.object({
  at: z.string(),
  /** The client that tried (its client key), when known. */
  address: z.string().nullable(),
  /** failed: a wrong password for this account; throttled: the account's checks were slowed after many failures. */
  kind: z.enum(['failed', 'throttled']),
});

/** `GET /me` */
export const MeResponseSchema = z.object({
  username: z.string(),
  role: RoleSchema,
  created_at: z.string(),
  recent_sign_ins: z.array(SignInRecordSchema),
  /** Failed sign-ins and throttling against this account in the last 7 days, newest first (at most 20). */
  recent_failures: z.array(SignInFailureSchema),
  /** The account must change its password first: the access token permits only `GET /me`, `POST /me/password` and signing out. */
  must_change_password: z.boolean(),
});

/** `GET /me/devices`: the browsers remembered for the caller (they pass the account rule while it is under attack). */
export const DeviceViewSchema = z.object({
  id: z.string(),
  user_agent: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string(),
  expires_at: z.string(),
});

/** `POST /me/password` */
export const ChangePasswordRequestSchema = z.object({
  current_password: z.string(),
  new_password: z.string(),
});

/** One public key of `GET /.well-known/jwks.json` (RFC 7517; ES256 keys today). */
export const JsonWebKeySchema = z.looseObject({
  kty: z.string(),
  kid: z.string().optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
  crv: z.string().optional(),
  x: z.string().optional(),
  y: z.string().optional(),
});

/** `GET /.well-known/jwks.json`: the keys that verify Bouncer's access tokens. */
export const JwksResponseSchema = z.object({ keys: z.array(JsonWebKeySchema) });
