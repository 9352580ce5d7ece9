import type { DashboardDataResponse } from '@bouncer/contracts';

/** Sign-in events whose actor is the account that was tried (not someone who acted). */
const GUESS_TYPES = new Set(['login.failed', 'account.delayed', 'gateway.login.failed']);

export interface AttackSummary {
  /** "failed sign-ins" or "repeated successful sign-ins". */
  kind: string;
  /** Accounts tried, most-tried first (from the latest events). */
  accounts: string[];
  /** Addresses held for it now, with the longest wait left in seconds. */
  addresses: string[];
  longestLeft: number;
}

/**
 * The brute-force banner as an attack summary (D21): one line per kind of attack, naming the
 * accounts tried and how many addresses are held, instead of one line per address. Account-level
 * throttling (`account.delayed`) counts even when no address is blocked.
 */
export function attackSummaries(d: DashboardDataResponse, elapsedSeconds: number): AttackSummary[] {
  const out: AttackSummary[] = [];
  const live = (xs: { ip: string; remaining: number }[]) => xs.filter((x) => x.remaining - elapsedSeconds > 0);
  const brute = live(d.brute_force_ips);
  const bruteIps = new Set(brute.map((x) => x.ip));
  const tried = new Map<string, number>();
  let accountThrottled = false;
  for (const e of d.events) {
    if (!GUESS_TYPES.has(e.type) || !e.actor) continue;
    if (e.type === 'account.delayed') accountThrottled = true;
    else if (!e.client || !bruteIps.has(e.client)) continue;
    tried.set(e.actor, (tried.get(e.actor) ?? 0) + 1);
  }
  if (brute.length > 0 || accountThrottled) {
    out.push({
      kind: 'failed sign-ins',
      accounts: [...tried.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name),
      addresses: brute.map((x) => x.ip),
      longestLeft: Math.max(0, ...brute.map((x) => x.remaining - elapsedSeconds)),
    });
  }
  const success = live(d.successful_block_ips);
  if (success.length > 0) {
    out.push({
      kind: 'repeated successful sign-ins',
      accounts: [],
      addresses: success.map((x) => x.ip),
      longestLeft: Math.max(...success.map((x) => x.remaining - elapsedSeconds)),
    });
  }
  return out;
}

/** "root, dave and 3 more": at most `n` names. */
export function listNames(names: string[], n = 4): string {
  if (names.length <= n) return names.join(', ');
  return `${names.slice(0, n).join(', ')} and ${names.length - n} more`;
}
