// One HTTP request with node:http, from a chosen loopback address when asked (every 127.x.y.z
// is a distinct client to Bouncer); used for set-up calls and for the latency lines.
import http from 'node:http';

/**
 * @param {string} base  http://127.0.0.1:PORT
 * @param {string} path
 * @param {{ method?: string, form?: Record<string,string>, body?: unknown, token?: string,
 *   headers?: Record<string,string>, agent?: http.Agent, from?: string, timeoutMs?: number }} [opts]
 */
export function request(base, path, opts = {}) {
  const url = new URL(path, base);
  const headers = { ...opts.headers };
  let payload;
  if (opts.form) {
    payload = new URLSearchParams(opts.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers,
        agent: opts.agent,
        localAddress: opts.agent ? undefined : opts.from,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: performance.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A keep-alive agent whose connections all come from one loopback address (one client). */
export function clientAgent(from, maxSockets = 1) {
  return new http.Agent({ keepAlive: true, maxSockets, localAddress: from });
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
