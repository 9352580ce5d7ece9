import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { markUnattributed } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { PublicOrigin } from '../http/public-origin';

/**
 * The cookie routes (sign-in, refresh, sign-out) answer only the dashboard's own pages, with
 * JSON bodies. A page on another site can make a browser send a form post (no preflight) with
 * the visitor's cookies, or sign the visitor in as the attacker (login CSRF): refused here,
 * before the sign-in throttle counts the request and before any cookie is read or set.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(private readonly origin: PublicOrigin) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const refusal = this.origin.crossSiteRefusal(req.raw);
    if (refusal) {
      // Another site's doing, not the visitor's: it must not get the visitor blocked for probing.
      markUnattributed(req);
      throw new ProblemException(403, 'Forbidden', refusal, { type: 'urn:bouncer:problem:cross-site-request' });
    }
    const type = req.headers['content-type'];
    if (type !== undefined && type.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      throw new ProblemException(415, 'Unsupported Media Type', 'This route accepts only application/json bodies.');
    }
    return true;
  }
}
