import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { AuthStore } from '../core/auth-store';
import { PasswordChangeForm } from './password-change-form';

/**
 * First sign-in with a generated or admin-reset password: nothing else is reachable (the
 * server's token allows only this) until a password of one's own is set (D1).
 */
@Component({
  selector: 'bn-forced-password-change',
  imports: [PasswordChangeForm],
  template: `
    <div class="page narrow-page">
      <section class="card" aria-labelledby="forced-title">
        <h1 id="forced-title">Choose your own password</h1>
        <p class="banner banner-warn">
          You signed in with a password that was generated or set by an administrator. Choose a new one to continue; nothing else is
          available until you do.
        </p>
        @if (error(); as e) {
          <p class="banner banner-danger" role="alert">{{ e }}</p>
        }
        <bn-password-change-form currentLabel="Current (temporary) password" (changed)="continue()" />
      </section>
    </div>
  `,
  styles: `
    .narrow-page {
      max-width: 40rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ForcedPasswordChange {
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);
  protected readonly error = signal<string | null>(null);

  /** The change ended the restricted token; the session cookie gets a full one without signing in again. */
  protected continue(): void {
    this.auth.refresh().subscribe({
      next: () => void this.router.navigateByUrl(this.auth.homeUrl()),
      error: () => this.auth.expire(),
    });
  }
}
