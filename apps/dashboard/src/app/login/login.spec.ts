import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { ApiPaths } from '@bouncer/contracts';
import { AuthStore } from '../core/auth-store';
import { NoticeStore } from '../core/notice-store';
import { Login } from './login';

describe('Login', () => {
  let fixture: ComponentFixture<Login>;
  let http: HttpTestingController;
  let el: HTMLElement;

  beforeEach(() => {
    jest.useFakeTimers();
    sessionStorage.clear();
    TestBed.configureTestingModule({
      imports: [Login],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Login);
    el = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
  });

  afterEach(() => {
    TestBed.inject(NoticeStore).dismiss();
    TestBed.inject(AuthStore).clear();
    http.verify();
    jest.useRealTimers();
  });

  function fill(username: string, password: string): void {
    const u = el.querySelector<HTMLInputElement>('#login-username')!;
    const p = el.querySelector<HTMLInputElement>('#login-password')!;
    u.value = username;
    u.dispatchEvent(new Event('input'));
    p.value = password;
    p.dispatchEvent(new Event('input'));
  }

  const submit = () => {
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    fixture.detectChanges();
  };
  const button = () => el.querySelector<HTMLButtonElement>('button[type="submit"]')!;

  it('labels its inputs', () => {
    expect(el.querySelector('label[for="login-username"]')?.textContent).toContain('Username');
    expect(el.querySelector('label[for="login-password"]')?.textContent).toContain('Password');
  });

  it('shows field errors inline instead of sending an empty form', () => {
    submit();
    expect(el.textContent).toContain('Enter your username.');
    expect(el.querySelector('#login-username')?.getAttribute('aria-invalid')).toBe('true');
    http.expectNone(ApiPaths.session);
  });

  it('shows a wrong password inline', () => {
    fill('ada', 'nope');
    submit();
    http
      .expectOne(ApiPaths.session)
      .flush(
        { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Wrong username or password.' },
        { status: 401, statusText: 'Unauthorized' },
      );
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="login-error"]')?.textContent).toContain('Wrong username or password.');
    // The emptied password field is not flagged as a second error (D15).
    expect(el.querySelector('#login-password-error')).toBeNull();
  });

  it('warns before the pause, then counts down the pause the failure started (D15)', () => {
    const wrong = (extra: Record<string, number>) => {
      fill('ada', 'nope');
      submit();
      http
        .expectOne(ApiPaths.session)
        .flush(
          { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Incorrect username or password.', ...extra },
          { status: 401, statusText: 'Unauthorized' },
        );
      fixture.detectChanges();
    };
    const text = (id: string) => el.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim();
    wrong({});
    expect(el.querySelector('[data-testid="login-attempts-left"]')).toBeNull();
    wrong({ attempts_left: 2, pause_seconds: 60 });
    expect(text('login-attempts-left')).toBe('2 attempts left before a 60 s pause.');
    wrong({ attempts_left: 1, pause_seconds: 60 });
    expect(text('login-error')).toBe('Incorrect username or password. 1 attempt left before a 60 s pause.');
    expect(el.querySelector('[data-testid="login-wait"]')).toBeNull();

    wrong({ attempts_left: 0, pause_seconds: 60 });
    expect(el.querySelector('[data-testid="login-attempts-left"]')).toBeNull();
    expect(text('login-wait')).toBe('Too many failed sign-ins from this address. Try again in 60 s.');
    expect(button().disabled).toBe(true);
    // Kept across a reload like a 429's wait.
    expect(JSON.parse(sessionStorage.getItem('bouncer.login-wait')!)).toMatchObject({ status: 429 });
  });

  it('moves focus to the first empty field on submit', () => {
    fill('ada', '');
    submit();
    fixture.detectChanges();
    expect(document.activeElement?.id).toBe('login-password');
  });

  it('counts down during a time buffer (429) and disables the button until it ends', () => {
    fill('ada', 'nope');
    submit();
    http.expectOne(ApiPaths.session).flush(
      {
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        detail: 'Too many failed logins. Time buffer active.',
        retry_after: 5,
      },
      { status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '5' } },
    );
    fixture.detectChanges();
    const countdown = () => el.querySelector('[data-testid="countdown"]')?.textContent?.trim();
    // One sentence with one countdown (D15), not the server's fixed number beside a ticking one.
    expect(el.querySelector('[data-testid="login-wait"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Too many failed sign-ins from this address. Try again in 5 s.',
    );
    expect(countdown()).toBe('5');

    // A reload keeps the wait (sessionStorage, this tab only).
    jest.advanceTimersByTime(1000);
    TestBed.inject(NoticeStore).dismiss();
    const reloaded = TestBed.createComponent(Login);
    reloaded.detectChanges();
    expect((reloaded.nativeElement as HTMLElement).querySelector('[data-testid="countdown"]')?.textContent?.trim()).toBe('4');
    fixture.detectChanges();
    expect(button().disabled).toBe(true);

    jest.advanceTimersByTime(3000);
    fixture.detectChanges();
    expect(countdown()).toBe('1');

    jest.advanceTimersByTime(1000);
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="countdown"]')).toBeNull();
    expect(button().disabled).toBe(false);
  });

  it('shows the detail of a 403 (blocked client) and waits', () => {
    fill('ada', 'pw');
    submit();
    http
      .expectOne(ApiPaths.session)
      .flush(
        { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'Your address is blocked.', retry_after: 120 },
        { status: 403, statusText: 'Forbidden' },
      );
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="login-wait"]')?.textContent).toContain('Access from your network is paused.');
    expect(el.querySelector('[data-testid="countdown"]')?.textContent?.trim()).toBe('120');
    expect(button().disabled).toBe(true);
  });

  it.each([
    ['admin', '/dashboard'],
    ['user', '/home'],
  ] as const)('sends a signed-in %s to %s', (role, url) => {
    const nav = jest.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    fill('ada', 'pw');
    submit();
    http.expectOne(ApiPaths.session).flush({ access_token: 't', token_type: 'bearer', expires_in: 900, username: 'ada', role });
    expect(nav).toHaveBeenCalledWith(url);
  });
});
