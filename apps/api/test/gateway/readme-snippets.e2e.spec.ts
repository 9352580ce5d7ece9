import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadRoutePolicy } from '@bouncer/detection';
import { IDENTITY_HEADERS } from '../../src/gateway/gateway.types';

/**
 * Issue #11: "the README snippets are the ones the tests use". The gateway tests run
 * tools/nginx/forward-auth.conf, tools/caddy/Caddyfile and tools/gateway/policy.example.yaml;
 * the README shows excerpts of them. Every statement of an excerpt must be a statement of the
 * tested file (addresses and the files' {{FIELD}} / {$VAR} placeholders aside), so a snippet
 * cannot drift from what the tests prove.
 */
const ROOT = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function protectSection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Protect your API');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

function fences(section: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  for (let m = re.exec(section); m; m = re.exec(section)) out.push(m[1] ?? '');
  return out;
}

/** A {{FIELD}} or {$VAR} of a tested file: the README shows a value there (an address, a timeout). */
const FIELD = '\u0000';

/** The statements of `shown` that are not a statement of `tested` (a field matches any value). */
function notIn(tested: Set<string>, shown: Set<string>): string[] {
  const patterns = [...tested].map(
    (t) =>
      new RegExp(
        '^' +
          t
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            .split(FIELD)
            .join('\\S+') +
          '$',
      ),
  );
  return [...shown].filter((s) => !patterns.some((p) => p.test(s)));
}

/** Statements of an nginx or Caddy config: comments dropped, split at ; { } (and line ends, for Caddy) outside quotes, addresses made alike. */
function statements(config: string, lineEnds: boolean): Set<string> {
  const text = config
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, ''))
    .join('\n')
    // nginx string concatenation across lines ('...' '...') is one string.
    .replace(/'\s*\n\s*'/g, '')
    .replace(/\{\{\w+\}\}|\{\$\w+\}/g, FIELD)
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}:\d+\b|\bbouncer:\d+\b/g, '<addr>');
  const out = new Set<string>();
  const add = (raw: string) => {
    const s = raw.replace(/\s+/g, ' ').trim();
    if (s) out.add(s);
  };
  let current = '';
  let quote: string | null = null;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === ';' || c === '{' || c === '}' || (lineEnds && c === '\n')) {
      add(current);
      current = '';
    } else current += c;
  }
  add(current);
  return out;
}

describe('#11.6 the README’s gateway snippets are excerpts of the files the gateway tests run', () => {
  const section = protectSection();

  it('nginx: every statement of the snippet is in tools/nginx/forward-auth.conf', () => {
    const [snippet] = fences(section, 'nginx');
    expect(snippet).toBeDefined();
    const tested = statements(read('tools/nginx/forward-auth.conf'), false);
    const shown = statements(snippet ?? '', false);
    expect(shown.size).toBeGreaterThan(15);
    expect(notIn(tested, shown)).toEqual([]);
  });

  it('Caddy: every statement of the snippet is in tools/caddy/Caddyfile', () => {
    const [snippet] = fences(section, 'caddy');
    expect(snippet).toBeDefined();
    const tested = statements(read('tools/caddy/Caddyfile'), true);
    const shown = statements(snippet ?? '', true);
    expect(shown.size).toBeGreaterThan(6);
    expect(notIn(tested, shown)).toEqual([]);
  });

  it('Traefik: the snippet asks for exactly the identity headers Bouncer answers with', () => {
    const traefik = fences(section, 'yaml')
      .map(
        (y) =>
          parseYaml(y) as { http?: { middlewares?: Record<string, { forwardAuth?: { address: string; authResponseHeaders: string[] } }> } },
      )
      .find((doc) => doc?.http?.middlewares);
    const forwardAuth = Object.values(traefik?.http?.middlewares ?? {})[0]?.forwardAuth;
    expect(forwardAuth?.address).toMatch(/\/forward-auth$/);
    expect(forwardAuth?.authResponseHeaders.map((h) => h.toLowerCase()).sort()).toEqual([...IDENTITY_HEADERS].sort());
  });

  it('the sample policy loads, and each of its classes is the same class of tools/gateway/policy.example.yaml', () => {
    const sample = fences(section, 'yaml').find((y) => /^version: 1/m.test(y));
    expect(sample).toBeDefined();
    const shown = loadRoutePolicy(sample ?? '', 'README.md');
    const tested = loadRoutePolicy(read('tools/gateway/policy.example.yaml'), 'policy.example.yaml');
    const raw = parseYaml(sample ?? '') as { classes: Record<string, unknown>[] };
    const exampleRaw = parseYaml(read('tools/gateway/policy.example.yaml')) as { classes: Record<string, unknown>[] };
    expect(shown.classes.length).toBeGreaterThan(2);
    for (const cls of raw.classes) {
      const same = exampleRaw.classes.find((c) => c['name'] === cls['name']);
      expect(same).toBeDefined();
      // The README may leave settings out, never show one the tested file does not have.
      expect(same).toMatchObject(cls);
    }
    expect(tested.classes.map((c) => c.name)).toEqual(expect.arrayContaining(shown.classes.filter((c) => c.path).map((c) => c.name)));
  });
});
