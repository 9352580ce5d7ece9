import type { AuthUser } from './current-user.decorator';

/**
 * Turns a request's bearer token into its caller, or throws. Provided by `auth/` (which owns
 * tokens) and run by the global JwtAuthGuard, so `access/` depends on no feature.
 */
export interface BearerAuthenticator {
  /** The caller; throws a ProblemException (401) or an Error describing why the token is refused. */
  authenticate(request: unknown): Promise<AuthUser>;
}

export const BEARER_AUTHENTICATOR = Symbol('BEARER_AUTHENTICATOR');

/** Why a bearer token was refused, for the 401's wording. */
export class BearerRefusal extends Error {
  constructor(readonly reason: 'missing' | 'expired' | 'invalid') {
    super(`bearer token ${reason}`);
  }
}
