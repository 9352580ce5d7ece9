import { decisionRef, type StandingDecision } from '@bouncer/detection';

/**
 * The structured log line of a decision or a lift (an operator's grep target: `"event":"decision"`),
 * with the request that caused it when there is one. Objects, not strings: PinoNestLogger
 * spreads them into the JSON line.
 */
export function decisionLine(d: StandingDecision, requestId?: string): Record<string, unknown> {
  const action = d.state === 'blocked' ? (d.enforced ? 'blocked' : 'would block (observe only)') : 'marked suspicious';
  return {
    msg: `${d.client} ${action} by ${d.decidedBy}: ${d.reason}`,
    event: 'decision',
    client: d.client,
    rule: d.rule,
    kind: d.state,
    scope: d.scope,
    enforced: d.enforced,
    reason: d.reason,
    expires_at: new Date(d.expiresAt).toISOString(),
    decided_by: d.decidedBy,
    ref: decisionRef(d),
    ...(requestId ? { req_id: requestId } : {}),
  };
}

export function liftLine(
  lift: { client: string; state: string; by: string; why: string; rule?: string },
  requestId?: string,
): Record<string, unknown> {
  return {
    msg: `${lift.state} decision on ${lift.client} ${lift.why} by ${lift.by}`,
    event: 'lift',
    client: lift.client,
    kind: lift.state,
    ...(lift.rule ? { rule: lift.rule } : {}),
    reason: lift.why,
    decided_by: lift.by,
    ...(requestId ? { req_id: requestId } : {}),
  };
}
