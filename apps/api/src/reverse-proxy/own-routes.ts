import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the reverse proxy's catch-all routes. */
    upstream?: boolean;
  }
}

/**
 * Bouncer's own path namespaces: the first segment of every route it registers (`/admin`,
 * `/token`, `/health`, `/.well-known`, the dashboard's files, …), read from Fastify as routes
 * are added, so a new controller is kept without a list to update. In the reverse-proxy mode
 * anything under them is Bouncer's (an unknown `/admin/x` is Bouncer's 404), never the upstream's.
 */
export class OwnRoutes {
  private readonly segments = new Set<string>();

  /** Starts recording; call before any route exists (Nest adds its routes at init). */
  static record(fastify: FastifyInstance): OwnRoutes {
    const own = new OwnRoutes();
    fastify.addHook('onRoute', (route) => {
      if (route.config?.upstream) return;
      own.add(route.url ?? route.path);
    });
    return own;
  }

  add(url: string): void {
    const first = firstSegment(url);
    // A catch-all or a parameter in the first place would claim every path: not a namespace.
    if (first && !first.includes('*') && !first.includes(':')) this.segments.add(first);
  }

  /** True when `path` (without query) is in one of Bouncer's namespaces. */
  has(path: string): boolean {
    const first = firstSegment(path);
    if (!first) return false;
    if (this.segments.has(first)) return true;
    // `/%61dmin/x` is `/admin/x` to Fastify's router and to most upstreams.
    if (!first.includes('%')) return false;
    try {
      return this.segments.has(decodeURIComponent(first));
    } catch {
      return false;
    }
  }

  list(): string[] {
    return [...this.segments].sort();
  }
}

function firstSegment(path: string): string {
  const rest = path.startsWith('/') ? path.slice(1) : path;
  const end = rest.indexOf('/');
  return end === -1 ? rest : rest.slice(0, end);
}
