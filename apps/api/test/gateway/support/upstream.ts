import { createHash } from 'node:crypto';
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
  /** How many requests reached it from one client: the last X-Forwarded-For hop the proxy added. */
  countFrom(client: string): number;
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
 *    `{ ok, path, user, role, client, decision, route_class, authorization }` (the X-Bouncer-*
 *    and Authorization headers it got);
 *  - `GET /echo`: 200 `{ headers, url }`, everything it received;
 *  - `POST /upload`: 200 `{ bytes, sha256 }` of the body;
 *  - `GET /stream?chunks=N&gap=MS`: N chunks of 1 KiB, one every MS ms (a slow-streaming answer);
 *  - `GET /slow?ms=N`: answers after N ms; `GET /status/N`: answers status N;
 *  - anything else: 404 JSON.
 * The forward-auth tests (nginx, Caddy) and the reverse-proxy test all run in front of it.
 */
export async function startUpstream(password = 'right-password'): Promise<Upstream> {
  const hits: UpstreamHit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
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
      const query = new URL(url, 'http://upstream').searchParams;
      if (path === '/echo') return json(200, { headers: req.headers, url });
      if (path === '/upload' && req.method === 'POST') {
        return json(200, { bytes: raw.length, sha256: createHash('sha256').update(raw).digest('hex') });
      }
      if (path === '/stream') {
        const chunkCount = Number(query.get('chunks') ?? 5);
        const gap = Number(query.get('gap') ?? 50);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let sent = 0;
        const next = (): void => {
          if (sent++ >= chunkCount) return void res.end();
          res.write(Buffer.alloc(1024, 0x61 + (sent % 26)));
          setTimeout(next, gap);
        };
        return next();
      }
      if (path === '/slow') {
        const ms = Number(query.get('ms') ?? '0');
        const timer = setTimeout(() => json(200, { ok: true, slow: ms }), ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
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
          authorization: h('authorization'),
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
    countFrom: (client) =>
      hits.filter((h) => {
        const chain = String(h.headers['x-forwarded-for'] ?? '').split(',');
        return chain[chain.length - 1]?.trim() === client;
      }).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
