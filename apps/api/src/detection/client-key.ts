import type { IncomingMessage } from 'node:http';

/** Where the gate leaves the resolved client key on the raw request. */
export const CLIENT_KEY = Symbol.for('bouncer.client');

type WithKey = { [CLIENT_KEY]?: string; raw?: { [CLIENT_KEY]?: string }; socket?: { remoteAddress?: string } };

/** The client a request is attributed to (Fastify request or raw IncomingMessage). */
export function clientKeyOf(req: unknown): string {
  const r = req as WithKey;
  return r.raw?.[CLIENT_KEY] ?? r[CLIENT_KEY] ?? r.socket?.remoteAddress ?? 'unknown';
}

/**
 * Set on a raw request whose answer says nothing about its client's intent, so the probing
 * rule does not count it: a request a page on another site made the visitor's browser send
 * (refused by a route's cross-site check).
 */
export const UNATTRIBUTED = Symbol.for('bouncer.unattributed');

export function markUnattributed(req: unknown): void {
  const r = req as { raw?: Record<symbol, unknown> } & Record<symbol, unknown>;
  (r.raw ?? r)[UNATTRIBUTED] = true;
}

/**
 * Where the host application leaves, on the raw request, a function giving the headers it puts
 * on every answer (security headers, its request id), so the gate's own refusals carry them too.
 */
export const ANSWER_HEADERS = Symbol.for('bouncer.answerHeaders');

/**
 * Returns a fresh list on every call, in Node's flat form (`[name, value, name, value, ...]`,
 * which `writeHead` takes as is): the caller appends its own headers. Not an object: the refusal
 * path built one per answer by spreading the shared headers and adding four more, and those
 * objects outlived young-generation collections (about 0.9 MB promoted per scavenge at 30,000
 * refusals a second, against 3 KB for a served request), so that garbage collection took a
 * tenth of a blocked client's refusals; the list form promotes nothing.
 */
export type AnswerHeaders = (req: IncomingMessage, requestId: string) => string[];

/**
 * A request a page on another site (or another origin of this site) made the visitor's browser
 * send, with no credentials of ours (no Authorization header; our cookies are SameSite=Strict
 * and read by the session routes only): an <img> or <script> (no-cors), an <iframe> or a
 * link (navigate), a fetch (cors). Its answer is that page's doing, not the visitor's, so it
 * must not count against them. Not only no-cors: a page can as easily open 21 iframes.
 * Browsers set Sec-Fetch-Site and no page can change it; a scanner can forge it, which
 * only lets it go uncounted by the probing rule (not by the request rate) for requests that
 * carry no credentials.
 */
export function isForeignPageRequest(headers: Record<string, string | string[] | undefined>): boolean {
  const site = headers['sec-fetch-site'];
  return (site === 'cross-site' || site === 'same-site') && headers['authorization'] === undefined;
}

/**
 * Set on a raw request, before the gate runs, by a feature that counts it itself through the
 * gateway service (the reverse-proxy mode): the gate then only names its client, so the request
 * and its answer are counted once.
 */
export const COUNTED_BY_GATEWAY = Symbol.for('bouncer.gatewayCounted');
