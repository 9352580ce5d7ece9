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
    return current === role ? true : router.parseUrl(auth.homeUrl());
  };
}

/** The login page is for anonymous visitors; signed-in people go home. */
export const anonymousGuard: CanActivateFn = () => {
  const auth = inject(AuthStore);
  return auth.isAuthenticated() ? inject(Router).parseUrl(auth.homeUrl()) : true;
};

/** `''` lands on the home page of the current role. */
export const landingRedirect = (): string => inject(AuthStore).homeUrl();
