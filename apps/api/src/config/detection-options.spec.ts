import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectionOptionsFromEnv, resolveOptions } from './detection-options';

const spec = (env: Record<string, string>, id: string) =>
  resolveOptions(detectionOptionsFromEnv(env)).rules.rules.find((r) => r.id === id)?.spec;

describe('detectionOptionsFromEnv', () => {
  it('reads the service settings and lists', () => {
    const o = detectionOptionsFromEnv({ SHIELD_MODE: 'observe', ALLOWLIST: '10.0.0.0/8, 192.0.2.1' });
    expect(o.mode).toBe('observe');
    expect(o.allowlist).toEqual(['10.0.0.0/8', '192.0.2.1']);
  });

  it('applies the one-number variables to the built-in rules', () => {
    expect(spec({ RATE_LIMIT: '100' }, 'request-rate')).toMatchObject({ threshold: 100, windowSeconds: 60 });
    expect(spec({ BAN_DURATION: '42' }, 'probing')).toMatchObject({ blockSeconds: 42 });
    expect(spec({}, 'failed-logins')).toEqual({ threshold: 5, bufferSeconds: 60, memorySeconds: 3600 });
  });

  it('takes RULES_FILE over the defaults and the variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  failed-logins:\n    threshold: 3\n  probing:\n    enabled: false\n');
    const rules = resolveOptions(detectionOptionsFromEnv({ RULES_FILE: file, RATE_LIMIT: '7' })).rules;
    expect(rules.rules.find((r) => r.id === 'failed-logins')?.spec).toMatchObject({ threshold: 3 });
    expect(rules.rules.find((r) => r.id === 'request-rate')?.spec).toMatchObject({ threshold: 7 });
    expect(rules.rules.find((r) => r.id === 'probing')?.enabled).toBe(false);
  });

  it('stops on a bad RULES_FILE naming the file, the rule and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'version: 1\nrules:\n  login-buffer:\n    threshold: -3\n');
    expect(() => detectionOptionsFromEnv({ RULES_FILE: file })).toThrow(
      'rules.yaml: rule "login-buffer": threshold must be a positive integer, got -3',
    );
    expect(() => detectionOptionsFromEnv({ RULES_FILE: join(dir, 'missing.yaml') })).toThrow(
      /RULES_FILE .*missing\.yaml: cannot be read \(ENOENT\)/,
    );
  });

  it.each([
    [{ RATE_LIMIT: '0' }, /^Invalid RATE_LIMIT/],
    [{ RATE_LIMIT: 'lots' }, /^Invalid RATE_LIMIT/],
    [{ SHIELD_MODE: 'loud' }, /^Invalid SHIELD_MODE/],
    [{ TRUSTED_PROXIES: '10.0.0.0/8,proxy.local' }, /^Invalid TRUSTED_PROXIES/],
    [{ OBSERVE_RULES: 'request-rate,nope' }, /^Invalid OBSERVE_RULES/],
    [{ IPV6_PREFIX: '200' }, /^Invalid IPV6_PREFIX/],
    [{ FORWARDED_HEADER: 'x-forwarded-for,forwarded' }, /^Invalid FORWARDED_HEADER/],
    [{ ACCOUNT_MAX_DELAY: '300' }, /^Invalid ACCOUNT_MAX_DELAY/],
  ])('stops on %j naming the variable', (env, message) => {
    expect(() => detectionOptionsFromEnv(env)).toThrow(message);
  });

  it('reads the one forwarding header the trusted proxies write', () => {
    expect(detectionOptionsFromEnv({}).forwardedHeader).toBeUndefined();
    expect(detectionOptionsFromEnv({ FORWARDED_HEADER: 'Forwarded' }).forwardedHeader).toBe('forwarded');
    expect(detectionOptionsFromEnv({ FORWARDED_HEADER: 'x-real-ip' }).forwardedHeader).toBe('x-real-ip');
  });
});
