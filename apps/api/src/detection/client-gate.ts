import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ANSWER_HEADERS, type AnswerHeaders, CLIENT_KEY, COUNTED_BY_GATEWAY, isForeignPageRequest, UNATTRIBUTED } from './client-key';
import { DetectionService, type GateVerdict } from './detection.service';
import { BlockedAnswers } from './refusal-page';
import { RefusalPacing } from './refusal-pacing';
import { outcomeOf, type RouteClass, routeClass } from '../core/metrics';

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
  // Every request asks: a prefix test first, so the usual request allocates nothing here.
  if (!url?.startsWith('/forward-auth')) return false;
  const path = pathOf(url);
  return path === '/forward-auth' || path.startsWith('/forward-auth/');
}

export function isProbePath(url: string | undefined): boolean {
  if (!url || !(url.startsWith('/health') || url.startsWith('/metrics'))) return false;
  const path = pathOf(url);
  return PROBE_PATHS.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const ADMITTED = Symbol('bouncer.gate.admitted');
/**
 * The id the early gate gave a request; Fastify's genReqId takes it, so logs and decisions agree.
 * Its presence also tells the onRequest hook the request was judged already. (As few properties
 * as possible are added to a request: each one changes the object's shape, and past a few the
 * request's properties are read the slow way by everything that touches it after.)
 */
export const EARLY_REQUEST_ID = Symbol.for('bouncer.earlyRequestId');

type GateRequest = IncomingMessage & {
  [CLIENT_KEY]?: string;
  [UNATTRIBUTED]?: boolean;
  [ANSWER_HEADERS]?: AnswerHeaders;
  [COUNTED_BY_GATEWAY]?: boolean;
  [EARLY_REQUEST_ID]?: string;
  /**
   * Set when the gate admitted the request and its answer is to be counted (onResponse): its
   * route class (the client is CLIENT_KEY). A constant string, so admitting allocates nothing.
   */
  [ADMITTED]?: RouteClass;
};

/**
 * The first thing every request meets: Fastify hooks on the root instance, so they run for
 * every route (Nest's, the dashboard's files, the reverse proxy, the 404 handler) before the
 * body is read and before authentication, and refusing a blocked client costs almost nothing.
 * Plain Fastify hooks rather than a Nest middleware: middleware runs through middie's router
 * on every request, and the answer is counted from Fastify's own onResponse instead of one
 * more 'finish' listener per request.
 */
export function installClientGate(fastify: FastifyInstance, gate: ClientGate): void {
  fastify.addHook('onRequest', (req, reply, done) =>
    (req.raw as GateRequest)[EARLY_REQUEST_ID] !== undefined ? done() : gate.onRequest(req.raw, reply.raw, done, req.id),
  );
  fastify.addHook('onResponse', (req, reply, done) => {
    gate.onAnswered(req.raw, reply.raw.statusCode, req.id);
    done();
  });
}

/**
 * The gate in front of Fastify: the HTTP server's request listener judges a request before
 * Fastify routes it, so a refused request costs no routing, no request and reply objects and no
 * hooks (a blocked client knocking is then about a third of the price of a served request, line
 * 4 of the benchmark). Admitted requests go on to Fastify unchanged; the onRequest hook above
 * skips what was judged here and still judges what never passed this listener (Fastify's
 * inject(), a server this was not installed on). `answerHeaders` are the host's headers for
 * every answer (security headers, request id), as its own onRequest hook would give them.
 * Not for the reverse-proxy mode, where a forwarded request is counted by the gateway check.
 */
export function installEarlyGate(server: Server, gate: ClientGate, answerHeaders: AnswerHeaders): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (listeners.length !== 1 || !listeners[0])
    throw new Error(`early gate: expected Fastify's one request listener, found ${listeners.length}`);
  const fastifyHandler = listeners[0];
  server.removeListener('request', fastifyHandler);
  server.on('request', (req: IncomingMessage, res: ServerResponse) =>
    gate.early(req, res, answerHeaders, () => fastifyHandler.call(server, req, res)),
  );
}

@Injectable()
export class ClientGate {
  private readonly answers: BlockedAnswers;

  constructor(
    private readonly detection: DetectionService,
    private readonly pacing: RefusalPacing,
  ) {
    this.answers = new BlockedAnswers(detection.options.rules);
  }

  /** In front of Fastify (installEarlyGate): judged here, or left to the onRequest hook. */
  early(req: GateRequest, res: ServerResponse, answerHeaders: AnswerHeaders, next: () => void): void {
    // What the gate does not count goes on unjudged: the onRequest hook names its client.
    if (!this.counts(req)) return next();
    const requestId = randomUUID();
    req[EARLY_REQUEST_ID] = requestId;
    this.judge(req, res, next, requestId, answerHeaders);
  }

  onRequest(req: GateRequest, res: ServerResponse, next: () => void, requestId: string): void {
    if (!this.counts(req)) {
      req[CLIENT_KEY] = this.detection.identity.resolve(req.socket.remoteAddress, req.headers);
      return next();
    }
    this.judge(req, res, next, requestId);
  }

  private counts(req: GateRequest): boolean {
    return this.detection.enabled && !req[COUNTED_BY_GATEWAY] && !isProbePath(req.url) && !isGatewayPath(req.url);
  }

  /** One engine decision; `answerHeaders`: the host's answer headers when the request does not carry them (the early gate). */
  private judge(req: GateRequest, res: ServerResponse, next: () => void, requestId: string, answerHeaders?: AnswerHeaders): void {
    const verdict = this.detection.admit(req.socket.remoteAddress, req.headers, requestId);
    if (verdict instanceof Promise) {
      const started = process.hrtime.bigint();
      const timed = () => this.detection.metrics?.storeRoundTrip.observe(Number(process.hrtime.bigint() - started) / 1e9);
      // A shared store answers later; a store that fails lets the request through (fail open, logged).
      verdict.then(
        (v) => {
          timed();
          this.pass(v, req, res, next, requestId, answerHeaders);
        },
        () => {
          timed();
          next();
        },
      );
    } else this.pass(verdict, req, res, next, requestId, answerHeaders);
  }

  /** The answer of an admitted request: counted in the metrics and by the engine's probing rule. */
  onAnswered(req: GateRequest, status: number, requestId?: string): void {
    const cls = req[ADMITTED];
    const client = req[CLIENT_KEY];
    if (!cls || client === undefined) return;
    this.detection.metrics?.request(cls, outcomeOf(status));
    this.detection.answered(client, status, !isForeignPageRequest(req.headers) && !req[UNATTRIBUTED], requestId);
  }

  private pass(
    verdict: GateVerdict,
    req: GateRequest,
    res: ServerResponse,
    next: () => void,
    requestId: string,
    answerHeaders?: AnswerHeaders,
  ): void {
    req[CLIENT_KEY] = verdict.client;
    const cls = routeClass(req.url);
    if (verdict.blocked) {
      this.detection.metrics?.request(cls, 'blocked');
      const { body, retryAfter, contentType, length } = this.answers.for(verdict.blocked, req.method, req.headers);
      // The answer headers come as a fresh flat list (AnswerHeaders says why not an object): completed in place.
      const headers = (answerHeaders ?? req[ANSWER_HEADERS])?.(req, requestId) ?? [];
      headers.push('content-type', contentType, 'retry-after', String(retryAfter), 'content-length', String(length));
      // Held first while the event loop is overloaded (see RefusalPacing); the client may be gone by then.
      this.pacing.answer(verdict.client, retryAfter, () => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(403, headers);
        res.end(body);
      });
      return;
    }
    req[ADMITTED] = cls;
    next();
  }
}
