/**
 * The rules document: the defaults, patches, `extends: none`, the round trip through
 * rulesDocumentOf (what GET /admin/rules answers and RULES_FILE takes), and the messages an
 * operator reads when a document is wrong (file, rule, field).
 */
import { DEFAULT_RULES } from './default-rules';
import { RULE_KINDS } from './registry';
import { compileRules, loadRules, parseRulesText, RulesError, rulesDocumentOf, rulesTable, type RuleSet } from './rules-document';

const defaults = () => compileRules({ version: 1 }, 'defaults');
const byId = (set: RuleSet) => Object.fromEntries(set.rules.map((r) => [r.id, r]));

/** The message of what `fn` throws, asserting it is a RulesError. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RulesError);
    return (e as Error).message;
  }
  throw new Error('expected a RulesError, nothing was thrown');
}

describe('the built-in defaults', () => {
  it('compile to every default rule, enabled and enforced, with their own numbers', () => {
    const set = defaults();
    expect(set.suspicion).toEqual({ ratio: 0.7, seconds: 600 });
    expect(set.rules.map((r) => r.id)).toEqual(Object.keys(DEFAULT_RULES.rules));
    for (const r of set.rules) {
      const { kind, ...params } = DEFAULT_RULES.rules[r.id]!;
      expect([r.id, r.kind.kind, r.enabled, r.mode, r.spec]).toEqual([r.id, kind, true, 'enforce', params]);
    }
  });

  it('have the prototype numbers (the README table is checked against them)', () => {
    const r = byId(defaults());
    expect(r['request-rate']!.spec).toEqual({ threshold: 300, windowSeconds: 60, blockSeconds: 300, escalate: true });
    expect(r['failed-logins']!.spec).toEqual({ threshold: 5, bufferSeconds: 60, memorySeconds: 3600 });
    expect(r['account-failed-logins']!.spec).toEqual({
      threshold: 10,
      windowSeconds: 3600,
      maxDelaySeconds: 5,
      clientThreshold: 1,
      ipv6Prefix: 48,
    });
    expect(r['repeat-offenders']!.spec).toEqual({ windowSeconds: 86400, factor: 2, maxSeconds: 86400 });
  });

  it('use every registered kind at least once (route-limit rules come from the route policy)', () => {
    const kinds = [...RULE_KINDS.keys()].filter((k) => k !== 'route-limit');
    expect(new Set(defaults().rules.map((r) => r.kind.kind))).toEqual(new Set(kinds));
  });

  it('describe themselves in the README table, one row per rule', () => {
    const table = rulesTable(defaults()).split('\n');
    expect(table).toHaveLength(2 + Object.keys(DEFAULT_RULES.rules).length);
    expect(table.find((l) => l.startsWith('| `request-rate`'))).toContain('more than 300 requests in 60 s');
  });
});

describe('a rules document that extends the defaults', () => {
  it('changes one threshold (YAML) and keeps everything else', () => {
    const set = loadRules('version: 1\nrules:\n  failed-logins:\n    threshold: 3\n', 'rules.yaml');
    const before = byId(defaults());
    const after = byId(set);
    expect(after['failed-logins']!.spec).toEqual({ threshold: 3, bufferSeconds: 60, memorySeconds: 3600 });
    for (const id of Object.keys(before)) if (id !== 'failed-logins') expect([id, after[id]]).toEqual([id, before[id]]);
    expect(set.suspicion).toEqual(defaults().suspicion);
  });

  it('takes JSON as well (JSON is YAML)', () => {
    const set = loadRules('{"version": 1, "rules": {"probing": {"threshold": 50, "statuses": [404]}}}', 'rules.json');
    expect(byId(set)['probing']!.spec).toEqual({ threshold: 50, windowSeconds: 60, blockSeconds: 300, escalate: true, statuses: [404] });
  });

  it('turns a rule off or into observe mode and adds a new rule of a known kind', () => {
    const set = loadRules(
      [
        'version: 1',
        'rules:',
        '  probing: { enabled: false }',
        '  request-rate: { mode: observe }',
        '  api-scan: { kind: probing, threshold: 50, windowSeconds: 60, blockSeconds: 600, escalate: true, statuses: [404] }',
      ].join('\n'),
      'rules.yaml',
    );
    const r = byId(set);
    expect([r['probing']!.enabled, r['request-rate']!.mode, r['api-scan']!.kind.kind]).toEqual([false, 'observe', 'probing']);
    expect(set.rules).toHaveLength(Object.keys(DEFAULT_RULES.rules).length + 1);
  });

  it('changes the suspicion share and duration', () => {
    expect(loadRules('version: 1\nsuspicion: { ratio: 0.5 }\n', 'rules.yaml').suspicion).toEqual({ ratio: 0.5, seconds: 600 });
    expect(loadRules('version: 1\nsuspicion: { seconds: 60 }\n', 'rules.yaml').suspicion).toEqual({ ratio: 0.7, seconds: 60 });
  });

  it('may be a document with version only', () => {
    expect(loadRules('version: 1\n', 'rules.yaml')).toEqual(defaults());
  });
});

describe('extends: none', () => {
  it('keeps only the rules it lists', () => {
    const set = loadRules(
      'version: 1\nextends: none\nrules:\n  request-rate: { threshold: 3, windowSeconds: 10, blockSeconds: 20, escalate: false }\n',
      'rules.yaml',
    );
    expect(set.rules.map((r) => [r.id, r.kind.kind])).toEqual([['request-rate', 'request-rate']]);
    expect(set.rules[0]!.spec).toEqual({ threshold: 3, windowSeconds: 10, blockSeconds: 20, escalate: false });
    expect(set.suspicion).toEqual({ ratio: 0.7, seconds: 600 });
  });

  it('gets no numbers from the defaults: every missing setting is named', () => {
    expect(errorOf(() => loadRules('version: 1\nextends: none\nrules:\n  request-rate: {}\n', 'rules.yaml')).split('\n')).toEqual([
      'rules.yaml: rule "request-rate": threshold must be a positive integer, got nothing',
      'rules.yaml: rule "request-rate": windowSeconds must be a positive number of seconds, got nothing',
      'rules.yaml: rule "request-rate": blockSeconds must be a positive number of seconds, got nothing',
      'rules.yaml: rule "request-rate": escalate must be true or false, got nothing',
    ]);
  });

  it('with no rules runs none', () => {
    expect(loadRules('version: 1\nextends: none\n', 'rules.yaml').rules).toEqual([]);
  });
});

describe('rulesDocumentOf', () => {
  const sets: [string, () => RuleSet][] = [
    ['the defaults', defaults],
    [
      'a patch',
      () =>
        loadRules(
          'version: 1\nsuspicion: { ratio: 0.5, seconds: 120 }\nrules:\n  failed-logins: { threshold: 3 }\n  probing: { enabled: false }\n  request-rate: { mode: observe }\n',
          'rules.yaml',
        ),
    ],
    [
      'a document with extends: none',
      () =>
        loadRules(
          'version: 1\nextends: none\nrules:\n  refresh-reuse: {}\n  scan: { kind: probing, threshold: 5, windowSeconds: 10, blockSeconds: 30, escalate: false, statuses: [404] }\n',
          'rules.yaml',
        ),
    ],
  ];

  it.each(sets)('round-trips %s: compiling the document it makes gives the same rules', (_name, make) => {
    const set = make();
    const doc = rulesDocumentOf(set);
    expect(doc.extends).toBe('none');
    const again = compileRules(doc, 'admin/rules');
    expect(again).toEqual(set);
    expect(rulesDocumentOf(again)).toEqual(doc);
  });

  it.each(sets)('round-trips %s through the JSON text an operator saves', (_name, make) => {
    const doc = rulesDocumentOf(make());
    expect(rulesDocumentOf(loadRules(JSON.stringify(doc, null, 2), 'saved.json'))).toEqual(doc);
  });

  it('is complete: it does not depend on the defaults it was made from', () => {
    const doc = rulesDocumentOf(defaults());
    const empty = { version: 1 as const, rules: {} };
    expect(compileRules(doc, 'admin/rules', empty)).toEqual(defaults());
  });
});

describe('errors name the file, the rule and the field', () => {
  const bad: [string, string, string][] = [
    [
      'a negative threshold',
      'version: 1\nrules:\n  login-buffer:\n    kind: login-buffer\n    threshold: -3\n',
      'rules.yaml: rule "login-buffer": threshold must be a positive integer, got -3',
    ],
    [
      'the same without kind (the id names a kind)',
      'version: 1\nrules:\n  login-buffer:\n    threshold: -3\n',
      'rules.yaml: rule "login-buffer": threshold must be a positive integer, got -3',
    ],
    [
      'a built-in rule',
      'version: 1\nrules:\n  failed-logins:\n    threshold: -3\n',
      'rules.yaml: rule "failed-logins": threshold must be a positive integer, got -3',
    ],
    [
      'a fraction',
      'version: 1\nrules:\n  failed-logins: { threshold: 2.5 }\n',
      'rules.yaml: rule "failed-logins": threshold must be a positive integer, got 2.5',
    ],
    [
      'a quoted number',
      'version: 1\nrules:\n  failed-logins: { threshold: "5" }\n',
      'rules.yaml: rule "failed-logins": threshold must be a positive integer, got "5"',
    ],
    [
      'a missing setting of a new rule',
      'version: 1\nrules:\n  scan: { kind: probing, threshold: 5, windowSeconds: 60, blockSeconds: 60, escalate: true }\n',
      'rules.yaml: rule "scan": statuses must list HTTP status codes, got nothing',
    ],
    [
      'two wrong values at once',
      'version: 1\nrules:\n  failed-logins: { threshold: 0, bufferSeconds: -1 }\n',
      'rules.yaml: rule "failed-logins": threshold must be a positive integer, got 0\nrules.yaml: rule "failed-logins": bufferSeconds must be a positive number of seconds, got -1',
    ],
    [
      'an unknown setting',
      'version: 1\nrules:\n  failed-logins: { threshold: 3, tresholdd: 4 }\n',
      'rules.yaml: rule "failed-logins": unknown setting "tresholdd"',
    ],
    [
      'an unknown kind',
      'version: 1\nrules:\n  x: { kind: nope }\n',
      `rules.yaml: rule "x": kind must be one of ${[...RULE_KINDS.keys()].join(', ')}, got "nope"`,
    ],
    [
      'a new rule without kind',
      'version: 1\nrules:\n  x: { threshold: 3 }\n',
      `rules.yaml: rule "x": kind is missing (one of ${[...RULE_KINDS.keys()].join(', ')})`,
    ],
    [
      'a kind change of a built-in rule',
      'version: 1\nrules:\n  failed-logins: { kind: request-rate }\n',
      'rules.yaml: rule "failed-logins": kind is "login-buffer" in the rules it extends, got "request-rate" (give the new rule another id)',
    ],
    [
      'two escalation rules',
      'version: 1\nrules:\n  esc2: { kind: escalation, windowSeconds: 10, factor: 2, maxSeconds: 100 }\n',
      'rules.yaml: at most one escalation rule may be enabled, got "repeat-offenders", "esc2"',
    ],
    ['a wrong version', 'version: 2\n', 'rules.yaml: version must be 1, got 2'],
    ['no version', 'rules: {}\n', 'rules.yaml: version must be 1, got undefined'],
    [
      'an unknown top-level setting',
      'version: 1\nrulez: {}\n',
      'rules.yaml: unknown top-level setting "rulez" (allowed: version, extends, suspicion, rules)',
    ],
    ['a wrong extends', 'version: 1\nextends: all\n', 'rules.yaml: extends must be defaults or none, got "all"'],
    ['rules as a list', 'version: 1\nrules: [a, b]\n', 'rules.yaml: rules must be a mapping of rule id to settings, got ["a","b"]'],
    [
      'a rule that is not a mapping',
      'version: 1\nrules:\n  probing: 5\n',
      'rules.yaml: rule "probing": must be a mapping of settings, got 5',
    ],
    [
      'a wrong mode',
      'version: 1\nrules:\n  probing: { mode: watch }\n',
      'rules.yaml: rule "probing": mode must be enforce or observe, got "watch"',
    ],
    [
      'a wrong enabled',
      'version: 1\nrules:\n  probing: { enabled: "no" }\n',
      'rules.yaml: rule "probing": enabled must be true or false, got "no"',
    ],
    [
      'an empty status list',
      'version: 1\nrules:\n  probing: { statuses: [] }\n',
      'rules.yaml: rule "probing": statuses must list at least one status, got []',
    ],
    [
      'a suspicion ratio of 1.5',
      'version: 1\nsuspicion: { ratio: 1.5 }\n',
      'rules.yaml: suspicion.ratio must be a number between 0 and 1, got 1.5',
    ],
    [
      'a suspicion of 0 seconds',
      'version: 1\nsuspicion: { seconds: 0 }\n',
      'rules.yaml: suspicion.seconds must be a positive integer, got 0',
    ],
    ['an empty file', '', 'rules.yaml: must be a mapping with version and rules, got null'],
    ['plain text', 'just some text', 'rules.yaml: must be a mapping with version and rules, got "just some text"'],
  ];

  it.each(bad)('%s', (_name, text, message) => {
    expect(errorOf(() => loadRules(text, 'rules.yaml'))).toBe(message);
  });

  it('text that is not YAML', () => {
    const message = errorOf(() => loadRules('version: 1\nrules: [\n', 'rules.yaml'));
    expect(message.startsWith('rules.yaml: not valid YAML or JSON: ')).toBe(true);
    expect(message).not.toContain('\n');
    expect(errorOf(() => parseRulesText('{"version": 1,', 'rules.json'))).toMatch(/^rules\.json: not valid YAML or JSON: /);
  });

  it('a second escalation rule is fine when one of them is off', () => {
    const set = loadRules(
      'version: 1\nrules:\n  repeat-offenders: { enabled: false }\n  esc2: { kind: escalation, windowSeconds: 10, factor: 2, maxSeconds: 100 }\n',
      'rules.yaml',
    );
    expect(set.rules.filter((r) => r.kind.kind === 'escalation' && r.enabled).map((r) => r.id)).toEqual(['esc2']);
  });

  it('a document given as an object names its source the same way', () => {
    expect(errorOf(() => compileRules({ version: 1, rules: { 'failed-logins': { threshold: -3 } } }, 'RULES_FILE'))).toBe(
      'RULES_FILE: rule "failed-logins": threshold must be a positive integer, got -3',
    );
  });
});
