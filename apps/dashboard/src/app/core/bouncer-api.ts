import { HttpClient, HttpContext, HttpContextToken, HttpParams, type HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { type Observable, map } from 'rxjs';
import { type ApiAnswer, type ApiBody, type ApiPath, type ApiQuery, apiUrl } from './api-types';

/** Query parameters as the API takes them; empty values are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

function params(q: Query): HttpParams {
  let p = new HttpParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p = p.set(k, String(v));
  return p;
}

/** A documented path, checked against the generated client's `paths` (a typo or a renamed route does not compile). */
const path = <P extends ApiPath>(p: P): P => p;

/** One page of the audit log and the opaque cursor of the next (null on the last page). */
export interface EventPage {
  items: ApiAnswer<'/admin/events', 'get'>;
  next: string | null;
}

/** Marks the session calls: the interceptor never refreshes-and-retries them. */
export const SESSION_CALL = new HttpContextToken<boolean>(() => false);

const sessionContext = () => new HttpContext().set(SESSION_CALL, true);

/**
 * The only place that talks HTTP. Every path, body and answer type comes from the generated
 * API client's `paths` (libs/api-client), so a changed API answer breaks the type check here or
 * in the page that reads it. Angular's HttpClient stays: the auth interceptor works on it.
 */
@Injectable({ providedIn: 'root' })
export class BouncerApi {
  private readonly http = inject(HttpClient);

  createSession(body: ApiBody<'/session', 'post'>): Observable<ApiAnswer<'/session', 'post'>> {
    return this.http.post<ApiAnswer<'/session', 'post'>>(path('/session'), body, { context: sessionContext() });
  }

  refreshSession(): Observable<ApiAnswer<'/session/refresh', 'post'>> {
    return this.http.post<ApiAnswer<'/session/refresh', 'post'>>(path('/session/refresh'), {}, { context: sessionContext() });
  }

  endSession(): Observable<void> {
    return this.http.delete<ApiAnswer<'/session', 'delete'>>(path('/session'), { context: sessionContext() });
  }

  me(): Observable<ApiAnswer<'/me', 'get'>> {
    return this.http.get<ApiAnswer<'/me', 'get'>>(path('/me'));
  }

  changePassword(body: ApiBody<'/me/password', 'post'>): Observable<void> {
    return this.http.post<ApiAnswer<'/me/password', 'post'>>(path('/me/password'), body);
  }

  logoutEverywhere(): Observable<void> {
    return this.http.post<ApiAnswer<'/me/logout-everywhere', 'post'>>(path('/me/logout-everywhere'), {});
  }

  dashboardData(): Observable<ApiAnswer<'/dashboard-data', 'get'>> {
    return this.http.get<ApiAnswer<'/dashboard-data', 'get'>>(path('/dashboard-data'));
  }

  listUsers(): Observable<ApiAnswer<'/admin/users', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/users', 'get'>>(path('/admin/users'));
  }

  createUser(body: ApiBody<'/admin/users', 'post'>): Observable<ApiAnswer<'/admin/users', 'post'>> {
    return this.http.post<ApiAnswer<'/admin/users', 'post'>>(path('/admin/users'), body);
  }

  updateUser(
    username: string,
    body: ApiBody<'/admin/users/{username}', 'patch'>,
  ): Observable<ApiAnswer<'/admin/users/{username}', 'patch'>> {
    return this.http.patch<ApiAnswer<'/admin/users/{username}', 'patch'>>(apiUrl('/admin/users/{username}', 'patch', { username }), body);
  }

  /** An admin's reset: the temporary password comes back once; the user must change it at next sign-in. */
  resetPassword(username: string): Observable<ApiAnswer<'/admin/users/{username}/password-reset', 'post'>> {
    return this.http.post<ApiAnswer<'/admin/users/{username}/password-reset', 'post'>>(
      apiUrl('/admin/users/{username}/password-reset', 'post', { username }),
      {},
    );
  }

  deleteUser(username: string): Observable<void> {
    return this.http.delete<ApiAnswer<'/admin/users/{username}', 'delete'>>(apiUrl('/admin/users/{username}', 'delete', { username }));
  }

  /** The caller's own open sessions, this one marked `current`. */
  mySessions(): Observable<ApiAnswer<'/me/sessions', 'get'>> {
    return this.http.get<ApiAnswer<'/me/sessions', 'get'>>(path('/me/sessions'));
  }

  /** Ends one of the caller's own sessions. */
  endMySession(id: string): Observable<void> {
    return this.http.delete<ApiAnswer<'/me/sessions/{id}', 'delete'>>(apiUrl('/me/sessions/{id}', 'delete', { id }));
  }

  /** A user's open sessions (ids, never tokens). */
  userSessions(username: string): Observable<ApiAnswer<'/admin/users/{username}/sessions', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/users/{username}/sessions', 'get'>>(
      apiUrl('/admin/users/{username}/sessions', 'get', { username }),
    );
  }

  revokeUserSession(username: string, id: string): Observable<void> {
    return this.http.delete<ApiAnswer<'/admin/users/{username}/sessions/{id}', 'delete'>>(
      apiUrl('/admin/users/{username}/sessions/{id}', 'delete', { username, id }),
    );
  }

  /** Forgets an account's failed sign-ins (the account rule's count and spacing). */
  unlockAccount(username: string): Observable<void> {
    return this.http.post<ApiAnswer<'/admin/accounts/{username}/unlock', 'post'>>(
      apiUrl('/admin/accounts/{username}/unlock', 'post', { username }),
      {},
    );
  }

  /** Accounts with failed sign-ins, counted and paged by the server. */
  accounts(q: ApiQuery<'/admin/accounts', 'get'>): Observable<ApiAnswer<'/admin/accounts', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/accounts', 'get'>>(path('/admin/accounts'), { params: params(q) });
  }

  /** The clients that guessed at one account. */
  accountClients(
    username: string,
    q: ApiQuery<'/admin/accounts/{username}/clients', 'get'> = {},
  ): Observable<ApiAnswer<'/admin/accounts/{username}/clients', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/accounts/{username}/clients', 'get'>>(
      apiUrl('/admin/accounts/{username}/clients', 'get', { username }),
      { params: params(q) },
    );
  }

  /** One client's timeline, targeted accounts, and the sign-ins and sessions seen from it. */
  /** `range`: the timeline's time range (a named one, or since/until); the server's default is the last hour. */
  clientActivity(
    client: string,
    range: Omit<ApiQuery<'/admin/clients/activity', 'get'>, 'client'> = {},
  ): Observable<ApiAnswer<'/admin/clients/activity', 'get'>> {
    const q: ApiQuery<'/admin/clients/activity', 'get'> = { client, ...range };
    return this.http.get<ApiAnswer<'/admin/clients/activity', 'get'>>(path('/admin/clients/activity'), { params: params(q) });
  }

  /** Lengthens a standing decision; its reason and reference stay. */
  extendDecision(body: ApiBody<'/admin/decisions/extend', 'post'>): Observable<ApiAnswer<'/admin/decisions/extend', 'post'>> {
    return this.http.post<ApiAnswer<'/admin/decisions/extend', 'post'>>(path('/admin/decisions/extend'), body);
  }

  /** Lifts many decisions (by reference) in one call. */
  liftDecisions(ids: string[]): Observable<ApiAnswer<'/admin/decisions/bulk-lift', 'post'>> {
    const body: ApiBody<'/admin/decisions/bulk-lift', 'post'> = { ids };
    return this.http.post<ApiAnswer<'/admin/decisions/bulk-lift', 'post'>>(path('/admin/decisions/bulk-lift'), body);
  }

  /** Extends many decisions (by reference) by the same time in one call. */
  extendDecisions(ids: string[], seconds: number): Observable<ApiAnswer<'/admin/decisions/bulk-extend', 'post'>> {
    const body: ApiBody<'/admin/decisions/bulk-extend', 'post'> = { ids, seconds };
    return this.http.post<ApiAnswer<'/admin/decisions/bulk-extend', 'post'>>(path('/admin/decisions/bulk-extend'), body);
  }

  block(body: ApiBody<'/admin/blocks', 'post'>): Observable<ApiAnswer<'/admin/blocks', 'post'>> {
    return this.http.post<ApiAnswer<'/admin/blocks', 'post'>>(path('/admin/blocks'), body);
  }

  unblock(client: string): Observable<void> {
    return this.http.delete<ApiAnswer<'/admin/blocks', 'delete'>>(`${path('/admin/blocks')}?client=${encodeURIComponent(client)}`);
  }

  clearSuspicion(client: string): Observable<void> {
    return this.http.delete<ApiAnswer<'/admin/suspicions', 'delete'>>(`${path('/admin/suspicions')}?client=${encodeURIComponent(client)}`);
  }

  addListEntry(body: ApiBody<'/admin/lists', 'post'>): Observable<ApiAnswer<'/admin/lists', 'post'>> {
    return this.http.post<ApiAnswer<'/admin/lists', 'post'>>(path('/admin/lists'), body);
  }

  decisions(q: ApiQuery<'/admin/decisions', 'get'>): Observable<ApiAnswer<'/admin/decisions', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/decisions', 'get'>>(path('/admin/decisions'), { params: params(q) });
  }

  lists(): Observable<ApiAnswer<'/admin/lists', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/lists', 'get'>>(path('/admin/lists'));
  }

  removeListEntry(kind: 'allow' | 'deny', cidr: string): Observable<void> {
    const q: ApiQuery<'/admin/lists', 'delete'> = { kind, cidr };
    return this.http.delete<ApiAnswer<'/admin/lists', 'delete'>>(path('/admin/lists'), { params: params(q) });
  }

  rules(): Observable<ApiAnswer<'/admin/rules', 'get'>> {
    return this.http.get<ApiAnswer<'/admin/rules', 'get'>>(path('/admin/rules'));
  }

  events(q: ApiQuery<'/admin/events', 'get'>): Observable<EventPage> {
    return this.http
      .get<ApiAnswer<'/admin/events', 'get'>>(path('/admin/events'), { params: params(q), observe: 'response' })
      .pipe(map((r: HttpResponse<ApiAnswer<'/admin/events', 'get'>>) => ({ items: r.body ?? [], next: r.headers.get('x-next-cursor') })));
  }

  /** The streamed export, as a file (the bearer token rules out a plain link). */
  exportEvents(q: ApiQuery<'/admin/events/export', 'get'>, format: 'csv' | 'jsonl'): Observable<Blob> {
    return this.http.get(path('/admin/events/export'), { params: params({ ...q, format }), responseType: 'blob' });
  }
}
