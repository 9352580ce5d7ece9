/**
 * What the reverse proxy needs from the gateway service: a verdict before a request leaves,
 * and the upstream's answer afterwards. Kept as an interface so the proxy plumbing (streams,
 * headers, timeouts) is tested and read apart from the policy and the rules.
 */
export interface GuardedRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  host?: string;
  proto: 'http' | 'https';
  peer: string;
  headers: Record<string, string | string[] | undefined>;
}

export type GuardVerdict =
  | {
      allowed: true;
      /** The `X-Bouncer-*` headers for the upstream. */
      identity: Record<string, string>;
      /** The route class says the client's Authorization must not reach the upstream. */
      stripAuthorization: boolean;
      /** Carried to `answered` (client key, route class, …). */
      ticket: unknown;
    }
  | {
      allowed: false;
      status: number;
      headers: Record<string, string>;
      /** problem+json text. */
      body: string;
    };

export interface UpstreamGuard {
  check(req: GuardedRequest): Promise<GuardVerdict>;
  /**
   * The upstream answered `status` (never called for 502/504: an upstream that is down or slow
   * says nothing about the client). `body` is the request body when the route class declared it
   * a sign-in route and it was captured (else undefined).
   */
  answered(ticket: unknown, req: GuardedRequest, status: number, body?: Buffer): void;
  /** True when the route class of this request is a declared sign-in route whose body must be read for the username. */
  capturesBody?(ticket: unknown): boolean;
}

/** DI token for the guard the reverse proxy uses. */
export const UPSTREAM_GUARD = Symbol('UPSTREAM_GUARD');
