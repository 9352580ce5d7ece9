import { request as httpRequest } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address; every 127.x.y.z address is a distinct client to Bouncer. */
  localAddress?: string;
}

/** A plain Node HTTP call (no keep-alive) from a chosen loopback address. */
export function call(base: string, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const url = new URL(path, base);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: opts.method ?? 'GET',
        headers: {
          connection: 'close',
          ...(opts.body !== undefined ? { 'content-length': Buffer.byteLength(opts.body).toString() } : {}),
          ...opts.headers,
        },
        localAddress: opts.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${path}`)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function postJson(base: string, path: string, body: unknown, opts: HttpOptions = {}): Promise<HttpResult> {
  return call(base, path, {
    ...opts,
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...opts.headers },
  });
}

/** `POST /token` with the OAuth2 password grant, form-encoded (the original's client flow). */
export function passwordGrant(base: string, username: string, password: string, localAddress: string): Promise<HttpResult> {
  const body = new URLSearchParams({ grant_type: 'password', username, password }).toString();
  return call(base, '/token', {
    method: 'POST',
    body,
    localAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
}
