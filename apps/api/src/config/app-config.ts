import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { DEFAULT_ROUTE_POLICY, loadRoutePolicy, type RoutePolicy, routePolicyRules } from '@bouncer/detection';
import { DETECTION_VARIABLES, type DetectionOptions, detectionOptionsFromEnv, resolveOptions } from './detection-options';
import { passwordPolicyViolation } from '../policy/password-policy';
import { normalizeUsername } from '../policy/username';

/**
 * Every setting Bouncer reads, validated once at start-up. Nothing outside this folder
 * reads `process.env`: the rest of the app receives an `AppConfig`.
 */

const duration = z
  .string()
  .trim()
  .regex(/^\d+\s*(ms|s|m|h|d)?$/, 'expected a duration such as 900, 15m, 7d')
  .transform(parseDurationSeconds);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[\w:.{}-]{1,64}$/, 'expected 1 to 64 letters, digits or : . _ - { }')
    .optional(),
  TLS_CERT_FILE: z.string().trim().min(1).optional(),
  TLS_KEY_FILE: z.string().trim().min(1).optional(),
  ALLOW_INSECURE_HTTP: bool.default(false),
  TRUSTED_PROXIES: csv.default([]),
  ADMIN_USERNAME: z.string().trim().min(1).max(64).optional(),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL: duration.default(15 * 60),
  REFRESH_TOKEN_TTL: duration.default(7 * 24 * 3600),
  CORS_ORIGINS: csv.default([]),
  /** The address browsers use (scheme, host, port), e.g. https://bouncer.example.com behind a TLS proxy. */
  PUBLIC_URL: z
    .string()
    .trim()
    .refine(isOriginUrl, 'expected an origin such as https://bouncer.example.com (scheme, host and optional port, no path)')
    .optional(),
  API_DOCS: z.enum(['off', 'admin', 'public'], { message: 'expected off, admin or public' }).default('off'),
  JWT_ISSUER: z.string().trim().min(1).default('bouncer'),
  JWT_AUDIENCE: z.string().trim().min(1).default('bouncer-api'),
  JWT_PRIVATE_KEY_FILE: z.string().trim().min(1).optional(),
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  STATIC_DIR: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** argon2id memory in KiB; OWASP's minimum is 19 MiB. */
  ARGON2_MEMORY_KIB: positiveInt.min(19 * 1024).default(19 * 1024),
  ARGON2_TIME_COST: positiveInt.min(2).default(2),
  /** Alert webhooks: where alerts are POSTed, how they are signed and shaped (README, Alerts). */
  ALERT_WEBHOOKS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((urls) => urls.every(isWebhookUrl), 'expected comma-separated http:// or https:// URLs without user or password')
    .default([]),
  ALERT_WEBHOOK_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  ALERT_FORMAT: z.enum(['json', 'slack'], { message: 'expected json or slack' }).default('json'),
  /** An attack starts when one rule makes this many decisions within ALERT_ATTACK_WINDOW. */
  ALERT_ATTACK_THRESHOLD: positiveInt.default(10),
  ALERT_ATTACK_WINDOW: duration.default(60),
  /** An admin account is under attack after this many failed sign-ins at it within ALERT_ATTACK_WINDOW. */
  ALERT_ADMIN_FAILED_SIGNINS: positiveInt.default(10),
  /** The first retry waits this long (ms), each next one twice as long. */
  ALERT_RETRY_BASE_MS: positiveInt.max(600_000).default(1_000),
  /** After SIGTERM: readiness answers 503 this long before the listener closes, so load balancers stop sending first. */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /** After SIGTERM: the process ends by then even if requests or the database have not finished. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(30),
  /** Reverse-proxy mode: every path that is not Bouncer's own is forwarded here (README, Reverse-proxy mode). */
  UPSTREAM_URL: z
    .string()
    .trim()
    .refine(isUpstreamUrl, 'expected an http:// or https:// URL without user, password, query or fragment, e.g. http://127.0.0.1:8080')
    .optional(),
  /** How long the upstream may take to start answering (and to send each next part of a body) before the client gets 504. */
  UPSTREAM_TIMEOUT_MS: positiveInt.max(600_000).default(30_000),
});

export type RawEnv = z.input<typeof envSchema>;

/**
 * Every environment variable the server reads, so that deployment files (docker-compose.yml, the
 * Dockerfile) can be checked to set only real settings: a misspelt name is otherwise ignored in
 * silence. The schema's keys, the detection settings, and the few a module validates itself from
 * `AppConfig.env` (app-config.spec.ts fails when a new `env['…']` read is missing here).
 */
