import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ApiPaths, type SessionResponse } from '@bouncer/contracts';
import { authInterceptor } from './auth-interceptor';
import { AuthStore } from './auth-store';
import { BouncerApi } from './bouncer-api';
import { NoticeStore } from './notice-store';

const session = (token: string, role: 'admin' | 'user' = 'admin'): SessionResponse => ({
  access_token: token,
  must_change_password: false,
  token_type: 'bearer',
  expires_in: 900,
  username: 'ada',
  role,
});

describe('authInterceptor', () => {
  let http: HttpTestingController;
  let api: BouncerApi;
  let auth: AuthStore;
  let router: Router;

  beforeEach(() => {
    jest.useFakeTimers();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
        provideRouter([{ path: '**', children: [] }]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    api = TestBed.inject(BouncerApi);
    auth = TestBed.inject(AuthStore);
    router = TestBed.inject(Router);
    jest.spyOn(router, 'navigate').mockResolvedValue(true);
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush(session('old'));
  });

  afterEach(() => {
    auth.clear();
    http.verify();
    jest.useRealTimers();
  });

  it('adds the bearer token', () => {
    api.dashboardData().subscribe();
    const req = http.expectOne(ApiPaths.dashboardData);
    expect(req.request.headers.get('Authorization')).toBe('Bearer old');
    req.flush({});
  });

  it('on 401 refreshes once and retries once with the new token', () => {
    let result: unknown;
    api.me().subscribe((r) => (result = r));
    http.expectOne(ApiPaths.me).flush({ detail: 'expired' }, { status: 401, statusText: 'Unauthorized' });

    const refresh = http.expectOne(ApiPaths.sessionRefresh);
    expect(refresh.request.headers.get('Authorization')).toBe('Bearer old');
    refresh.flush(session('new'));

    const retry = http.expectOne(ApiPaths.me);
    expect(retry.request.headers.get('Authorization')).toBe('Bearer new');
    retry.flush({ username: 'ada' });
    expect(result).toEqual({ username: 'ada' });
    expect(auth.accessToken()).toBe('new');
  });

  it('shares one refresh between concurrent 401s', () => {
    api.me().subscribe();
    api.dashboardData().subscribe();
    http.expectOne(ApiPaths.me).flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectOne(ApiPaths.dashboardData).flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectOne(ApiPaths.sessionRefresh).flush(session('new'));
    http.expectOne(ApiPaths.me).flush({});
    http.expectOne(ApiPaths.dashboardData).flush({});
  });

  it('goes to /login when the refresh fails', () => {
    let error: unknown;
    api.me().subscribe({ error: (e: unknown) => (error = e) });
    http.expectOne(ApiPaths.me).flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectOne(ApiPaths.sessionRefresh).flush(null, { status: 401, statusText: 'Unauthorized' });
    expect(error).toBeTruthy();
    expect(auth.isAuthenticated()).toBe(false);
    expect(router.navigate).toHaveBeenCalledWith(['/login'], { queryParams: { expired: 1 } });
  });

  it('goes to /login when the retry is still unauthorized (no second refresh)', () => {
    api.me().subscribe({ error: () => undefined });
    http.expectOne(ApiPaths.me).flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectOne(ApiPaths.sessionRefresh).flush(session('new'));
    http.expectOne(ApiPaths.me).flush(null, { status: 401, statusText: 'Unauthorized' });
    http.expectNone(ApiPaths.sessionRefresh);
    expect(router.navigate).toHaveBeenCalledWith(['/login'], { queryParams: { expired: 1 } });
  });

  it('never refreshes on a failed sign-in', () => {
    auth.login('ada', 'wrong').subscribe({ error: () => undefined });
    http.expectOne(ApiPaths.session).flush({ detail: 'Wrong username or password' }, { status: 401, statusText: 'Unauthorized' });
    http.expectNone(ApiPaths.sessionRefresh);
    expect(router.navigate).not.toHaveBeenCalled();
  });

  it('on 429 surfaces the detail and the wait, counting down', () => {
    const notices = TestBed.inject(NoticeStore);
    api.dashboardData().subscribe({ error: () => undefined });
    http
      .expectOne(ApiPaths.dashboardData)
      .flush(
        { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'Time buffer active', retry_after: 3 },
        { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '3' } },
      );
    expect(notices.notice()?.detail).toBe('Time buffer active');
    expect(notices.remaining()).toBe(3);
    jest.advanceTimersByTime(1000);
    expect(notices.remaining()).toBe(2);
    jest.advanceTimersByTime(2000);
    expect(notices.notice()).toBeNull();
  });

  it('on 403 for a blocked client surfaces the detail and the wait', () => {
    const notices = TestBed.inject(NoticeStore);
    api.me().subscribe({ error: () => undefined });
    http
      .expectOne(ApiPaths.me)
      .flush(
        { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'This address is blocked', retry_after: 60 },
        { status: 403, statusText: 'Forbidden' },
      );
    expect(notices.notice()).toEqual(expect.objectContaining({ status: 403, detail: 'This address is blocked' }));
    expect(notices.remaining()).toBe(60);
    notices.dismiss();
  });

  it('lets other requests through untouched when signed out', () => {
    auth.clear();
    TestBed.inject(HttpClient).get(ApiPaths.health).subscribe();
    const req = http.expectOne(ApiPaths.health);
    expect(req.request.headers.has('Authorization')).toBe(false);
    req.flush({});
  });
});
