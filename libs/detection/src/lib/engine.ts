import { LRUCache } from 'lru-cache';
import { DecisionBook } from './book/decision-book';
import { type Decision, decisionRef, type Effect, type EventSink, type SignInWarning, type StandingDecision } from './decision';
import type { DetectionEvent, EventOf, EventType, SignInTicket } from './events';
import { type EscalationSpec, escalatedSeconds } from './rules/kinds/escalation.rule';
import type { Judgement, RuleContext } from './rules/rule-kind';
import { describeWait, secondsUntil } from './rules/rule-kind';
import type { CompiledRule, RuleSet } from './rules/rules-document';
import type { CounterOp, CounterResult, CounterStore } from './store/counter-store';
import { RecentMap } from './store/recent-map';
import { andThen, type Clock, type MaybePromise } from './time';

export type EngineMode = 'enforce' | 'observe' | 'off';

export interface EngineOptions {
  rules: RuleSet;
  store: CounterStore;
  clock: Clock;
  sink: EventSink;
  /** `observe` records every decision without enforcing one; `off` decides nothing (benchmarks). */
  mode?: EngineMode;
  /** Rule ids recorded but not enforced, besides those the rules document puts in observe mode. */
  observeRules?: readonly string[];
  /** IPv6 clients are keyed per this prefix; the book tells such keys from admin ranges by it. */
  ipv6Prefix?: number;
  /** Bound on the memory of token/client pairs already seen (rule answers without a store trip). */
  maxTrackedClients?: number;
}

const ALLOW: Decision = Object.freeze({ verdict: 'allow' });

/**
 * The events whose rules still judge an allow-listed client, dry. Only these: their rules count
 * the client alone (requests, probing answers). The sign-in rules hold reservations shared
 * with the account and settle them with a ticket, which a dry run must not touch.
 */
const DRY_EVENTS: ReadonlySet<EventType> = new Set<EventType>(['request', 'response']);

/** The audit event a dry judgement that would have blocked an allow-listed client becomes. */
export const ALLOWLIST_SKIPPED_EVENT = 'allowlist.skipped-decision';

interface Step {
  rule: CompiledRule;
  ctx: RuleContext;
  offset: number;
  length: number;
}

/**
 * The detection engine: one decision per event, made in one place. For every event it
 *  1. answers from the decision book what already stands (allow list, deny list, blocks);
 *  2. gathers the counter programs of every rule that watches this event and runs them in the
 *     store as ONE atomic step;
 *  3. lets each rule judge its counts, applies the judgements to the book (escalating repeat
 *     offenders), and reports each change to the sink as an effect;
 *  4. answers allow, observe, suspicious or blocked, with the reason, the rule, until when
 *     and Retry-After.
 * It does no I/O of its own: counts go to the CounterStore, decisions to the EventSink.
 * One file of about 280 lines on purpose: the decision flow reads top to bottom in one place.
 */
export class DetectionEngine {
  readonly book: DecisionBook;
  private readonly byEvent = new Map<EventType, CompiledRule[]>();
  private readonly escalation: EscalationSpec | null;
  private readonly observed: Set<string>;
  /**
   * Token to the clients it was allowed from: the usual request (a token used by the client it
   * was issued to) is answered without a store trip and without building a key; a token seen
   * from several clients keeps them in a set.
   */
  private readonly seenTokens: RecentMap<string, string | Set<string>>;
  /**
   * Per HTTP status: 1 when a rule counts that answer, 2 when none does (0: not asked yet). Every
   * request's answer asks, and most (a 200) concern no rule: answered from here, without an event.
   */
  private readonly answerWatched = new Uint8Array(600);
  /**
   * A client's `request` program, built once (rebased keys, already flat text): the rules of a
   * request plan by the client and their settings alone (RuleKind.plan), so the usual request
   * reuses its client's program instead of planning and building keys again. Bounded: a client
   * not in it is planned as any event is. Stores never change the programs they run.
   */
  private readonly requestPrograms = new RecentMap<string, { ops: CounterOp[]; rules: CompiledRule[]; lengths: number[] }>(
    REQUEST_PROGRAMS,
  );
  /** `client|rule` of allow-listed clients reported as "would block", until the block would have ended. */
  private readonly skippedUntil: LRUCache<string, number>;

