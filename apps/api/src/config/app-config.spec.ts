import { loadConfig, parseDurationSeconds } from './app-config';

describe('loadConfig', () => {
  it('has safe defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 604800, corsOrigins: [] });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid PORT/],
    [{ PORT: '70000' }, /^Invalid PORT/],
    [{ ACCESS_TOKEN_TTL: 'soon' }, /^Invalid ACCESS_TOKEN_TTL/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid DATABASE_URL/],
    [{ REDIS_URL: 'http://x' }, /^Invalid REDIS_URL/],
    [{ ALLOW_INSECURE_HTTP: 'maybe' }, /^Invalid ALLOW_INSECURE_HTTP/],
    [{ TLS_CERT_FILE: 'cert.pem' }, /^Invalid TLS_CERT_FILE/],
    [{ ARGON2_MEMORY_KIB: '1024' }, /^Invalid ARGON2_MEMORY_KIB/],
    [{ REFRESH_TOKEN_TTL: '60', ACCESS_TOKEN_TTL: '15m' }, /^Invalid REFRESH_TOKEN_TTL/],
  ])('stops on %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('refuses plain HTTP on a non-loopback host unless told it sits behind a TLS proxy', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/^Invalid HOST: plain HTTP/);
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_INSECURE_HTTP: 'true' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' }).tls).toBeDefined();
  });

  it('reads durations and lists', () => {
    expect(parseDurationSeconds('15m')).toBe(900);
    expect(parseDurationSeconds('7d')).toBe(604800);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});
