import { HttpErrorResponse } from '@angular/common/http';
import type { ProblemDetails } from '@bouncer/contracts';

/** What the UI needs to know about a failed API call (from a problem+json body). */
export interface ApiFailure {
  status: number;
  detail: string;
  /** Seconds to wait (429 time buffer, 403 blocked client), if the server said. */
  retryAfter: number | null;
  errors: { field: string; message: string }[];
  /** A wrong password near a pause of this client's sign-ins: failures left (0: it started) and its length. */
  signInWarning?: { attemptsLeft: number; pauseSeconds: number };
}

function isProblem(body: unknown): body is Partial<ProblemDetails> {
  return typeof body === 'object' && body !== null;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

const FALLBACK_DETAIL: Record<number, string> = {
  0: 'The server cannot be reached. Check your connection.',
  401: 'Your session has ended. Please sign in again.',
  403: 'Access denied.',
  404: 'Not found.',
  429: 'Too many requests. Please wait.',
};

export function toApiFailure(err: unknown): ApiFailure {
  if (!(err instanceof HttpErrorResponse)) {
    return { status: 0, detail: 'Unexpected error.', retryAfter: null, errors: [] };
  }
  const body = isProblem(err.error) ? err.error : {};
  const header = parseRetryAfter(err.headers?.get('Retry-After') ?? null);
  const retryAfter = typeof body.retry_after === 'number' ? body.retry_after : header;
  const detail =
    (typeof body.detail === 'string' && body.detail) ||
    (typeof body.title === 'string' && body.title) ||
    FALLBACK_DETAIL[err.status] ||
    `Request failed (${err.status}).`;
  return {
    status: err.status,
    detail,
    retryAfter,
    errors: Array.isArray(body.errors) ? body.errors : [],
    ...(typeof body.attempts_left === 'number' && typeof body.pause_seconds === 'number'
      ? { signInWarning: { attemptsLeft: body.attempts_left, pauseSeconds: body.pause_seconds } }
      : {}),
  };
}
