import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import type { Role, SessionResponse } from '@bouncer/contracts';
import { Observable, catchError, finalize, firstValueFrom, map, of, shareReplay, tap } from 'rxjs';
import { BouncerApi } from './bouncer-api';

interface Session {
  accessToken: string;
  username: string;
  role: Role;
  expiresAt: number;
  /** The password was generated or reset by an admin: this session may only change it. */
  mustChangePassword: boolean;
}

/** Refresh this long before the access token expires. */
export const REFRESH_LEAD_MS = 30_000;
const MIN_REFRESH_DELAY_MS = 5_000;

export function homeUrlFor(role: Role): string {
  return role === 'admin' ? '/dashboard' : '/home';
}

/**
 * Holds the session in memory only (signals; never web storage). The refresh token
 * lives in an httpOnly cookie the browser sends to /session/refresh.
 */
@Injectable({ providedIn: 'root' })
export class AuthStore {
  private readonly api = inject(BouncerApi);
  private readonly router = inject(Router);
  private readonly session = signal<Session | null>(null);
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private refreshInFlight: Observable<SessionResponse> | null = null;

  readonly accessToken = computed(() => this.session()?.accessToken ?? null);
  readonly username = computed(() => this.session()?.username ?? null);
  readonly role = computed(() => this.session()?.role ?? null);
  readonly mustChangePassword = computed(() => this.session()?.mustChangePassword ?? false);
  readonly isAuthenticated = computed(() => this.session() !== null);
  readonly homeUrl = computed(() => {
    const role = this.role();
    return role ? homeUrlFor(role) : '/login';
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.cancelRefresh());
  }

  login(username: string, password: string): Observable<SessionResponse> {
    return this.api.createSession({ username, password }).pipe(tap((s) => this.apply(s)));
  }

  /** One refresh at a time; concurrent callers share it. Callers decide what a failure means. */
  refresh(): Observable<SessionResponse> {
    if (!this.refreshInFlight) {
      this.refreshInFlight = this.api.refreshSession().pipe(
        tap((s) => this.apply(s)),
        finalize(() => (this.refreshInFlight = null)),
        shareReplay({ bufferSize: 1, refCount: false }),
      );
    }
    return this.refreshInFlight;
  }

  /** At start-up: restore a session from the refresh cookie, silently. */
  restore(): Promise<boolean> {
    return firstValueFrom(
      this.refresh().pipe(
        map(() => true),
        catchError(() => of(false)),
      ),
    );
  }

  /** Sign out here: ends the server session (best effort) and returns to /login. */
  logout(): Observable<void> {
    const hadToken = this.accessToken() !== null;
    const end = hadToken ? this.api.endSession().pipe(catchError(() => of(undefined))) : of(undefined);
    return end.pipe(
      map(() => undefined),
      tap(() => {
        this.clear();
        void this.router.navigateByUrl('/login');
      }),
    );
  }

  /** The session could not be kept alive: back to the login page. */
  expire(): void {
    const wasSignedIn = this.isAuthenticated();
    this.clear();
    void this.router.navigate(['/login'], wasSignedIn ? { queryParams: { expired: 1 } } : {});
  }

  clear(): void {
    this.cancelRefresh();
    this.session.set(null);
  }

  private apply(s: SessionResponse): void {
    const lifetimeMs = s.expires_in * 1000;
    this.session.set({
      accessToken: s.access_token,
      username: s.username,
      role: s.role,
      expiresAt: Date.now() + lifetimeMs,
      mustChangePassword: s.must_change_password === true,
    });
    this.scheduleRefresh(lifetimeMs);
  }

  private scheduleRefresh(lifetimeMs: number): void {
    this.cancelRefresh();
    const delay = Math.max(MIN_REFRESH_DELAY_MS, lifetimeMs - REFRESH_LEAD_MS);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().subscribe({ error: () => this.expire() });
    }, delay);
  }

  private cancelRefresh(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }
}
