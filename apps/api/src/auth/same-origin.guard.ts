import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { markUnattributed } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { PublicOrigin } from '../http/public-origin';

/**
 * The sign-in routes answer no page of another site. A page can make its visitors' browsers
 * post forms (no preflight needed) to /token or /session: to sign them in as the attacker
 * (login CSRF), or to spend their client's sign-in budget and buy it a sign-in buffer with
 * wrong passwords (a block by proxy). Refused here, before the sign-in throttle and rules
 * count the request, and not counted as probing: it is the other site's doing. API clients
 * (curl, servers) send no Sec-Fetch-Site and no Origin and are not affected.
 */
@Injectable()
export class NoCrossSiteGuard implements CanActivate {
  constructor(private readonly origin: PublicOrigin) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const refusal = this.origin.crossSiteRefusal(req.raw);
    if (refusal) {
      markUnattributed(req);
      throw new ProblemException(403, 'Forbidden', refusal, { type: 'urn:bouncer:problem:cross-site-request' });
    }
    return true;
  }
}

/**
 * The cookie routes (sign-in, refresh, sign-out) also take JSON bodies only: a cross-site form
 * cannot send JSON without a CORS preflight, so a browser without Fetch Metadata or Origin
 * still cannot be made to post to them.
 */
@Injectable()
export class SameOriginGuard extends NoCrossSiteGuard {
  override canActivate(context: ExecutionContext): boolean {
    super.canActivate(context);
    const type = context.switchToHttp().getRequest<FastifyRequest>().headers['content-type'];
    if (type !== undefined && type.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
      throw new ProblemException(415, 'Unsupported Media Type', 'This route accepts only application/json bodies.');
    }
    return true;
  }
}
