import { compileRules, type Decision, DEFAULT_RULES } from '@bouncer/detection';
import { blockedBody, refusalProblem, refusalText } from './refusal';

const rules = compileRules(DEFAULT_RULES, 'defaults');
const secret = 'access token of alice used from 4 clients (first 203.0.113.1)';

describe('refusal text', () => {
  it('never repeats the stored reason: only the rule kind, the numbers, the wait and the reference', () => {
    for (const ruleId of ['token-misuse', 'request-rate', 'probing', 'admin', 'denylist', 'no-such-rule']) {
      const d: Decision = { verdict: 'blocked', ruleId, reason: secret, retryAfter: 300, status: 403, ref: 'd-0123456789ab' };
      const text = refusalText(d, rules);
      expect(text).not.toMatch(/alice|203\.0\.113/);
      expect(text).toMatch(/^This client is blocked: .*\. Try again in 300 seconds\. Reference: d-0123456789ab\.$/);
      expect(JSON.parse(blockedBody(d, rules).body)).toMatchObject({ status: 403, retry_after: 300, reference: 'd-0123456789ab' });
    }
  });

  it('words each kind from its own numbers, and a longer block as a repeat offence', () => {
    const d = (ruleId: string, retryAfter: number): Decision => ({ verdict: 'blocked', ruleId, reason: secret, retryAfter, status: 403 });
    expect(refusalText(d('request-rate', 300), rules)).toMatch(/more than 300 requests in 60 s\. Try again in 300 seconds\.$/);
    expect(refusalText(d('request-rate', 600), rules)).toMatch(/repeat offender/);
    expect(refusalText(d('admin', 60), rules)).toMatch(/by an administrator/);
  });

  it('throttled sign-ins (429) say whose state it is', () => {
    const p = refusalProblem({ verdict: 'blocked', ruleId: 'failed-logins', reason: secret, retryAfter: 60, status: 429 }, rules);
    expect(p.getStatus()).toBe(429);
    expect(p.detail).toBe('Too many failed sign-ins from this client; try again in 60 seconds.');
  });
});
