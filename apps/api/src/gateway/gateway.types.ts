import type { IncomingHttpHeaders } from 'node:http';
import type { SignInTicket } from '@bouncer/detection';

/** DI token of the route policy in force (RoutePolicy from @bouncer/detection). */
export const ROUTE_POLICY = Symbol('ROUTE_POLICY');

/** The request a proxy is about to forward, as the gateway sees it. */
export interface GatewayRequest {
  /** The original request's method and target (path and query, or an absolute URL). */
  method: string;
  url: string;
  host?: string;
  proto?: string;
  /** The address the request came from on this socket (the proxy's, in forward-auth mode). */
  peer: string | undefined;
  /** The original request's headers: Authorization, and the forwarding header when `peer` is a trusted proxy. */
  headers: IncomingHttpHeaders;
  /** The id of the request asking (forward-auth's, or the proxied one): a decision it causes names it in the log. */
  requestId?: string;
}

export interface GatewayUser {
  username: string;
  role: string;
}

/** The identity headers sent upstream (the proxy removes any the client sent). */
export const IDENTITY_HEADERS = [
  'x-bouncer-user',
  'x-bouncer-role',
  'x-bouncer-client',
  'x-bouncer-decision',
  'x-bouncer-route-class',
] as const;

export interface GatewayAllow {
  allowed: true;
  status: 200;
  /** The client key (address or IPv6 prefix) the request is counted under. */
  client: string;
  user: GatewayUser | null;
  /** `observe`: a rule in observe mode would have refused it. */
  decision: 'allow' | 'observe';
  routeClass: string;
  /** The declared sign-in route this request is, if any (report its answer with the username). */
  signIn: { usernameField: string | null; failureStatuses: readonly number[] } | null;
  /** `X-Bouncer-*` headers (lower-case names) to send upstream. */
  upstreamHeaders: Record<string, string>;
  /** The class's `upstream_auth`: whether the client's Authorization goes on to the upstream. */
  upstreamAuth: 'pass' | 'strip';
}

export interface GatewayRefuse {
  allowed: false;
  status: 400 | 401 | 403 | 429 | 503;
  client: string;
  routeClass: string | null;
  /** Content-Type, Retry-After, RateLimit/RateLimit-Policy, WWW-Authenticate (as applicable). */
  headers: Record<string, string>;
  /** The problem+json body, serialised. */
  body: string;
}

export type GatewayVerdict = GatewayAllow | GatewayRefuse;

/** What the protected API answered (fed to the probing rule and, for sign-in routes, the account rules). */
export interface GatewayReport {
  /** The client key the check gave (GatewayAllow.client). */
  client: string;
  /** The class the check gave; classified again from method and url when left out. */
  routeClass?: string;
  method: string;
  url: string;
  status: number;
  /** For a declared sign-in route: the account tried (see signInUsername). */
  username?: string | null;
  /** From beginSignIn, when the attempt was admitted before forwarding (reverse-proxy mode). */
  ticket?: SignInTicket;
  /** The id of the request the answer belongs to, or of the report. */
  requestId?: string;
}

/** beginSignIn's answer: go on (hand the ticket back with report), or the refusal to send instead. */
export type SignInAdmission = { admitted: true; ticket: SignInTicket; account: string } | { admitted: false; refusal: GatewayRefuse };

/** Requests per route class by outcome, since start, on this instance (dashboard). */
export interface RouteClassCount {
  name: string;
  requests: number;
  allowed: number;
  observed: number;
  refused: number;
  /** Refusals by status. */
  by_status: Record<string, number>;
}

/** What a class does now about a lost shared store (readiness, dashboard). */
export interface StoreDownState {
  name: string;
  on_store_down: 'open' | 'closed' | 'local';
  /** What happens now: the store is up (`normal`), or what the class does without it. */
  now: 'normal' | 'passing uncounted' | 'refusing (503)' | 'counting on this instance';
}
