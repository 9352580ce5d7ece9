import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { ApiPaths, type TrafficHistoryResponse } from '@bouncer/contracts';
import type { Observable } from 'rxjs';
import { type ViewRange, rangeQuery } from './time-range';

/** The overview's traffic series over its time range (`GET /admin/traffic`). */
@Injectable({ providedIn: 'root' })
export class TrafficApi {
  private readonly http = inject(HttpClient);

  series(range: ViewRange): Observable<TrafficHistoryResponse> {
    return this.http.get<TrafficHistoryResponse>(ApiPaths.adminTraffic, { params: new HttpParams({ fromObject: rangeQuery(range) }) });
  }
}
