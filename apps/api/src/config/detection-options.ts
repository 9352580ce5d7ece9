import * as ipaddr from 'ipaddr.js';
import type { RuleId } from '@bouncer/contracts';

/**
 * The detection settings live in config/ (not detection/) so that config imports no feature:
 * loadConfig validates them with the rest, and DetectionModule, healing and audit read them.
 */

/** DI token for the resolved DetectionOptions (provided by DetectionModule). */
export const DETECTION_OPTIONS = Symbol('DETECTION_OPTIONS');

/**
 * Every number the detection rules use. Defaults are the original prototype's (60 s window,
 * 300 s ban, suspicious at 70 %, login buffer from the 5th failure, 4th/5th successful login).
 */
export interface DetectionOptions {
  /** `enforce` acts; `observe` records and shows decisions without acting; `off` does nothing (benchmarks). */
  mode: 'enforce' | 'observe' | 'off';
  /** Rules recorded but not enforced even in enforce mode. */
  observeRules: RuleId[];
  trustedProxies: string[];
  /** IPv6 clients are grouped (counted and blocked) per this prefix. */
  ipv6Prefix: number;
  allowlist: string[];
  denylist: string[];
  /** A client is suspicious at this share of any threshold. */
  suspiciousRatio: number;
  /** How long a suspicion stands, seconds. */
  suspicionSeconds: number;
  /** Rule 1: requests per client per window. */
  rateLimit: number;
  rateWindowSeconds: number;
  banSeconds: number;
  /** Repeat offenders within this long are blocked twice as long as last time, up to the cap. */
  repeatWindowSeconds: number;
  maxBanSeconds: number;
  /** Rule 2: the Nth failure per client starts a buffer of bufferStep × (failures − (N − 1)). */
  failedLoginThreshold: number;
  failedLoginBufferSeconds: number;
  failedLoginMemorySeconds: number;
  /** Rule 3: failures per account per hour before delays start; the delay doubles up to the cap. */
  accountFreeFailures: number;
  accountMaxDelaySeconds: number;
  /** Rule 4: successful logins per client per window: suspicious at `suspicious`, refused from `block`. */
  successWindowSeconds: number;
  successSuspicious: number;
  successBlock: number;
  successBlockStepSeconds: number;
  /** Rule 5: a token used from more than this many clients is revoked. */
  tokenMaxClients: number;
  /** Rule 6: 401/403/404 answers per client per window. */
  probeThreshold: number;
  probeWindowSeconds: number;
  /** @nestjs/throttler limit on auth routes, per client per minute. */
  authRouteLimit: number;
  /** Memory bound: clients tracked at once (least recently seen evicted first). */
  maxTrackedClients: number;
  /** Self-healing job period and audit retention. */
  healingIntervalSeconds: number;
  auditRetentionDays: number;
}

export const DEFAULT_DETECTION_OPTIONS: DetectionOptions = {
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
  failedLoginMemorySeconds: 3600,
  accountFreeFailures: 10,
  accountMaxDelaySeconds: 300,
  successWindowSeconds: 60,
  successSuspicious: 4,
  successBlock: 5,
  successBlockStepSeconds: 60,
  tokenMaxClients: 3,
  probeThreshold: 20,
  probeWindowSeconds: 60,
  authRouteLimit: 30,
  maxTrackedClients: 100_000,
  healingIntervalSeconds: 5,
  auditRetentionDays: 30,
};

const RULES: RuleId[] = ['request-rate', 'failed-logins', 'account-failed-logins', 'successful-logins', 'token-misuse', 'refresh-reuse', 'probing'];

