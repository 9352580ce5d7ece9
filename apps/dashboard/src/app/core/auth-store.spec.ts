import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ApiPaths, type SessionResponse } from '@bouncer/contracts';
import { AuthStore, REFRESH_LEAD_MS } from './auth-store';

const session = (token: string, expiresIn = 900): SessionResponse => ({
  access_token: token,
  must_change_password: false,
  token_type: 'bearer',
  expires_in: expiresIn,
  username: 'ada',
  role: 'user',
});

describe('AuthStore', () => {
  let http: HttpTestingController;
  let auth: AuthStore;

  beforeEach(() => {
    jest.useFakeTimers();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthStore);
  });

  afterEach(() => {
    auth.clear();
    http.verify();
    jest.useRealTimers();
  });

  it('keeps the token in memory only', () => {
    const setItem = jest.spyOn(Storage.prototype, 'setItem');
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush(session('t1'));
    expect(auth.accessToken()).toBe('t1');
    expect(auth.username()).toBe('ada');
    expect(auth.homeUrl()).toBe('/home');
    expect(setItem).not.toHaveBeenCalled();
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });

  it('restores a session from the refresh cookie at start-up', async () => {
    const restored = auth.restore();
    http.expectOne(ApiPaths.sessionRefresh).flush(session('t2'));
    await expect(restored).resolves.toBe(true);
    expect(auth.isAuthenticated()).toBe(true);
  });

  it('stays anonymous when there is nothing to restore', async () => {
    const restored = auth.restore();
    http.expectOne(ApiPaths.sessionRefresh).flush(null, { status: 401, statusText: 'Unauthorized' });
    await expect(restored).resolves.toBe(false);
    expect(auth.isAuthenticated()).toBe(false);
  });

  it('refreshes silently 30 s before expiry', () => {
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush(session('t1', 120));
    jest.advanceTimersByTime(120_000 - REFRESH_LEAD_MS - 1);
    http.expectNone(ApiPaths.sessionRefresh);
    jest.advanceTimersByTime(1);
    http.expectOne(ApiPaths.sessionRefresh).flush(session('t2', 120));
    expect(auth.accessToken()).toBe('t2');
  });

  it('returns to /login when the silent refresh fails', () => {
    const router = TestBed.inject(Router);
    const navigate = jest.spyOn(router, 'navigate').mockResolvedValue(true);
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush(session('t1', 60));
    jest.advanceTimersByTime(30_000);
    http.expectOne(ApiPaths.sessionRefresh).flush(null, { status: 401, statusText: 'Unauthorized' });
    expect(auth.isAuthenticated()).toBe(false);
    expect(navigate).toHaveBeenCalledWith(['/login'], { queryParams: { expired: 1 } });
  });

  it('signs out with DELETE /session and forgets the token', () => {
    const router = TestBed.inject(Router);
    const nav = jest.spyOn(router, 'navigateByUrl').mockResolvedValue(true);
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush(session('t1'));
    auth.logout().subscribe();
    http.expectOne({ method: 'DELETE', url: ApiPaths.session }).flush(null, { status: 204, statusText: 'No Content' });
    expect(auth.accessToken()).toBeNull();
    expect(nav).toHaveBeenCalledWith('/login');
  });
});
