/**
 * What the engine is told. Every event names the client it is about: the key an address is
 * counted under (an IPv4 address, an IPv6 prefix like `2001:db8::/64`), as ClientIdentity
 * resolves it.
 */
export type DetectionEvent = EventBody & {
  /**
   * What caused the event, when the caller knows (a request id). Carried to the effects the
   * event has, so a decision's log line names the request that caused it.
   */
  cause?: string;
};

type EventBody =
  /** A request arrived, before any route code runs. */
  | { type: 'request'; client: string }
  /**
   * A request to a protected API (forward-auth, reverse proxy), of a route class of the route
   * policy; `subject` is the signed-in caller (null when anonymous), `role` theirs.
   */
  | { type: 'route-request'; client: string; routeClass: string; subject: string | null; role: string | null }
  /** The answer a request got (probing counts 401/403/404). */
  | { type: 'response'; client: string; status: number }
  /** Someone wants a password checked. `trustedDevice`: the account's owner signed in from this browser before. */
  | { type: 'sign-in-attempt'; client: string; account: string; trustedDevice?: boolean }
  /** How a checked attempt ended; `ticket` is what the attempt's decision returned. */
  | { type: 'sign-in-failed'; client: string; account: string; ticket: SignInTicket }
  | { type: 'sign-in-succeeded'; client: string; account: string; ticket: SignInTicket }
  /** The attempt was admitted but its password was never checked (bad input, store down). */
  | { type: 'sign-in-abandoned'; client: string; account: string; ticket: SignInTicket }
  /** A token (an access token's jti, a refresh family) presented by a client. */
  | { type: 'token-seen'; client: string; token: string; what: string; expiresAt: number }
  /** A refresh token that was already rotated came back. */
  | { type: 'refresh-reused'; client: string; subject: string }
  /** A person blocks a client, an IPv6 prefix or a CIDR. */
  | { type: 'admin-block'; client: string; seconds: number; reason: string; by: string }
  /** A person lifts a standing decision. */
  | { type: 'admin-lift'; client: string; state: 'blocked' | 'suspicious'; by: string; why?: string };

export type EventType = DetectionEvent['type'];
export type EventOf<T extends EventType> = Extract<DetectionEvent, { type: T }>;

/**
 * What an admitted sign-in attempt holds in the store, per rule id, so that its answer can be
 * settled exactly (release a reservation, turn it into a counted failure).
 */
export interface SignInTicket {
  holds: Record<string, AttemptHold>;
}

export interface AttemptHold {
  /** This attempt's place among the rule's counted attempts (1 = first). */
  position: number;
  /** It holds the rule's gate: no other attempt is checked until it is answered. */
  holdsGate: boolean;
}