  constructor(private readonly options: EngineOptions) {
    this.book = new DecisionBook(options.ipv6Prefix ?? 64);
    this.observed = new Set(options.observeRules ?? []);
    for (const rule of options.rules.rules) {
      if (!rule.enabled) continue;
      for (const type of rule.kind.events) this.byEvent.set(type, [...(this.byEvent.get(type) ?? []), rule]);
    }
    const esc = options.rules.rules.find((r) => r.enabled && r.kind.kind === 'escalation');
    this.escalation = esc ? (esc.spec as unknown as EscalationSpec) : null;
    this.seenTokens = new RecentMap(options.maxTrackedClients ?? 100_000);
    this.skippedUntil = new LRUCache({ max: 10_000 });
  }

  get mode(): EngineMode {
    return this.options.mode ?? 'enforce';
  }

  get rules(): RuleSet {
    return this.options.rules;
  }

  /** Whether a rule's decisions are enforced (not only recorded). People's decisions always are. */
  isEnforced(ruleId: string): boolean {
    if (ruleId === 'admin' || ruleId === 'denylist') return true;
    if (this.mode !== 'enforce' || this.observed.has(ruleId)) return false;
    return this.options.rules.rules.find((r) => r.id === ruleId)?.mode !== 'observe';
  }

  /**
   * True when `client` already showed `token` and was allowed: a `token-seen` event for the pair
   * would be allowed at once and change nothing. The request path asks this first, so the usual
   * request (a token used by the client it was issued to) builds no event at all.
   */
  seenBefore(token: string, client: string): boolean {
    return this.mode !== 'off' && this.tokenSeenFrom(token, client);
  }

  /**
   * Whether any rule counts an answer with this status (a `response` event would be allowed at
   * once otherwise). A rule kind's `watches` judges a response by its status alone (RuleKind),
   * so the answer is kept per status.
   */
  countsAnswer(status: number): boolean {
    if (this.mode === 'off') return false;
    if (!(status >= 100 && status < 600)) return this.watched({ type: 'response', client: '', status });
    let known = this.answerWatched[status]!;
    if (known === 0) this.answerWatched[status] = known = this.watched({ type: 'response', client: '', status }) ? 1 : 2;
    return known === 1;
  }

  /** The one decision point. Synchronous when the store is. */
  decide(event: DetectionEvent): MaybePromise<Decision> {
    if (event.type === 'admin-block') return this.adminBlock(event, this.options.clock.now());
    if (event.type === 'admin-lift') return this.adminLift(event, this.options.clock.now());
    if (this.mode === 'off') return event.type === 'sign-in-attempt' ? { verdict: 'allow', ticket: { holds: {} } } : ALLOW;
    // Two answers every request asks for, first: a token its client already showed, and an
    // answer no rule counts (a 200). Both are allowed whatever the lists and decisions say
    // (nothing stands against these events; an allow-listed client's would be allowed too).
    if (event.type === 'token-seen' && this.tokenSeenFrom(event.token, event.client)) return ALLOW;
    if (event.type === 'response' && !this.countsAnswer(event.status)) return ALLOW;
    const now = this.options.clock.now();
    // A client the book says nothing about (the usual one) is neither listed nor refused already.
    const quiet = this.book.isQuiet(event.client);
    if (!quiet) {
      if (this.book.isAllowlisted(event.client)) return this.allowlisted(event, now);
      const standing = this.standingRefusal(event, now);
      if (standing) return standing;
    }

    const steps: Step[] = [];
    let ops: CounterOp[] = NO_OPS;
    const known = event.type === 'request' ? this.requestPrograms.get(event.client) : undefined;
    if (known) {
      ops = known.ops;
      for (let i = 0, offset = 0; i < known.rules.length; offset += known.lengths[i]!, i++) {
        const rule = known.rules[i]!;
        steps.push({ rule, ctx: { id: rule.id, now, suspicion: this.options.rules.suspicion }, offset, length: known.lengths[i]! });
      }
    } else
      for (const rule of this.byEvent.get(event.type) ?? NO_RULES) {
        if (rule.kind.watches && !rule.kind.watches(event, rule.spec)) continue;
        const ctx: RuleContext = { id: rule.id, now, suspicion: this.options.rules.suspicion };
        const program = rebase(rule.kind.plan(event, rule.spec, ctx), rule.id, ops.length);
        steps.push({ rule, ctx, offset: ops.length, length: program.length });
        // The usual event has one rule: its program is the whole program (no copy).
        if (ops === NO_OPS) ops = program;
        else {
          if (steps.length === 2) ops = [...ops];
          for (const op of program) ops.push(op);
        }
      }
    if (event.type === 'request' && !known)
      this.requestPrograms.set(event.client, { ops, rules: steps.map((s) => s.rule), lengths: steps.map((s) => s.length) });
    // Nothing watches it (an answer the probing rule does not count): nothing to conclude.
    if (steps.length === 0 && event.type !== 'sign-in-attempt' && event.type !== 'request') return ALLOW;
    const results = ops.length ? this.options.store.run(ops, now) : NO_RESULTS;
    // No closure for a synchronous store: this runs for every request.
    return results instanceof Promise
      ? results.then((r) => this.conclude(event, steps, r, now, quiet))
      : this.conclude(event, steps, results, now, quiet);
  }

