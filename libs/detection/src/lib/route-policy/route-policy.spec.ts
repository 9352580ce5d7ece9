import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectionEngine } from '../engine';
import { MemoryCounterStore } from '../store/memory-counter-store';
import { ManualClock } from '../time';
import { compileRules } from '../rules/rules-document';
import { RecordingSink } from '../../testing';
import { routePolicyRules } from './policy-rules';
import { normalizePath } from './route-pattern';
import { classify, classifyUrl, DEFAULT_ROUTE_POLICY, loadRoutePolicy, routePolicyDocumentOf } from './route-policy';

const EXAMPLE = join(__dirname, '../../../../../tools/gateway/policy.example.yaml');

describe('route policy', () => {
  it('loads the example policy file of the README', () => {
    const p = loadRoutePolicy(readFileSync(EXAMPLE, 'utf8'), 'policy.example.yaml');
    expect(p.classes.map((c) => c.name)).toEqual(['sign-in', 'health', 'admin', 'api', 'search', 'default']);
    expect(classify(p, 'POST', '/login').signIn).toEqual({ usernameField: 'username', failureStatuses: [401] });
    expect(classify(p, 'GET', '/login').name).toBe('default');
    expect(classify(p, 'DELETE', '/admin').auth).toEqual({ kind: 'role', role: 'admin' });
    expect(classify(p, 'GET', '/admin/users/7').name).toBe('admin');
    expect(classify(p, 'HEAD', '/healthz').name).toBe('health');
  });

  it('round-trips through the document GET /admin/policy shows', () => {
    const p = loadRoutePolicy(readFileSync(EXAMPLE, 'utf8'), 'a');
    const again = loadRoutePolicy(JSON.stringify(routePolicyDocumentOf(p)), 'b');
    expect(routePolicyDocumentOf(again)).toEqual(routePolicyDocumentOf(p));
  });

  it('matches patterns: literal, :param and * one segment, ** any rest; first match wins', () => {
    const p = loadRoutePolicy(
      `version: 1
classes:
  - { name: one, match: { path: /users/:id } }
  - { name: star, match: { path: /files/*/raw } }
  - { name: rest, match: { methods: [get], path: /static/** } }
  - { name: shadowed, match: { path: /users/:id } }
default: { auth: token }`,
      't',
    );
    expect(classify(p, 'GET', '/users/42').name).toBe('one');
    expect(classify(p, 'GET', '/users').name).toBe('default');
    expect(classify(p, 'GET', '/users/42/posts').name).toBe('default');
    expect(classify(p, 'PUT', '/files/a/raw').name).toBe('star');
    expect(classify(p, 'GET', '/static').name).toBe('rest');
    expect(classify(p, 'GET', '/static/a/b/c.js').name).toBe('rest');
    expect(classify(p, 'POST', '/static/a').name).toBe('default');
  });

  it('normalises paths before matching, as the upstream will read them', () => {
    expect(normalizePath('/%61dmin/x?y=1#f')).toBe('/admin/x');
    expect(normalizePath('/public/../admin/./x/')).toBe('/admin/x');
    expect(normalizePath('//admin//x')).toBe('/admin/x');
    expect(normalizePath('/a%2Fb/c')).toBe('/a%2Fb/c');
    expect(normalizePath('http://host:8080/admin?x')).toBe('/admin');
    expect(normalizePath('/bad%zz')).toBeNull();
    expect(classifyUrl(DEFAULT_ROUTE_POLICY, 'GET', '/anything')?.cls.name).toBe('default');
  });

  it('names the file, the class and the field in its messages', () => {
    const bad = (yaml: string) => () => loadRoutePolicy(yaml, 'policy.yaml');
    expect(bad('version: 1\nclasses: []\n')).toThrow('policy.yaml: default is required');
    expect(bad('version: 2\ndefault: {}\n')).toThrow('policy.yaml: version must be 1');
    expect(bad('version: 1\nclasses:\n  - { name: admin, match: { path: admin } }\ndefault: {}\n')).toThrow(
      'policy.yaml: class "admin": match.path must start with "/"',
    );
    expect(
      bad(
        'version: 1\nclasses:\n  - { name: api, match: { path: /api/** }, rate_limits: { subject: { limit: -1, window_seconds: 60 } } }\ndefault: {}\n',
      ),
    ).toThrow('policy.yaml: class "api": rate_limits.subject.limit must be a positive integer');
    expect(bad('version: 1\nclasses:\n  - { name: api, match: { path: /a/**/b } }\ndefault: {}\n')).toThrow(
      '"**" may only be the last segment',
    );
    expect(bad('version: 1\ndefault: { auth: everyone }\n')).toThrow('class "default": auth must be public, token or { role: <name> }');
    expect(bad('version: 1\ndefault: { on_store_down: maybe }\n')).toThrow('class "default": on_store_down must be open, closed or local');
    expect(bad('version: 1\ndefault: { upstream_auth: drop }\n')).toThrow('class "default": upstream_auth must be pass or strip');
    expect(bad('version: 1\ndefault: { colour: red }\n')).toThrow('class "default": unknown setting "colour"');
    expect(bad('version: 1\nclasses:\n  - { name: a, match: { path: /a } }\n  - { name: a, match: { path: /b } }\ndefault: {}\n')).toThrow(
      'class "a" (classes[1]): name is used by an earlier class',
    );
    expect(bad('version: 1\ndefault: [\n')).toThrow('policy.yaml: not valid YAML or JSON');
  });

  it('compiles class limits into engine rules: per client, per user, admins on their own budget, observe mode', () => {
    const p = loadRoutePolicy(
      `version: 1
classes:
  - name: api
    match: { path: /api/** }
    rate_limits: { client: { limit: 5, window_seconds: 60 }, subject: { limit: 2, window_seconds: 60 }, admin: { limit: 1, window_seconds: 60 } }
  - name: tuning
    match: { path: /t/** }
    observe: true
    rate_limits: { client: { limit: 1, window_seconds: 60 } }
default: {}`,
      't',
    );
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const rules = { ...compileRules({ version: 1, extends: 'none', rules: {} }, 'none'), rules: routePolicyRules(p) };
    const engine = new DetectionEngine({ rules, store: new MemoryCounterStore(1000), clock, sink });
    const req = (client: string, subject: string | null, role: string | null, routeClass = 'api') =>
      engine.decide({ type: 'route-request', client, routeClass, subject, role }) as { verdict: string; status?: number; ruleId?: string };
    expect(req('10.0.0.1', 'bob', 'user').verdict).toBe('allow');
    expect(req('10.0.0.2', 'bob', 'user').verdict).toBe('allow');
    const third = req('10.0.0.3', 'bob', 'user');
    expect(third).toMatchObject({ verdict: 'blocked', status: 429, ruleId: 'route:api:subject' });
    expect(req('10.0.0.3', 'eve', 'user').verdict).toBe('allow');
    // An admin has the admin budget (1), not the user one.
    expect(req('10.0.0.4', 'root', 'admin').verdict).toBe('allow');
    expect(req('10.0.0.4', 'root', 'admin')).toMatchObject({ verdict: 'blocked', ruleId: 'route:api:admin' });
    // Anonymous requests count per client only.
    for (let i = 0; i < 5; i++) expect(req('10.0.0.9', null, null).verdict).toBe('allow');
    expect(req('10.0.0.9', null, null)).toMatchObject({ verdict: 'blocked', ruleId: 'route:api:client' });
    // The first refusal of a window is audited (a notice), once.
    expect(sink.effects.filter((e) => e.type === 'notice' && e.event === 'route_limit_exceeded')).toHaveLength(3);
    // Observe mode: recorded, not enforced.
    expect(req('10.0.1.1', null, null, 'tuning').verdict).toBe('allow');
    expect(req('10.0.1.1', null, null, 'tuning').verdict).toBe('observe');
    // The window slides by: allowed again later.
    clock.advance(121_000);
    expect(req('10.0.0.3', 'bob', 'user').verdict).toBe('allow');
  });
});
