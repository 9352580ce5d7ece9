import { z } from 'zod';
import type { AttemptHold } from '../../events';
import { allocationOf } from '../../net/allocation';
import type { CounterOp, CounterResult } from '../../store/counter-store';
import { DELAYED, holdOf, IN_FLIGHT, PENDING_MS, planFailure } from '../attempt-gate';
import { positiveInt, seconds } from '../params';
import { defineRuleKind, describeWait, secondsUntil } from '../rule-kind';

/**
 * Rule 3: failed sign-ins per account, from any number of clients, shaped so that an attacker
 * can slow an account's owner down but never keep them out (Auth0's model: one client's
 * failures do not lock other clients out).
 *
 * - The first `threshold` attempts at an account in `windowSeconds` are checked freely.
 * - Beyond that the account is under attack, and two limits apply to every further attempt:
 *   - per account-and-client pair: at most `clientThreshold` attempts in the window, counting
 *     the pair's attempts before the attack too (a client that already guessed waits for the
 *     window, up to an hour; a client that never tried at this account still has its budget);
 *     IPv6 clients are counted per /`ipv6Prefix` allocation, so rotating /64s buys nothing;
 *   - account-wide spacing: one checked attempt at a time, each failure closing the account for
 *     a delay doubling from 1 s up to `maxDelaySeconds` (a few seconds): a slowdown, never a lock.
 * - The owner's remembered device (`trustedDevice`, a per-device secret) is not held back at all.
 *
 * The bound, per account and window: at most `threshold` + `clientThreshold` × (distinct
 * clients, IPv6 counted per allocation) checked guesses, and never more than `threshold` +
 * windowSeconds / maxDelaySeconds. The owner from a device or address never seen before gets
 * in within `maxDelaySeconds`: a never-seen owner cannot be told from a never-seen attacker, so
 * each fresh client is worth one guess to an attacker; the client rules, the allocation
 * grouping and the spacing limit how many fresh clients that is.
 *
 * Attempts are counted before the password is checked, in one atomic program, so N guesses
 * sent at once get no more checks than N sent one by one (see attempt-gate.ts).
 */
export const accountBackoff = defineRuleKind({
  kind: 'account-backoff',
  summary:
    'Failed sign-ins per account: after the free ones, a small budget per account-and-client pair and a short account-wide spacing (429); never a lock.',
  params: z.strictObject({
    threshold: positiveInt(),
    windowSeconds: seconds(),
    // A few seconds: a long account-wide delay is a lock anyone can renew (security review M10).
    maxDelaySeconds: seconds().max(60, { error: 'must be at most 60 seconds: a longer account-wide delay locks the owner out' }),
    clientThreshold: positiveInt().default(1),
    ipv6Prefix: positiveInt().max(128, { error: 'must be a prefix length from 1 to 128' }).default(48),
  }),
  events: ['sign-in-attempt', 'sign-in-failed', 'sign-in-succeeded', 'sign-in-abandoned'],
  plan(e, spec, ctx) {
    const windowMs = spec.windowSeconds * 1000;
    if (e.type === 'sign-in-attempt') return e.trustedDevice ? [] : planAccountAttempt(e.account, pairOf(e, spec), spec, windowMs);
    if (e.type !== 'sign-in-failed' && e.type !== 'sign-in-succeeded' && e.type !== 'sign-in-abandoned') return [];
    const hold = holdOf(e.ticket, ctx.id);
    if (!hold) return [];
    if (e.type === 'sign-in-failed') return planFailure(e.account, hold, spec.threshold, delayMs(spec, hold.position));
    return releaseAccount(e.account, pairOf(e, spec), hold, windowMs);
  },
  judge(e, spec, r, ctx) {
    if (e.type === 'sign-in-attempt') {
      if (r.length === 0) return null;
      const [place, closed, , pairTaken, gate, counted] = r as CounterResult[] as [
        CounterResult,
        CounterResult,
        CounterResult,
        CounterResult,
        CounterResult,
        CounterResult,
      ];
      if (place.admitted) return { hold: { position: place.count, holdsGate: closed.ran } };
      // The RateLimit headers state the limit that refused: the pair's budget, or the spacing.
      if (!pairTaken.admitted) {
        const limit = { limit: spec.clientThreshold, windowSeconds: spec.windowSeconds };
        const wait = secondsUntil(pairTaken.resetAt, ctx.now);
        return {
          refuse: {
            reason: `This account is protected after many failed sign-ins; this client may try again in ${describeWait(wait)}.`,
            until: pairTaken.resetAt,
            status: 429,
            limit,
          },
        };
      }
      if (gate.admitted) return { hold: { position: counted.count, holdsGate: true } };
      // The account is spaced out: this client keeps its budget for when it comes back.
      const wait = gate.count >= DELAYED ? secondsUntil(gate.resetAt, ctx.now) : 1;
      return {
        refuse: {
          reason: `This account is protected after many failed sign-ins; try again in ${describeWait(wait)}.`,
          until: ctx.now + wait * 1000,
          status: 429,
          limit: { limit: 1, windowSeconds: spec.maxDelaySeconds },
        },
        followUp: [{ op: 'add', key: pairKey(e.account, pairOf(e, spec)), windowMs: spec.windowSeconds * 1000, by: -1 }],
      };
    }
    if (e.type !== 'sign-in-failed') return null;
    const hold = holdOf(e.ticket, ctx.id);
    if (hold?.position !== spec.threshold) return null;
    return {
      notice: {
        event: 'account.delayed',
        actor: e.account,
        detail: `${hold.position} failed sign-ins for ${e.account} within ${spec.windowSeconds / 3600 >= 1 && spec.windowSeconds % 3600 === 0 ? (spec.windowSeconds === 3600 ? 'an hour' : `${spec.windowSeconds / 3600} hours`) : `${spec.windowSeconds} s`}; further attempts are limited per client and spaced out`,
      },
    };
  },
  forget: () => [],
  // The account's count and its spacing gate: with them gone the account is back in its free
  // phase, where the per-pair budgets are only counted, never checked.
  forgetAccount: (account) => [
    { op: 'del', key: `n:${account}` },
    { op: 'del', key: `g:${account}` },
  ],
  describe: (s) =>
    `after ${s.threshold} failed sign-ins at one account within ${s.windowSeconds} s: ${s.clientThreshold} checked guess${s.clientThreshold === 1 ? '' : 'es'} per client (IPv6 per /${s.ipv6Prefix}) in that window, one at a time, each failure spacing the account by 1 s doubling to ${s.maxDelaySeconds} s (429); never a lock; the owner's remembered device passes`,
});

