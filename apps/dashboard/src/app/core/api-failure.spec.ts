import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { parseRetryAfter, toApiFailure } from './api-failure';

describe('toApiFailure', () => {
  it('reads detail, retry_after and field errors from problem+json', () => {
    const err = new HttpErrorResponse({
      status: 400,
      error: {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid input',
        errors: [{ field: 'new_password', message: 'too short' }],
      },
    });
    expect(toApiFailure(err)).toEqual({
      status: 400,
      detail: 'Invalid input',
      retryAfter: null,
      errors: [{ field: 'new_password', message: 'too short' }],
    });
  });

  it('falls back to the Retry-After header', () => {
    const err = new HttpErrorResponse({ status: 429, headers: new HttpHeaders({ 'Retry-After': '42' }), error: null });
    const f = toApiFailure(err);
    expect(f.retryAfter).toBe(42);
    expect(f.detail).toMatch(/Too many/);
  });

  it('parses an HTTP-date Retry-After', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
