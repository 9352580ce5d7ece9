import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fastifyHttpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UpstreamConfig } from '../config/app-config';
import { clientResponseHeaders, upstreamRequestHeaders } from './upstream-headers';
import type { GuardedRequest, GuardRefusal, GuardVerdict, UpstreamGuard } from './upstream-guard';

/** A declared sign-in route's body is read whole (for the username) before it is forwarded; sign-in bodies are small. */
export const SIGN_IN_BODY_LIMIT = 64 * 1024;

/** Set on the raw request once the answer comes from the upstream: Bouncer's own answer headers are then not added. */
export const FROM_UPSTREAM = Symbol.for('bouncer.fromUpstream');

type ProxiedRequest = IncomingMessage & { [FROM_UPSTREAM]?: boolean };

interface Pass {
  guarded: GuardedRequest;
  ticket: unknown;
  identity: Record<string, string>;
  stripAuthorization: boolean;
  /** A declared sign-in route: its body, once read. */
  signIn: boolean;
  body?: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    upstreamPass?: Pass;
  }
}

export interface ReverseProxyOptions {
  upstream: UpstreamConfig;
  guard: UpstreamGuard;
  /** TRUSTED_PROXIES, as the client gate reads it: only their X-Forwarded-* is passed on. */
  isTrustedProxy: (peer: string) => boolean;
  /** The scheme clients reached Bouncer with (TLS here, PUBLIC_URL, or a trusted proxy's X-Forwarded-Proto). */
  isHttps: (raw: IncomingMessage) => boolean;
  /** A request Bouncer keeps for itself (its route prefixes, the dashboard's pages): Bouncer's 404, never forwarded. */
  isOwn: (req: FastifyRequest, path: string) => boolean;
  /** Forward `/` itself too (false when the dashboard is served there). */
  forwardRoot: boolean;
}

/**
 * The reverse-proxy mode: every path Bouncer does not serve goes to UPSTREAM_URL through
 * @fastify/http-proxy, after the gateway service let it pass. Registered in its own
 * encapsulated context, so its body handling (streams, no size limit, no parsing) applies to
 * forwarded requests only; Bouncer's own routes win over its catch-all in Fastify's router.
 */
