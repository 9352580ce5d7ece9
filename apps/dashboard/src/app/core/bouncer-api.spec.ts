import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { ApiPaths, type DashboardDataResponse } from '@bouncer/contracts';
import { BouncerApi, SESSION_CALL } from './bouncer-api';

describe('BouncerApi', () => {
  let api: BouncerApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    api = TestBed.inject(BouncerApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('signs in with POST /session and marks it as a session call', () => {
    let role: string | undefined;
    api.createSession({ username: 'ada', password: 'pw' }).subscribe((s) => (role = s.role));
    const req = http.expectOne(ApiPaths.session);
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ username: 'ada', password: 'pw' });
    expect(req.request.context.get(SESSION_CALL)).toBe(true);
    req.flush({ access_token: 't', token_type: 'bearer', expires_in: 900, username: 'ada', role: 'admin' });
    expect(role).toBe('admin');
  });

  it('refreshes with POST /session/refresh and signs out with DELETE /session', () => {
    api.refreshSession().subscribe();
    const refresh = http.expectOne(ApiPaths.sessionRefresh);
    expect(refresh.request.method).toBe('POST');
    expect(refresh.request.context.get(SESSION_CALL)).toBe(true);
    refresh.flush({});
    api.endSession().subscribe();
    const end = http.expectOne({ method: 'DELETE', url: ApiPaths.session });
    end.flush(null);
  });

  it('reads the dashboard data', () => {
    let total = -1;
    api.dashboardData().subscribe((d) => (total = d.total_ips));
    const req = http.expectOne({ method: 'GET', url: '/dashboard-data' });
    expect(req.request.context.get(SESSION_CALL)).toBe(false);
    req.flush({ total_ips: 7 } satisfies Partial<DashboardDataResponse>);
    expect(total).toBe(7);
  });

  it('encodes the client in the query of unblock and clear-suspicion', () => {
    api.unblock('2001:db8::/64').subscribe();
    http.expectOne({ method: 'DELETE', url: '/admin/blocks?client=2001%3Adb8%3A%3A%2F64' }).flush(null);
    api.clearSuspicion('127.0.0.77').subscribe();
    http.expectOne({ method: 'DELETE', url: '/admin/suspicions?client=127.0.0.77' }).flush(null);
  });

  it('blocks and allowlists with JSON bodies', () => {
    api.block({ client: '203.0.113.0/24', duration_seconds: 300, reason: 'scraping' }).subscribe();
    const block = http.expectOne({ method: 'POST', url: ApiPaths.adminBlocks });
    expect(block.request.body).toEqual({ client: '203.0.113.0/24', duration_seconds: 300, reason: 'scraping' });
    block.flush({});
    api.addListEntry({ kind: 'allow', cidr: '10.0.0.1/32', note: 'office' }).subscribe();
    const list = http.expectOne({ method: 'POST', url: ApiPaths.adminLists });
    expect(list.request.body).toEqual({ kind: 'allow', cidr: '10.0.0.1/32', note: 'office' });
    list.flush({});
  });

  it('manages users, encoding the username in the path', () => {
    api.listUsers().subscribe();
    http.expectOne({ method: 'GET', url: '/admin/users' }).flush([]);
    api.createUser({ username: 'bo', password: 'long-password-1', role: 'user' }).subscribe();
    expect((http.expectOne({ method: 'POST', url: '/admin/users' }).request.body as { role: string }).role).toBe('user');
    api.updateUser('a b', { disabled: true }).subscribe();
    const patch = http.expectOne({ method: 'PATCH', url: '/admin/users/a%20b' });
    expect(patch.request.body).toEqual({ disabled: true });
    patch.flush({});
    api.deleteUser('bo').subscribe();
    http.expectOne({ method: 'DELETE', url: '/admin/users/bo' }).flush(null);
  });

  it('covers the user endpoints', () => {
    api.me().subscribe();
    http.expectOne({ method: 'GET', url: ApiPaths.me }).flush({});
    api.changePassword({ current_password: 'a', new_password: 'b' }).subscribe();
    expect(http.expectOne({ method: 'POST', url: ApiPaths.mePassword }).request.body).toEqual({
      current_password: 'a',
      new_password: 'b',
    });
    api.logoutEverywhere().subscribe();
    http.expectOne({ method: 'POST', url: ApiPaths.logoutEverywhere }).flush(null);
  });

  it('fills path templates with encoded parameters: sessions, unlock, client activity, extend', () => {
    api.userSessions('a/b').subscribe();
    http.expectOne({ method: 'GET', url: '/admin/users/a%2Fb/sessions' }).flush([]);
    api.revokeUserSession('bo', '0b6f1c1e-0000-4000-8000-000000000000').subscribe();
    http.expectOne({ method: 'DELETE', url: '/admin/users/bo/sessions/0b6f1c1e-0000-4000-8000-000000000000' }).flush(null);
    api.unlockAccount('dave smith').subscribe();
    http.expectOne({ method: 'POST', url: '/admin/accounts/dave%20smith/unlock' }).flush(null);
    api.clientActivity('203.0.113.0/24').subscribe();
    http
      .expectOne((r) => r.method === 'GET' && r.url === '/admin/clients/activity' && r.params.get('client') === '203.0.113.0/24')
      .flush({});
    api.extendDecision({ client: '203.0.113.7', state: 'blocked', seconds: 3600 }).subscribe();
    expect(http.expectOne({ method: 'POST', url: '/admin/decisions/extend' }).request.body).toEqual({
      client: '203.0.113.7',
      state: 'blocked',
      seconds: 3600,
    });
  });
});