interface AccountSpec {
  threshold: number;
  maxDelaySeconds: number;
  clientThreshold: number;
  ipv6Prefix: number;
}

function pairOf(e: { client: string }, spec: { ipv6Prefix: number }): string {
  return allocationOf(e.client, spec.ipv6Prefix);
}

/** Client keys never contain `>`, so the pair key cannot be read two ways. */
function pairKey(account: string, pair: string): string {
  return `p:${pair}>${account}`;
}

/**
 * The attempt's program. Free phase: a place among the free attempts (the last one closes the
 * gate while in flight), and the pair counts the attempt. Under attack: the pair's budget
 * first, then the gate; only an attempt that passes both is counted at the account.
 */
function planAccountAttempt(account: string, pair: string, spec: AccountSpec, windowMs: number): CounterOp[] {
  const n = `n:${account}`;
  const g = `g:${account}`;
  const p = pairKey(account, pair);
  return [
    { op: 'take', key: n, windowMs, limit: spec.threshold },
    { op: 'arm', key: g, windowMs: PENDING_MS, count: IN_FLIGHT, if: { ref: 0, admitted: true, atLeast: spec.threshold } },
    { op: 'add', key: p, windowMs, if: { ref: 0, admitted: true } },
    { op: 'take', key: p, windowMs, limit: spec.clientThreshold, if: { ref: 0, admitted: false } },
    { op: 'take', key: g, windowMs: PENDING_MS, limit: 1, if: { ref: 3, admitted: true } },
    { op: 'add', key: n, windowMs, if: { ref: 4, admitted: true } },
  ];
}

/** A success or an unchecked attempt gives back its place, its pair's count and the gate. */
function releaseAccount(account: string, pair: string, hold: AttemptHold, windowMs: number): CounterOp[] {
  const ops: CounterOp[] = [
    { op: 'add', key: `n:${account}`, windowMs, by: -1 },
    { op: 'add', key: pairKey(account, pair), windowMs, by: -1 },
  ];
  if (hold.holdsGate) ops.push({ op: 'del', key: `g:${account}` });
  return ops;
}

/** Doubling delays after the free failures: 1 s, 2 s, 4 s … up to the cap. */
function delayMs(spec: { threshold: number; maxDelaySeconds: number }, failures: number): number {
  const over = Math.max(0, failures - spec.threshold);
  return Math.min(2 ** Math.min(over, 40), spec.maxDelaySeconds) * 1000;
}
