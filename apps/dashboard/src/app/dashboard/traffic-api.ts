import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { ApiPaths, type TrafficHistoryResponse } from '@bouncer/contracts';
import type { Observable } from 'rxjs';
import { type ViewRange } from './time-range';

/** The overview's traffic series over its time range (`GET /admin/traffic`). */
@Injectable({ providedIn: 'root' })
export class TrafficApi {
  private readonly http = inject(HttpClient);

  series(range: ViewRange): Observable<TrafficHistoryResponse> {
    const params =
      range.kind === 'named'
        ? new HttpParams().set('range', range.key)
        : new HttpParams().set('since', new Date(range.since).toISOString()).set('until', new Date(range.until).toISOString());
    return this.http.get<TrafficHistoryResponse>(ApiPaths.adminTraffic, { params });
  }
}
