import { Route } from '@angular/router';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
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
    // Chart.js is registered here so it ships in the dashboard's lazy chunk only.
    providers: [provideCharts(withDefaultRegisterables())],
    loadComponent: () => import('./dashboard/dashboard').then((m) => m.Dashboard),
  },
  { path: '', pathMatch: 'full', redirectTo: landingRedirect },
  { path: '**', redirectTo: '' },
];
