import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's security headers, computed once at start-up instead of on every response (helmet
 * re-parses its CSP directives per call, ~10 % of a small request's cost here). Two sets:
 * the full one (CSP for the dashboard) for HTML, and OWASP's REST set for JSON answers.
 */
export interface SecurityHeaders {
  html: Record<string, string>;
  api: Record<string, string>;
  /**
   * `api` in Node's flat form (`[name, value, ...]`), for answers written with `writeHead`
   * outside Fastify (the client gate's refusals): copied and appended to, not spread into a new
   * object per answer (see AnswerHeaders in detection/client-key.ts).
   */
  apiList: readonly string[];
}

function capture(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)({} as never, res as never, () => undefined);
  return headers;
}

export function securityHeaders(tls: boolean): SecurityHeaders {
  const common: HelmetOptions = { strictTransportSecurity: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false };
  const html = capture({
    ...common,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Only over TLS: on plain HTTP it would send the browser to https URLs that do not exist.
        upgradeInsecureRequests: tls ? [] : null,
      },
    },
  });
  const full = capture(common);
  const api: Record<string, string> = {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': full['x-content-type-options'] ?? 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': full['referrer-policy'] ?? 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  if (full['strict-transport-security']) api['strict-transport-security'] = full['strict-transport-security'];
  return { html, api, apiList: Object.entries(api).flat() };
}
