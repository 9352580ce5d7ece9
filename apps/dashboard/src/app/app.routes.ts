import { Route } from '@angular/router';
import { anonymousGuard, landingRedirect, mustChangeGuard, roleGuard, signedInGuard } from './core/role-guards';

const admin = roleGuard('admin');

/**
 * Every page is its own lazy chunk with a deep link; filters, sort and page live in the query
 * string, so the URL in the address bar is the view an admin can send a colleague.
 */
export const appRoutes: Route[] = [
  {
    path: 'login',
    title: 'Sign in · Bouncer',
    canActivate: [anonymousGuard],
    loadComponent: () => import('./login/login').then((m) => m.Login),
  },
  {
    path: 'change-password',
    title: 'Choose a new password · Bouncer',
    canActivate: [mustChangeGuard],
    loadComponent: () => import('./account/forced-password-change').then((m) => m.ForcedPasswordChange),
  },
  {
    path: 'home',
    title: 'Home · Bouncer',
    canActivate: [roleGuard('user')],
    loadComponent: () => import('./home/home').then((m) => m.Home),
  },
  {
    path: 'account',
    title: 'My account · Bouncer',
    canActivate: [signedInGuard],
    loadComponent: () => import('./home/home').then((m) => m.Home),
  },
  {
    path: 'dashboard',
    title: 'Overview · Bouncer',
    canActivate: [admin],
    loadChildren: () => import('./dashboard/dashboard.routes').then((m) => m.dashboardRoutes),
  },
  {
    path: 'decisions',
    title: 'Decisions · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/decisions/decisions-page').then((m) => m.DecisionsPage),
  },
  {
    path: 'clients',
    title: 'Clients · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/clients/clients-page').then((m) => m.ClientsPage),
  },
  {
    path: 'clients/:client',
    title: 'Client · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/clients/client-page').then((m) => m.ClientPage),
  },
  {
    path: 'accounts',
    title: 'Accounts · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/accounts/accounts-page').then((m) => m.AccountsPage),
  },
  {
    path: 'lists',
    title: 'Lists · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/lists/lists-page').then((m) => m.ListsPage),
  },
  {
    path: 'audit',
    title: 'Audit · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/audit/audit-page').then((m) => m.AuditPage),
  },
  {
    path: 'users',
    title: 'Users · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/users/users-page').then((m) => m.UsersPage),
  },
  {
    path: 'settings',
    title: 'Settings · Bouncer',
    canActivate: [admin],
    loadComponent: () => import('./console/settings/settings-page').then((m) => m.SettingsPage),
  },
  { path: '', pathMatch: 'full', redirectTo: landingRedirect },
  { path: '**', redirectTo: '' },
];
