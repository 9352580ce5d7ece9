import { createHmac } from 'node:crypto';

/** One alert as receivers get it (ALERT_FORMAT=json); `kind` says what happened. */
export interface Alert {
  kind: 'attack.started' | 'admin.under-attack' | 'allowlist.override' | 'allowlist.skipped' | 'store.lost' | 'store.regained';
  /** One line for people. */
  summary: string;
  /** ISO time of the event on the server's clock. */
  at: string;
  /** Which incident: alerts with the same key in one incident are sent once. */
  incident: string;
  details: Record<string, unknown>;
}

/** The request body for the configured format: the alert itself, or Slack's `{text, blocks}`. */
export function alertBody(alert: Alert, format: 'json' | 'slack'): string {
  if (format === 'json') return JSON.stringify({ source: 'bouncer', ...alert });
  const facts = Object.entries(alert.details).map(([k, v]) => `*${k}*: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return JSON.stringify({
    text: `Bouncer: ${alert.summary}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Bouncer* ${alert.kind}: ${alert.summary}` } },
      ...(facts.length ? [{ type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${alert.at} · incident ${alert.incident}` }] },
    ],
  });
}

/**
 * The signature headers: HMAC-SHA256 over `<timestamp>.<body>` so a receiver that also checks
 * the timestamp's age refuses a replayed request (the body alone could be re-sent later).
 */
export function signatureHeaders(body: string, secret: string, unixSeconds: number): Record<string, string> {
  const timestamp = String(unixSeconds);
  const hex = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'x-bouncer-timestamp': timestamp, 'x-bouncer-signature': `sha256=${hex}` };
}
