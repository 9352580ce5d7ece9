import type { z } from 'zod';
import type { BlockScope } from '../decision';
import type { DetectionEvent, EventType, AttemptHold } from '../events';
import type { CounterOp, CounterResult } from '../store/counter-store';

/** What every rule is told besides its own settings. */
export interface RuleContext {
  /** The rule's id in the rules document (`failed-logins`); also the prefix of its counter keys. */
  readonly id: string;
  readonly now: number;
  /** A client is suspicious at this share of a threshold, for this many seconds. */
  readonly suspicion: { readonly ratio: number; readonly seconds: number };
}

/** What a rule concludes from one event and its counts. Every part is optional. */
export interface Judgement {
  /** Mark the event's client suspicious (for `seconds`, default the suspicion duration). */
  suspect?: { reason: string; seconds?: number };
  /** Block the event's client. `escalate`: repeat offenders get longer (the escalation rule). */
  block?: { reason: string; seconds: number; scope: BlockScope; escalate?: boolean };
  /** Refuse this very event (the request, the sign-in attempt, the sign-in that succeeded). */
  refuse?: { reason: string; until: number; status: 403 | 429; limit?: { limit: number; windowSeconds: number } };
  /** A sign-in attempt's reservation, handed back when its outcome is known. */
  hold?: AttemptHold;
  /** An audit record that is not a decision. */
  notice?: { event: string; actor: string | null; detail: string };
  /** The token of a `token-seen` event must be revoked. */
  revokeToken?: boolean;
  /** A failed sign-in: this client's sign-ins pause after `attemptsLeft` more failures, for `pauseSeconds`. */
  warn?: { attemptsLeft: number; pauseSeconds: number };
  /** Counter operations to run after this decision (not part of its atomic step). */
  followUp?: CounterOp[];
}

/**
 * One kind of rule: how it counts (`plan`, a program of counter operations the store runs
 * atomically with every other rule's for the same event) and what it concludes (`judge`).
 * Pure functions of the event, the settings and the counts: no I/O, no clock, no state.
 * Counter keys are relative; the engine prefixes them with the rule's id. The programs `plan`,
 * `forget`, `forgetAccount` and a judgement's `followUp` return are fresh arrays of fresh
 * objects on every call: the engine takes them over and rewrites their keys in place.
 */
export interface RuleKind<S extends object = Record<string, unknown>> {
  readonly kind: string;
  /** One sentence for the docs. */
  readonly summary: string;
  /** The settings, as the rules document gives them. Field errors read "<field> must be …". */
  readonly params: z.ZodType<S>;
  readonly events: readonly EventType[];
  /**
   * Whether this event concerns the rule at all (it neither counts nor judges it otherwise).
   * Optional: without it every event of `events` is planned and judged. Lets the engine answer
   * an event no rule cares about (a 200 for the probing rule) without building anything.
   * For a `response` it may look at the status only: the engine keeps the answer per status
   * (DetectionEngine.countsAnswer).
   */
  watches?(event: DetectionEvent, spec: S): boolean;
  /**
   * The counter program for an event. For a `request` it may use the client and the settings
   * only (not `ctx.now`), and `watches` likewise: the engine keeps a client's request program
   * and runs it again for the client's next requests.
   */
  plan(event: DetectionEvent, spec: S, ctx: RuleContext): CounterOp[];
  judge(event: DetectionEvent, spec: S, results: readonly CounterResult[], ctx: RuleContext): Judgement | null;
  /**
   * The threshold a 429 of this rule enforces, for RateLimit headers: the same numbers whether
   * the refusal comes from the rule's own count or from the buffer it left standing.
   */
  limit?(spec: S): { limit: number; windowSeconds: number };
  /** Counters to forget when a person lifts a client's block (its slate is wiped). */
  forget?(client: string, spec: S): CounterOp[];
  /** Counters to forget when a person unlocks an account (its failed sign-ins count from zero again). */
  forgetAccount?(account: string, spec: S): CounterOp[];
  /** What the rule does with these settings, in words, for the README's table. */
  describe(spec: S, suspicion: RuleContext['suspicion']): string;
}

/** Keeps a kind's settings type while registering it with the rest. */
export function defineRuleKind<S extends object>(kind: RuleKind<S>): RuleKind<S> {
  return kind;
}

/** Seconds until `until`, at least 1: the Retry-After a refusal carries. */
export function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** "45 seconds": what people read in a refusal. */
export function describeWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  return `${s} second${s === 1 ? '' : 's'}`;
}
