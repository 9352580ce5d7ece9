import type { DecisionView } from '@bouncer/contracts';
import { decisionRef, type StandingDecision } from '@bouncer/detection';

/** A standing decision about a client (an address, an IPv6 prefix key, or a CIDR range): the engine's. */
export type Decision = StandingDecision;
export type DecisionState = Decision['state'];

export function toView(d: Decision, now: number): DecisionView {
  return {
    id: decisionRef(d),
    client: d.client,
    state: d.state,
    reason: d.reason,
    rule: d.rule as DecisionView['rule'],
    created_at: new Date(d.createdAt).toISOString(),
    expires_at: new Date(d.expiresAt).toISOString(),
    remaining_seconds: Math.max(0, Math.ceil((d.expiresAt - now) / 1000)),
    decided_by: d.decidedBy,
    enforced: d.enforced,
  };
}
