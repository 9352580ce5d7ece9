import { createHmac } from 'node:crypto';
import { type Alert, alertBody, signatureHeaders } from './alert-body';

const alert: Alert = { kind: 'store.lost', summary: 'gone', at: '2026-12-02T16:00:00.000Z', incident: 'store:1', details: { n: 1 } };

describe('alert bodies and signatures', () => {
  it('signs "<timestamp>.<body>" so the same body at another time has another signature', () => {
    const body = alertBody(alert, 'json');
    const h = signatureHeaders(body, 'secret-0123456789abcdef', 1_800_000_000);
    expect(h['x-bouncer-timestamp']).toBe('1800000000');
    expect(h['x-bouncer-signature']).toBe(
      `sha256=${createHmac('sha256', 'secret-0123456789abcdef').update(`1800000000.${body}`).digest('hex')}`,
    );
    expect(signatureHeaders(body, 'secret-0123456789abcdef', 1_800_000_001)['x-bouncer-signature']).not.toBe(h['x-bouncer-signature']);
  });

  it('shapes a Slack body as text plus mrkdwn blocks', () => {
    const slack = JSON.parse(alertBody(alert, 'slack'));
    expect(slack.text).toBe('Bouncer: gone');
    expect(slack.blocks.map((b: { type: string }) => b.type)).toEqual(['section', 'section', 'context']);
    expect(JSON.parse(alertBody(alert, 'json'))).toEqual({ source: 'bouncer', ...alert });
  });
});
