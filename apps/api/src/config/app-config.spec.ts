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

  it('treats only loopback address literals and localhost as loopback (I6)', () => {
    for (const host of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', 'localhost']) {
      expect(loadConfig({ HOST: host }).host).toBe(host);
    }
    for (const host of ['127.example.com', '127.0.0.1.nip.io', '2130706433', '0x7f.0.0.1', '127.1', 'localhost.example', '::2']) {
      expect(() => loadConfig({ HOST: host })).toThrow(/^Invalid HOST: plain HTTP/);
    }
  });

  it('reads PUBLIC_URL as an origin and API_DOCS as one of three modes', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://bouncer.example.com/' }).publicOrigin).toBe('https://bouncer.example.com');
    expect(loadConfig({}).apiDocs).toBe('off');
    expect(loadConfig({ API_DOCS: 'admin' }).apiDocs).toBe('admin');
    for (const bad of [
      'bouncer.example.com',
      'ftp://x.example',
      'https://x.example/app',
      'https://u:p@x.example',
      'https://x.example?a=1',
    ]) {
      expect(() => loadConfig({ PUBLIC_URL: bad })).toThrow(/^Invalid PUBLIC_URL/);
    }
    expect(() => loadConfig({ API_DOCS: 'yes' })).toThrow(/^Invalid API_DOCS/);
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
