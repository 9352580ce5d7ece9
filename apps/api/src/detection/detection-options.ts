import * as ipaddr from 'ipaddr.js';
import type { RuleId } from '@bouncer/contracts';

/**
 * Every number the detection rules use, validated once at start-up. The defaults are the
 * original prototype's (60 s window, 300 s ban, suspicious at 70 %, a login time buffer from
 * the 5th failure, suspicious at the 4th and refused from the 5th successful login in 60 s).
 * Durations are seconds.
 */
export interface DetectionOptions {
  /** `enforce` acts; `observe` records and shows decisions without acting; `off` only resolves clients (benchmarks). */
  mode: 'enforce' | 'observe' | 'off';
  /** Rules recorded but not enforced even in enforce mode (per-rule observe). */
  observeRules: RuleId[];
  /** Peers whose X-Forwarded-For / Forwarded headers are believed (addresses or CIDRs). */
  trustedProxies: string[];
  /** IPv6 clients are counted and blocked per this prefix. */
  ipv6Prefix: number;
  /** Allow and deny entries from configuration (in addition to the ones admins add). */
  allowlist: string[];
  denylist: string[];
  /** A client is suspicious at this share of a threshold. */
  suspiciousRatio: number;
  /** How long a suspicion stands. */
  suspicionSeconds: number;
  /** Rule 1: requests per client per window, on every route. */
  rateLimit: number;
  rateWindowSeconds: number;
  /** Block duration for threshold breaches (rules 1, 5, 6). */
  banSeconds: number;
  /** A client blocked again within this long is blocked twice as long as last time … */
  repeatWindowSeconds: number;
  /** … up to this cap. */
  maxBanSeconds: number;
  /** Rule 2: the Nth failed login per client starts a time buffer of buffer × (failures − (N − 1)). */
  failedLoginThreshold: number;
  failedLoginBufferSeconds: number;
  /** How long a client's failed logins are remembered. */
  failedLoginWindowSeconds: number;
  /** Rule 3: failed logins per account (any clients) per window before delays start. */
  accountFreeFailures: number;
  accountWindowSeconds: number;
  /** The delay doubles from 1 s with each further failure, up to this cap. */
  accountMaxDelaySeconds: number;
  /** Rule 4: successful logins per client per window: suspicious at the Nth, refused from the Mth. */
  successWindowSeconds: number;
  successSuspicious: number;
  successLimit: number;
  /** The refused client is blocked for step × (count − (limit − 1)). */
  successBlockStepSeconds: number;
  /** Rule 5: a token used from more than this many clients within the window is revoked. */
  tokenMaxClients: number;
  tokenWindowSeconds: number;
  /** Rule 6: 401/403/404 answers per client per window. */
  probeThreshold: number;
  probeWindowSeconds: number;
  /** @nestjs/throttler limit on the sign-in routes, per client per window. */
  authRouteLimit: number;
  authRouteWindowSeconds: number;
  /** Memory bound: clients tracked at once, least recently seen evicted first. */
  maxTrackedClients: number;
  /** Self-healing period, and how long the audit log is kept. */
  healingIntervalSeconds: number;
  auditRetentionSeconds: number;
}

export const DEFAULT_DETECTION_OPTIONS: Readonly<DetectionOptions> = Object.freeze({
  mode: 'enforce',
  observeRules: [],
  trustedProxies: [],
  ipv6Prefix: 64,
  allowlist: [],
  denylist: [],
  suspiciousRatio: 0.7,
  suspicionSeconds: 600,
  rateLimit: 300,
  rateWindowSeconds: 60,
  banSeconds: 300,
  repeatWindowSeconds: 24 * 3600,
  maxBanSeconds: 24 * 3600,
  failedLoginThreshold: 5,
  failedLoginBufferSeconds: 60,
  failedLoginWindowSeconds: 3600,
  accountFreeFailures: 10,
  accountWindowSeconds: 3600,
  accountMaxDelaySeconds: 300,
  successWindowSeconds: 60,
  successSuspicious: 4,
  successLimit: 5,
  successBlockStepSeconds: 60,
  tokenMaxClients: 3,
  tokenWindowSeconds: 300,
  probeThreshold: 20,
  probeWindowSeconds: 60,
  authRouteLimit: 30,
  authRouteWindowSeconds: 60,
  maxTrackedClients: 100_000,
  healingIntervalSeconds: 5,
  auditRetentionSeconds: 30 * 86400,
} satisfies DetectionOptions);

