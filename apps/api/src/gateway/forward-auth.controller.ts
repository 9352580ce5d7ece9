import { All, Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../access/public.decorator';
import { ProblemException } from '../http/problem.exception';
import { ForwardAuthReportDto } from './forward-auth.dto';
import { GatewayService } from './gateway.service';
import { type GatewayRequest, IDENTITY_HEADERS } from './gateway.types';

/**
 * The forward-auth contract of nginx `auth_request`, Traefik `forwardAuth` and Caddy
 * `forward_auth`: the proxy asks before forwarding, Bouncer answers 200 with the identity
 * headers or the refusal. The client gate does not count these requests (their peer is the
 * proxy; GatewayService counts the client the proxy vouches for).
 *
 * nginx passes only 401 and 403 from `auth_request` (anything else becomes 500), so when the
 * request names its original target in `X-Original-URI` (nginx's header) a 429 or 503 is sent as
 * 403 and the real status is in `X-Bouncer-Status`; the nginx snippet turns it back
 * (tools/nginx/forward-auth.conf). Every refusal carries `X-Bouncer-Status` and, for nginx,
 * its problem body in `X-Bouncer-Problem` (the auth response's body never reaches the client).
 */
@ApiExcludeController()
@Public()
@Controller('forward-auth')
export class ForwardAuthController {
  constructor(private readonly gateway: GatewayService) {}

  @All()
  async check(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const h = req.headers;
    const nginx = h['x-original-uri'] !== undefined;
    const original: GatewayRequest = {
      method: first(h['x-original-method']) ?? first(h['x-forwarded-method']) ?? 'GET',
      url: first(h['x-original-uri']) ?? first(h['x-forwarded-uri']) ?? '/',
      host: first(h['x-forwarded-host']) ?? first(h.host),
      proto: first(h['x-forwarded-proto']),
      peer: req.raw.socket.remoteAddress,
      headers: h,
      requestId: req.id,
    };
    const v = await this.gateway.check(original);
    void reply.header('cache-control', 'no-store');
    if (v.allowed) {
      // Every identity header, empty when there is none: a proxy copying a header Bouncer left
      // out may pass the client's own or (Caddy 2.6) a literal placeholder instead.
      const identity = Object.fromEntries(IDENTITY_HEADERS.map((h) => [h, v.upstreamHeaders[h] ?? '']));
      void reply.headers(identity).code(200).send();
      return;
    }
    const status = nginx && v.status !== 401 && v.status !== 403 ? 403 : v.status;
    void reply.headers({ ...v.headers, 'x-bouncer-status': String(v.status), 'x-bouncer-client': v.client });
    if (nginx) void reply.header('x-bouncer-problem', v.body);
    void reply.code(status).send(v.body);
  }

  /**
   * A trusted proxy reports what the protected API answered (Traefik, custom proxies). nginx and
   * Caddy report through their access log instead (GATEWAY_LOG_LISTEN, gateway-log.receiver.ts).
   */
  @Post('report')
  @HttpCode(204)
  async report(@Req() req: FastifyRequest, @Body() body: ForwardAuthReportDto): Promise<void> {
    const peer = req.raw.socket.remoteAddress;
    if (!this.gateway.isTrustedProxy(peer))
      throw new ProblemException(403, 'Forbidden', 'Only a trusted proxy (TRUSTED_PROXIES) may report answers.', {
        type: 'urn:bouncer:problem:not-a-trusted-proxy',
      });
    const client = body.client ? this.gateway.clientOf(body.client, {}) : this.gateway.clientOf(peer, req.headers);
    await this.gateway.report({
      client,
      method: body.method,
      url: body.uri,
      status: body.status,
      username: body.username ?? null,
      requestId: req.id,
    });
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
