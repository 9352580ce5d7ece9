import { ChangeDetectionStrategy, Component, ElementRef, inject, input, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { type ApiFailure, toApiFailure } from '../core/api-failure';
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
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  /** `?expired=1` after a session could not be renewed. */
  readonly expired = input<string | undefined>();

  protected readonly form = inject(FormBuilder).nonNullable.group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });
  protected readonly error = signal<string | null>(null);
  /** "1 attempt left before a 60 s pause." after a wrong password near the pause (D15). */
  protected readonly attemptsLeft = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  constructor() {
    // A reload during a wait keeps the countdown (D15): the wait is kept for this tab only.
    const saved = readWait();
    if (saved && !this.notices.waiting()) {
      this.notices.show({ status: saved.status, detail: '', retryAfter: Math.ceil((saved.until - Date.now()) / 1000), errors: [] });
    }
  }

  protected signIn(): void {
    this.submitted.set(true);
    if (this.form.invalid) {
      // Focus the first field to fix; its message is its description, read out on focus (D15).
      const first = this.form.controls.username.invalid ? 'login-username' : 'login-password';
      this.host.nativeElement.querySelector<HTMLInputElement>(`#${first}`)?.focus();
      return;
    }
    if (this.busy() || this.notices.waiting()) return;
    const { username, password } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set(null);
    this.attemptsLeft.set(null);
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
          if (failure.retryAfter) saveWait(failure.status, Date.now() + failure.retryAfter * 1000);
        } else if (failure.status === 401 || failure.status === 400) {
          this.error.set(failure.detail || 'Wrong username or password.');
          this.warnOfPause(failure.signInWarning);
          // Only the banner speaks: the emptied password field is not a second error (D15).
          this.form.controls.password.reset();
          this.submitted.set(false);
        } else {
          this.error.set(failure.detail);
        }
      },
    });
  }

  /** Before the pause: how many attempts are left; the failure that starts it starts the countdown at once. */
  private warnOfPause(w: ApiFailure['signInWarning']): void {
    if (!w) return;
    if (w.attemptsLeft > 0) {
      this.attemptsLeft.set(`${w.attemptsLeft} attempt${w.attemptsLeft === 1 ? '' : 's'} left before a ${w.pauseSeconds} s pause.`);
      return;
    }
    this.notices.show({ status: 429, detail: '', retryAfter: w.pauseSeconds, errors: [] });
    saveWait(429, Date.now() + w.pauseSeconds * 1000);
  }
}

const WAIT_KEY = 'bouncer.login-wait';

function saveWait(status: number, until: number): void {
  try {
    sessionStorage.setItem(WAIT_KEY, JSON.stringify({ status, until }));
  } catch {
    // Storage refused: the countdown lasts for this page only.
  }
}

/** A wait saved by this tab that has not ended yet. */
function readWait(): { status: number; until: number } | null {
  try {
    const w = JSON.parse(sessionStorage.getItem(WAIT_KEY) ?? 'null') as { status?: unknown; until?: unknown } | null;
    if (w && typeof w.status === 'number' && typeof w.until === 'number' && w.until > Date.now())
      return { status: w.status, until: w.until };
    sessionStorage.removeItem(WAIT_KEY);
  } catch {
    // Unreadable: no saved wait.
  }
  return null;
}
