import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { AuthStore } from './core/auth-store';
import { NoticeStore } from './core/notice-store';

@Component({
  selector: 'bn-root',
  imports: [RouterOutlet, RouterLink],
  templateUrl: './app.html',
  styleUrl: './app.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly auth = inject(AuthStore);
  protected readonly notices = inject(NoticeStore);
  private readonly router = inject(Router);

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
