import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import type { IncomingMessage } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type FastifyBaseLogger, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { AppModule } from './app.module';
import type { Clock } from './core/clock';
import { ANSWER_HEADERS, type AnswerHeaders, ClientGate, COUNTED_BY_GATEWAY, EARLY_REQUEST_ID, installEarlyGate } from './detection';
import { OpenApiDocumentHolder } from './docs/docs.module';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { clientRequestIdBinding, createLogger, PinoNestLogger } from './http/pino-logger';
import { PublicOrigin } from './http/public-origin';
import { securityHeaders } from './http/security-headers';
import { registerCompression, registerDashboardFiles } from './http/static-files';
import { ProblemFilter } from './http/problem.filter';
import { LocatedValidationPipe } from './http/validation.pipe';
import { installInputGuard } from './http/input-guard';
import { clientErrorHandler, frameworkErrors } from './http/framework-errors';
import type { AppConfig } from './config/app-config';
import { UsersService } from './users/users.service';
import { FROM_UPSTREAM, installReverseProxy, isForwarded, prepareReverseProxy, type ReverseProxySetup } from './reverse-proxy';
import { installValidateTokenFastPath } from './auth/validate-token.fast-path';
import { VERSION } from './version';

/** Auth requests are tiny; anything bigger is refused with 413 before it is read. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface CreateAppOptions {
  clock?: Clock;
  /**
   * Where the generated admin password is shown: the console when it is a terminal, else
   * nowhere (it is in DATA_DIR/initial-admin-password, and one log line says so).
   */
  print?: (line: string) => void;
  /** Where the JSON log lines go; stdout by default (tests read them). */
  logSink?: (line: string) => void;
}