/** Environment variable -> option, for the integer settings. */
const INTEGER_VARS: [string, keyof DetectionOptions, number, number][] = [
  ['IPV6_PREFIX', 'ipv6Prefix', 16, 128],
  ['SUSPICION_DURATION', 'suspicionSeconds', 1, 30 * 86400],
  ['RATE_LIMIT', 'rateLimit', 1, Number.MAX_SAFE_INTEGER],
  ['RATE_WINDOW', 'rateWindowSeconds', 1, 86400],
  ['BAN_DURATION', 'banSeconds', 1, 30 * 86400],
  ['MAX_BAN_DURATION', 'maxBanSeconds', 1, 365 * 86400],
  ['FAILED_LOGIN_THRESHOLD', 'failedLoginThreshold', 1, 1000],
  ['FAILED_LOGIN_BUFFER', 'failedLoginBufferSeconds', 1, 86400],
  ['ACCOUNT_FREE_FAILURES', 'accountFreeFailures', 1, 1000],
  ['ACCOUNT_MAX_DELAY', 'accountMaxDelaySeconds', 1, 86400],
  ['SUCCESS_LOGIN_BLOCK', 'successBlock', 2, 1000],
  ['TOKEN_MAX_CLIENTS', 'tokenMaxClients', 1, 100],
  ['PROBE_THRESHOLD', 'probeThreshold', 1, Number.MAX_SAFE_INTEGER],
  ['PROBE_WINDOW', 'probeWindowSeconds', 1, 86400],
  ['AUTH_ROUTE_LIMIT', 'authRouteLimit', 1, 1_000_000],
  ['MAX_TRACKED_CLIENTS', 'maxTrackedClients', 100, 10_000_000],
  ['HEALING_INTERVAL', 'healingIntervalSeconds', 1, 86400],
  ['AUDIT_RETENTION_DAYS', 'auditRetentionDays', 1, 3650],
];

/** Reads the detection settings from the environment; throws `Invalid <VAR>: …` on a bad value. */
export function detectionOptionsFromEnv(env: Record<string, string | undefined>): Partial<DetectionOptions> {
  const out: Partial<DetectionOptions> = {};
  const set = <K extends keyof DetectionOptions>(k: K, v: DetectionOptions[K]) => (out[k] = v);
  const mode = env['SHIELD_MODE'];
  if (mode !== undefined) {
    if (mode !== 'enforce' && mode !== 'observe' && mode !== 'off') throw new Error('Invalid SHIELD_MODE: expected enforce, observe or off');
    set('mode', mode);
  }
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (env['OBSERVE_RULES']) {
    const rules = list('OBSERVE_RULES');
    const bad = rules.find((r) => !RULES.includes(r as RuleId));
    if (bad) throw new Error(`Invalid OBSERVE_RULES: unknown rule ${bad} (rules: ${RULES.join(', ')})`);
    set('observeRules', rules as RuleId[]);
  }
  for (const [name, key] of [['TRUSTED_PROXIES', 'trustedProxies'], ['ALLOWLIST', 'allowlist'], ['DENYLIST', 'denylist']] as const) {
    if (env[name] === undefined) continue;
    const cidrs = list(name);
    for (const c of cidrs) if (!isCidrOrAddress(c)) throw new Error(`Invalid ${name}: ${c} is not an address or CIDR`);
    set(key, cidrs);
  }
  if (env['SUSPICIOUS_RATIO'] !== undefined) {
    const r = Number(env['SUSPICIOUS_RATIO']);
    if (!(r > 0 && r < 1)) throw new Error('Invalid SUSPICIOUS_RATIO: expected a number between 0 and 1');
    set('suspiciousRatio', r);
  }
  for (const [name, key, min, max] of INTEGER_VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`Invalid ${name}: expected a whole number from ${min} to ${max}`);
    (out as Record<string, number>)[key] = n;
  }
  return out;
}

export function resolveOptions(partial: Partial<DetectionOptions> = {}): DetectionOptions {
  const o = { ...DEFAULT_DETECTION_OPTIONS, ...partial };
  // Suspicious at the sign-in just before the one that is refused (the original: 4th and 5th).
  o.successSuspicious = o.successBlock - 1;
  return o;
}

function isCidrOrAddress(s: string): boolean {
  return ipaddr.isValid(s) || ipaddr.isValidCIDR(s);
}
