/** What Bouncer thinks of a client (an address, an IPv6 /64 or an admin-given CIDR). */
export type ClientState = 'normal' | 'suspicious' | 'blocked';

/** The rules that make decisions; `admin` marks a decision a person made. */
export type RuleId =
  | 'request-rate'
  | 'failed-logins'
  | 'failed-logins-per-56'
  | 'failed-logins-per-48'
  | 'account-failed-logins'
  | 'successful-logins'
  | 'token-misuse'
  | 'refresh-reuse'
  | 'probing'
  | 'denylist'
  | 'admin';

/** A standing decision about one client. */
export interface DecisionView {
  /** The reference a refused client is shown (`reference` in its 403/429), to look the decision up by. */
  id: string;
  /** The address, the IPv6 prefix (`2001:db8::/64`) or the CIDR the decision covers. */
  client: string;
  state: Exclude<ClientState, 'normal'>;
  /** In words, with its numbers: "6 failed logins in 60 s". */
  reason: string;
  rule: RuleId;
  created_at: string;
  expires_at: string;
  remaining_seconds: number;
  /** `rule:<id>` or `admin:<username>`. */
  decided_by: string;
  /** False in observe mode: recorded and shown, not enforced. */
  enforced: boolean;
  /** With `one_per_client`: the standing suspicion of a blocked client, folded into its block. */
  suspicion?: { id: string; reason: string; rule: RuleId; remaining_seconds: number };
}

/** `POST /admin/blocks` */
export interface BlockRequest {
  /** An address or a CIDR (`203.0.113.0/24`, `2001:db8::/48`). */
  client: string;
  duration_seconds: number;
  reason: string;
}

export type ListKind = 'allow' | 'deny';

/** An allowlist or denylist entry (`GET /admin/lists`). */
export interface ListEntry {
  kind: ListKind;
  cidr: string;
  note: string;
  created_at: string;
  created_by: string;
}

/** `POST /admin/lists` */
export interface ListEntryRequest {
  kind: ListKind;
  cidr: string;
  note?: string;
}

/** A security event for the feed and the audit log. */
export interface SecurityEvent {
  at: string;
  /** e.g. `decision.blocked`, `decision.lifted`, `login.failed`, `token.refresh-reuse`. */
  type: string;
  client: string | null;
  actor: string | null;
  detail: string;
}

export interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}
