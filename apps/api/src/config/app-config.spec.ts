import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CONFIG_VARIABLES, loadConfig, parseDurationSeconds } from './app-config';

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

  it('#14.2 (ops review §6.2) takes ALERT_WEBHOOKS as http(s) URLs only and names the variable otherwise', () => {
    expect(loadConfig({}).alerts).toMatchObject({ webhooks: [], format: 'json', attackThreshold: 10, windowSeconds: 60 });
    const c = loadConfig({ ALERT_WEBHOOKS: 'https://hooks.example.com/a, http://127.0.0.1:9000/b', ALERT_FORMAT: 'slack' });
    expect(c.alerts.webhooks).toEqual(['https://hooks.example.com/a', 'http://127.0.0.1:9000/b']);
    expect(c.alerts.format).toBe('slack');
    for (const bad of ['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'https://user:pw@example.com/x'])
      expect(() => loadConfig({ ALERT_WEBHOOKS: bad })).toThrow(/^Invalid ALERT_WEBHOOKS: expected comma-separated http/);
    expect(() => loadConfig({ ALERT_FORMAT: 'teams' })).toThrow(/^Invalid ALERT_FORMAT/);
    expect(() => loadConfig({ ALERT_WEBHOOK_SECRET: 'short' })).toThrow(/^Invalid ALERT_WEBHOOK_SECRET/);
  });

  it('#11.2 reads UPSTREAM_URL and UPSTREAM_TIMEOUT_MS for the reverse-proxy mode, naming the variable when wrong', () => {
    expect(loadConfig({}).upstream).toBeUndefined();
    expect(loadConfig({ UPSTREAM_URL: 'http://127.0.0.1:8080/' }).upstream).toEqual({ url: 'http://127.0.0.1:8080', timeoutMs: 30_000 });
    expect(loadConfig({ UPSTREAM_URL: 'https://api.internal/v1', UPSTREAM_TIMEOUT_MS: '250' }).upstream).toEqual({
      url: 'https://api.internal/v1',
      timeoutMs: 250,
    });
    for (const bad of ['ftp://x', 'not a url', 'http://user:pw@x', 'http://x/?a=1', 'http://x/#top'])
      expect(() => loadConfig({ UPSTREAM_URL: bad })).toThrow(/^Invalid UPSTREAM_URL: expected an http/);
    for (const bad of ['0', '-5', 'soon', '600001'])
      expect(() => loadConfig({ UPSTREAM_URL: 'http://x', UPSTREAM_TIMEOUT_MS: bad })).toThrow(/^Invalid UPSTREAM_TIMEOUT_MS/);
  });

  it('refuses plain HTTP on a non-loopback host unless told it sits behind a TLS proxy', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/^Invalid HOST: plain HTTP/);
    expect(loadConfig({ HOST: '0.0.0.0', ALLOW_INSECURE_HTTP: 'true' }).host).toBe('0.0.0.0');
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-config-'));
    try {
      for (const f of ['c.pem', 'k.pem']) writeFileSync(join(dir, f), 'x');
      expect(loadConfig({ HOST: '0.0.0.0', TLS_CERT_FILE: join(dir, 'c.pem'), TLS_KEY_FILE: join(dir, 'k.pem') }).tls).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('D13 refuses a weak ADMIN_PASSWORD and a missing key or certificate file before anything is opened', () => {
    expect(() => loadConfig({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'password' })).toThrow(
      /^Invalid ADMIN_PASSWORD: the password must be at least 12 characters$/,
    );
    expect(() => loadConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-Otter-Lamp-73' })).toThrow(/must not contain the username/);
    expect(loadConfig({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'Full-Width-Otter-Lamp-73' }).adminPassword).toBe(
      'Full-Width-Otter-Lamp-73',
    );
    expect(() => loadConfig({ JWT_PRIVATE_KEY_FILE: '/nonexistent/key.pem' })).toThrow(
      /^Invalid JWT_PRIVATE_KEY_FILE: \/nonexistent\/key\.pem: no such file$/,
    );
    expect(() => loadConfig({ TLS_CERT_FILE: tmpdir(), TLS_KEY_FILE: tmpdir() })).toThrow(/^Invalid TLS_CERT_FILE: .*: not a file$/);
  });

  it('D5 reads the shutdown drain and limit, the limit longer than the drain', () => {
    expect(loadConfig({}).shutdown).toEqual({ drainSeconds: 5, timeoutSeconds: 30 });
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '0' }).shutdown.drainSeconds).toBe(0);
    expect(() => loadConfig({ SHUTDOWN_DRAIN_SECONDS: '30' })).toThrow(/^Invalid SHUTDOWN_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ SHUTDOWN_DRAIN_SECONDS: '-1' })).toThrow(/^Invalid SHUTDOWN_DRAIN_SECONDS/);
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

  it('#14.6 CONFIG_VARIABLES lists every environment variable the server reads (the packaging test checks deployment files against it)', () => {
    const src = join(__dirname, '..');
    // The command line (cli/) has its own variables (BOUNCER_URL, BOUNCER_TOKEN); it is no server setting.
    const files = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.startsWith('cli/'))
      .map((f) => join(src, f));
    const read = new Map<string, string>();
    for (const file of files)
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:env|cleaned)\[['"]([A-Z][A-Z0-9_]*)['"]\]/g))
        read.set(m[1]!, relative(src, file));
    expect(read.size).toBeGreaterThan(10);
    const missing = [...read].filter(([name]) => !CONFIG_VARIABLES.includes(name));
    expect(missing).toEqual([]);
    for (const name of ['PORT', 'DATABASE_URL', 'ALERT_WEBHOOKS', 'RATE_LIMIT', 'IPV6_PREFIX', 'POLICY_FILE', 'METRICS_TOKEN'])
      expect(CONFIG_VARIABLES).toContain(name);
  });
});
