import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@bouncer/contracts';

/** The authenticated caller, as the JWT guard leaves it on the request. */
export interface AuthUser {
  username: string;
  role: Role;
  /** Access token id. */
  jti: string;
  /** Access token expiry, seconds since the epoch. */
  exp: number;
  /** The session (refresh family) the token belongs to. */
  sid: string;
  /** Token issue time, seconds since the epoch. */
  iat: number;
  /** The account must change its password: this token permits only that (see PasswordChangeGuard). */
  mustChangePassword: boolean;
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<{ user: AuthUser }>().user;
});