/** The rules that may be put in observe mode one by one. */
export const OBSERVABLE_RULES: readonly RuleId[] = [
  'request-rate',
  'failed-logins',
  'account-failed-logins',
  'successful-logins',
  'token-misuse',
  'refresh-reuse',
  'probing',
];

type NumberKey = { [K in keyof DetectionOptions]: DetectionOptions[K] extends number ? K : never }[keyof DetectionOptions];

interface NumberSetting {
  env: string;
  key: NumberKey;
  min: number;
  max: number;
  /** Durations accept a unit (`90s`, `5m`, `24h`, `30d`); a bare number is seconds. */
  duration?: boolean;
}

const DAY = 86400;

/** Environment variable → option, with the range each must be in. */
export const NUMBER_SETTINGS: readonly NumberSetting[] = [
  { env: 'IPV6_PREFIX', key: 'ipv6Prefix', min: 16, max: 128 },
  { env: 'SUSPICION_DURATION', key: 'suspicionSeconds', min: 1, max: 30 * DAY, duration: true },
  { env: 'RATE_LIMIT', key: 'rateLimit', min: 1, max: 10_000_000 },
  { env: 'RATE_WINDOW', key: 'rateWindowSeconds', min: 1, max: DAY, duration: true },
  { env: 'BAN_DURATION', key: 'banSeconds', min: 1, max: 30 * DAY, duration: true },
  { env: 'REPEAT_WINDOW', key: 'repeatWindowSeconds', min: 1, max: 365 * DAY, duration: true },
  { env: 'MAX_BAN_DURATION', key: 'maxBanSeconds', min: 1, max: 365 * DAY, duration: true },
  { env: 'FAILED_LOGIN_THRESHOLD', key: 'failedLoginThreshold', min: 1, max: 1000 },
  { env: 'FAILED_LOGIN_BUFFER', key: 'failedLoginBufferSeconds', min: 1, max: DAY, duration: true },
  { env: 'FAILED_LOGIN_WINDOW', key: 'failedLoginWindowSeconds', min: 1, max: 30 * DAY, duration: true },
  { env: 'ACCOUNT_FREE_FAILURES', key: 'accountFreeFailures', min: 1, max: 100 },
  { env: 'ACCOUNT_WINDOW', key: 'accountWindowSeconds', min: 60, max: 30 * DAY, duration: true },
  { env: 'ACCOUNT_MAX_DELAY', key: 'accountMaxDelaySeconds', min: 1, max: DAY, duration: true },
  { env: 'SUCCESS_LOGIN_WINDOW', key: 'successWindowSeconds', min: 1, max: DAY, duration: true },
  { env: 'SUCCESS_LOGIN_SUSPICIOUS', key: 'successSuspicious', min: 1, max: 1000 },
  { env: 'SUCCESS_LOGIN_LIMIT', key: 'successLimit', min: 2, max: 1000 },
  { env: 'SUCCESS_LOGIN_BLOCK', key: 'successBlockStepSeconds', min: 1, max: DAY, duration: true },
  { env: 'TOKEN_MAX_CLIENTS', key: 'tokenMaxClients', min: 1, max: 100 },
  { env: 'TOKEN_WINDOW', key: 'tokenWindowSeconds', min: 1, max: DAY, duration: true },
  { env: 'PROBE_THRESHOLD', key: 'probeThreshold', min: 1, max: 10_000_000 },
  { env: 'PROBE_WINDOW', key: 'probeWindowSeconds', min: 1, max: DAY, duration: true },
  { env: 'AUTH_ROUTE_LIMIT', key: 'authRouteLimit', min: 1, max: 1_000_000 },
  { env: 'AUTH_ROUTE_WINDOW', key: 'authRouteWindowSeconds', min: 1, max: DAY, duration: true },
  { env: 'MAX_TRACKED_CLIENTS', key: 'maxTrackedClients', min: 100, max: 10_000_000 },
  { env: 'HEALING_INTERVAL', key: 'healingIntervalSeconds', min: 1, max: DAY, duration: true },
  { env: 'AUDIT_RETENTION', key: 'auditRetentionSeconds', min: 3600, max: 10 * 365 * DAY, duration: true },
];

/**
 * Reads the detection settings from the environment. Unset variables keep their defaults;
 * a bad value throws `Invalid <VAR>: …` so start-up stops with one line naming it.
 */
