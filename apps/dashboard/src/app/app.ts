import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { AuthStore } from './core/auth-store';
import { NoticeStore } from './core/notice-store';
import { ThemeStore } from './core/theme';

interface NavItem {
  path: string;
  label: string;
  exact: boolean;
}

/** The console's pages, in the order an admin works through an incident. */
const ADMIN_NAV: NavItem[] = [
  { path: '/dashboard', label: 'Overview', exact: true },
  { path: '/decisions', label: 'Decisions', exact: false },
  { path: '/clients', label: 'Clients', exact: false },
  { path: '/accounts', label: 'Accounts', exact: false },
  { path: '/lists', label: 'Lists', exact: false },
  { path: '/audit', label: 'Audit', exact: false },
  { path: '/users', label: 'Users', exact: false },
  { path: '/settings', label: 'Settings', exact: false },
  { path: '/account', label: 'My account', exact: false },
];
const USER_NAV: NavItem[] = [
  { path: '/home', label: 'Home', exact: true },
  { path: '/account', label: 'My account', exact: false },
];

@Component({
  selector: 'bn-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  templateUrl: './app.html',
  styleUrl: './app.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly auth = inject(AuthStore);
  protected readonly notices = inject(NoticeStore);
  protected readonly theme = inject(ThemeStore);
  private readonly router = inject(Router);

  protected readonly nav = computed(() => (this.auth.role() === 'admin' ? ADMIN_NAV : USER_NAV));

  /** The login page shows its own notice inline. */
  protected readonly onLoginPage = toSignal(
    this.router.events.pipe(
      filter((e) => e instanceof NavigationEnd),
      map(() => this.router.url.startsWith('/login')),
    ),
    { initialValue: true },
  );

  protected signOut(): void {
    this.auth.logout().subscribe();
  }
}
