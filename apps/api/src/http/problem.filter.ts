import { readFileSync } from 'node:fs';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemDetails } from '@bouncer/contracts';
import { ProblemException } from './problem.exception';
import { describeError } from '../db/query-errors';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** The database (or its connection) is down: the request may succeed later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
    if (
      e.message &&
      /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED/i.test(e.message)
    )
      return true;
  }
  return false;
}

/**
 * A value the database refused as data (SQLSTATE class 22: a malformed uuid, a number out of
 * range, a character it cannot store). Input should be validated before it gets this far; this
 * is the backstop that keeps such input a 400 where a check was missed.
 */
export function isRefusedValue(err: unknown): boolean {
  return refusedValueCode(err) !== null;
}

/** The SQLSTATE of a value the database refused as data, or null. */
function refusedValueCode(err: unknown): string | null {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) return e.code;
  }
  return null;
}

/** Turns anything thrown into an RFC 9457 problem+json response. */
export function toProblem(err: unknown, instance?: string): { problem: ProblemDetails; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (isDatabaseUnavailable(err)) {
    headers['Retry-After'] = '5';
    return {
      problem: {
        type: 'urn:bouncer:problem:storage-unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The database is unreachable; try again in 5 seconds.',
        instance,
        retry_after: 5,
      },
      headers,
    };
  }
  if (err instanceof ProblemException) {
    const o = err.extras;
    const problem: ProblemDetails = {
      type: o.type ?? 'about:blank',
      title: err.title,
      status: err.getStatus(),
      detail: err.detail,
      instance,
    };
    if (o.retryAfter !== undefined) {
      const s = Math.max(1, Math.ceil(o.retryAfter));
      problem.retry_after = s;
      headers['Retry-After'] = String(s);
    }
    if (o.rateLimit) {
      const r = o.rateLimit;
      headers['RateLimit-Policy'] = `"${r.policy}";q=${r.limit};w=${r.windowSeconds}`;
      headers['RateLimit'] = `"${r.policy}";r=${r.remaining};t=${Math.max(0, Math.ceil(r.resetSeconds))}`;
    }
    if (o.errors) problem.errors = o.errors;
    if (o.reference) problem.reference = o.reference;
    if (o.signInWarning) {
      problem.attempts_left = o.signInWarning.attemptsLeft;
      problem.pause_seconds = o.signInWarning.pauseSeconds;
    }
    Object.assign(headers, o.headers);
    return { problem, headers };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as { message?: string | string[] } | string;
    const messages = typeof body === 'string' ? [body] : Array.isArray(body.message) ? body.message : [body.message ?? err.message];
    const problem: ProblemDetails = {
      type: 'about:blank',
      title: TITLES[status] ?? 'Error',
      status,
      detail: messages.join('; '),
      instance,
    };
    if (status === 400 && Array.isArray((body as { message?: unknown }).message)) {
      // class-validator messages start with the property name.
      problem.errors = messages.map((m) => ({ field: m.split(' ')[0] ?? '', message: m }));
      problem.detail = 'The request body is invalid.';
    }
    return { problem, headers };
  }
  // Errors raised by Fastify itself (body parsing, size, media type) carry a 4xx statusCode.
  const fe = err as { statusCode?: number; code?: string; message?: string };
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    const detail =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'The request body is too large.'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported content type; send application/json or application/x-www-form-urlencoded.'
          : status === 400
            ? `The request could not be parsed${fe.message ? `: ${fe.message}` : ''}.`
            : (fe.message ?? 'Request error.');
    return { problem: { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, instance }, headers };
  }
  if (isRefusedValue(err)) {
    return {
      problem: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'The request contains a value that is not acceptable.',
        instance,
      },
      headers,
    };
  }
  return {
    problem: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.', instance },
    headers,
  };
}

/**
 * The dashboard's client-side routes (apps/dashboard/src/app/app.routes.ts; its base href is
 * `/`; `/` itself is index.html, served as a file). Only these get the app on a browser
 * navigation: any other unknown path is a 404 that counts as probing, whatever the Accept
 * header, and no longer answers 200 where a real route answers 401.
 */
export const DASHBOARD_ROUTES: ReadonlySet<string> = new Set([
  '/login',
  '/home',
  '/dashboard',
  '/account',
  '/change-password',
  '/decisions',
  '/clients',
  '/accounts',
  '/lists',
  '/audit',
  '/users',
  '/settings',
]);

/** `/clients/<address or range>` (the range's slash encoded as %2F): the client page's deep link. */
const CLIENT_PAGE = /^\/clients\/[0-9A-Fa-f:.%]{2,80}$/;

export function isDashboardRoute(path: string): boolean {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return DASHBOARD_ROUTES.has(p) || CLIENT_PAGE.test(p);
}

/**
 * Global Nest filter: every error response is problem+json. One exception: a browser
 * navigating to a client-side route of the dashboard (`/dashboard`, `/home`) gets the app.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private indexHtml: Buffer | null = null;

  constructor(private readonly indexFile: string | null = null) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    if (exception instanceof NotFoundException && this.isAppNavigation(req)) {
      this.indexHtml ??= readFileSync(this.indexFile as string);
      reply.status(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(this.indexHtml);
      return;
    }
    const { problem, headers } = toProblem(exception, req?.url?.split('?')[0]);
    if (problem.status === 503)
      this.logger.warn(`database unavailable at ${req?.method} ${req?.url?.split('?')[0]}: ${describeError(exception)}`);
    else if (problem.status === 400 && isRefusedValue(exception))
      this.logger.warn(`input reached the database unvalidated at ${req?.method} ${req?.url?.split('?')[0]}: ${describeError(exception)}`);
    else if (problem.status >= 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    reply.status(problem.status).headers(headers).type('application/problem+json').send(problem);
  }

  private isAppNavigation(req: FastifyRequest): boolean {
    if (!this.indexFile || req.method !== 'GET') return false;
    const path = req.url.split('?')[0] ?? '';
    const accept = req.headers.accept ?? '';
    return accept.includes('text/html') && isDashboardRoute(path);
  }
}
