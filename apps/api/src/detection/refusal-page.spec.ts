import { humanWait, wantsHtmlPage } from './refusal-page';

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
