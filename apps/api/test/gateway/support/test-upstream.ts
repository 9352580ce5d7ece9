import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the test upstream saw: every request it received, in order. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  peer: string | undefined;
}

export interface TestUpstream {
  url: string;
  port: number;
  seen: SeenRequest[];
  /** Requests that reached the upstream from a given X-Forwarded-For client (the last hop the proxy added). */
  countFrom(client: string): number;
  close(): Promise<void>;
}

/**
 * A small protected API for the gateway tests, counting what reaches it:
 *   POST /login            JSON or form {username, password}: 200 for password "right", else 401
 *   GET  /api/**           200 JSON: the X-Bouncer-* identity headers (and Authorization) it received
 *   GET  /echo             200, the headers it received as JSON
 *   POST /upload           consumes the body as it streams; 200 {bytes, sha256}
 *   GET  /stream?chunks=N&gap=MS   N chunks of 1 KiB, one every MS ms (a slow-streaming answer)
 *   GET  /slow?ms=MS       answers after MS ms (for the 504 test)
 *   anything else          404
 */
export async function startTestUpstream(): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, peer: req.socket.remoteAddress });
    const url = new URL(req.url ?? '/', 'http://upstream');
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'POST' && url.pathname === '/login') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
        let password: unknown;
        try {
          password = form ? new URLSearchParams(text).get('password') : (JSON.parse(text) as { password?: unknown }).password;
        } catch {
          password = undefined;
        }
        if (password === 'right') json(200, { ok: true });
        else json(401, { error: 'wrong username or password' });
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/upload') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      req.on('end', () => json(200, { bytes, sha256: hash.digest('hex') }));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const h = (name: string) => req.headers[name] ?? null;
      return json(200, {
        path: url.pathname,
        user: h('x-bouncer-user'),
        role: h('x-bouncer-role'),
        client: h('x-bouncer-client'),
        decision: h('x-bouncer-decision'),
        route_class: h('x-bouncer-route-class'),
        authorization: h('authorization'),
      });
    }
    if (url.pathname === '/echo') return json(200, { headers: req.headers, url: req.url });
    if (url.pathname === '/stream') {
      const chunks = Number(url.searchParams.get('chunks') ?? 5);
      const gap = Number(url.searchParams.get('gap') ?? 50);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const next = (): void => {
        if (sent++ >= chunks) {
          res.end();
          return;
        }
        res.write(Buffer.alloc(1024, 0x61 + (sent % 26)));
        setTimeout(next, gap);
      };
      next();
      return;
    }
    if (url.pathname === '/slow') {
      const timer = setTimeout(() => json(200, { slow: true }), Number(url.searchParams.get('ms') ?? 1000));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    countFrom: (client) =>
      seen.filter((r) => {
        const chain = String(r.headers['x-forwarded-for'] ?? '').split(',');
        return chain[chain.length - 1]?.trim() === client;
      }).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
