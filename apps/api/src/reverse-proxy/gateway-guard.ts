import { Injectable, Logger } from '@nestjs/common';
import type { SignInTicket } from '@bouncer/detection';
import { GatewayService } from '../gateway/gateway.service';
import type { GatewayAllow } from '../gateway/gateway.types';
import { signInUsername } from '../gateway/sign-in-username';
import type { GuardedRequest, GuardRefusal, GuardVerdict, UpstreamGuard } from './upstream-guard';

interface Ticket {
  client: string;
  routeClass: string;
  signIn: GatewayAllow['signIn'];
  username: string | null;
  signInTicket?: SignInTicket;
}

/** The reverse proxy's guard: the same GatewayService forward-auth uses (one policy, one set of rules). */
@Injectable()
export class GatewayUpstreamGuard implements UpstreamGuard {
  private readonly logger = new Logger('ReverseProxy');

  constructor(private readonly gateway: GatewayService) {}

  async check(req: GuardedRequest): Promise<GuardVerdict> {
    const v = await this.gateway.check({
      method: req.method,
      url: req.url,
      host: req.host,
      proto: req.proto,
      peer: req.peer,
      headers: req.headers,
      requestId: req.requestId,
    });
    if (!v.allowed) return { allowed: false, status: v.status, headers: v.headers, body: v.body };
    const ticket: Ticket = { client: v.client, routeClass: v.routeClass, signIn: v.signIn, username: null };
    return {
      allowed: true,
      identity: v.upstreamHeaders,
      // `upstream_auth: strip`: the upstream trusts the X-Bouncer-* identity and never sees the client's credentials.
      stripAuthorization: v.upstreamAuth === 'strip',
      signIn: v.signIn !== null,
      ticket,
    };
  }

  async admitSignIn(ticket: unknown, req: GuardedRequest, body: Buffer): Promise<GuardRefusal | null> {
    const t = ticket as Ticket;
    const field = t.signIn?.usernameField ?? null;
    const type = req.headers['content-type'];
    t.username = field ? signInUsername(field, Array.isArray(type) ? type[0] : type, body) : null;
    const admission = await this.gateway.beginSignIn(t.client, t.routeClass, t.username, req.requestId);
    if (!admission.admitted) return admission.refusal;
    t.signInTicket = admission.ticket;
    return null;
  }

  answered(ticket: unknown, req: GuardedRequest, status: number): void {
    const t = ticket as Ticket;
    this.gateway
      .report({
        client: t.client,
        routeClass: t.routeClass,
        method: req.method,
        url: req.url,
        status,
        username: t.username,
        ticket: t.signInTicket,
        requestId: req.requestId,
      })
      .catch((err: Error) => this.logger.warn(`counting the upstream's answer failed: ${err.message}`));
  }
}