export function detectionOptionsFromEnv(env: Record<string, string | undefined>): Partial<DetectionOptions> {
  const out: Partial<DetectionOptions> = {};
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const mode = get('SHIELD_MODE');
  if (mode !== undefined) {
    const m = mode.toLowerCase();
    if (m !== 'enforce' && m !== 'observe' && m !== 'off') throw new Error(`Invalid SHIELD_MODE: ${mode} (expected enforce or observe)`);
    out.mode = m;
  }
  const csv = (name: string): string[] | undefined =>
    get(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const observe = csv('OBSERVE_RULES');
  if (observe) {
    const bad = observe.find((r) => !OBSERVABLE_RULES.includes(r as RuleId));
    if (bad) throw new Error(`Invalid OBSERVE_RULES: unknown rule ${bad} (rules: ${OBSERVABLE_RULES.join(', ')})`);
    out.observeRules = observe as RuleId[];
  }
  for (const [name, key] of [
    ['TRUSTED_PROXIES', 'trustedProxies'],
    ['ALLOWLIST', 'allowlist'],
    ['DENYLIST', 'denylist'],
  ] as const) {
    const list = csv(name);
    if (!list) continue;
    const bad = list.find((c) => !isAddressOrCidr(c));
    if (bad !== undefined) throw new Error(`Invalid ${name}: ${bad} is not an IP address or CIDR`);
    out[key] = list;
  }
  const ratio = get('SUSPICIOUS_RATIO');
  if (ratio !== undefined) {
    const r = Number(ratio);
    if (!(r > 0 && r <= 1)) throw new Error(`Invalid SUSPICIOUS_RATIO: ${ratio} (expected a number above 0 and at most 1)`);
    out.suspiciousRatio = r;
  }
  for (const s of NUMBER_SETTINGS) {
    const raw = get(s.env);
    if (raw === undefined) continue;
    const n = s.duration ? parseDuration(raw) : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) {
      throw new Error(`Invalid ${s.env}: ${raw} (expected ${s.duration ? 'a duration such as 90, 90s, 5m, 24h or 30d' : 'a whole number'})`);
    }
    if (n < s.min || n > s.max) {
      const unit = s.duration ? ' seconds' : '';
      throw new Error(`Invalid ${s.env}: ${raw} (expected ${s.min} to ${s.max}${unit})`);
    }
    out[s.key] = n;
  }
  return out;
}

/** Fills in the defaults and checks the settings against each other; throws `Invalid <VAR>: …`. */
export function resolveDetectionOptions(partial: Partial<DetectionOptions> = {}): DetectionOptions {
  const o: DetectionOptions = { ...DEFAULT_DETECTION_OPTIONS, ...stripUndefined(partial) };
  for (const s of NUMBER_SETTINGS) {
    const v = o[s.key];
    if (!Number.isSafeInteger(v) || v < s.min || v > s.max) throw new Error(`Invalid ${s.env}: ${v} (expected ${s.min} to ${s.max})`);
  }
  if (!(o.suspiciousRatio > 0 && o.suspiciousRatio <= 1)) throw new Error(`Invalid SUSPICIOUS_RATIO: ${o.suspiciousRatio}`);
  if (!['enforce', 'observe', 'off'].includes(o.mode)) throw new Error(`Invalid SHIELD_MODE: ${o.mode}`);
  for (const [name, list] of [
    ['TRUSTED_PROXIES', o.trustedProxies],
    ['ALLOWLIST', o.allowlist],
    ['DENYLIST', o.denylist],
  ] as const) {
    const bad = list.find((c) => !isAddressOrCidr(c));
    if (bad !== undefined) throw new Error(`Invalid ${name}: ${bad} is not an IP address or CIDR`);
  }
  if (o.maxBanSeconds < o.banSeconds) throw new Error('Invalid MAX_BAN_DURATION: must be at least BAN_DURATION');
  if (o.successSuspicious >= o.successLimit) {
    throw new Error('Invalid SUCCESS_LOGIN_SUSPICIOUS: must be below SUCCESS_LOGIN_LIMIT');
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** "90", "90s", "5m", "24h", "30d" → seconds; NaN if not a duration. */
export function parseDuration(raw: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/i.exec(raw.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return n * (unit === 'd' ? 86400 : unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

function isAddressOrCidr(s: string): boolean {
  return ipaddr.isValid(s) || ipaddr.isValidCIDR(s);
}
