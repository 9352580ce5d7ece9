/**
 * Walks the OpenAPI document the running API serves (/docs-json, API_DOCS=admin) and fails on any
 * operation that lacks what a generated client needs (issue #14 point 4): a summary, its 2xx
 * schema (a named schema of @bouncer/contracts/schemas), problem+json errors with their headers,
 * the gate's 403 and the 401 of authenticated routes, maxima on paging parameters, and POST
 * /token as the OAuth2 form it is. Then checks that the committed typed client
 * (libs/api-client) was generated from this very document.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { API_SCHEMAS } from '@bouncer/contracts/schemas';
import type { OpenApiDocument, OpenApiOperation } from '@bouncer/testing';
import { client, startServer, type TestServer } from './support/app';

/** Answered before the client gate (never 403 for a blocked client). */
const PROBES = new Set(['/health', '/health/ready', '/metrics']);
/** Operations that cannot fail with a problem (liveness answers whatever happens). */
const NO_ERRORS = new Set(['GET /health']);
/** Errors that are not problem+json, by design: readiness answers 503 with its own body. */
const NOT_PROBLEMS = new Set(['GET /health/ready 503']);
const PAGING = /^(page|page_size|per_page|limit|offset|size)$/;

function operations(doc: OpenApiDocument): { key: string; path: string; op: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m, op]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m) && op)
      .map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, path, op: op! })),
  );
}

/** Everything wrong with one operation, in words (an empty list: complete). */
export function incompleteness(key: string, path: string, op: OpenApiOperation): string[] {
  const bad: string[] = [];
  const responses = op.responses ?? {};
  if (!op.summary?.trim()) bad.push('no summary');
  const ok = Object.entries(responses).filter(([s]) => /^2\d\d$/.test(s));
  if (ok.length === 0) bad.push('no 2xx response');
  for (const [status, r] of ok) {
    if (status === '204') {
      if (r.content && Object.keys(r.content).length > 0) bad.push('204 with a body');
      continue;
    }
    const content = Object.entries(r.content ?? {});
    if (content.length === 0) bad.push(`${status} has no content`);
    for (const [type, media] of content) {
      const schema = media.schema as { $ref?: string; type?: string; items?: { $ref?: string } } | undefined;
      if (!schema) bad.push(`${status} ${type} has no schema`);
      else if (/^application\/(.+\+)?json$/.test(type)) {
        const ref = schema.$ref ?? (schema.type === 'array' ? schema.items?.$ref : undefined);
        const name = ref?.replace('#/components/schemas/', '');
        if (!name || !(name in API_SCHEMAS))
          bad.push(`${status} ${type} is not a schema of @bouncer/contracts/schemas (${ref ?? 'inline'})`);
      }
    }
  }
  const errors = Object.entries(responses).filter(([s]) => /^[45]\d\d$/.test(s));
  if (errors.length === 0 && !NO_ERRORS.has(key)) bad.push('no error response');
  for (const [status, r] of errors) {
    if (NOT_PROBLEMS.has(`${key} ${status}`)) continue;
    const problem = r.content?.['application/problem+json']?.schema as { $ref?: string } | undefined;
    if (problem?.$ref !== '#/components/schemas/Problem') bad.push(`${status} is not application/problem+json with the Problem schema`);
    if (!r.description?.trim()) bad.push(`${status} has no description`);
  }
  const has = (status: string, ...headers: string[]) =>
    headers.filter((h) => responses[status] && !responses[status].headers?.[h]).forEach((h) => bad.push(`${status} without ${h}`));
  has('401', 'WWW-Authenticate');
  has('429', 'Retry-After', 'RateLimit', 'RateLimit-Policy');
  has('503', 'Retry-After');
  if (!PROBES.has(path)) {
    // The client gate answers a blocked client 403 with Retry-After on every route but the probes.
    if (!responses['403']) bad.push("no 403 (the client gate's refusal of a blocked client)");
    has('403', 'Retry-After');
  }
  if (responses['429']) for (const [status] of ok) has(status, 'RateLimit', 'RateLimit-Policy');
  if ((op.security ?? []).length > 0 && !responses['401']) bad.push('authenticated but no 401');
  if (op.requestBody) for (const s of ['400', '413', '415']) if (!responses[s]) bad.push(`takes a body but documents no ${s}`);
  if ((op.parameters ?? []).some((p) => p.in === 'query') && !responses['400']) bad.push('takes query parameters but documents no 400');
  for (const p of op.parameters ?? []) {
    const type = p.schema?.['type'];
    if ((PAGING.test(p.name) || type === 'integer' || type === 'number') && typeof p.schema?.['maximum'] !== 'number') {
      bad.push(`parameter ${p.name} has no maximum`);
    }
  }
  return bad;
}