export async function reverseProxyPlugin(scope: FastifyInstance, opts: ReverseProxyOptions): Promise<void> {
  // Forwarded bodies are never parsed nor limited here: the upstream reads them as they come.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: Readable) => void) => {
    const pass = req.upstreamPass;
    if (!pass?.signIn) return done(null, payload);
    // A declared sign-in route: read whole (bounded) so the account rules see the username first.
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= SIGN_IN_BODY_LIMIT) chunks.push(chunk);
    });
    payload.on('error', (err) => done(err));
    payload.on('end', () => {
      if (size > SIGN_IN_BODY_LIMIT) {
        return done(Object.assign(new Error(`A sign-in request body may be at most ${SIGN_IN_BODY_LIMIT} bytes.`), { statusCode: 413 }));
      }
      pass.body = Buffer.concat(chunks);
      done(null, Readable.from([pass.body]));
    });
  });

  // A sign-in route's attempt is admitted (or refused) by the account rules before the upstream checks the password.
  scope.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const pass = req.upstreamPass;
    if (!pass?.signIn) return undefined;
    let refusal: GuardRefusal | null;
    try {
      refusal = await opts.guard.admitSignIn(pass.ticket, pass.guarded, pass.body ?? Buffer.alloc(0));
    } catch (err) {
      req.log.error({ err }, 'the sign-in check failed; the request is refused');
      return sendProblem(reply, 503, 'Service Unavailable', 'The request could not be checked; try again shortly.', { 'retry-after': '5' });
    }
    if (refusal) return reply.code(refusal.status).headers(refusal.headers).type('application/problem+json').send(refusal.body);
    return undefined;
  });

  // The gateway's verdict comes first, before the body is read: a refused request costs no upload.
  scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?', 1)[0] ?? '/';
    if (opts.isOwn(req, path)) return reply.callNotFound();
    const peer = req.raw.socket.remoteAddress ?? '';
    const guarded: GuardedRequest = {
      method: req.method,
      url: req.url,
      host: req.headers.host,
      proto: opts.isHttps(req.raw) ? 'https' : 'http',
      peer,
      headers: req.headers,
      requestId: req.id,
    };
    let verdict: GuardVerdict;
    try {
      verdict = await opts.guard.check(guarded);
    } catch (err) {
      req.log.error({ err }, 'the gateway check failed; the request is refused');
      return sendProblem(reply, 503, 'Service Unavailable', 'The request could not be checked; try again shortly.', { 'retry-after': '5' });
    }
    if (!verdict.allowed) {
      return reply.code(verdict.status).headers(verdict.headers).type('application/problem+json').send(verdict.body);
    }
    req.upstreamPass = {
      guarded,
      ticket: verdict.ticket,
      identity: verdict.identity,
      stripAuthorization: verdict.stripAuthorization,
      signIn: verdict.signIn,
    };
    return undefined;
  });

  // The upstream's answer feeds the rules once it is sent (not for Bouncer's own 502/504).
  scope.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const pass = req.upstreamPass;
    if (pass && (req.raw as ProxiedRequest)[FROM_UPSTREAM]) opts.guard.answered(pass.ticket, pass.guarded, reply.statusCode);
    done();
  });

  // Errors of the proxy context (a path escaping the upstream's prefix, a broken request) are problem+json too.
  scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 502;
    if (status === 413) return sendProblem(reply, 413, 'Content Too Large', err.message);
    const title = status === 502 ? 'Bad Gateway' : 'Bad Request';
    return sendProblem(reply, status, title, status === 502 ? 'The upstream could not be reached.' : 'The request cannot be forwarded.');
  });

  await scope.register(fastifyHttpProxy, {
    upstream: opts.upstream.url,
    routes: opts.forwardRoot ? ['/', '/*'] : ['/*'],
    // Marks the catch-all so OwnRoutes does not count it as one of Bouncer's namespaces.
    config: { upstream: true },
    proxyPayloads: false,
    // Location headers are the upstream's business; its paths are ours one to one.
    internalRewriteLocationHeader: false,
    disableRequestLogging: true,
    undici: {
      connections: 128,
      pipelining: 1,
      headersTimeout: opts.upstream.timeoutMs,
      bodyTimeout: opts.upstream.timeoutMs,
      connectTimeout: Math.min(opts.upstream.timeoutMs, 10_000),
    },
    replyOptions: {
      timeout: opts.upstream.timeoutMs,
      rewriteRequestHeaders: (req, headers) => {
        const pass = req.upstreamPass;
        const peer = req.raw.socket.remoteAddress ?? '';
        const out = upstreamRequestHeaders(req.raw.headers, {
          peer,
          peerTrusted: opts.isTrustedProxy(peer),
          proto: pass?.guarded.proto ?? 'http',
          identity: pass?.identity ?? {},
          stripAuthorization: pass?.stripAuthorization ?? false,
        });
        // The upstream is addressed by its own name (the client's is in X-Forwarded-Host), as nginx does by default.
        out['host'] = headers.host;
        return out as typeof headers;
      },
      rewriteHeaders: (headers) => clientResponseHeaders(headers) as typeof headers,
      onResponse: (req, reply, res) => {
        (req.raw as ProxiedRequest)[FROM_UPSTREAM] = true;
        void reply.send(res.stream);
      },
      onError: (anyReply, { error }) => {
        // reply-from types its reply for HTTP/2 too; this server is HTTP/1.
        const reply = anyReply as unknown as FastifyReply;
        const timedOut = (error as { statusCode?: number }).statusCode === 504;
        if (timedOut) {
          return void sendProblem(reply, 504, 'Gateway Timeout', `The upstream did not answer within ${opts.upstream.timeoutMs} ms.`);
        }
        return void sendProblem(reply, 502, 'Bad Gateway', 'The upstream could not be reached.');
      },
    },
  });
}

function sendProblem(reply: FastifyReply, status: number, title: string, detail: string, headers: Record<string, string> = {}) {
  return reply
    .code(status)
    .headers(headers)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, detail, instance: reply.request.url.split('?', 1)[0] }));
}
