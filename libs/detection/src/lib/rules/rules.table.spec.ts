/**
 * Table tests as data: every file in libs/detection/testdata/<rule>/<case>.json is a timeline
 * of events with the decisions expected after each (format: testdata/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectionEngine } from '../engine';
import type { DetectionEvent, SignInTicket } from '../events';
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
    for (const kind of ['request-rate', 'probing', 'login-buffer', 'account-backoff', 'success-velocity', 'token-spread', 'refresh-reuse', 'escalation', 'lists']) {
      expect([kind, perDir.get(kind) ?? 0]).toEqual([kind, expect.any(Number)]);
      expect(perDir.get(kind) ?? 0).toBeGreaterThanOrEqual(3);
    }
  });

  it.each(cases)('%s', (_name, c) => run(c));
});

function run(c: Case): void {
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
    if (step.event) {
      let d = decide(step.event);
      for (let k = 1; k < (step.repeat ?? 1); k++) d = decide(step.event);
      check(where, d, step.expect);
    }
    if (step.signIn) {
      const s = step.signIn;
      const attempt = decide({ type: 'sign-in-attempt', client: s.client, account: s.account, trustedDevice: s.trustedDevice });
      check(`${where} attempt`, attempt, step.expect);
      if (attempt.verdict !== 'blocked') {
        const outcome = decide({ type: `sign-in-${s.outcome}`, client: s.client, account: s.account, ticket: attempt.ticket as SignInTicket } as DetectionEvent);
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
      for (const a of checked) decide({ type: `sign-in-${b.outcome}`, client: a.client, account: b.account, ticket: a.d.ticket as SignInTicket } as DetectionEvent);
      const e = step.expectBurst ?? {};
      if (e.checked !== undefined) expect([where, 'checked', checked.length]).toEqual([where, 'checked', e.checked]);
      if (e.refused !== undefined) expect([where, 'refused', b.count - checked.length]).toEqual([where, 'refused', e.refused]);
      if (e.maxChecked !== undefined) expect(checked.length).toBeLessThanOrEqual(e.maxChecked);
      if (e.rightPasswordChecked !== undefined && b.rightAt !== undefined) {
        expect([where, 'right password checked', attempts[b.rightAt]!.d.verdict !== 'blocked']).toEqual([where, 'right password checked', e.rightPasswordChecked]);
      }
    }
    if (step.state) {
      for (const [client, state] of Object.entries(step.state)) expect([where, client, engine.book.state(client, clock.now())]).toEqual([where, client, state]);
    }
    if (step.effects) expect([where, sink.effects.slice(before).map((x) => x.type)]).toEqual([where, step.effects]);
  });
}

function check(where: string, d: { verdict: string; ruleId?: string; status?: number; retryAfter?: number; reason?: string; revokeToken?: boolean }, e?: Expect): void {
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
