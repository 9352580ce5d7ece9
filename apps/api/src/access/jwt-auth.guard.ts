import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ProblemException } from '../http/problem.exception';
import { IS_PUBLIC_KEY } from './public.decorator';

/** Global: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T, info: unknown): T {
    if (err instanceof ProblemException) throw err;
    if (err || !user) {
      const missing = info instanceof Error && /No auth token/i.test(info.message);
      const expired = info instanceof Error && info.name === 'TokenExpiredError';
      const detail = missing
        ? 'A bearer token is required.'
        : expired
          ? 'The access token has expired.'
          : 'The access token is invalid or has been revoked.';
      throw new ProblemException(401, 'Unauthorized', detail, {
        headers: {
          'WWW-Authenticate': missing
            ? 'Bearer realm="bouncer"'
            : `Bearer realm="bouncer", error="invalid_token", error_description="${detail.replace(/"/g, '')}"`,
        },
      });
    }
    return user;
  }
}