  /**
   * A person unlocks an account: every rule forgets what it counted about the account (rule 3's
   * failures and spacing), so its owner signs in as if no one had guessed. Client decisions are
   * untouched: they are lifted one by one. Returns how many counters were cleared.
   */
  unlockAccount(account: string): MaybePromise<number> {
    const now = this.options.clock.now();
    const ops: CounterOp[] = [];
    for (const rule of this.options.rules.rules)
      if (rule.kind.forgetAccount) ops.push(...rebase(rule.kind.forgetAccount(account, rule.spec), rule.id, ops.length));
    return ops.length ? andThen(this.options.store.run(ops, now), () => ops.length) : 0;
  }

  /** Drops decisions past their expiry from the book (the healing job); returns them. */
  expire(now = this.options.clock.now()): StandingDecision[] {
    return this.book.expire(now);
  }

  // ---- inside ---------------------------------------------------------------------------

  private watched(event: DetectionEvent): boolean {
    for (const rule of this.byEvent.get(event.type) ?? []) if (!rule.kind.watches || rule.kind.watches(event, rule.spec)) return true;
    return false;
  }

  private tokenSeenFrom(token: string, client: string): boolean {
    const seen = this.seenTokens.get(token);
    return seen === client || (typeof seen === 'object' && seen.has(client));
  }

  private rememberToken(token: string, client: string): void {
    const seen = this.seenTokens.get(token);
    if (seen === undefined || seen === client) this.seenTokens.set(token, client);
    else if (typeof seen === 'string') this.seenTokens.set(token, new Set([seen, client]));
    // The token-spread rule revokes a token long before its set grows large.
    else if (seen.size < 64) seen.add(client);
  }

  /**
   * An allow-listed client is always allowed. The rules that count its traffic alone still
   * count it, under keys of their own (`allowlisted:` + rule id, so nothing carries over if it
   * leaves the list), and a judgement that would have blocked it is reported once per would-be
   * block as an `allowlist.skipped-decision` notice: the allow list hiding an attack (a
   * compromised partner, a scanner behind the office address) is seen, not silently waved on.
   */
  private allowlisted(event: DetectionEvent, now: number): MaybePromise<Decision> {
    if (event.type === 'sign-in-attempt') return { verdict: 'allow', ticket: { holds: {} } };
    const rules = DRY_EVENTS.has(event.type) ? this.byEvent.get(event.type) : undefined;
    if (!rules?.length) return ALLOW;
    const steps: Step[] = [];
    const ops: CounterOp[] = [];
    for (const rule of rules) {
      if (rule.kind.watches && !rule.kind.watches(event, rule.spec)) continue;
      const ctx: RuleContext = { id: rule.id, now, suspicion: this.options.rules.suspicion };
      const program = rule.kind.plan(event, rule.spec, ctx);
      steps.push({ rule, ctx, offset: ops.length, length: program.length });
      ops.push(...rebase(program, `allowlisted:${rule.id}`, ops.length));
    }
    if (!ops.length) return ALLOW;
    return andThen(this.options.store.run(ops, now), (results) => {
      const followUp: CounterOp[] = [];
      for (const step of steps) {
        const j = step.rule.kind.judge(event, step.rule.spec, results.slice(step.offset, step.offset + step.length), step.ctx);
        if (!j?.block) continue;
        if (j.followUp) followUp.push(...rebase(j.followUp, `allowlisted:${step.rule.id}`, followUp.length));
        this.reportSkipped(event.client, step.rule.id, j.block.reason, j.block.seconds, now, event.cause);
      }
      return followUp.length ? andThen(this.options.store.run(followUp, now), () => ALLOW) : ALLOW;
    });
  }