export const CONFIG_VARIABLES: readonly string[] = [
  ...new Set([
    ...Object.keys(envSchema.shape),
    ...DETECTION_VARIABLES,
    'POLICY_FILE',
    'GATEWAY_LOG_LISTEN',
    'METRICS_TOKEN',
    'REDIS_SENTINELS',
    'REDIS_SENTINEL_NAME',
    'REDIS_CLUSTER_NODES',
  ]),
].sort();

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Start of every Redis key and channel; unset = derived from the deployment's id (core.module.ts). */
  redisPrefix?: string;
  tls?: { certFile: string; keyFile: string };
  allowInsecureHttp: boolean;
  trustedProxies: string[];
  adminUsername?: string;
  adminPassword?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  corsOrigins: string[];
  /** The origin browsers use (PUBLIC_URL); an https one makes cookies Secure and sends HSTS on every answer. */
  publicOrigin?: string;
  /** Who may read /docs and /docs-json: nobody (404), admins (bearer token, /docs-json only) or anyone. */
  apiDocs: 'off' | 'admin' | 'public';
  jwtIssuer: string;
  jwtAudience: string;
  jwtPrivateKeyFile?: string;
  jwtPublicKeyFile?: string;
  staticDir?: string;
  logLevel: string;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Graceful shutdown: the drain delay (readiness 503, still serving) and the hard limit, in seconds. */
  shutdown: { drainSeconds: number; timeoutSeconds: number };
  /** The detection settings (thresholds, lists, healing period, audit retention), defaults filled in. */
  detection: DetectionOptions;
  /** The route policy of the protected API (POLICY_FILE); absent: the built-in one (one public class). */
  routePolicy?: RoutePolicy;
  /** GATEWAY_LOG_LISTEN: where nginx/Caddy send their access log (UDP) in forward-auth mode. */
  gatewayLogListen?: { host: string; port: number };
  /** Alert webhooks; `webhooks` empty = alerts off. */
  alerts: AlertsConfig;
  /** Reverse-proxy mode (UPSTREAM_URL); absent = Bouncer serves only its own routes. */
  upstream?: UpstreamConfig;
  /** Everything else from the environment, for modules that validate their own settings. */
  env: Record<string, string | undefined>;
}

export interface AlertsConfig {
  webhooks: string[];
  secret?: string;
  format: 'json' | 'slack';
  attackThreshold: number;
  windowSeconds: number;
  adminFailedSignIns: number;
  retryBaseMs: number;
}

export interface UpstreamConfig {
  /** The protected API's base URL; a path in it is put before every forwarded path. */
  url: string;
  /** 504 when the upstream has not started answering (or stalls mid-body) for this long. */
  timeoutMs: number;
}

