import { CidrList } from '@bouncer/detection';

/** The parts of a raw request the public origin is read from. */
export interface EdgeRequest {
  socket?: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}

/** The settings it needs (an AppConfig has them). */
export interface PublicOriginOptions {
  tls?: unknown;
  /** PUBLIC_URL's origin, when the operator states it. */
  publicOrigin?: string;
  trustedProxies: string[];
  corsOrigins: string[];
  /** With FORWARDED_HEADER=forwarded the proxy states the scheme in RFC 7239 `proto=`, not in X-Forwarded-Proto. */
  detection?: { forwardedHeader?: string };
}

/**
 * What a browser sees of this server: whether it talks to us over https (TLS here, PUBLIC_URL
 * says so, or a trusted TLS-terminating proxy says `X-Forwarded-Proto: https`) and which
 * origins are ours. A proxy header from any other peer is not believed.
 */
export class PublicOrigin {
  private readonly proxies: CidrList;
  private readonly alwaysHttps: boolean;
  private readonly trustedOrigins: Set<string>;
  private readonly peers = new Map<string, boolean>();

  constructor(private readonly options: PublicOriginOptions) {
    this.proxies = new CidrList(options.trustedProxies);
    this.alwaysHttps = Boolean(options.tls) || Boolean(options.publicOrigin?.startsWith('https:'));
    this.trustedOrigins = new Set(
      [options.publicOrigin, ...options.corsOrigins].filter((o): o is string => Boolean(o)).map((o) => normalOrigin(o) ?? o),
    );
  }

  /** True when the browser reached us over https: cookies are then Secure and HSTS is sent. */
  isHttps(req: EdgeRequest): boolean {
    if (this.alwaysHttps) return true;
    if (this.proxies.size === 0) return false;
    const peer = req.socket?.remoteAddress;
    if (!peer || !this.isTrustedProxy(peer)) return false;
    const proto =
      this.options.detection?.forwardedHeader === 'forwarded'
        ? rfc7239Proto(req.headers['forwarded'])
        : forwardedProto(req.headers['x-forwarded-proto']);
    return proto === 'https';
  }

  /** Cached: parsing the address costs ~1 µs, and the same few proxies come again and again. */
  private isTrustedProxy(peer: string): boolean {
    let trusted = this.peers.get(peer);
    if (trusted === undefined) {
      trusted = this.proxies.match(peer) !== null;
      if (this.peers.size >= 10_000) this.peers.clear();
      this.peers.set(peer, trusted);
    }
    return trusted;
  }

  /**
   * Why a request may not use the sign-in routes, or null. Browsers send `Sec-Fetch-Site` (a
   * page cannot forge it): it decides, and only an origin in PUBLIC_URL or CORS_ORIGINS may
   * call from another site. Older browsers send only `Origin`, which must then be ours. A request with neither is not from a browser's page
   * (curl, a server): it carries no victim's cookies, so it is no cross-site request forgery.
   */
  crossSiteRefusal(req: EdgeRequest): string | null {
    const site = single(req.headers['sec-fetch-site'])?.toLowerCase();
    const origin = single(req.headers['origin']);
    if (site === 'cross-site' || site === 'same-site') {
      // Only an origin the operator trusts (PUBLIC_URL, CORS_ORIGINS) may call from elsewhere.
      if (origin !== undefined && this.trustedOrigins.has(normalOrigin(origin) ?? '')) return null;
      return site === 'cross-site'
        ? 'This route refuses requests from other sites.'
        : 'This route refuses requests from other origins of this site.';
    }
    if (site === 'same-origin' || site === 'none') return null;
    if (origin !== undefined && !this.isOwnOrigin(origin, req)) return 'This route refuses requests from other origins.';
    return null;
  }

  /** PUBLIC_URL and CORS_ORIGINS, or else the origin the Host header names (https only when we know the scheme is https). */
  isOwnOrigin(origin: string, req: EdgeRequest): boolean {
    const normal = normalOrigin(origin);
    if (!normal) return false;
    if (this.trustedOrigins.has(normal)) return true;
    if (this.options.publicOrigin) return false;
    const host = single(req.headers['host']);
    if (!host) return false;
    const schemes = this.isHttps(req) ? ['https'] : ['http', 'https'];
    return schemes.some((scheme) => normalOrigin(`${scheme}://${host}`) === normal);
  }
}

/** The scheme the trusted proxy wrote: the last value, which is the one the nearest proxy added. */
function forwardedProto(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (!joined) return undefined;
  return joined.split(',').pop()?.trim().toLowerCase();
}

/** `proto=` of the last element of an RFC 7239 Forwarded header (the one the nearest proxy added). */
function rfc7239Proto(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  const last = joined?.split(',').pop();
  for (const pair of last?.split(';') ?? []) {
    const [key, raw] = pair.split('=');
    if (key?.trim().toLowerCase() === 'proto')
      return raw
        ?.trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** An origin in canonical form (lower case, default port dropped), or null for `null` and non-URLs. */
function normalOrigin(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return url.origin;
}