  private reportSkipped(client: string, ruleId: string, reason: string, seconds: number, now: number, cause?: string): void {
    const key = `${client}|${ruleId}`;
    if ((this.skippedUntil.get(key) ?? 0) > now) return;
    this.skippedUntil.set(key, now + seconds * 1000);
    this.emit(
      {
        type: 'notice',
        event: ALLOWLIST_SKIPPED_EVENT,
        client,
        actor: `rule:${ruleId}`,
        detail: `${client} is on the allowlist: rule ${ruleId} would have blocked it for ${seconds} s (${reason}); not enforced`,
      },
      cause,
    );
  }

  /** What already stands against this event, answered from memory. */
  private standingRefusal(event: DetectionEvent, now: number): Decision | null {
    if (event.type === 'request') {
      const block = this.book.blockFor(event.client, 'all', now);
      if (block?.enforced) return refusal(block, now, 403);
      const deny = this.book.denyEntry(event.client);
      if (deny)
        return {
          verdict: 'blocked',
          ruleId: 'denylist',
          reason: `${deny} is on the denylist`,
          status: 403,
          until: now + 3600_000,
          retryAfter: 3600,
        };
    }
    if (event.type === 'sign-in-attempt') {
      const buffer = this.book.blockFor(event.client, 'sign-in', now);
      if (buffer?.enforced) {
        const rule = this.options.rules.rules.find((r) => r.id === buffer.rule);
        const what = rule?.kind.kind === 'success-velocity' ? 'Too many sign-ins from this client' : 'Too many failed sign-ins';
        const limit = rule?.kind.limit?.(rule.spec);
        return {
          ...refusal(buffer, now, 429),
          ...(limit ? { limit: { policy: buffer.rule, ...limit } } : {}),
          reason: `${what}; try again in ${describeWait(secondsUntil(buffer.expiresAt, now))}.`,
          ticket: { holds: {} },
        };
      }
    }
    return null;
  }

  /** `quiet`: the book said nothing about the client when the event came (DecisionBook.isQuiet). */
  private conclude(
    event: DetectionEvent,
    steps: Step[],
    results: readonly CounterResult[],
    now: number,
    quiet: boolean,
  ): MaybePromise<Decision> {
    // ALLOW is frozen and never changed: every stronger verdict is a new object (merge).
    let decision: Decision = event.type === 'sign-in-attempt' ? { verdict: 'allow', ticket: { holds: {} } } : ALLOW;
    const followUp: CounterOp[] = [];
    const holders: Step[] = [];
    let warning: SignInWarning | undefined;
    for (const step of steps) {
      const own = step.offset === 0 && step.length === results.length ? results : results.slice(step.offset, step.offset + step.length);
      const j = step.rule.kind.judge(event, step.rule.spec, own, step.ctx);
      if (!j) continue;
      const enforced = this.isEnforced(step.rule.id);
      if (j.hold && decision.ticket) {
        decision.ticket.holds[step.rule.id] = j.hold;
        holders.push(step);
      }
      if (j.followUp) followUp.push(...rebase(j.followUp, step.rule.id, followUp.length));
      this.apply(event, step.rule.id, j, enforced, now);
      decision = merge(decision, this.verdictOf(event, step.rule.id, j, enforced, now));
      // A rule in observe mode pauses nothing, so it warns of nothing.
      if (j.warn && enforced) warning = nearer(warning, j.warn);
    }
    if (warning) decision = { ...decision, signInWarning: warning };
    // A suspicion this event raised is in the verdict already; one from before, only in the book.
    if (event.type === 'request' && decision.verdict === 'allow' && !quiet) {
      const standing = this.book.suspicion(event.client, now);
      if (standing) decision = { verdict: 'suspicious', ruleId: standing.rule, reason: standing.reason };
    }
    if (event.type === 'token-seen' && decision.verdict !== 'blocked' && !decision.revokeToken) {
      this.rememberToken(event.token, event.client);
    }
    // A refused attempt gives back what other rules reserved for it.
    if (event.type === 'sign-in-attempt' && decision.verdict === 'blocked' && decision.ticket) {
      const ticket: SignInTicket = decision.ticket;
      const abandoned: EventOf<'sign-in-abandoned'> = { type: 'sign-in-abandoned', client: event.client, account: event.account, ticket };
      for (const step of holders)
        followUp.push(...rebase(step.rule.kind.plan(abandoned, step.rule.spec, step.ctx), step.rule.id, followUp.length));
      decision = { ...decision, ticket: { holds: {} } };
    }
    if (!followUp.length) return decision;
    const done = decision;
    return andThen(this.options.store.run(followUp, now), () => done);
  }

