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
import { RouteMetadata } from './route-metadata';

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
  private readonly isPublic: RouteMetadata<boolean>;
  private readonly allowedBeforePasswordChange: RouteMetadata<boolean>;

  constructor(
    reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {
    this.isPublic = new RouteMetadata(reflector, IS_PUBLIC_KEY);
    this.allowedBeforePasswordChange = new RouteMetadata(reflector, ALLOWED_BEFORE_PASSWORD_CHANGE_KEY);
  }

  /** Answers at once (no promise) when the authenticator does, as it does on the embedded store. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic.of(context.getHandler(), context.getClass())) return true;
    // Resolved on first use: auth/ provides it, and access/ must not import auth/.
    this.authenticator ??= this.moduleRef.get<BearerAuthenticator>(BEARER_AUTHENTICATOR, { strict: false });
    const request = context.switchToHttp().getRequest<{ user?: AuthUser }>();
    let user: AuthUser | Promise<AuthUser>;
    try {
      user = this.authenticator.authenticate(request);
    } catch (err) {
      throw refusal(err);
    }
    if (user instanceof Promise)
      return user.then(
        (u) => this.admit(context, request, u),
        (err: unknown) => {
          throw refusal(err);
        },
      );
    return this.admit(context, request, user);
  }

  private admit(context: ExecutionContext, request: { user?: AuthUser }, user: AuthUser): boolean {
    request.user = user;
    // Here, before the role check: an admin whose password was reset gets this answer on /admin too.
    if (user.mustChangePassword && this.allowedBeforePasswordChange.of(context.getHandler(), context.getClass()) !== true)
      throw passwordChangeRequired();
    return true;
  }
}

function refusal(err: unknown): ProblemException {
  if (err instanceof ProblemException) return err;
  return bearerUnauthorized(err instanceof BearerRefusal ? err.reason : 'invalid');
}
