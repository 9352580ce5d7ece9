import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ApiPaths } from '@bouncer/contracts';
import { App } from './app';
import { AuthStore } from './core/auth-store';

describe('App shell', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [App],
      providers: [provideRouter([{ path: '**', children: [] }]), provideHttpClient(), provideHttpClientTesting()],
    });
  });

  it('shows no user menu when signed out', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="header-user"]')).toBeNull();
  });

  it('shows the username and a working Sign out button when signed in', async () => {
    const http = TestBed.inject(HttpTestingController);
    const auth = TestBed.inject(AuthStore);
    auth.login('ada', 'pw').subscribe();
    http.expectOne(ApiPaths.session).flush({
      access_token: 't',
      token_type: 'bearer',
      expires_in: 900,
      username: 'ada',
      role: 'user',
    });
    const fixture = TestBed.createComponent(App);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('[data-testid="header-user"]')?.textContent).toContain('ada');

    const button = Array.from(el.querySelectorAll('button')).find((b) => b.textContent?.includes('Sign out'));
    button?.click();
    const del = http.expectOne(ApiPaths.session);
    expect(del.request.method).toBe('DELETE');
    expect(del.request.headers.get('Authorization')).toBeNull(); // no interceptor in this test
    del.flush(null);
    expect(auth.isAuthenticated()).toBe(false);
    auth.clear();
  });
});