  /** Puts a rule's judgement into the book and tells the sink. */
  private apply(event: DetectionEvent, ruleId: string, j: Judgement, enforced: boolean, now: number): void {
    const client = 'client' in event ? event.client : '';
    if (j.block) {
      let seconds = j.block.seconds;
      // Escalation counts offences, not every rule firing during a block that already stands:
      // a client blocked in this scope may have its block lengthened, never escalated.
      const standing = this.book.blockFor(client, j.block.scope, now);
      if (j.block.escalate && this.escalation && !standing) {
        const last = this.book.offence(client);
        seconds = escalatedSeconds(seconds, last, this.escalation, now);
        const history = { at: now, seconds, count: (last?.count ?? 0) + 1 };
        this.book.setOffence(client, history);
        this.emit({ type: 'offence', client, history }, event.cause);
      }
      const reason = seconds > j.block.seconds ? `${j.block.reason}; repeat offender, blocked ${seconds} s` : j.block.reason;
      this.put(
        {
          client,
          state: 'blocked',
          scope: j.block.scope,
          rule: ruleId,
          reason,
          createdAt: now,
          expiresAt: now + seconds * 1000,
          decidedBy: `rule:${ruleId}`,
          enforced,
        },
        now,
        event.cause,
      );
    }
    if (j.suspect) {
      const seconds = j.suspect.seconds ?? this.options.rules.suspicion.seconds;
      this.put(
        {
          client,
          state: 'suspicious',
          scope: 'all',
          rule: ruleId,
          reason: j.suspect.reason,
          createdAt: now,
          expiresAt: now + seconds * 1000,
          decidedBy: `rule:${ruleId}`,
          enforced,
        },
        now,
        event.cause,
      );
    }
    if (j.notice)
      this.emit(
        { type: 'notice', event: j.notice.event, client: client || null, actor: j.notice.actor, detail: j.notice.detail },
        event.cause,
      );
    if (j.revokeToken && enforced && event.type === 'token-seen') this.emit({ type: 'revoke-token', token: event.token }, event.cause);
  }

  private verdictOf(event: DetectionEvent, ruleId: string, j: Judgement, enforced: boolean, now: number): Decision {
    const client = 'client' in event ? event.client : '';
    if (j.refuse || (j.revokeToken && event.type === 'token-seen')) {
      if (!enforced) return { verdict: 'observe', ruleId, reason: j.refuse?.reason ?? j.block?.reason };
      // A refusal lasts as long as the block it made or that stands (escalation may have lengthened it).
      const block = j.block ? this.book.blockFor(client, j.block.scope, now) : null;
      const until = Math.max(j.refuse?.until ?? now, block?.expiresAt ?? 0);
      return {
        ...(block ? { ref: decisionRef(block) } : {}),
        verdict: 'blocked',
        ruleId,
        reason: j.refuse?.reason ?? j.block?.reason ?? ruleId,
        until,
        retryAfter: secondsUntil(until, now),
        status: j.refuse?.status ?? 403,
        revokeToken: j.revokeToken,
        ...(j.refuse?.limit ? { limit: { policy: ruleId, ...j.refuse.limit } } : {}),
      };
    }
    if (j.block && !enforced) return { verdict: 'observe', ruleId, reason: j.block.reason };
    if (j.suspect) return { verdict: 'suspicious', ruleId, reason: j.suspect.reason };
    return { verdict: 'allow' };
  }

