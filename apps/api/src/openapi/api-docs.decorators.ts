import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { HeadersObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { ApiSchemaName } from '@bouncer/contracts/schemas';

/**
 * Decorators that describe an operation's answers in the OpenAPI document, short enough to sit
 * on every route: the summary, the 2xx body (a named schema of @bouncer/contracts/schemas) and
 * the problem+json errors, each with the headers the API really sends with it.
 */

export const ref = (name: ApiSchemaName) => ({ $ref: `#/components/schemas/${name}` });

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ description, schema });
/** A header every such answer carries (the response checker of the tests insists on it). */
const always = <H extends object>(h: H) => ({ ...h, required: true });

/** The headers of the answers that carry them (see problem.filter.ts, client-gate, the sign-in throttle). */
export const HEADERS = {
  'Retry-After': header('Seconds to wait before trying again.', { type: 'integer', minimum: 1 }),
  RateLimit: header('IETF draft RateLimit: `"<policy>";r=<remaining>;t=<seconds to reset>`.'),
  'RateLimit-Policy': header('IETF draft RateLimit-Policy: `"<policy>";q=<limit>;w=<window seconds>`.'),
  'WWW-Authenticate': header('`Bearer realm="bouncer"`, with `error="invalid_token"` when a token was given and refused.'),
} satisfies HeadersObject;

const RATE_LIMIT_HEADERS = { RateLimit: HEADERS.RateLimit, 'RateLimit-Policy': HEADERS['RateLimit-Policy'] };

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

const PROBLEMS: Record<ProblemStatus, { description: string; headers?: HeadersObject }> = {
  400: { description: 'Invalid input; `errors` names each field.' },
  401: { description: 'No valid bearer token, or wrong credentials.', headers: { 'WWW-Authenticate': HEADERS['WWW-Authenticate'] } },
  403: {
    description:
      'Refused: this client is blocked (with Retry-After and the decision `reference`), or the role, origin or request is not allowed.',
    headers: { 'Retry-After': HEADERS['Retry-After'] },
  },
  404: { description: 'Nothing matches.' },
  409: { description: 'Conflicts with the current state.' },
  413: { description: 'The body is larger than 16 KiB.' },
  415: { description: 'The body is neither JSON nor a form.' },
  429: {
    description: 'Too many sign-ins from this client, or for this account.',
    headers: {
      'Retry-After': always(HEADERS['Retry-After']),
      RateLimit: always(HEADERS.RateLimit),
      'RateLimit-Policy': always(HEADERS['RateLimit-Policy']),
    },
  },
  503: {
    description: 'The database is unreachable; try again after Retry-After.',
    headers: { 'Retry-After': always(HEADERS['Retry-After']) },
  },
};

/** The 401 of the sign-in routes, which may warn of a pause (login-defense.service.ts, WARN_WHEN_LEFT). */
export const WRONG_PASSWORD =
  'Wrong credentials. When at most 2 failed sign-ins are left before this client’s sign-ins pause, `attempts_left` and `pause_seconds` say how many and how long (0 left: this failure started the pause).';

/** Each status as an `application/problem+json` answer (the shared Problem schema), with its headers. */
export function ApiProblems(...statuses: (ProblemStatus | [ProblemStatus, string])[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((s) => {
      const [status, description] = Array.isArray(s) ? s : [s, undefined];
      const p = PROBLEMS[status];
      return ApiResponse({
        status,
        description: description ?? p.description,
        ...(p.headers ? { headers: p.headers } : {}),
        content: { 'application/problem+json': { schema: ref('Problem') } },
      });
    }),
  );
}

export interface AnswerOptions {
  /** The 2xx status (200 by default). */
  status?: 200 | 201;
  /** What the answer is. */
  description?: string;
  /** The answer carries the sign-in budget (RateLimit, RateLimit-Policy). */
  rateLimited?: boolean;
  /** Extra headers of the 2xx answer. */
  headers?: HeadersObject;
}

/** The summary and the JSON 2xx body: a named schema, or `[name]` for an array of it. */
export function ApiJson(summary: string, body: ApiSchemaName | [ApiSchemaName], o: AnswerOptions = {}): MethodDecorator {
  const schema = Array.isArray(body) ? { type: 'array' as const, items: ref(body[0]) } : ref(body);
  return applyDecorators(
    ApiOperation({ summary }),
    ApiResponse({
      status: o.status ?? 200,
      description: o.description ?? 'OK',
      headers: { ...(o.rateLimited ? RATE_LIMIT_HEADERS : {}), ...o.headers },
      content: { 'application/json': { schema } },
    }),
  );
}

/** The summary and a 204 answer without a body. */
export function ApiNoContent(summary: string, o: Omit<AnswerOptions, 'status'> = {}): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiResponse({
      status: 204,
      description: o.description ?? 'Done; no body.',
      ...(o.rateLimited || o.headers ? { headers: { ...(o.rateLimited ? RATE_LIMIT_HEADERS : {}), ...o.headers } } : {}),
    }),
  );
}

/** The summary and a 200 answer that is not JSON (a file, a stream, Prometheus text). */
export function ApiRaw(summary: string, types: string[], description: string, o: { headers?: HeadersObject } = {}): MethodDecorator {
  const schema = { type: 'string' as const, ...(types.some((t) => t.startsWith('application/gzip')) ? { format: 'binary' } : {}) };
  return applyDecorators(
    ApiOperation({ summary }),
    ApiResponse({
      status: 200,
      description,
      ...(o.headers ? { headers: o.headers } : {}),
      content: Object.fromEntries(types.map((t) => [t, { schema }])),
    }),
  );
}
