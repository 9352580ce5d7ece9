import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus `expect`
 * (Node answers 100-continue itself) and `proxy-authorization` (meant for a proxy, which we are).
 * Never forwarded in either direction; undici also refuses most of them in a request.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** Headers naming the client's address or the way it came; only a trusted proxy's are believed. */
const FORWARDING = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']);

/** The prefix of the identity headers Bouncer gives the upstream; no client may send one. */
export const IDENTITY_PREFIX = 'x-bouncer-';

export interface ForwardContext {
  /** The socket peer (the client, or a proxy in front of Bouncer). */
  peer: string;
  /** The peer is one of TRUSTED_PROXIES: its forwarding headers are kept and extended. */
  peerTrusted: boolean;
  /** The scheme the request reached Bouncer with (https when TLS here or a trusted proxy says so). */
  proto: 'http' | 'https';
  /** The identity headers of the gateway's verdict (`X-Bouncer-User`, …), set last. */
  identity: Record<string, string>;
  /** The route class says the upstream must not see the client's credentials. */
  stripAuthorization: boolean;
}

/** Names listed in the request's own Connection header: hop-by-hop for this message too. */
function connectionListed(headers: IncomingHttpHeaders): string[] {
  const value = headers['connection'];
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * The headers the upstream receives: the client's, minus hop-by-hop headers, minus every
 * `X-Bouncer-*` the client sent (a client can never name itself), minus forwarding headers an
 * untrusted peer sent; then `X-Forwarded-For/-Proto/-Host` describing this hop, and the
 * gateway's identity headers.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.includes(name) || name.startsWith(IDENTITY_PREFIX)) continue;
    if (name.charCodeAt(0) === 58 /* ':' http2 pseudo-header */) continue;
    if (FORWARDING.has(name) && !ctx.peerTrusted) continue;
    if (name === 'authorization' && ctx.stripAuthorization) continue;
    out[name] = value;
  }
  const chain = ctx.peerTrusted ? joined(incoming['x-forwarded-for']) : '';
  out['x-forwarded-for'] = chain ? `${chain}, ${ctx.peer}` : ctx.peer;
  out['x-forwarded-proto'] = (ctx.peerTrusted && firstOf(incoming['x-forwarded-proto'])) || ctx.proto;
  const host = (ctx.peerTrusted && firstOf(incoming['x-forwarded-host'])) || incoming['host'];
  if (host) out['x-forwarded-host'] = host;
  else delete out['x-forwarded-host'];
  for (const [name, value] of Object.entries(ctx.identity)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * The upstream's answer headers the client receives: all but hop-by-hop ones (Node frames the
 * body to the client itself, chunked or with the upstream's Content-Length).
 */
export function clientResponseHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const listed = typeof headers['connection'] === 'string' ? connectionListed({ connection: headers['connection'] }) : [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.includes(lower)) continue;
    out[name] = value;
  }
  return out;
}

function joined(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '').trim();
}

function firstOf(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}