describe('the OpenAPI document', () => {
  let server: TestServer;
  let doc: OpenApiDocument & { components: { securitySchemes?: Record<string, unknown> } };

  beforeAll(async () => {
    server = await startServer({ API_DOCS: 'admin' });
    const res = await client(server)('/docs-json', { token: await server.adminToken() });
    expect(res.status).toBe(200);
    doc = res.json;
    // Generous: starting the whole API took minutes on a loaded machine.
  }, 300_000);
  afterAll(() => server?.close(true));

  it('describes every operation completely', () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThanOrEqual(30);
    const report = ops.map(({ key, path, op }) => [key, incompleteness(key, path, op)] as const).filter(([, bad]) => bad.length > 0);
    expect(Object.fromEntries(report)).toEqual({});
  });

  it('catches an incomplete operation (the checks are not vacuous)', () => {
    const op = structuredClone(doc.paths['/admin/decisions']!['get']!);
    expect(incompleteness('GET /admin/decisions', '/admin/decisions', op)).toEqual([]);
    delete op.summary;
    delete op.responses!['401']!.headers;
    op.responses!['200']!.content!['application/json']!.schema = { type: 'object' };
    delete op.parameters!.find((p) => p.name === 'page_size')!.schema!['maximum'];
    op.responses!['403']!.content = { 'application/json': { schema: { type: 'object' } } };
    expect(incompleteness('GET /admin/decisions', '/admin/decisions', op)).toEqual([
      'no summary',
      '200 application/json is not a schema of @bouncer/contracts/schemas (inline)',
      '403 is not application/problem+json with the Problem schema',
      '401 without WWW-Authenticate',
      'parameter page_size has no maximum',
    ]);
  });

  it('documents POST /token as the OAuth2 password grant form', () => {
    const token = doc.paths['/token']!['post']!;
    expect(Object.keys(token.requestBody?.content ?? {})).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    const form = token.requestBody!.content!['application/x-www-form-urlencoded']!.schema as { $ref: string };
    const fields = (doc.components.schemas![form.$ref.split('/').pop()!] as { properties: Record<string, unknown> }).properties;
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['grant_type', 'username', 'password', 'refresh_token', 'scope']));
    expect(doc.components.securitySchemes?.['oauth2']).toEqual({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/token', refreshUrl: '/token', scopes: {} } },
    });
    expect(doc.paths['/admin/users']!['get']!.security).toEqual([{ bearer: [] }, { oauth2: [] }]);
  });

  it('is what the committed typed client was generated from (else: npm run api:client)', async () => {
    // In a child process: openapi-typescript loads ES modules that jest's CommonJS runtime cannot.
    const dir = await mkdtemp(join(tmpdir(), 'bouncer-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      const root = join(__dirname, '../../..');
      const run = promisify(execFile)(
        process.execPath,
        ['-r', '@swc-node/register', 'tools/openapi/generate.ts', '--check', '--from', file],
        {
          cwd: root,
          env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', NODE_OPTIONS: '' },
        },
      );
      await expect(run).resolves.toMatchObject({ stdout: 'The typed client is up to date.\n' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
