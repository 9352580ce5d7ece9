import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ApiPaths, type UserSummary } from '@bouncer/contracts';
import { AuthStore } from '../../core/auth-store';
import { UserAdmin } from './user-admin';

const users: UserSummary[] = [
  {
    username: 'admin',
    role: 'admin',
    disabled: false,
    created_at: '2026-01-01T00:00:00Z',
    last_sign_in_at: null,
    must_change_password: false,
  },
  { username: 'bo', role: 'user', disabled: false, created_at: '2026-01-01T00:00:00Z', last_sign_in_at: null, must_change_password: false },
];

describe('UserAdmin', () => {
  let fixture: ComponentFixture<UserAdmin>;
  let http: HttpTestingController;
  let el: HTMLElement;
  const button = (text: string, row: string) =>
    Array.from(el.querySelectorAll<HTMLButtonElement>(`tr[data-user="${row}"] button`)).find((b) => b.textContent?.trim() === text)!;

  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [UserAdmin],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(AuthStore).login('admin', 'x').subscribe();
    http.expectOne(ApiPaths.session).flush({ access_token: 't', token_type: 'bearer', expires_in: 900, username: 'admin', role: 'admin' });
    fixture = TestBed.createComponent(UserAdmin);
    el = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    http.expectOne(ApiPaths.adminUsers).flush(users);
    fixture.detectChanges();
  });

  afterEach(() => {
    TestBed.inject(AuthStore).clear();
    http.verify();
  });

  it('lists users and protects the signed-in admin from acting on themself', () => {
    expect(el.querySelectorAll('tbody tr').length).toBe(2);
    expect(button('Delete', 'admin').disabled).toBe(true);
    expect(button('Delete', 'bo').disabled).toBe(false);
  });

  it('disables a user with PATCH and reloads the list', () => {
    button('Disable', 'bo').click();
    const req = http.expectOne({ method: 'PATCH', url: '/admin/users/bo' });
    expect(req.request.body).toEqual({ disabled: true });
    req.flush({ ...users[1], disabled: true });
    http.expectOne(ApiPaths.adminUsers).flush([users[0], { ...users[1], disabled: true }]);
    fixture.detectChanges();
    expect(el.textContent).toContain('bo disabled.');
  });

  it('asks for confirmation before deleting', () => {
    button('Delete', 'bo').click();
    fixture.detectChanges();
    http.expectNone({ method: 'DELETE' });
    button('Confirm delete', 'bo').click();
    http.expectOne({ method: 'DELETE', url: '/admin/users/bo' }).flush(null);
    http.expectOne(ApiPaths.adminUsers).flush([users[0]]);
  });

  it('creates a user and shows field errors from the API', () => {
    const set = (id: string, v: string) => {
      const i = el.querySelector<HTMLInputElement>(id)!;
      i.value = v;
      i.dispatchEvent(new Event('input'));
    };
    set('#new-username', 'cy');
    set('#new-password', 'short');
    el.querySelector<HTMLFormElement>('form.create')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne({ method: 'POST', url: ApiPaths.adminUsers });
    expect(req.request.body).toEqual({ username: 'cy', password: 'short', role: 'user' });
    req.flush(
      {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'Invalid user.',
        errors: [{ field: 'password', message: 'Too short.' }],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    fixture.detectChanges();
    expect(el.querySelector('#new-password-error')?.textContent).toContain('Too short.');
  });

  it('never changes a role from the select alone; promotion needs Save and a confirmation (D4)', () => {
    const select = el.querySelector<HTMLSelectElement>('tr[data-user="bo"] select')!;
    select.value = 'admin';
    select.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    http.expectNone({ method: 'PATCH' });
    el.querySelector<HTMLButtonElement>('tr[data-user="bo"] [aria-label="Save role of bo"]')!.click();
    fixture.detectChanges();
    http.expectNone({ method: 'PATCH' });
    button('Make admin', 'bo').click();
    const req = http.expectOne({ method: 'PATCH', url: '/admin/users/bo' });
    expect(req.request.body).toEqual({ role: 'admin' });
    req.flush({ ...users[1], role: 'admin' });
    http.expectOne(ApiPaths.adminUsers).flush([users[0], { ...users[1], role: 'admin' }]);
    fixture.detectChanges();
    expect(el.querySelector('tr[data-user="bo"]')?.textContent).toContain('bo is now admin.');
  });

  it('resets a password after a confirmation and shows the temporary one next to the row', () => {
    button('Reset password', 'bo').click();
    fixture.detectChanges();
    http.expectNone({ method: 'POST' });
    button('Reset', 'bo').click();
    http
      .expectOne({ method: 'POST', url: '/admin/users/bo/password-reset' })
      .flush({ username: 'bo', temporary_password: 'tmp-Quartz-Fable-91', must_change_password: true });
    http.expectOne(ApiPaths.adminUsers).flush([users[0], { ...users[1], must_change_password: true }]);
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="temporary-password"]')?.textContent).toContain('tmp-Quartz-Fable-91');
    expect(el.querySelector('tr[data-user="bo"]')?.textContent).toContain('must change password');
  });
});
