import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the test upstream received. */
export interface UpstreamHit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  url: string;
  port: number;
  /** Every request received, oldest first. */
  hits: UpstreamHit[];
  /** How many requests reached it (whose path starts with `prefix`, if given). */
  count(prefix?: string): number;
  /** The password `POST /login` accepts. */
  readonly password: string;
  close(): Promise<void>;
}

/**
 * A small API written for the gateway tests, standing for the user's own service: it counts
 * what reaches it, so a test can prove a refused request never did.
 *  - `POST /login` (JSON or form `{username, password}`): 200 `{ok, username}` for the right
 *    password, else 401 with its own `WWW-Authenticate`;
 *  - `GET /admin/**`, `/api/**`, `/search/**`, `/healthz`, `/public/**`: 200 JSON
 *    `{ ok, path, user, role, client, decision, route_class }` (the X-Bouncer-* headers it got);
 *  - `GET /slow?ms=N`: answers after N ms; `GET /status/N`: answers status N;
 *  - anything else: 404 JSON.
 */
export async function startUpstream(password = 'right-password'): Promise<Upstream> {
  const hits: UpstreamHit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '/';
      hits.push({ method: req.method ?? 'GET', url, headers: req.headers, body });
      const path = url.split('?', 1)[0] ?? '/';
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(value);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      };
      if (path === '/login' && req.method === 'POST') {
        const type = req.headers['content-type'] ?? '';
        let fields: Record<string, unknown> = {};
        try {
          fields = type.startsWith('application/x-www-form-urlencoded')
            ? Object.fromEntries(new URLSearchParams(body))
            : (JSON.parse(body || '{}') as Record<string, unknown>);
        } catch {
          return json(400, { error: 'bad body' });
        }
        if (fields['password'] === password) return json(200, { ok: true, username: fields['username'] });
        return json(401, { error: 'wrong username or password' }, { 'www-authenticate': 'Basic realm="upstream"' });
      }
      const slow = /^\/slow$/.test(path) ? Number(new URL(url, 'http://x').searchParams.get('ms') ?? '0') : null;
      if (slow !== null) return void setTimeout(() => json(200, { ok: true, slow }), slow);
      const status = /^\/status\/(\d{3})$/.exec(path);
      if (status) return json(Number(status[1]), { status: Number(status[1]) });
      if (/^\/(admin|api|search|public)(\/|$)/.test(path) || path === '/healthz' || path === '/admin') {
        // Absent or empty (Caddy sets a header Bouncer did not send to empty): null.
        const h = (n: string) => (req.headers[n] as string | undefined) || null;
        return json(200, {
          ok: true,
          path,
          user: h('x-bouncer-user'),
          role: h('x-bouncer-role'),
          client: h('x-bouncer-client'),
          decision: h('x-bouncer-decision'),
          route_class: h('x-bouncer-route-class'),
        });
      }
      return json(404, { error: 'not found', path });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    password,
    count: (prefix) => hits.filter((h) => prefix === undefined || h.url.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
