import { PASSWORD_CHANGE_REQUIRED_TYPE } from '@bouncer/contracts';
import { ProblemException } from '../http/problem.exception';
import type { AuthUser } from './current-user.decorator';

/**
 * Turns a request's bearer token into its caller, or throws. Provided by `auth/` (which owns
 * tokens) and run by the global JwtAuthGuard, so `access/` depends on no feature.
 */
export interface BearerAuthenticator {
  /**
   * The caller; throws (or rejects with) a ProblemException (401) or an Error describing why the
   * token is refused. May answer at once: the guard then answers without a turn of the event loop.
   */
  authenticate(request: unknown): AuthUser | Promise<AuthUser>;
}

export const BEARER_AUTHENTICATOR = Symbol('BEARER_AUTHENTICATOR');

/** Why a bearer token was refused, for the 401's wording. */
export class BearerRefusal extends Error {
  constructor(readonly reason: 'missing' | 'expired' | 'invalid') {
    super(`bearer token ${reason}`);
  }
}

/** The 401 for a refused bearer token, with the WWW-Authenticate challenge RFC 6750 asks for. */
export function bearerUnauthorized(reason: BearerRefusal['reason']): ProblemException {
  const detail =
    reason === 'missing'
      ? 'A bearer token is required.'
      : reason === 'expired'
        ? 'The access token has expired.'
        : 'The access token is invalid or has been revoked.';
  return new ProblemException(401, 'Unauthorized', detail, {
    headers: {
      'WWW-Authenticate':
        reason === 'missing' ? 'Bearer realm="bouncer"' : `Bearer realm="bouncer", error="invalid_token", error_description="${detail}"`,
    },
  });
}

/**
 * The 403 for a token of an account that must change its password first: such a token permits
 * only the password change (and `GET /me`, signing out), on Bouncer's routes and through the
 * gateway alike.
 */
export function passwordChangeRequired(): ProblemException {
  return new ProblemException(403, 'Forbidden', 'Change your password first (POST /me/password); this session permits nothing else.', {
    type: PASSWORD_CHANGE_REQUIRED_TYPE,
  });
}
