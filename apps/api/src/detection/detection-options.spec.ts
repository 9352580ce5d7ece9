import { DEFAULT_DETECTION_OPTIONS, detectionOptionsFromEnv, resolveDetectionOptions } from './detection-options';

describe('detection options', () => {
  it('keeps the original numbers as defaults', () => {
    const o = resolveDetectionOptions();
    expect(o).toMatchObject({
      mode: 'enforce',
      rateLimit: 300,
      rateWindowSeconds: 60,
      banSeconds: 300,
      suspiciousRatio: 0.7,
      failedLoginThreshold: 5,
      failedLoginBufferSeconds: 60,
      successSuspicious: 4,
      successLimit: 5,
      successBlockStepSeconds: 60,
      probeThreshold: 20,
      ipv6Prefix: 64,
      maxTrackedClients: 100_000,
      healingIntervalSeconds: 5,
      auditRetentionSeconds: 30 * 86400,
      maxBanSeconds: 86400,
    });
    expect(o.allowlist).toEqual([]);
  });

  it('reads every setting from the environment, with units for durations', () => {
    const o = detectionOptionsFromEnv({
      SHIELD_MODE: 'observe',
      TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1',
      IPV6_PREFIX: '56',
      RATE_LIMIT: '100',
      RATE_WINDOW: '2m',
      BAN_DURATION: '600',
      FAILED_LOGIN_THRESHOLD: '3',
      MAX_TRACKED_CLIENTS: '5000',
      HEALING_INTERVAL: '10s',
      AUDIT_RETENTION: '7d',
      OBSERVE_RULES: 'probing,request-rate',
      UNRELATED: 'x',
    });
    expect(o).toEqual({
      mode: 'observe',
      trustedProxies: ['10.0.0.0/8', '192.0.2.1'],
      ipv6Prefix: 56,
      rateLimit: 100,
      rateWindowSeconds: 120,
      banSeconds: 600,
      failedLoginThreshold: 3,
      maxTrackedClients: 5000,
      healingIntervalSeconds: 10,
      auditRetentionSeconds: 7 * 86400,
      observeRules: ['probing', 'request-rate'],
    });
  });

  it.each([
    ['SHIELD_MODE', 'block'],
    ['TRUSTED_PROXIES', '10.0.0.0/8,nope'],
    ['IPV6_PREFIX', '200'],
    ['RATE_LIMIT', '0'],
    ['RATE_LIMIT', '1.5'],
    ['RATE_LIMIT', 'many'],
    ['BAN_DURATION', '5 weeks'],
    ['MAX_TRACKED_CLIENTS', '10'],
    ['AUDIT_RETENTION', '30'],
    ['SUSPICIOUS_RATIO', '1.5'],
    ['OBSERVE_RULES', 'everything'],
  ])('names %s on a bad value (%s)', (name, value) => {
    expect(() => detectionOptionsFromEnv({ [name]: value })).toThrow(new RegExp(`^Invalid ${name}: `));
  });

  it('checks settings against each other', () => {
    expect(() => resolveDetectionOptions({ banSeconds: 7200, maxBanSeconds: 3600 })).toThrow(/^Invalid MAX_BAN_DURATION/);
    expect(() => resolveDetectionOptions({ successSuspicious: 5, successLimit: 5 })).toThrow(/^Invalid SUCCESS_LOGIN_SUSPICIOUS/);
    expect(() => resolveDetectionOptions({ rateLimit: -1 })).toThrow(/^Invalid RATE_LIMIT/);
  });

  it('leaves the defaults alone', () => {
    resolveDetectionOptions({ rateLimit: 5 });
    expect(DEFAULT_DETECTION_OPTIONS.rateLimit).toBe(300);
  });
});
