import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { ApiPaths, type Role } from '@bouncer/contracts';
import { AuthStore } from './auth-store';
import { anonymousGuard, landingRedirect, roleGuard } from './role-guards';

@Component({ template: 'page' })
class Page {}

describe('role guards', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([
          { path: 'login', component: Page, canActivate: [anonymousGuard] },
          { path: 'home', component: Page, canActivate: [roleGuard('user')] },
          { path: 'dashboard', component: Page, canActivate: [roleGuard('admin')] },
          { path: '', pathMatch: 'full', redirectTo: landingRedirect },
        ]),
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => TestBed.inject(AuthStore).clear());

  function signIn(role: Role): void {
    TestBed.inject(AuthStore).login('x', 'y').subscribe();
    http.expectOne(ApiPaths.session).flush({ access_token: 't', token_type: 'bearer', expires_in: 900, username: 'x', role });
  }

  let harness: RouterTestingHarness | undefined;
  beforeEach(() => (harness = undefined));

  async function land(url: string): Promise<string> {
    harness ??= await RouterTestingHarness.create();
    await harness.navigateByUrl(url);
    return TestBed.inject(Router).url;
  }

  it('sends anonymous visitors to /login', async () => {
    expect(await land('/dashboard')).toBe('/login');
    expect(await land('/home')).toBe('/login');
    expect(await land('/')).toBe('/login');
  });

  it('sends a user who opens /dashboard to /home', async () => {
    signIn('user');
    expect(await land('/dashboard')).toBe('/home');
    expect(await land('/')).toBe('/home');
    http.expectNone(ApiPaths.dashboardData);
  });

  it('lets admins into /dashboard and sends them there from / and /login', async () => {
    signIn('admin');
    expect(await land('/dashboard')).toBe('/dashboard');
    expect(await land('/')).toBe('/dashboard');
    expect(await land('/login')).toBe('/dashboard');
    expect(await land('/home')).toBe('/dashboard');
  });
});
