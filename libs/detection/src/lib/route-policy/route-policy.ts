import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compilePattern, matchesPattern, normalizePath, type PathPattern, patternProblem } from './route-pattern';

/**
 * The route policy: which requests to a protected API need which credentials, which limits
 * they have on top of the global rules, and what happens while the shared store is down.
 * `POLICY_FILE` (YAML or JSON) gives it; without one the policy is DEFAULT_ROUTE_POLICY (one
 * public class, no limits of its own: only the global rules apply, as before policies).
 *
 * ```yaml
 * version: 1
 * classes:
 *   - name: sign-in
 *     match: { methods: [POST], path: /login }
 *     auth: public
 *     sign_in: { username_field: username, failure_statuses: [401] }
 *   - name: admin
 *     match: { path: /admin/** }
 *     auth: { role: admin }
 *     rate_limits: { subject: { limit: 30, window_seconds: 60 } }
 * default:
 *   auth: token
 * ```
 */
export type RouteAuth = { kind: 'public' } | { kind: 'token' } | { kind: 'role'; role: string };

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** `open`: pass without counting; `closed`: refuse (503); `local`: count in this instance's memory. */
export type StoreDownMode = 'open' | 'closed' | 'local';

export interface SignInRoute {
  /** The body field (JSON or form) that holds the account name; `null`: the account is unknown. */
  readonly usernameField: string | null;
  /** The upstream's answers that mean "wrong password". */
  readonly failureStatuses: readonly number[];
}

export interface RouteClass {
  readonly name: string;
  /** Upper-case methods; null: any method. */
  readonly methods: readonly string[] | null;
  /** null only for the default class. */
  readonly path: PathPattern | null;
  readonly auth: RouteAuth;
  /**
   * Limits of this class on top of the global rules. `client`: per client address, every
   * request. `subject`: per signed-in user (a bearer-token caller: an API client).
   * `admin`: per signed-in admin, in place of `subject` (meant to be stricter).
   */
  readonly rateLimits: { readonly client?: RateLimit; readonly subject?: RateLimit; readonly admin?: RateLimit };
  readonly onStoreDown: StoreDownMode;
  /** Decisions of this class are recorded, not enforced. */
  readonly observe: boolean;
  readonly signIn: SignInRoute | null;
  /**
   * The client's `Authorization` header on its way to the protected API (reverse-proxy mode):
   * `pass` (the upstream checks tokens of its own, or reads Bouncer's) or `strip` (the upstream
   * trusts only the X-Bouncer-* identity headers and never sees the client's credentials).
   */
  readonly upstreamAuth: UpstreamAuth;
}

export type UpstreamAuth = 'pass' | 'strip';

export interface RoutePolicy {
  /** Where it came from (the file, or `built-in`). */
  readonly source: string;
  /** First match wins; the last one is the default class and matches everything. */
  readonly classes: readonly RouteClass[];
}

/** A policy file that cannot be used; the message names the file, the class and the field. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export const DEFAULT_CLASS_NAME = 'default';

/** With no POLICY_FILE: everything is one public class, so only the global rules apply. */
export const DEFAULT_ROUTE_POLICY: RoutePolicy = {
  source: 'built-in',
  classes: [
    {
      name: DEFAULT_CLASS_NAME,
      methods: null,
      path: null,
      auth: { kind: 'public' },
      rateLimits: {},
      // As before policies: with Redis down, each instance counts in its own memory.
      onStoreDown: 'local',
      observe: false,
      signIn: null,
      upstreamAuth: 'pass',
    },
  ],
};

// ---- the file's schema ------------------------------------------------------------------

const posInt = (what: string) =>
  z
    .number({ error: `must be a positive integer (${what})` })
    .int({ error: `must be a positive integer (${what})` })
    .positive({ error: `must be a positive integer (${what})` });

const rateLimit = z.strictObject({
  limit: posInt('requests per window'),
  window_seconds: posInt('seconds').max(86400, { error: 'must be at most 86400 seconds' }),
});

