/**
 * What the reverse proxy needs from the gateway service: a verdict before a request leaves,
 * for a declared sign-in route an admission once its body is read, and the upstream's answer
 * afterwards. An interface, so the proxy plumbing (streams, headers, timeouts) reads apart
 * from the policy and the rules (gateway-guard.ts adapts GatewayService).
 */
export interface GuardedRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  host?: string;
  proto: 'http' | 'https';
  peer: string;
  headers: Record<string, string | string[] | undefined>;
  /** The proxied request's id: a decision it causes names it in the log. */
  requestId?: string;
}

export interface GuardRefusal {
  status: number;
  headers: Record<string, string>;
  /** problem+json text. */
  body: string;
}

export type GuardVerdict =
  | {
      allowed: true;
      /** The `X-Bouncer-*` headers for the upstream. */
      identity: Record<string, string>;
      /** The route class says the client's Authorization must not reach the upstream. */
      stripAuthorization: boolean;
      /** A declared sign-in route: its body is read (up to a limit) and admitted before it is forwarded. */
      signIn: boolean;
      /** Carried to `admitSignIn` and `answered` (client key, route class, sign-in state). */
      ticket: unknown;
    }
  | ({ allowed: false } & GuardRefusal);

export interface UpstreamGuard {
  check(req: GuardedRequest): Promise<GuardVerdict>;
  /** A sign-in route's body, read whole: null to forward it, or the refusal to send instead. */
  admitSignIn(ticket: unknown, req: GuardedRequest, body: Buffer): Promise<GuardRefusal | null>;
  /**
   * The upstream answered `status` (never called for Bouncer's own 502/504: an upstream that is
   * down or slow says nothing about the client).
   */
  answered(ticket: unknown, req: GuardedRequest, status: number): void;
}

/** DI token for the guard the reverse proxy uses. */
export const UPSTREAM_GUARD = Symbol('UPSTREAM_GUARD');
