// The load generator of every throughput line: autocannon, the same settings for Bouncer and
// the original, so the ratios compare like with like.
import autocannon from 'autocannon';

/**
 * Runs autocannon against one target and checks the answers are the expected ones (a case
 * that measured errors or other statuses would compare nothing).
 * @param {{ url: string, path: string, method?: string, headers?: Record<string,string>,
 *   body?: string, expect: number, seconds: number, connections: number,
 *   vary?: () => { headers?: Record<string,string>, body?: string } }} c  (per request)
 */
export function cannon(c) {
  return new Promise((resolve, reject) => {
    const base = { method: c.method ?? 'GET', path: c.path, headers: c.headers ?? {}, body: c.body };
    const requests = c.vary
      ? [
          {
            ...base,
            setupRequest: (req) => {
              const v = c.vary();
              return { ...req, headers: { ...base.headers, ...v.headers }, ...(v.body === undefined ? {} : { body: v.body }) };
            },
          },
        ]
      : [base];
    autocannon({ url: c.url, connections: c.connections, duration: c.seconds, requests, timeout: 30 }, (err, result) => {
      if (err) return reject(err);
      const total = result.requests.total;
      const expected = result.statusCodeStats?.[String(c.expect)]?.count ?? 0;
      const bad = total - expected + result.errors + result.timeouts;
      resolve({
        rps: total / Math.max(result.duration, 1e-3),
        p50: result.latency.p50,
        p99: result.latency.p99,
        total,
        bad,
        statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([s, v]) => [s, v.count])),
      });
    });
  });
}