const METHOD = /^[A-Z]+$/;
const methods = z
  .array(
    z
      .string({ error: 'must be method names' })
      .transform((m) => m.toUpperCase())
      .refine((m) => METHOD.test(m), { error: 'must be method names like GET' }),
    {
      error: 'must be a list of methods, e.g. [GET, POST]',
    },
  )
  .min(1, { error: 'must name at least one method (leave it out for any method)' });

const auth = z.union(
  [
    z.literal('public'),
    z.literal('token'),
    z.strictObject({ role: z.string({ error: 'must be a role name' }).min(1, { error: 'must be a role name' }) }),
  ],
  { error: 'must be public, token or { role: <name> }' },
);

const classBody = {
  auth: auth.default('public'),
  rate_limits: z.strictObject({ client: rateLimit.optional(), subject: rateLimit.optional(), admin: rateLimit.optional() }).default({}),
  on_store_down: z.enum(['open', 'closed', 'local'], { error: 'must be open, closed or local' }).default('local'),
  observe: z.boolean({ error: 'must be true or false' }).default(false),
  upstream_auth: z.enum(['pass', 'strip'], { error: 'must be pass or strip' }).default('pass'),
  sign_in: z
    .strictObject({
      username_field: z.string({ error: 'must be a body field name' }).min(1).nullable().default(null),
      failure_statuses: z
        .array(z.number().int().min(400, { error: 'must be 4xx statuses' }).max(499, { error: 'must be 4xx statuses' }), {
          error: 'must be a list of statuses',
        })
        .min(1, { error: 'must name at least one status' })
        .default([401]),
    })
    .nullable()
    .default(null),
};

