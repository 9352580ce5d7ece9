/**
 * Table tests as data: every file in libs/detection/testdata/<rule>/<case>.json is a timeline
 * of events with the decisions expected after each (format: testdata/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectionEngine } from '../engine';
import type { Effect } from '../decision';
import type { DetectionEvent } from '../events';
import { MemoryCounterStore } from '../store/memory-counter-store';
import { ManualClock, RecordingSink } from '../../testing';
import { compileRules } from './rules-document';

const ROOT = join(__dirname, '../../../testdata');

interface Expect {
  verdict?: string;
  ruleId?: string | null;
  status?: number;
  retryAfter?: number;
  reasonContains?: string;
  revokeToken?: boolean;
}
/** The last `decided` or `extended` effect of a step: the standing decision it carries. */
interface ExpectDecision {
  effect?: 'decided' | 'extended';
  client?: string;
  state?: 'blocked' | 'suspicious';
  scope?: 'all' | 'sign-in';
  rule?: string;
  enforced?: boolean;
  /** expiresAt − createdAt, in seconds. */
  seconds?: number;
  /** expiresAt, in seconds since the start of the case. */
  expiresAt?: number;
  reasonContains?: string;
}
interface SignIn {
  client: string;
  account: string;
  outcome: 'failed' | 'succeeded' | 'abandoned';
  trustedDevice?: boolean;
}
interface Step {
  /** Seconds since the start of the case; time only moves forward. */
  t?: number;
  note?: string;
  event?: DetectionEvent;
  /** Repeat the event this many times (the expectation applies to the last). */
  repeat?: number;
  /** How many of the repeated events got each verdict, e.g. { "allow": 209, "suspicious": 91 }. */
  expectTally?: Record<string, number>;
  /** Replace the allow and deny lists before the step's event. */
  lists?: { allow?: string[]; deny?: string[] };
  /** An attempt and its outcome: `expect` is the attempt's decision, `expectOutcome` the outcome's. */
  signIn?: SignIn;
  expectOutcome?: Expect;
  /** Many attempts at the same instant, all decided before any is answered. */
  burst?: { count: number; clients: string[]; account: string; outcome: 'failed' | 'succeeded'; rightAt?: number };
  expectBurst?: { checked?: number; refused?: number; maxChecked?: number; rightPasswordChecked?: boolean };
  expect?: Expect;
  /** Client → normal | suspicious | blocked, after the step. */
  state?: Record<string, string>;
  /** Effect types emitted by this step, in order (e.g. ["decided", "decided"]). */
  effects?: string[];
  /**
   * The standing decision of the step's last `decided`/`extended` effect whose effect, client, state, scope and
   * rule are those given (one must have been emitted); its other fields are then compared.
   */
  decision?: ExpectDecision;
}
interface Case {
  description: string;
  rules?: unknown;
  options?: { mode?: 'enforce' | 'observe' | 'off'; observeRules?: string[]; allowlist?: string[]; denylist?: string[] };
  steps: Step[];
}

const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(ROOT, d.name))
      .filter((f) => f.endsWith('.json'))
      .map((f) => [`${d.name}/${f}`, JSON.parse(readFileSync(join(ROOT, d.name, f), 'utf8')) as Case] as const),
  );

describe('rule table tests (testdata/)', () => {
  it('has at least three cases for every rule kind', () => {
    const perDir = new Map<string, number>();
    for (const [name] of cases) perDir.set(name.split('/')[0]!, (perDir.get(name.split('/')[0]!) ?? 0) + 1);
    for (const kind of [
      'request-rate',
      'probing',
      'login-buffer',
      'account-backoff',
      'success-velocity',
      'token-spread',
      'refresh-reuse',
      'escalation',
      'lists',
      'admin',
    ]) {
      expect([kind, (perDir.get(kind) ?? 0) >= 3]).toEqual([kind, true]);
    }
  });

  it.each(cases)('%s', (_name, c) => run(c));
});

const CASE_KEYS = ['description', 'rules', 'options', 'steps'];
const STEP_KEYS = [
  't',
  'note',
  'event',
  'repeat',
  'expectTally',
  'lists',
  'signIn',
  'expectOutcome',
  'burst',
  'expectBurst',
  'expect',
  'state',
  'effects',
  'decision',
];
const EXPECT_KEYS = ['verdict', 'ruleId', 'status', 'retryAfter', 'reasonContains', 'revokeToken'];
const DECISION_KEYS = ['effect', 'client', 'state', 'scope', 'rule', 'enforced', 'seconds', 'expiresAt', 'reasonContains'];

/** A misspelt key would silently test nothing: every key must be one the runner reads. */
function checkKeys(c: Case): void {
  const unknown = (o: object | undefined, keys: string[], where: string) => {
    for (const k of Object.keys(o ?? {}))
      if (!keys.includes(k)) throw new Error(`${where}: unknown key "${k}" (known: ${keys.join(', ')})`);
  };
  unknown(c, CASE_KEYS, 'case');
  c.steps.forEach((s, i) => {
    unknown(s, STEP_KEYS, `step ${i}`);
    unknown(s.expect, EXPECT_KEYS, `step ${i} expect`);
    unknown(s.expectOutcome, EXPECT_KEYS, `step ${i} expectOutcome`);
    unknown(s.decision, DECISION_KEYS, `step ${i} decision`);
  });
}

