import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { toApiFailure } from '../core/api-failure';
import { AuthStore, homeUrlFor } from '../core/auth-store';
import { NoticeStore } from '../core/notice-store';

@Component({
  selector: 'bn-login',
  imports: [ReactiveFormsModule],
  templateUrl: './login.html',
  styleUrl: './login.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Login {
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);
  protected readonly notices = inject(NoticeStore);

  /** `?expired=1` after a session could not be renewed. */
  readonly expired = input<string | undefined>();

  protected readonly form = inject(FormBuilder).nonNullable.group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  protected signIn(): void {
    this.submitted.set(true);
    if (this.form.invalid || this.busy() || this.notices.waiting()) return;
    const { username, password } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set(null);
    this.auth.login(username, password).subscribe({
      next: (session) => {
        this.busy.set(false);
        this.notices.dismiss();
        void this.router.navigateByUrl(homeUrlFor(session.role));
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const failure = toApiFailure(err);
        if (failure.status === 429 || failure.status === 403) {
          this.notices.show(failure);
        } else if (failure.status === 401 || failure.status === 400) {
          this.error.set(failure.detail || 'Wrong username or password.');
          this.form.controls.password.reset();
        } else {
          this.error.set(failure.detail);
        }
      },
    });
  }
}
