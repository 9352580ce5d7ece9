import { Route } from '@angular/router';
import { anonymousGuard, landingRedirect, roleGuard } from './core/role-guards';

export const appRoutes: Route[] = [
  {
    path: 'login',
    title: 'Sign in · Bouncer',
    canActivate: [anonymousGuard],
    loadComponent: () => import('./login/login').then((m) => m.Login),
  },
  {
    path: 'home',
    title: 'Home · Bouncer',
    canActivate: [roleGuard('user')],
    loadComponent: () => import('./home/home').then((m) => m.Home),
  },
  {
    path: 'dashboard',
    title: 'Dashboard · Bouncer',
    canActivate: [roleGuard('admin')],
    loadChildren: () => import('./dashboard/dashboard.routes').then((m) => m.dashboardRoutes),
  },
  { path: '', pathMatch: 'full', redirectTo: landingRedirect },
  { path: '**', redirectTo: '' },
];
