import { compileRules, type Decision, DEFAULT_RULES } from '@bouncer/detection';
import { blockedAnswer, BlockedAnswers, humanWait, wantsHtmlPage } from './refusal-page';

const rules = compileRules(DEFAULT_RULES, 'defaults');
const block = (retryAfter: number, ref: string | undefined = 'D-7K2Q'): Decision => ({
  verdict: 'blocked',
  ruleId: 'request-rate',
  reason: 'more than 300 requests in 60 s',
  status: 403,
  until: Date.UTC(2026, 0, 1) + retryAfter * 1000,
  retryAfter,
  ...(ref ? { ref } : {}),
});

describe('the blocked page', () => {
  it('is for a browser loading a page, not for fetch or programs', () => {
    expect(wantsHtmlPage('GET', { 'sec-fetch-mode': 'navigate', accept: 'text/html' })).toBe(true);
    expect(wantsHtmlPage('GET', { 'sec-fetch-mode': 'cors', accept: 'text/html' })).toBe(false);
    expect(wantsHtmlPage('GET', { accept: 'text/html,application/xhtml+xml' })).toBe(true);
    expect(wantsHtmlPage('GET', { accept: 'application/json, text/html' })).toBe(false);
    expect(wantsHtmlPage('GET', {})).toBe(false);
    expect(wantsHtmlPage('POST', { 'sec-fetch-mode': 'navigate', accept: 'text/html' })).toBe(false);
  });

  it('says the wait in words a person reads, rounded up', () => {
    expect(humanWait(1)).toBe('1 second');
    expect(humanWait(90)).toBe('90 seconds');
    expect(humanWait(3600)).toBe('60 minutes');
    expect(humanWait(3601)).toBe('61 minutes');
    expect(humanWait(86_400)).toBe('24 hours');
    expect(humanWait(7 * 86_400)).toBe('7 days');
  });
});

describe('BlockedAnswers', () => {
  const page = { 'sec-fetch-mode': 'navigate', accept: 'text/html' };
  it('builds each answer once per decision, second left and kind, with the same bytes blockedAnswer builds', () => {
    const answers = new BlockedAnswers(rules);
    const first = answers.for(block(300), 'GET', {});
    expect(answers.for(block(300), 'GET', {})).toBe(first);
    expect(first.body).toBe(blockedAnswer(block(300), rules, 'GET', {}).body);
    expect(first.length).toBe(Buffer.byteLength(first.body));
    // A second later the wait in it is a second shorter; a browser gets its page.
    expect(answers.for(block(299), 'GET', {}).body).toBe(blockedAnswer(block(299), rules, 'GET', {}).body);
    const html = answers.for(block(300), 'GET', page);
    expect([html.contentType, html.body]).toEqual([
      blockedAnswer(block(300), rules, 'GET', page).contentType,
      blockedAnswer(block(300), rules, 'GET', page).body,
    ]);
    // Without a reference (a denylist entry) nothing names the decision: built every time.
    expect(answers.for(block(300, ''), 'GET', {})).not.toBe(answers.for(block(300, ''), 'GET', {}));
  });

  it('stays bounded', () => {
    const answers = new BlockedAnswers(rules, 10);
    for (let i = 0; i < 100; i++) answers.for(block(i + 1, `D-${i}`), 'GET', {});
    expect(answers.size).toBeLessThanOrEqual(10);
  });
});
