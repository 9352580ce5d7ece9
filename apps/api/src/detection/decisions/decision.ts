import type { DecisionView, RuleId } from '@bouncer/contracts';

/** A standing decision about a client (an address, an IPv6 prefix key, or a CIDR range). */
export interface Decision {
  client: string;
  state: 'blocked' | 'suspicious';
  rule: RuleId;
  reason: string;
  createdAt: number;
  expiresAt: number;
  decidedBy: string;
  enforced: boolean;
}

export type DecisionState = Decision['state'];

/** Blocks from these rules hold back sign-ins only (429 on the login routes), not every route. */
export const LOGIN_SCOPED_RULES: ReadonlySet<RuleId> = new Set(['failed-logins', 'successful-logins']);

export interface BlockInput {
  client: string;
  rule: RuleId;
  reason: string;
  seconds: number;
  by?: string;
  /** Double the duration for a client blocked again within the repeat window (capped). */
  escalate?: boolean;
}

/** The last block of a client, for repeat-offender escalation. */
export interface BlockHistory {
  at: number;
  seconds: number;
  count: number;
}

export function toView(d: Decision, now: number): DecisionView {
  return {
    client: d.client,
    state: d.state,
    reason: d.reason,
    rule: d.rule,
    created_at: new Date(d.createdAt).toISOString(),
    expires_at: new Date(d.expiresAt).toISOString(),
    remaining_seconds: Math.max(0, Math.ceil((d.expiresAt - now) / 1000)),
    decided_by: d.decidedBy,
    enforced: d.enforced,
  };
}
