import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { toApiFailure } from '../core/api-failure';
import { AuthStore } from '../core/auth-store';
import { BouncerApi } from '../core/bouncer-api';
import { PASSWORD_RULES, type Strength, estimate } from './password-strength';

type PasswordField = 'current_password' | 'new_password';

/**
 * Change one's own password: the rules shown before typing, a live strength meter, the
 * server's reason beside the field, and the typed values kept when the server refuses.
 */
@Component({
  selector: 'bn-password-change-form',
  imports: [ReactiveFormsModule],
  templateUrl: './password-change-form.html',
  styles: `
    .meter {
      display: grid;
      grid-template-columns: repeat(4, 1fr);
      gap: 4px;
      height: 6px;
      margin-top: 0.3rem;
    }
    .meter span {
      background: var(--border);
      border-radius: 3px;
    }
    .meter span.on {
      background: var(--danger);
    }
    .meter.good span.on {
      background: var(--ok);
    }
    .rules {
      margin: 0 0 0.75rem;
      padding-left: 1.2rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasswordChangeForm {
  private readonly api = inject(BouncerApi);
  protected readonly auth = inject(AuthStore);
  readonly currentLabel = input('Current password');
  readonly changed = output<void>();

  protected readonly rules = PASSWORD_RULES;
  protected readonly form = inject(FormBuilder).nonNullable.group({
    current_password: ['', Validators.required],
    new_password: ['', Validators.required],
  });
  protected readonly fieldErrors = signal<Partial<Record<PasswordField, string>>>({});
  protected readonly message = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly busy = signal(false);
  protected readonly strength = signal<Strength | null>(null);
  private typed = 0;

  constructor() {
    this.form.controls.new_password.valueChanges.subscribe((v) => {
      const n = ++this.typed;
      void estimate(v, this.auth.username()).then((s) => {
        if (n === this.typed) this.strength.set(v ? s : null);
      });
    });
  }

  protected submit(): void {
    this.message.set(null);
    const local: Partial<Record<PasswordField, string>> = {};
    const c = this.form.controls;
    if (c.current_password.invalid) local.current_password = 'Enter your current password.';
    if (c.new_password.invalid) local.new_password = 'Choose a new password.';
    this.fieldErrors.set(local);
    if (Object.keys(local).length > 0) {
      // Focus the first field that needs attention (D15).
      const first = local.current_password ? 'pw-current' : 'pw-new';
      document.getElementById(first)?.focus();
      return;
    }
    if (this.busy()) return;
    this.busy.set(true);
    this.api.changePassword(this.form.getRawValue()).subscribe({
      next: () => {
        this.busy.set(false);
        this.form.reset();
        this.strength.set(null);
        this.message.set({ ok: true, text: 'Your password has been changed.' });
        this.changed.emit();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const failure = toApiFailure(err);
        const byField: Partial<Record<PasswordField, string>> = {};
        for (const e of failure.errors) {
          if (e.field === 'current_password' || e.field === 'new_password') byField[e.field] = e.message;
        }
        this.fieldErrors.set(byField);
        this.message.set({ ok: false, text: failure.detail });
      },
    });
  }
}
