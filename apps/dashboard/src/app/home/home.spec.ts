import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ApiPaths, type MeResponse, type UserSession } from '@bouncer/contracts';
import { Home } from './home';

const me: MeResponse = {
  username: 'bo',
  role: 'user',
  created_at: '2026-01-01T00:00:00Z',
  must_change_password: false,
  recent_failures: [{ at: '2026-01-02T09:00:00Z', address: '203.0.113.9', kind: 'failed' }],
  recent_sign_ins: [
    { at: '2026-01-02T10:00:00Z', address: '198.51.100.7', user_agent: 'Mozilla/5.0 <script>alert(1)</script>' },
    { at: '2026-01-01T09:00:00Z', address: '127.0.0.1', user_agent: null },
  ],
};

const sessions: UserSession[] = [
  {
    id: '11111111-1111-4111-8111-111111111111',
    created_at: '2026-01-02T10:00:00Z',
    expires_at: '2026-02-01T00:00:00Z',
    last_used_at: null,
    last_client: null,
    current: true,
  },
  {
    id: '22222222-2222-4222-8222-222222222222',
    created_at: '2026-01-01T09:00:00Z',
    expires_at: '2026-02-01T00:00:00Z',
    last_used_at: '2026-01-02T08:00:00Z',
    last_client: '203.0.113.50',
    current: false,
  },
];

describe('Home', () => {
  let fixture: ComponentFixture<Home>;
  let http: HttpTestingController;
  let el: HTMLElement;

  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [Home],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Home);
    el = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
    http.expectOne('/me/sessions').flush(sessions);
    http.expectOne(ApiPaths.me).flush(me);
    fixture.detectChanges();
  });

  it('lists the account’s sessions, this one marked, and ends another after a confirmation (D22)', () => {
    const rows = el.querySelectorAll('[data-testid="session"]');
    expect(rows.length).toBe(2);
    expect(rows[0]?.querySelector('[data-testid="this-session"]')).not.toBeNull();
    expect(rows[0]?.querySelector('button')).toBeNull();
    expect(rows[1]?.textContent).toContain('203.0.113.50');
    rows[1]?.querySelector<HTMLButtonElement>('button')?.click();
    fixture.detectChanges();
    const confirm = Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="session"] button')).find((b) =>
      b.textContent?.includes('End session'),
    );
    confirm?.click();
    http.expectOne({ method: 'DELETE', url: `/me/sessions/${sessions[1]?.id}` }).flush(null);
    fixture.detectChanges();
    expect(el.querySelectorAll('[data-testid="session"]').length).toBe(1);
    expect(el.querySelector('[data-testid="my-sessions"] [role="status"]')?.textContent).toContain('is ended');
  });

  afterEach(() => http.verify());

  it('draws the mascot and lists recent sign-ins as text', () => {
    expect(el.querySelector('bn-mascot svg[role="img"]')).not.toBeNull();
    const rows = el.querySelectorAll('[data-testid="sign-ins"] tbody tr');
    expect(rows.length).toBe(2);
    expect(rows[0]?.textContent).toContain('198.51.100.7');
    // The device is named from the user agent; the raw string stays in the title, as text.
    expect(rows[0]?.querySelector('[title]')?.getAttribute('title')).toBe('Mozilla/5.0 <script>alert(1)</script>');
    expect(el.querySelector('[data-testid="sign-ins"] script')).toBeNull();
    expect(rows[1]?.textContent).toContain('Unknown device');
    // Failed attempts at the account are listed too (D22).
    expect(el.querySelector('[data-testid="sign-in-failures"]')?.textContent).toContain('203.0.113.9');
    expect(el.querySelector('[data-testid="sign-in-failures"]')?.textContent).toContain('Wrong password');
  });

  it('shows 400 field errors from problem+json beside the fields', () => {
    const set = (id: string, v: string) => {
      const i = el.querySelector<HTMLInputElement>(id)!;
      i.value = v;
      i.dispatchEvent(new Event('input'));
    };
    set('#pw-current', 'old-password');
    set('#pw-new', 'short');
    el.querySelector('bn-password-change-form form')!.dispatchEvent(new Event('submit'));
    const req = http.expectOne(ApiPaths.mePassword);
    expect(req.request.body).toEqual({ current_password: 'old-password', new_password: 'short' });
    req.flush(
      {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'The new password is not acceptable.',
        errors: [{ field: 'new_password', message: 'Use at least 12 characters.' }],
      },
      { status: 400, statusText: 'Bad Request' },
    );
    fixture.detectChanges();
    expect(el.querySelector('#pw-new-error')?.textContent).toContain('Use at least 12 characters.');
    expect(el.querySelector('#pw-new')?.getAttribute('aria-invalid')).toBe('true');
    expect(el.textContent).toContain('The new password is not acceptable.');
  });

  it('signs out everywhere and returns to the login page', () => {
    const nav = jest.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    const find = () => Array.from(el.querySelectorAll('button')).find((b) => b.textContent?.includes('Sign out everywhere'))!;
    find().click();
    fixture.detectChanges();
    // One press only asks (D16): nothing is sent before the confirmation.
    http.expectNone({ method: 'POST', url: ApiPaths.logoutEverywhere });
    expect(el.textContent).toContain('End every session, this one included?');
    find().click();
    http.expectOne({ method: 'POST', url: ApiPaths.logoutEverywhere }).flush(null);
    expect(nav).toHaveBeenCalledWith('/login');
  });
});