  private put(d: StandingDecision, now: number, cause: string | undefined): void {
    const outcome = this.book.put(d, now);
    if (outcome === 'new') this.emit({ type: 'decided', decision: d }, cause);
    else if (outcome === 'extended') this.emit({ type: 'extended', decision: d }, cause);
  }

  private adminBlock(e: EventOf<'admin-block'>, now: number): Decision {
    const d: StandingDecision = {
      client: e.client,
      state: 'blocked',
      scope: 'all',
      rule: 'admin',
      reason: e.reason,
      createdAt: now,
      expiresAt: now + e.seconds * 1000,
      decidedBy: e.by,
      enforced: true,
    };
    // A person's block replaces the route block that stood, shorter or longer: it is what they asked for.
    // A sign-in buffer is another decision and stays.
    this.book.remove(e.client, 'blocked', now, 'all');
    this.book.put(d, now);
    this.emit({ type: 'decided', decision: d }, e.cause);
    return refusal(d, now, 403);
  }

  private adminLift(e: EventOf<'admin-lift'>, now: number): MaybePromise<Decision> {
    const removed = this.book.remove(e.client, e.state, now);
    if (removed.length === 0) return ALLOW;
    this.emit({ type: 'lifted', client: e.client, state: e.state, by: e.by, why: e.why ?? 'lifted' }, e.cause);
    if (e.state !== 'blocked') return { verdict: 'allow', reason: 'lifted' };
    // Lifting a block forgives the counts that led to it.
    const ops: CounterOp[] = [];
    for (const rule of this.options.rules.rules)
      if (rule.kind.forget) ops.push(...rebase(rule.kind.forget(e.client, rule.spec), rule.id, ops.length));
    const lifted: Decision = { verdict: 'allow', reason: 'lifted' };
    return ops.length ? andThen(this.options.store.run(ops, now), () => lifted) : lifted;
  }

  private emit(effect: Effect, cause?: string): void {
    this.options.sink.record(effect, cause);
  }
}

const NO_RULES: readonly CompiledRule[] = Object.freeze([]);
/** Clients whose request program is kept (a few hundred bytes each). */
const REQUEST_PROGRAMS = 1024;
const NO_OPS: CounterOp[] = [];
const NO_RESULTS: CounterResult[] = [];

/** A standing block as the answer to a request. */
function refusal(d: StandingDecision, now: number, status: 403 | 429): Decision {
  return {
    verdict: 'blocked',
    ruleId: d.rule,
    reason: d.reason,
    until: d.expiresAt,
    retryAfter: secondsUntil(d.expiresAt, now),
    status,
    ref: decisionRef(d),
  };
}

/**
 * Prefixes a rule's keys with its id and moves its guards to where its program lands. In place:
 * programs are fresh on every call (RuleKind), and this runs for every request.
 */
function rebase(program: CounterOp[], ruleId: string, offset: number): CounterOp[] {
  for (const op of program) {
    op.key = `${ruleId}:${op.key}`;
    if (op.if && offset !== 0) op.if = { ...op.if, ref: op.if.ref + offset };
  }
  return program;
}

/** The pause that comes first (fewest failures left), and of those the longest. */
function nearer(a: SignInWarning | undefined, b: SignInWarning): SignInWarning {
  if (!a || b.attemptsLeft < a.attemptsLeft || (b.attemptsLeft === a.attemptsLeft && b.pauseSeconds > a.pauseSeconds)) return b;
  return a;
}

const RANK = { allow: 0, suspicious: 1, observe: 2, blocked: 3 } as const;

/** The stronger of two verdicts; the ticket stays with the attempt. */
function merge(a: Decision, b: Decision): Decision {
  if (RANK[b.verdict] > RANK[a.verdict] || (b.verdict === 'blocked' && a.verdict === 'blocked' && (b.until ?? 0) > (a.until ?? 0))) {
    return { ...b, ticket: a.ticket, revokeToken: a.revokeToken || b.revokeToken };
  }
  return a;
}
