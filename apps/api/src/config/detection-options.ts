import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as ipaddr from 'ipaddr.js';
import {
  compileRules,
  DEFAULT_RULES,
  FORWARDED_HEADERS,
  type ForwardedHeader,
  parseRulesText,
  type RulesDocument,
  RulesError,
  type RuleSet,
} from '@bouncer/detection';

/**
 * The detection settings live in config/ (not detection/) so that config imports no feature:
 * loadConfig validates them with the rest, and DetectionModule, healing and audit read them.
 * The rules and their numbers are the engine's rules document (libs/detection); what is here
 * is how Bouncer runs it.
 */

/** DI token for the resolved DetectionOptions (provided by DetectionModule). */
export const DETECTION_OPTIONS = Symbol('DETECTION_OPTIONS');

export interface DetectionOptions {
  /** `enforce` acts; `observe` records and shows decisions without acting; `off` does nothing (benchmarks). */
  mode: 'enforce' | 'observe' | 'off';
  /** Rule ids recorded but not enforced even in enforce mode. */
  observeRules: string[];
  trustedProxies: string[];
  /** The one header TRUSTED_PROXIES write the client's address into (`x-forwarded-for`, `forwarded` or `x-real-ip`). */
  forwardedHeader: ForwardedHeader;
  /** IPv6 clients are grouped (counted and blocked) per this prefix. */
  ipv6Prefix: number;
  allowlist: string[];
  denylist: string[];
  /** The rules in force: the built-in document, env overrides, then RULES_FILE. */
  rules: RuleSet;
  /** @nestjs/throttler limit on auth routes, per client per minute. */
  authRouteLimit: number;
  /** Memory bound: clients tracked at once (least recently seen evicted first). */
  maxTrackedClients: number;
  /**
   * The widest range an admin may block or denylist, as a prefix length (IPv4 /16 and IPv6 /32
   * by default: a provider's allocation, never "everyone"). MAX_BLOCK_RANGE_V4, MAX_BLOCK_RANGE_V6.
   */
  maxBlockRangeV4: number;
  maxBlockRangeV6: number;
  /** Self-healing job period and audit retention. */
  healingIntervalSeconds: number;
  auditRetentionDays: number;
}

/** What a host may pass: any setting, and the rules as a document (merged over the defaults) or compiled. */
export type DetectionOptionsInput = Partial<Omit<DetectionOptions, 'rules'>> & { rules?: RuleSet | RulesDocument };

const DEFAULTS: Omit<DetectionOptions, 'rules'> = {
  mode: 'enforce',
  observeRules: [],
  trustedProxies: [],
  forwardedHeader: 'x-forwarded-for',
  ipv6Prefix: 64,
  allowlist: [],
  denylist: [],
  authRouteLimit: 30,
  maxTrackedClients: 100_000,
  healingIntervalSeconds: 5,
  auditRetentionDays: 30,
  maxBlockRangeV4: 16,
  maxBlockRangeV6: 32,
};

/** Environment variable -> option, for the integer settings of the service. */
const INTEGER_VARS: [
  string,
  (
    | 'ipv6Prefix'
    | 'authRouteLimit'
    | 'maxTrackedClients'
    | 'healingIntervalSeconds'
    | 'auditRetentionDays'
    | 'maxBlockRangeV4'
    | 'maxBlockRangeV6'
  ),
  number,
  number,
][] = [
  ['IPV6_PREFIX', 'ipv6Prefix', 16, 128],
  ['AUTH_ROUTE_LIMIT', 'authRouteLimit', 1, 1_000_000],
  ['MAX_TRACKED_CLIENTS', 'maxTrackedClients', 100, 10_000_000],
  ['HEALING_INTERVAL', 'healingIntervalSeconds', 1, 86400],
  ['AUDIT_RETENTION_DAYS', 'auditRetentionDays', 1, 3650],
  // At least /1: a block of /0 (everyone) is never allowed.
  ['MAX_BLOCK_RANGE_V4', 'maxBlockRangeV4', 1, 32],
  ['MAX_BLOCK_RANGE_V6', 'maxBlockRangeV6', 1, 128],
];

/**
 * One-number environment variables kept from the first release: each sets a field of a
 * built-in rule before RULES_FILE is applied. Variable -> [rule id, field] it sets.
 */
const RULE_VARS: [string, [string, string][], number, number][] = [
  ['RATE_LIMIT', [['request-rate', 'threshold']], 1, Number.MAX_SAFE_INTEGER],
  ['RATE_WINDOW', [['request-rate', 'windowSeconds']], 1, 86400],
  [
    'BAN_DURATION',
    [
      ['request-rate', 'blockSeconds'],
      ['probing', 'blockSeconds'],
      ['token-misuse', 'blockSeconds'],
    ],
    1,
    30 * 86400,
  ],
  ['MAX_BAN_DURATION', [['repeat-offenders', 'maxSeconds']], 1, 365 * 86400],
  ['FAILED_LOGIN_THRESHOLD', [['failed-logins', 'threshold']], 1, 1000],
  ['FAILED_LOGIN_BUFFER', [['failed-logins', 'bufferSeconds']], 1, 86400],
  ['ACCOUNT_FREE_FAILURES', [['account-failed-logins', 'threshold']], 1, 1000],
  ['ACCOUNT_MAX_DELAY', [['account-failed-logins', 'maxDelaySeconds']], 1, 60],
  ['SUCCESS_LOGIN_BLOCK', [['successful-logins', 'threshold']], 2, 1000],
  ['TOKEN_MAX_CLIENTS', [['token-misuse', 'maxClients']], 1, 100],
  ['PROBE_THRESHOLD', [['probing', 'threshold']], 1, Number.MAX_SAFE_INTEGER],
  ['PROBE_WINDOW', [['probing', 'windowSeconds']], 1, 86400],
  ['SUSPICION_DURATION', [['suspicion', 'seconds']], 1, 30 * 86400],
];

