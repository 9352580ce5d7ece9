import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { ApiPaths, type ReadinessResponse } from '@bouncer/contracts';
import { type Observable, catchError, of, throwError } from 'rxjs';

/** `GET /admin/policy`: the route policy in force (POLICY_FILE format) and where it came from. */
export interface RoutePolicyView {
  source: string;
  policy: Record<string, unknown>;
}

/** The Settings page's reads: store health and the gateway's route policy. */
@Injectable({ providedIn: 'root' })
export class SettingsApi {
  private readonly http = inject(HttpClient);

  /** Readiness answers 503 with the same body when the instance cannot serve: that body is the answer too. */
  readiness(): Observable<ReadinessResponse> {
    return this.http
      .get<ReadinessResponse>(ApiPaths.ready)
      .pipe(
        catchError((err: unknown) =>
          err instanceof HttpErrorResponse && err.status === 503 && err.error && typeof err.error === 'object'
            ? of(err.error as ReadinessResponse)
            : throwError(() => err),
        ),
      );
  }

  policy(): Observable<RoutePolicyView> {
    return this.http.get<RoutePolicyView>(ApiPaths.adminPolicy);
  }
}
