import { HttpClient, HttpContext, HttpContextToken } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  ApiPaths,
  type BlockRequest,
  type ChangePasswordRequest,
  type CreateUserRequest,
  type DashboardDataResponse,
  type ListEntryRequest,
  type LoginRequest,
  type MeResponse,
  type SessionResponse,
  type UpdateUserRequest,
  type UserSummary,
} from '@bouncer/contracts';
import type { Observable } from 'rxjs';

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
}
