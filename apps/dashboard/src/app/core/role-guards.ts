import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import type { Role } from '@bouncer/contracts';
import { AuthStore } from './auth-store';

/** Lets only signed-in people with `role` in; others go to their own home, anonymous to /login. */
export function roleGuard(role: Role): CanActivateFn {
  return () => {
    const auth = inject(AuthStore);
    const router = inject(Router);
    const current = auth.role();
    if (current === null) return router.parseUrl('/login');
    if (auth.mustChangePassword()) return router.parseUrl(CHANGE_PASSWORD_URL);
    return current === role ? true : router.parseUrl(auth.homeUrl());
  };
}

/** Where a session that must change its password is kept until it has. */
export const CHANGE_PASSWORD_URL = '/change-password';

/** Any signed-in person (My account); a pending password change comes first. */
export const signedInGuard: CanActivateFn = () => {
  const auth = inject(AuthStore);
  const router = inject(Router);
  if (!auth.isAuthenticated()) return router.parseUrl('/login');
  return auth.mustChangePassword() ? router.parseUrl(CHANGE_PASSWORD_URL) : true;
};

/** The forced password change: only for a session that must change its password. */
export const mustChangeGuard: CanActivateFn = () => {
  const auth = inject(AuthStore);
  if (!auth.isAuthenticated()) return inject(Router).parseUrl('/login');
  return auth.mustChangePassword() ? true : inject(Router).parseUrl(auth.homeUrl());
};

/** The login page is for anonymous visitors; signed-in people go home. */
export const anonymousGuard: CanActivateFn = () => {
  const auth = inject(AuthStore);
  return auth.isAuthenticated() ? inject(Router).parseUrl(auth.homeUrl()) : true;
};

/** `''` lands on the home page of the current role. */
export const landingRedirect = (): string => inject(AuthStore).homeUrl();