/** Builds the whole API (used by main.ts and by the end-to-end tests). */
export async function createApp(config: AppConfig, opts: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel, opts.logSink ? { write: opts.logSink } : undefined);
  const requestLogging = config.logLevel === 'debug' || config.logLevel === 'trace';
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request only at debug level: at 20,000 requests/s it is most of the cost.
    logController: new LogController({ disableRequestLogging: !requestLogging }),
    // A child logger per request (with redaction) costs ~3 % of a request; only worth it when requests are logged.
    // A client's own X-Request-Id is logged beside ours, as client_request_id, for correlation.
    childLoggerFactory: requestLogging
      ? (parent: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions, raw: IncomingMessage) =>
          parent.child({ ...bindings, ...clientRequestIdBinding(raw.headers) }, opts)
      : (parent: FastifyBaseLogger) => parent,
    bodyLimit: BODY_LIMIT_BYTES,
    // Always ours: a client-chosen id could collide with (or impersonate) another request's in the logs.
    // The early gate (detection/client-gate.ts) names a request before Fastify sees it: the same id.
    genReqId: (raw: IncomingMessage & { [EARLY_REQUEST_ID]?: string }) => raw[EARLY_REQUEST_ID] ?? randomUUID(),
    // Client addresses are resolved by the detection module from TRUSTED_PROXIES.
    trustProxy: false,
    frameworkErrors,
    clientErrorHandler,
    ...(config.tls ? { https: { key: readFileSync(config.tls.keyFile), cert: readFileSync(config.tls.certFile) } } : {}),
  });
  // HSTS (and Secure cookies) whenever the browser reached us over https, including through a trusted TLS proxy.
  const origin = new PublicOrigin(config);
  const plainHeaders = securityHeaders(false);
  const httpsHeaders = securityHeaders(true);
  const headersFor = (raw: IncomingMessage) => (origin.isHttps(raw) ? httpsHeaders : plainHeaders);
  // The gate answers blocked clients itself, before Fastify's reply (and onSend) exists: it
  // takes the same headers from here. Added before NestFactory.create, so it runs before the
  // gate's hook (DetectionModule adds that one when the app initialises).
  const gateHeaders: AnswerHeaders = (raw, requestId) => [...headersFor(raw).apiList, 'x-request-id', requestId];
  let proxySetup: ReverseProxySetup | null = null;
  adapter.getInstance().addHook('onRequest', (req, _reply, done) => {
    // What the early gate judged has its headers already (installEarlyGate): one property fewer on the request.
    const raw = req.raw as IncomingMessage & { [ANSWER_HEADERS]?: AnswerHeaders; [EARLY_REQUEST_ID]?: string };
    if (raw[EARLY_REQUEST_ID] === undefined) raw[ANSWER_HEADERS] = gateHeaders;
    // Reverse-proxy mode: a forwarded request is counted by the gateway check, not by the gate too.
    if (proxySetup && isForwarded(proxySetup, req))
      (req.raw as IncomingMessage & { [COUNTED_BY_GATEWAY]?: boolean })[COUNTED_BY_GATEWAY] = true;
    // What this request causes (a decision) is logged with its id, which the code that hands
    // the request to the engine passes on (see http/request-id.decorator.ts).
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, opts.clock), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Reverse-proxy mode: Bouncer's own namespaces are recorded as its routes are added (before init).
  proxySetup = config.upstream ? prepareReverseProxy(app) : null;
  // Before app.init, which declares the routes: the hot token check skips Nest's per-route pipeline.
  installValidateTokenFastPath(app);
  // Only JSON and form bodies are accepted; anything else is 415 before it is read.
  fastify.removeContentTypeParser('text/plain');
  installInputGuard(adapter);

  fastify.addHook('onSend', (req, reply, payload, done) => {
    // The upstream's answers keep the upstream's headers (its caching, its CSP); only our request id is added.
    if ((req.raw as { [FROM_UPSTREAM]?: boolean })[FROM_UPSTREAM]) {
      if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', req.id);
      return done(null, payload);
    }
    reply.header('x-request-id', req.id);
    const type = reply.getHeader('content-type');
    const html = typeof type === 'string' && type.startsWith('text/html');
    const headers = headersFor(req.raw);
    // A static file's own caching (immutable when hashed) survives the API's no-store.
    const cache = reply.getHeader('cache-control');
    reply.headers(html || req.url.startsWith('/docs') ? headers.html : headers.api);
    if (cache !== undefined) reply.header('cache-control', cache);
    done(null, payload);
  });

  await app.register(fastifyCookie);
  await registerCompression(app);
  // Closed unless CORS_ORIGINS opens it to named origins (no CORS headers: browsers refuse).
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins, credentials: true });
  app.useGlobalPipes(new LocatedValidationPipe());
  const index = staticIndex(config);
  app.useGlobalFilters(new ProblemFilter(index));

  // API_DOCS: off (404) by default, admin (/docs-json with an admin token), public (UI and JSON).
  // Off, the document is built only if a tool asks for it (openApiDocument): it and the work
  // of building it are a few MB of an idle server's heap that nobody reads.
  documents.set(app, () => buildOpenApiDocument(app, VERSION));
  if (config.apiDocs === 'public') SwaggerModule.setup('docs', app, openApiDocument(app));
  if (config.apiDocs === 'admin') app.get(OpenApiDocumentHolder).document = openApiDocument(app);

  if (index) {
    await registerDashboardFiles(app, index);
  }
  if (config.upstream && proxySetup) {
    await installReverseProxy(app, { ...config, upstream: config.upstream }, proxySetup, (raw) => origin.isHttps(raw), index);
  }
  await app.init();
  // Refused clients are answered before Fastify routes their requests (not in reverse-proxy mode,
  // where the gateway check counts a forwarded request).
  if (!config.upstream) installEarlyGate(fastify.server, app.get(ClientGate), gateHeaders);
  loggers.set(app, logger);
  const terminal = process.stdout.isTTY ? (line: string) => process.stdout.write(line + '\n') : undefined;
  await app.get(UsersService).ensureAdmin(opts.print ?? terminal);
  return app;
}

/** Each app's OpenAPI document, or how to build it until something asks. */
const documents = new WeakMap<INestApplication, OpenAPIObject | (() => OpenAPIObject)>();
const loggers = new WeakMap<INestApplication, Logger>();

/** The JSON logger of an app built by createApp (main.ts writes the start-up summary with it). */
export function appLogger(app: INestApplication): Logger {
  const logger = loggers.get(app);
  if (!logger) throw new Error('not an app built by createApp');
  return logger;
}

/** The OpenAPI document of an app built by createApp, whatever API_DOCS says (for in-process tools and tests); built at the first call. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  let doc = documents.get(app);
  if (!doc) throw new Error('not an app built by createApp');
  if (typeof doc === 'function') {
    doc = doc();
    documents.set(app, doc);
  }
  return doc;
}

/** The built dashboard's index.html, if there is one to serve. */
export function staticIndex(config: AppConfig): string | null {
  const dirs = [config.staticDir, join(__dirname, '..', 'dashboard', 'browser')].filter((d): d is string => Boolean(d));
  for (const dir of dirs) {
    const file = join(dir, 'index.html');
    if (existsSync(file)) return file;
  }
  return null;
}