/** A bad setting: start-up stops with one line that names the variable. */
export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings mean "unset" (a common result of `FOO= npm start`).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`Invalid ${name}: ${issue?.message ?? parsed.error.message}`);
  }
  const e = parsed.data;
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) {
    throw new ConfigError('Invalid TLS_CERT_FILE/TLS_KEY_FILE: set both or neither');
  }
  if (Boolean(e.ADMIN_USERNAME) !== Boolean(e.ADMIN_PASSWORD) && e.ADMIN_PASSWORD) {
    throw new ConfigError('Invalid ADMIN_USERNAME: set it together with ADMIN_PASSWORD');
  }
  if (e.ADMIN_PASSWORD) {
    // Checked here, not when the admin is created: a refused password must stop the start before
    // the data folder, the database or the keys exist.
    const why = passwordPolicyViolation(e.ADMIN_PASSWORD, normalizeUsername(e.ADMIN_USERNAME ?? 'admin'));
    if (why) throw new ConfigError(`Invalid ADMIN_PASSWORD: the password ${why}`);
  }
  if (e.SHUTDOWN_TIMEOUT_SECONDS <= e.SHUTDOWN_DRAIN_SECONDS) {
    throw new ConfigError('Invalid SHUTDOWN_TIMEOUT_SECONDS: must be longer than SHUTDOWN_DRAIN_SECONDS');
  }
  if (e.ACCESS_TOKEN_TTL < 30 || e.ACCESS_TOKEN_TTL > 24 * 3600) {
    throw new ConfigError('Invalid ACCESS_TOKEN_TTL: must be between 30 s and 24 h');
  }
  if (e.REFRESH_TOKEN_TTL <= e.ACCESS_TOKEN_TTL) {
    throw new ConfigError('Invalid REFRESH_TOKEN_TTL: must be longer than ACCESS_TOKEN_TTL');
  }
  const loopback = isLoopbackHost(e.HOST);
  if (!loopback && !e.TLS_CERT_FILE && !e.ALLOW_INSECURE_HTTP) {
    throw new ConfigError(
      `Invalid HOST: plain HTTP on ${e.HOST} is refused; set TLS_CERT_FILE and TLS_KEY_FILE, or ALLOW_INSECURE_HTTP=true behind a TLS-terminating proxy`,
    );
  }
  let detection: DetectionOptions;
  try {
    // The detection settings have their own reader (one message per variable); a bad one stops start-up here too.
    detection = resolveOptions(detectionOptionsFromEnv(cleaned));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const routePolicy = readRoutePolicy(cleaned['POLICY_FILE']);
  // The class limits run in the engine like every rule: appended to the rules in force.
  detection = { ...detection, rules: { ...detection.rules, rules: [...detection.rules.rules, ...routePolicyRules(routePolicy)] } };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
  // Files named in the environment must be there now: finding out after the database is open
  // (seconds later, with files already created) is what an operator cannot act on.
  for (const name of ['JWT_PRIVATE_KEY_FILE', 'JWT_PUBLIC_KEY_FILE', 'TLS_CERT_FILE', 'TLS_KEY_FILE'] as const) {
    const file = e[name];
    if (file) assertReadableFile(name, abs(file));
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: abs(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: abs(e.TLS_CERT_FILE), keyFile: abs(e.TLS_KEY_FILE) } : undefined,
    allowInsecureHttp: e.ALLOW_INSECURE_HTTP,
    trustedProxies: e.TRUSTED_PROXIES,
    adminUsername: e.ADMIN_USERNAME,
    adminPassword: e.ADMIN_PASSWORD,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    corsOrigins: e.CORS_ORIGINS,
    publicOrigin: e.PUBLIC_URL ? new URL(e.PUBLIC_URL).origin : undefined,
    apiDocs: e.API_DOCS,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    jwtPrivateKeyFile: e.JWT_PRIVATE_KEY_FILE ? abs(e.JWT_PRIVATE_KEY_FILE) : undefined,
    jwtPublicKeyFile: e.JWT_PUBLIC_KEY_FILE ? abs(e.JWT_PUBLIC_KEY_FILE) : undefined,
    staticDir: e.STATIC_DIR ? abs(e.STATIC_DIR) : undefined,
    logLevel: e.LOG_LEVEL,
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST, parallelism: 1 },
    shutdown: { drainSeconds: e.SHUTDOWN_DRAIN_SECONDS, timeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS },
    detection,
    routePolicy,
    gatewayLogListen: readListen(cleaned['GATEWAY_LOG_LISTEN']),
    alerts: {
      webhooks: e.ALERT_WEBHOOKS,
      secret: e.ALERT_WEBHOOK_SECRET,
      format: e.ALERT_FORMAT,
      attackThreshold: e.ALERT_ATTACK_THRESHOLD,
      windowSeconds: Math.max(1, e.ALERT_ATTACK_WINDOW),
      adminFailedSignIns: e.ALERT_ADMIN_FAILED_SIGNINS,
      retryBaseMs: e.ALERT_RETRY_BASE_MS,
    },
    upstream: e.UPSTREAM_URL ? { url: e.UPSTREAM_URL.replace(/\/+$/, ''), timeoutMs: e.UPSTREAM_TIMEOUT_MS } : undefined,
    env: cleaned,
  };
}

function assertReadableFile(name: string, file: string): void {
  let why: string | null = null;
  try {
    if (!statSync(file).isFile()) why = 'not a file';
    else accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable by this user' : (code ?? 'cannot be read');
  }
  if (why) throw new ConfigError(`Invalid ${name}: ${file}: ${why}`);
}

/** "900", "900s", "15m", "7d" -> seconds. */
export function parseDurationSeconds(v: string): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`bad duration ${v}`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ms':
      return Math.ceil(n / 1000);
    case 'm':
      return n * 60;
    case 'h':
      return n * 3600;
    case 'd':
      return n * 86400;
    default:
      return n;
  }
}

/**
 * Only an address literal is trusted to be loopback (a name such as 127.example.com can point
 * anywhere); `localhost` is reserved for loopback (RFC 6761). IPv4 must be four decimal parts:
 * inet_aton forms such as 0x7f.1 or 2130706433 are not accepted as loopback.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(literal)) address = ipaddr.IPv4.parse(literal);
  else if (ipaddr.IPv6.isValid(literal) && !literal.includes('%')) address = ipaddr.process(literal);
  else return false;
  return address.range() === 'loopback';
}

function isWebhookUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  // Credentials in the URL would end up in logs; the secret signs the body instead.
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
}

function isUpstreamUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  // Credentials would end up in logs; a query or fragment has no meaning as a base for every path.
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search && !url.hash;
}

function isOriginUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    (url.pathname === '/' || url.pathname === '') &&
    !url.search &&
    !url.hash
  );
}

/** DI token for the validated configuration. */
/** `host:port` or `[v6]:port`; port 0 picks a free one (tests). */
function readListen(v: string | undefined): { host: string; port: number } | undefined {
  if (!v) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new ConfigError(`Invalid GATEWAY_LOG_LISTEN: expected host:port, e.g. 127.0.0.1:5140, got "${v}"`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** POLICY_FILE read and validated now, so a bad file stops start-up with a message naming file, class and field. */
function readRoutePolicy(file: string | undefined): RoutePolicy {
  if (!file) return DEFAULT_ROUTE_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`POLICY_FILE ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return loadRoutePolicy(text, `POLICY_FILE ${file}`);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