const classSchema = z.strictObject({
  name: z.string({ error: 'must be a name' }).regex(/^[a-z0-9][a-z0-9_-]*$/i, { error: 'must be letters, digits, "-" or "_"' }),
  match: z.strictObject({
    methods: methods.optional(),
    path: z.string({ error: 'must be a path pattern like /api/**' }).superRefine((p, ctx) => {
      const problem = patternProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
  ...classBody,
});

const documentSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  classes: z.array(classSchema, { error: 'must be a list of route classes' }).default([]),
  default: z.strictObject(classBody, { error: 'is required: the class of every request no other class matches' }),
});

type ClassInput = z.output<typeof classSchema>;
type DefaultInput = z.output<typeof documentSchema>['default'];

// ---- reading ----------------------------------------------------------------------------

/** Reads, validates and compiles a policy file's text (YAML or JSON). `source` names the file in messages. */
export function loadRoutePolicy(text: string, source: string): RoutePolicy {
  let input: unknown;
  try {
    input = parseYaml(text) as unknown;
  } catch (e) {
    throw new PolicyError(`${source}: not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return compileRoutePolicy(input, source);
}

export function compileRoutePolicy(input: unknown, source: string): RoutePolicy {
  const parsed = documentSchema.safeParse(input);
  if (!parsed.success) {
    throw new PolicyError(parsed.error.issues.map((i) => `${source}: ${where(i, input)}${describe(i)}`).join('\n'));
  }
  const doc = parsed.data;
  const seen = new Set<string>();
  const classes: RouteClass[] = doc.classes.map((c, i) => {
    if (c.name === DEFAULT_CLASS_NAME)
      throw new PolicyError(`${source}: class "${c.name}" (classes[${i}]): name "default" is the default class's`);
    if (seen.has(c.name)) throw new PolicyError(`${source}: class "${c.name}" (classes[${i}]): name is used by an earlier class`);
    seen.add(c.name);
    return toClass(c.name, c, c.match.methods ?? null, compilePattern(c.match.path));
  });
  classes.push(toClass(DEFAULT_CLASS_NAME, doc.default, null, null));
  return { source, classes };
}

function toClass(name: string, c: ClassInput | DefaultInput, methods: string[] | null, path: PathPattern | null): RouteClass {
  const limit = (l: { limit: number; window_seconds: number } | undefined) =>
    l ? { limit: l.limit, windowSeconds: l.window_seconds } : undefined;
  const rateLimits: { client?: RateLimit; subject?: RateLimit; admin?: RateLimit } = {};
  for (const k of ['client', 'subject', 'admin'] as const) {
    const l = limit(c.rate_limits[k]);
    if (l) rateLimits[k] = l;
  }
  return {
    name,
    methods,
    path,
    auth: c.auth === 'public' || c.auth === 'token' ? { kind: c.auth } : { kind: 'role', role: c.auth.role },
    rateLimits,
    onStoreDown: c.on_store_down,
    observe: c.observe,
    signIn: c.sign_in ? { usernameField: c.sign_in.username_field, failureStatuses: c.sign_in.failure_statuses } : null,
    upstreamAuth: c.upstream_auth,
  };
}

/** "class "admin": rate_limits.subject.limit " — the class by name when the path reaches one. */
function where(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path;
  if (path[0] === 'classes' && typeof path[1] === 'number') {
    const raw = (input as { classes?: { name?: unknown }[] }).classes?.[path[1]];
    const name = typeof raw?.name === 'string' ? `class "${raw.name}"` : `classes[${path[1]}]`;
    const field = path.slice(2).map(String).join('.');
    return `${name}: ${field ? `${field} ` : ''}`;
  }
  if (path[0] === 'default' && path.length === 1 && issue.code === 'invalid_type') return 'default ';
  if (path[0] === 'default') {
    const field = path.slice(1).map(String).join('.');
    return `class "default": ${field ? `${field} ` : ''}`;
  }
  return path.length ? `${path.map(String).join('.')} ` : '';
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return issue.path.length === 1 && issue.path[0] === 'default'
      ? 'is required: the class of every request no other class matches'
      : 'is required';
  return issue.message;
}

// ---- matching and showing ---------------------------------------------------------------

/** The class of a request: the first that matches its method and normalised path, else the default. */
export function classify(policy: RoutePolicy, method: string, normalizedPath: string): RouteClass {
  const m = method.toUpperCase();
  for (const c of policy.classes) {
    if (c.methods && !c.methods.includes(m) && !(m === 'HEAD' && c.methods.includes('GET'))) continue;
    if (c.path && !matchesPattern(c.path, normalizedPath)) continue;
    return c;
  }
  return policy.classes[policy.classes.length - 1] as RouteClass;
}

/** `classify` for a raw request target; null when its path cannot be decoded. */
export function classifyUrl(policy: RoutePolicy, method: string, url: string): { cls: RouteClass; path: string } | null {
  const path = normalizePath(url);
  return path === null ? null : { cls: classify(policy, method, path), path };
}

/** The policy in force as a document that, saved as POLICY_FILE, gives the same policy (GET /admin/policy). */
export function routePolicyDocumentOf(policy: RoutePolicy): Record<string, unknown> {
  const body = (c: RouteClass) => ({
    auth: c.auth.kind === 'role' ? { role: c.auth.role } : c.auth.kind,
    rate_limits: Object.fromEntries(Object.entries(c.rateLimits).map(([k, l]) => [k, { limit: l.limit, window_seconds: l.windowSeconds }])),
    on_store_down: c.onStoreDown,
    observe: c.observe,
    upstream_auth: c.upstreamAuth,
    sign_in: c.signIn ? { username_field: c.signIn.usernameField, failure_statuses: [...c.signIn.failureStatuses] } : null,
  });
  const classes = policy.classes.filter((c) => c.path !== null);
  const dflt = policy.classes[policy.classes.length - 1] as RouteClass;
  return {
    version: 1,
    classes: classes.map((c) => ({
      name: c.name,
      match: { ...(c.methods ? { methods: [...c.methods] } : {}), path: c.path?.source },
      ...body(c),
    })),
    default: body(dflt),
  };
}
