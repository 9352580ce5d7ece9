/** Where the gate leaves the resolved client key on the raw request. */
export const CLIENT_KEY = Symbol.for('bouncer.client');

type WithKey = { [CLIENT_KEY]?: string; raw?: { [CLIENT_KEY]?: string }; socket?: { remoteAddress?: string } };

/** The client a request is attributed to (Fastify request or raw IncomingMessage). */
export function clientKeyOf(req: unknown): string {
  const r = req as WithKey;
  return r.raw?.[CLIENT_KEY] ?? r[CLIENT_KEY] ?? r.socket?.remoteAddress ?? 'unknown';
}
