/** Roles a person can hold. Admins see the dashboard; users their home page. */
export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];

/** `POST /token` (OAuth2 password and refresh_token grants). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
  refresh_token: string;
  /** The account must change its password first: this access token permits only `GET /me` and `POST /me/password` (and signing out). */
  must_change_password: boolean;
}

/**
 * `POST /session` and `POST /session/refresh` (the browser flow): the refresh token
 * travels only in an httpOnly cookie, so the body carries the access token alone.
 */
export interface SessionResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  username: string;
  role: Role;
  /** As in TokenResponse: a restricted token until the password is changed. */
  must_change_password: boolean;
}

export interface LoginRequest {
  username: string;
  password: string;
}

/** `GET /validate-token` */
export interface ValidateTokenResponse {
  valid: true;
  username: string;
  role: Role;
}

/** One successful sign-in, shown on the user's home page. */
export interface SignInRecord {
  at: string;
  address: string;
  user_agent: string | null;
}

/** `GET /me` */
export interface MeResponse {
  username: string;
  role: Role;
  created_at: string;
  recent_sign_ins: SignInRecord[];
  /** An admin reset the password (or it was generated at first start): change it before anything else. */
  must_change_password: boolean;
}

/** `GET /me/devices`: the browsers remembered for the caller (they pass the account rule while it is under attack). */
export interface DeviceView {
  id: string;
  user_agent: string | null;
  created_at: string;
  last_used_at: string;
  expires_at: string;
}

/** `POST /me/password` */
export interface ChangePasswordRequest {
  current_password: string;
  new_password: string;
}

/**
 * The problem type of the 403 every route but `GET /me`, `POST /me/password` and signing out
 * answers to a token of an account that must change its password first.
 */
export const PASSWORD_CHANGE_REQUIRED_TYPE = 'urn:bouncer:problem:password-change-required';
