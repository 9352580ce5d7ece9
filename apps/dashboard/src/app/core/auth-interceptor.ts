import { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, switchMap, throwError } from 'rxjs';
import { toApiFailure } from './api-failure';
import { AuthStore } from './auth-store';
import { SESSION_CALL } from './bouncer-api';
import { NoticeStore } from './notice-store';

function withBearer<T>(req: HttpRequest<T>, token: string | null): HttpRequest<T> {
  return token ? req.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : req;
}

/**
 * Adds the bearer token; on 401 refreshes once and retries once, else returns to /login;
 * on 429/403 surfaces the problem detail and the wait.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  const auth = inject(AuthStore);
  const notices = inject(NoticeStore);
  const isSessionCall = req.context.get(SESSION_CALL);

  const surface = (err: unknown) => {
    if (err instanceof HttpErrorResponse && (err.status === 429 || err.status === 403)) {
      notices.show(toApiFailure(err));
    }
    return throwError(() => err);
  };

  const token = auth.accessToken();
  return next(withBearer(req, token)).pipe(
    catchError((err: unknown) => {
      if (!(err instanceof HttpErrorResponse) || err.status !== 401 || isSessionCall) {
        return surface(err);
      }
      if (!token) {
        auth.expire();
        return throwError(() => err);
      }
      return auth.refresh().pipe(
        catchError(() => {
          auth.expire();
          return throwError(() => err);
        }),
        switchMap((session) =>
          next(withBearer(req, session.access_token)).pipe(
            catchError((retryErr: unknown) => {
              if (retryErr instanceof HttpErrorResponse && retryErr.status === 401) {
                auth.expire();
                return throwError(() => retryErr);
              }
              return surface(retryErr);
            }),
          ),
        ),
      );
    }),
  );
};
