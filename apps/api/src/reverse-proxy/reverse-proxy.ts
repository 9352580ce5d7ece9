import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { DetectionService } from '../detection';
import { DASHBOARD_ROUTES } from '../http/problem.filter';
import { OwnRoutes } from './own-routes';
import { reverseProxyPlugin } from './reverse-proxy.plugin';
import { UPSTREAM_GUARD, type UpstreamGuard } from './upstream-guard';

export interface ReverseProxySetup {
  /** Records Bouncer's own routes; made before Nest adds them. */
  own: OwnRoutes;
  /** Set by installReverseProxy: this request is Bouncer's own (its namespaces, the dashboard's pages). */
  isOwn?: (req: FastifyRequest, path: string) => boolean;
}

/**
 * True when the request will be forwarded (routed to the catch-all, outside Bouncer's own
 * namespaces): the gateway service counts it, so the client gate must not count it again.
 */
export function isForwarded(setup: ReverseProxySetup, req: FastifyRequest): boolean {
  if (!req.routeOptions.config.upstream || !setup.isOwn) return false;
  return !setup.isOwn(req, req.url.split('?', 1)[0] ?? '/');
}

/** Step 1, right after NestFactory.create: start recording Bouncer's own namespaces. */
export function prepareReverseProxy(app: NestFastifyApplication): ReverseProxySetup {
  return { own: OwnRoutes.record(app.getHttpAdapter().getInstance()) };
}

/**
 * Step 2, before app.init: the catch-all that forwards everything else to UPSTREAM_URL.
 * `dashboardIndex` is set when the dashboard is served at `/` (then `/` and its pages stay Bouncer's).
 */
export async function installReverseProxy(
  app: NestFastifyApplication,
  config: AppConfig & { upstream: NonNullable<AppConfig['upstream']> },
  setup: ReverseProxySetup,
  isHttps: (raw: IncomingMessage) => boolean,
  dashboardIndex: string | null,
): Promise<void> {
  const guard = app.get<UpstreamGuard>(UPSTREAM_GUARD);
  const identity = app.get(DetectionService).identity;
  const isOwn = (req: FastifyRequest, path: string): boolean => {
    if (setup.own.has(path)) return true;
    // A browser reloading a dashboard page gets the dashboard (ProblemFilter serves it on Bouncer's 404).
    if (!dashboardIndex || req.method !== 'GET' || !(req.headers.accept ?? '').includes('text/html')) return false;
    return DASHBOARD_ROUTES.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  };
  setup.isOwn = isOwn;
  await app.register(reverseProxyPlugin, {
    upstream: config.upstream,
    guard,
    isTrustedProxy: (peer) => identity.isTrustedProxy(peer),
    isHttps,
    isOwn,
    forwardRoot: !dashboardIndex,
  });
}