function run(c: Case): void {
  checkKeys(c);
  const clock = new ManualClock();
  const start = clock.now();
  const sink = new RecordingSink();
  const engine = new DetectionEngine({
    rules: compileRules(c.rules ?? { version: 1 }, 'case'),
    store: new MemoryCounterStore(),
    clock,
    sink,
    mode: c.options?.mode,
    observeRules: c.options?.observeRules,
  });
  engine.book.setLists(c.options?.allowlist ?? [], c.options?.denylist ?? []);
  const decide = (e: DetectionEvent) => {
    const d = engine.decide(e);
    if (d instanceof Promise) throw new Error('the memory store answers synchronously');
    return d;
  };

  c.steps.forEach((step, i) => {
    const where = `step ${i}${step.note ? ` (${step.note})` : ''}`;
    if (step.t !== undefined) {
      const at = start + step.t * 1000;
      if (at < clock.now()) throw new Error(`${where}: time goes backwards`);
      clock.set(at);
    }
    const before = sink.effects.length;
    if (step.lists) engine.book.setLists(step.lists.allow ?? [], step.lists.deny ?? []);
    if (step.event) {
      const tally: Record<string, number> = {};
      let d = decide(step.event);
      tally[d.verdict] = 1;
      for (let k = 1; k < (step.repeat ?? 1); k++) {
        d = decide(step.event);
        tally[d.verdict] = (tally[d.verdict] ?? 0) + 1;
      }
      check(where, d, step.expect);
      if (step.expectTally) expect([where, 'tally', tally]).toEqual([where, 'tally', step.expectTally]);
    }
    if (step.signIn) {
      const s = step.signIn;
      const attempt = decide({ type: 'sign-in-attempt', client: s.client, account: s.account, trustedDevice: s.trustedDevice });
      check(`${where} attempt`, attempt, step.expect);
      if (attempt.verdict !== 'blocked') {
        const outcome = decide({
          type: `sign-in-${s.outcome}`,
          client: s.client,
          account: s.account,
          ticket: attempt.ticket,
        } as DetectionEvent);
        check(`${where} outcome`, outcome, step.expectOutcome);
      }
    }
    if (step.burst) {
      const b = step.burst;
      const attempts = Array.from({ length: b.count }, (_, k) => {
        const client = b.clients[k % b.clients.length]!;
        return { client, d: decide({ type: 'sign-in-attempt', client, account: b.account }) };
      });
      const checked = attempts.filter((a) => a.d.verdict !== 'blocked');
      for (const a of checked)
        decide({ type: `sign-in-${b.outcome}`, client: a.client, account: b.account, ticket: a.d.ticket } as DetectionEvent);
      const e = step.expectBurst ?? {};
      if (e.checked !== undefined) expect([where, 'checked', checked.length]).toEqual([where, 'checked', e.checked]);
      if (e.refused !== undefined) expect([where, 'refused', b.count - checked.length]).toEqual([where, 'refused', e.refused]);
      if (e.maxChecked !== undefined) expect(checked.length).toBeLessThanOrEqual(e.maxChecked);
      if (e.rightPasswordChecked !== undefined && b.rightAt !== undefined) {
        expect([where, 'right password checked', attempts[b.rightAt]!.d.verdict !== 'blocked']).toEqual([
          where,
          'right password checked',
          e.rightPasswordChecked,
        ]);
      }
    }
    if (step.state) {
      for (const [client, state] of Object.entries(step.state))
        expect([where, client, engine.book.state(client, clock.now())]).toEqual([where, client, state]);
    }
    if (step.effects) expect([where, sink.effects.slice(before).map((x) => x.type)]).toEqual([where, step.effects]);
    if (step.decision) checkDecision(where, sink.effects.slice(before), step.decision, start);
  });
}

function checkDecision(where: string, effects: Effect[], e: ExpectDecision, start: number): void {
  // The last decided/extended effect of the step that has the expected effect, client, state, scope and rule.
  const last = [...effects]
    .reverse()
    .find(
      (x) =>
        (x.type === 'decided' || x.type === 'extended') &&
        (e.effect === undefined || x.type === e.effect) &&
        (['client', 'state', 'scope', 'rule'] as const).every((k) => e[k] === undefined || x.decision[k] === e[k]),
    );
  if (!last || (last.type !== 'decided' && last.type !== 'extended'))
    throw new Error(`${where}: expected a matching decided or extended effect, got [${effects.map((x) => x.type).join(', ')}]`);
  const d = last.decision;
  const got: Record<string, unknown> = {
    effect: last.type,
    client: d.client,
    state: d.state,
    scope: d.scope,
    rule: d.rule,
    enforced: d.enforced,
    seconds: (d.expiresAt - d.createdAt) / 1000,
    expiresAt: (d.expiresAt - start) / 1000,
  };
  const want: Record<string, unknown> = {};
  for (const k of Object.keys(e) as (keyof ExpectDecision)[]) if (k !== 'reasonContains') want[k] = e[k];
  for (const k of Object.keys(got)) if (!(k in want)) delete got[k];
  expect([where, 'decision', got]).toEqual([where, 'decision', want]);
  if (e.reasonContains) expect([where, d.reason]).toEqual([where, expect.stringContaining(e.reasonContains)]);
}

function check(
  where: string,
  d: { verdict: string; ruleId?: string; status?: number; retryAfter?: number; reason?: string; revokeToken?: boolean },
  e?: Expect,
): void {
  if (!e) return;
  const got: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  for (const k of ['verdict', 'ruleId', 'status', 'retryAfter', 'revokeToken'] as const) {
    if (e[k] !== undefined) {
      want[k] = e[k] === null ? undefined : e[k];
      got[k] = d[k];
    }
  }
  expect([where, got]).toEqual([where, want]);
  if (e.reasonContains) expect([where, d.reason ?? '']).toEqual([where, expect.stringContaining(e.reasonContains)]);
}
