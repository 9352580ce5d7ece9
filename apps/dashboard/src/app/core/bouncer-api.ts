import { HttpClient, HttpContext, HttpContextToken, HttpParams, type HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  ApiPaths,
  adminUserPasswordResetPath,
  type PasswordResetResponse,
  type BlockRequest,
  type ChangePasswordRequest,
  type CreateUserRequest,
  type DashboardDataResponse,
  type DecisionView,
  type ListEntry,
  type Paged,
  type SecurityEvent,
  type ListEntryRequest,
  type LoginRequest,
  type MeResponse,
  type SessionResponse,
  type UpdateUserRequest,
  type UserSummary,
} from '@bouncer/contracts';
import { type Observable, map } from 'rxjs';

/** Query parameters as the API takes them; empty values are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

function params(q: Query): HttpParams {
  let p = new HttpParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p = p.set(k, String(v));
  return p;
}

/** One page of the audit log and the opaque cursor of the next (null on the last page). */
export interface EventPage {
  items: SecurityEvent[];
  next: string | null;
}

/** Marks the session calls: the interceptor never refreshes-and-retries them. */
export const SESSION_CALL = new HttpContextToken<boolean>(() => false);

const sessionContext = () => new HttpContext().set(SESSION_CALL, true);

/** The only place that talks HTTP. Paths and shapes come from @bouncer/contracts. */
@Injectable({ providedIn: 'root' })
export class BouncerApi {
  private readonly http = inject(HttpClient);

  createSession(body: LoginRequest): Observable<SessionResponse> {
    return this.http.post<SessionResponse>(ApiPaths.session, body, { context: sessionContext() });
  }

  refreshSession(): Observable<SessionResponse> {
    return this.http.post<SessionResponse>(ApiPaths.sessionRefresh, {}, { context: sessionContext() });
  }

  endSession(): Observable<void> {
    return this.http.delete<void>(ApiPaths.session, { context: sessionContext() });
  }

  me(): Observable<MeResponse> {
    return this.http.get<MeResponse>(ApiPaths.me);
  }

  changePassword(body: ChangePasswordRequest): Observable<void> {
    return this.http.post<void>(ApiPaths.mePassword, body);
  }

  logoutEverywhere(): Observable<void> {
    return this.http.post<void>(ApiPaths.logoutEverywhere, {});
  }

  dashboardData(): Observable<DashboardDataResponse> {
    return this.http.get<DashboardDataResponse>(ApiPaths.dashboardData);
  }

  listUsers(): Observable<UserSummary[]> {
    return this.http.get<UserSummary[]>(ApiPaths.adminUsers);
  }

  createUser(body: CreateUserRequest): Observable<UserSummary> {
    return this.http.post<UserSummary>(ApiPaths.adminUsers, body);
  }

  updateUser(username: string, body: UpdateUserRequest): Observable<UserSummary> {
    return this.http.patch<UserSummary>(`${ApiPaths.adminUsers}/${encodeURIComponent(username)}`, body);
  }

  /** An admin's reset: the temporary password comes back once; the user must change it at next sign-in. */
  resetPassword(username: string): Observable<PasswordResetResponse> {
    return this.http.post<PasswordResetResponse>(adminUserPasswordResetPath(username), {});
  }

  deleteUser(username: string): Observable<void> {
    return this.http.delete<void>(`${ApiPaths.adminUsers}/${encodeURIComponent(username)}`);
  }

  block(body: BlockRequest): Observable<unknown> {
    return this.http.post(ApiPaths.adminBlocks, body);
  }

  unblock(client: string): Observable<void> {
    return this.http.delete<void>(`${ApiPaths.adminBlocks}?client=${encodeURIComponent(client)}`);
  }

  clearSuspicion(client: string): Observable<void> {
    return this.http.delete<void>(`${ApiPaths.adminSuspicions}?client=${encodeURIComponent(client)}`);
  }

  addListEntry(body: ListEntryRequest): Observable<unknown> {
    return this.http.post(ApiPaths.adminLists, body);
  }

  decisions(q: Query): Observable<Paged<DecisionView>> {
    return this.http.get<Paged<DecisionView>>(ApiPaths.adminDecisions, { params: params(q) });
  }

  lists(): Observable<ListEntry[]> {
    return this.http.get<ListEntry[]>(ApiPaths.adminLists);
  }

  removeListEntry(kind: 'allow' | 'deny', cidr: string): Observable<void> {
    return this.http.delete<void>(ApiPaths.adminLists, { params: params({ kind, cidr }) });
  }

  rules(): Observable<unknown> {
    return this.http.get<unknown>('/admin/rules');
  }

  events(q: Query): Observable<EventPage> {
    return this.http
      .get<SecurityEvent[]>('/admin/events', { params: params(q), observe: 'response' })
      .pipe(map((r: HttpResponse<SecurityEvent[]>) => ({ items: r.body ?? [], next: r.headers.get('x-next-cursor') })));
  }

  /** The streamed export, as a file (the bearer token rules out a plain link). */
  exportEvents(q: Query, format: 'csv' | 'jsonl'): Observable<Blob> {
    return this.http.get('/admin/events/export', { params: params({ ...q, format }), responseType: 'blob' });
  }
}
