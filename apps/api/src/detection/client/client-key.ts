/** Where the gate middleware leaves the resolved client key on the raw request. */
export const CLIENT_KEY = Symbol.for('bouncer.detection.clientKey');

interface WithKey {
  [CLIENT_KEY]?: string;
  raw?: { [CLIENT_KEY]?: string; socket?: { remoteAddress?: string } };
  socket?: { remoteAddress?: string };
}

/**
 * The client a request is attributed to. Takes the Fastify request or the raw
 * IncomingMessage. Falls back to the socket peer if the gate did not run (tests, routes
 * outside the middleware).
 */
export function clientKeyOf(req: unknown): string {
  const r = req as WithKey;
  return r[CLIENT_KEY] ?? r.raw?.[CLIENT_KEY] ?? r.socket?.remoteAddress ?? r.raw?.socket?.remoteAddress ?? 'unknown';
}

/** Stores the key on the raw request. */
export function setClientKey(raw: object, key: string): void {
  (raw as WithKey)[CLIENT_KEY] = key;
}
