import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANSWER_HEADERS, type AnswerHeaders, CLIENT_KEY, COUNTED_BY_GATEWAY, isForeignPageRequest, UNATTRIBUTED } from './client-key';
import { DetectionService, type GateVerdict } from './detection.service';
import { blockedAnswer } from './refusal-page';
import { RefusalPacing } from './refusal-pacing';
import { outcomeOf, routeClass } from '../core/metrics';

/**
 * The probes and the metrics scrape: a load balancer, orchestrator or Prometheus polls them
 * often, several behind one address. Counting them would block the monitor (and then the
 * instance would look dead); refusing them to a blocked client would make a block look like an
 * outage. /metrics is still refused without its token (MetricsController).
 */
const PROBE_PATHS = new Set(['/health', '/health/ready', '/metrics']);

/**
 * The forward-auth endpoint: its peer is the proxy, and the gateway counts the client the proxy
 * vouches for (once, there). Counting here as well would count every request twice, and any
 * refusal it answers (a 401, a 403) as the proxy's probing or the client's.
 */
export function isGatewayPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  return path === '/forward-auth' || path.startsWith('/forward-auth/');
}

export function isProbePath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0] ?? '';
  return PROBE_PATHS.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

type GateRequest = IncomingMessage & {
  originalUrl?: string;
  [CLIENT_KEY]?: string;
  [UNATTRIBUTED]?: boolean;
  [ANSWER_HEADERS]?: AnswerHeaders;
  [COUNTED_BY_GATEWAY]?: boolean;
};

/**
 * The first thing every request meets. On Fastify it runs in the onRequest hook, before the
 * body is read and before authentication, so refusing a blocked client costs almost nothing.
 */
@Injectable()
export class ClientGateMiddleware implements NestMiddleware {
  constructor(
    private readonly detection: DetectionService,
    private readonly pacing: RefusalPacing,
  ) {}

  use(req: GateRequest, res: ServerResponse, next: () => void): void {
    // Mounted middleware sees its url relative to the mount point; originalUrl is the request's.
    if (
      !this.detection.enabled ||
      req[COUNTED_BY_GATEWAY] ||
      isProbePath(req.originalUrl ?? req.url) ||
      isGatewayPath(req.originalUrl ?? req.url)
    ) {
      req[CLIENT_KEY] = this.detection.identity.resolve(req.socket.remoteAddress, req.headers);
      return next();
    }
    const verdict = this.detection.admit(req.socket.remoteAddress, req.headers);
    if (verdict instanceof Promise) {
      const started = process.hrtime.bigint();
      const timed = () => this.detection.metrics?.storeRoundTrip.observe(Number(process.hrtime.bigint() - started) / 1e9);
      // A shared store answers later; a store that fails lets the request through (fail open, logged).
      verdict.then(
        (v) => {
          timed();
          this.pass(v, req, res, next);
        },
        () => {
          timed();
          next();
        },
      );
    } else this.pass(verdict, req, res, next);
  }

  private pass(verdict: GateVerdict, req: GateRequest, res: ServerResponse, next: () => void): void {
    req[CLIENT_KEY] = verdict.client;
    const metrics = this.detection.metrics;
    const cls = routeClass(req.originalUrl ?? req.url);
    if (verdict.blocked) {
      metrics?.request(cls, 'blocked');
      const { body, retryAfter, contentType } = blockedAnswer(verdict.blocked, this.detection.options.rules, req.method, req.headers);
      const headers = {
        ...req[ANSWER_HEADERS]?.(req),
        'content-type': contentType,
        'retry-after': String(retryAfter),
        'content-length': Buffer.byteLength(body),
      };
      // Held first while the event loop is overloaded (see RefusalPacing); the client may be gone by then.
      this.pacing.answer(verdict.client, retryAfter, () => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(403, headers);
        res.end(body);
      });
      return;
    }
    const client = verdict.client;
    const foreign = isForeignPageRequest(req.headers);
    res.once('finish', () => {
      metrics?.request(cls, outcomeOf(res.statusCode));
      this.detection.answered(client, res.statusCode, !foreign && !req[UNATTRIBUTED]);
    });
    next();
  }
}
