import { resolveDetectionOptions } from '../detection-options';
import {
  accountDelaySeconds,
  escalatedSeconds,
  evaluateThreshold,
  loginBufferSeconds,
  successBlockSeconds,
  suspiciousCount,
  thresholdRules,
} from './rules';

describe('rules engine', () => {
  const { requestRate, probing } = thresholdRules(resolveDetectionOptions());

  it('is suspicious at 70 % of a threshold', () => {
    expect(suspiciousCount(300, 0.7)).toBe(210);
    expect(suspiciousCount(20, 0.7)).toBe(14);
    expect(suspiciousCount(5, 0.7)).toBe(4);
    expect(suspiciousCount(1, 0.7)).toBe(1);
  });

  it('request rate: normal below 210, suspicious at 210, still allowed at 300, blocked at 301', () => {
    expect(evaluateThreshold(requestRate, 209)).toEqual({ action: 'none' });
    expect(evaluateThreshold(requestRate, 210)).toEqual({ action: 'suspect', reason: '210 requests in 60 s (limit 300)' });
    expect(evaluateThreshold(requestRate, 299)).toEqual({ action: 'none' });
    expect(evaluateThreshold(requestRate, 300)).toEqual({ action: 'none' });
    expect(evaluateThreshold(requestRate, 301)).toEqual({ action: 'block', reason: '301 requests in 60 s (limit 300)', seconds: 300 });
    expect(evaluateThreshold(requestRate, 302)).toEqual({ action: 'none' });
  });

  it('probing: suspicious at 14, blocked at 21', () => {
    expect(evaluateThreshold(probing, 13).action).toBe('none');
    expect(evaluateThreshold(probing, 14)).toEqual({ action: 'suspect', reason: '14 401/403/404 answers in 60 s (limit 20)' });
    expect(evaluateThreshold(probing, 20).action).toBe('none');
    expect(evaluateThreshold(probing, 21).action).toBe('block');
  });

  it('repeat offenders: doubled within 24 h, capped at 24 h, reset after', () => {
    const now = 10 * 86_400_000;
    const day = 86400;
    expect(escalatedSeconds(300, undefined, now, day, day)).toBe(300);
    expect(escalatedSeconds(300, { at: now - 3600_000, seconds: 300, count: 1 }, now, day, day)).toBe(600);
    expect(escalatedSeconds(300, { at: now - 3600_000, seconds: 600, count: 2 }, now, day, day)).toBe(1200);
    expect(escalatedSeconds(300, { at: now - 3600_000, seconds: 61_440, count: 9 }, now, day, day)).toBe(day);
    expect(escalatedSeconds(300, { at: now - 3600_000, seconds: day, count: 10 }, now, day, day)).toBe(day);
    expect(escalatedSeconds(300, { at: now - day * 1000 + 1, seconds: 600, count: 2 }, now, day, day)).toBe(1200);
    expect(escalatedSeconds(300, { at: now - day * 1000, seconds: 600, count: 2 }, now, day, day)).toBe(300);
  });

  it('failed-login buffer: 60 s × (failures − 4) from the 5th failure', () => {
    expect(loginBufferSeconds(4, 5, 60)).toBe(0);
    expect(loginBufferSeconds(5, 5, 60)).toBe(60);
    expect(loginBufferSeconds(6, 5, 60)).toBe(120);
  });

  it('successful-login block: 60 s × (count − 4) from the 5th', () => {
    expect(successBlockSeconds(4, 5, 60)).toBe(0);
    expect(successBlockSeconds(5, 5, 60)).toBe(60);
    expect(successBlockSeconds(7, 5, 60)).toBe(180);
  });

  it('account delays: free failures, then 1 s doubling to the cap', () => {
    expect(accountDelaySeconds(9, 10, 300)).toBe(0);
    expect(accountDelaySeconds(10, 10, 300)).toBe(1);
    expect(accountDelaySeconds(11, 10, 300)).toBe(2);
    expect(accountDelaySeconds(18, 10, 300)).toBe(256);
    expect(accountDelaySeconds(19, 10, 300)).toBe(300);
    expect(accountDelaySeconds(500, 10, 300)).toBe(300);
  });
});
