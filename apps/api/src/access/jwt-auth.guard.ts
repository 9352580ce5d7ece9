import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { ProblemException } from '../http/problem.exception';
import {
  BEARER_AUTHENTICATOR,
  type BearerAuthenticator,
  BearerRefusal,
  bearerUnauthorized,
  passwordChangeRequired,
} from './bearer-authenticator';
import type { AuthUser } from './current-user.decorator';
import { ALLOWED_BEFORE_PASSWORD_CHANGE_KEY } from './password-change.decorator';
import { IS_PUBLIC_KEY } from './public.decorator';

/**
 * Global: every route needs a valid bearer token unless marked @Public().
 *
 * Why not @nestjs/passport's AuthGuard: passport keeps strategies in one process-wide registry by
 * name, so two applications in one process (two instances of a deployment in a test, or an
 * embedding host) silently share whichever 'jwt' strategy registered last, with that
 * instance's key and revocations. The authenticator here is this application's own provider.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private authenticator?: BearerAuthenticator;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    // Resolved on first use: auth/ provides it, and access/ must not import auth/.
    this.authenticator ??= this.moduleRef.get<BearerAuthenticator>(BEARER_AUTHENTICATOR, { strict: false });
    const request = context.switchToHttp().getRequest<{ user?: AuthUser }>();
    let user: AuthUser;
    try {
      user = await this.authenticator.authenticate(request);
    } catch (err) {
      if (err instanceof ProblemException) throw err;
      throw bearerUnauthorized(err instanceof BearerRefusal ? err.reason : 'invalid');
    }
    request.user = user;
    // Here, before the role check: an admin whose password was reset gets this answer on /admin too.
    if (user.mustChangePassword && !this.allowedBeforePasswordChange(context)) throw passwordChangeRequired();
    return true;
  }

  private allowedBeforePasswordChange(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean>(ALLOWED_BEFORE_PASSWORD_CHANGE_KEY, [context.getHandler(), context.getClass()]) === true
    );
  }
}