/** Every environment variable the detection settings are read from (CONFIG_VARIABLES lists them with the rest). */
export const DETECTION_VARIABLES: readonly string[] = [
  'SHIELD_MODE',
  'FORWARDED_HEADER',
  'TRUSTED_PROXIES',
  'ALLOWLIST',
  'DENYLIST',
  'OBSERVE_RULES',
  'SUSPICIOUS_RATIO',
  'RULES_FILE',
  ...INTEGER_VARS.map(([name]) => name),
  ...RULE_VARS.map(([name]) => name),
];

/** Reads the detection settings from the environment; throws `Invalid <VAR>: …` or a RulesError on a bad value. */
export function detectionOptionsFromEnv(env: Record<string, string | undefined>): DetectionOptionsInput {
  const out: DetectionOptionsInput = {};
  const mode = env['SHIELD_MODE'];
  if (mode !== undefined) {
    if (mode !== 'enforce' && mode !== 'observe' && mode !== 'off')
      throw new Error('Invalid SHIELD_MODE: expected enforce, observe or off');
    out.mode = mode;
  }
  const header = env['FORWARDED_HEADER'];
  if (header !== undefined && header !== '') {
    const h = header.trim().toLowerCase() as ForwardedHeader;
    if (!FORWARDED_HEADERS.includes(h)) throw new Error(`Invalid FORWARDED_HEADER: expected ${FORWARDED_HEADERS.join(', ')}`);
    out.forwardedHeader = h;
  }
  const list = (name: string) =>
    (env[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (const [name, key] of [
    ['TRUSTED_PROXIES', 'trustedProxies'],
    ['ALLOWLIST', 'allowlist'],
    ['DENYLIST', 'denylist'],
  ] as const) {
    if (env[name] === undefined) continue;
    const cidrs = list(name);
    for (const c of cidrs)
      if (!ipaddr.isValid(c) && !ipaddr.isValidCIDR(c)) throw new Error(`Invalid ${name}: ${c} is not an address or CIDR`);
    out[key] = cidrs;
  }
  for (const [name, key, min, max] of INTEGER_VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    out[key] = wholeNumber(name, raw, min, max);
  }
  out.rules = rulesFromEnv(env);
  if (env['OBSERVE_RULES']) {
    const ids = out.rules.rules.map((r) => r.id);
    const rules = list('OBSERVE_RULES');
    const bad = rules.find((r) => !ids.includes(r));
    if (bad) throw new Error(`Invalid OBSERVE_RULES: unknown rule ${bad} (rules: ${ids.join(', ')})`);
    out.observeRules = rules;
  }
  return out;
}

/** The built-in rules with the one-number variables applied, then RULES_FILE over them. */
export function rulesFromEnv(env: Record<string, string | undefined>): RuleSet {
  const rules: RulesDocument['rules'] = {};
  for (const [id, entry] of Object.entries(DEFAULT_RULES.rules)) rules[id] = { ...entry };
  const suspicion = { ...DEFAULT_RULES.suspicion };
  for (const [name, targets, min, max] of RULE_VARS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = wholeNumber(name, raw, min, max);
    for (const [id, field] of targets) {
      if (id === 'suspicion') suspicion.seconds = n;
      else if (rules[id]) rules[id][field] = n;
    }
  }
  if (env['SUSPICIOUS_RATIO'] !== undefined && env['SUSPICIOUS_RATIO'] !== '') {
    const r = Number(env['SUSPICIOUS_RATIO']);
    if (!(r > 0 && r < 1)) throw new Error('Invalid SUSPICIOUS_RATIO: expected a number between 0 and 1');
    suspicion.ratio = r;
  }
  const base: RulesDocument = { ...DEFAULT_RULES, suspicion, rules };
  const file = env['RULES_FILE'];
  if (!file) return compileRules({ version: 1 }, 'built-in rules', base);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RulesError(`RULES_FILE ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return compileRules(parseRulesText(text, basename(file)), basename(file), base);
}

export function resolveOptions(input: DetectionOptionsInput = {}): DetectionOptions {
  const { rules, ...rest } = input;
  const compiled =
    rules === undefined ? compileRules({ version: 1 }, 'built-in rules') : isRuleSet(rules) ? rules : compileRules(rules, 'rules');
  return { ...DEFAULTS, ...rest, rules: compiled };
}

function isRuleSet(r: RuleSet | RulesDocument): r is RuleSet {
  return Array.isArray(r.rules);
}

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`Invalid ${name}: expected a whole number from ${min} to ${max}`);
  return n;
}
