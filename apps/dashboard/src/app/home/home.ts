import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import type { MeResponse } from '@bouncer/contracts';
import { toApiFailure } from '../core/api-failure';
import { AuthStore } from '../core/auth-store';
import { BouncerApi } from '../core/bouncer-api';
import { Mascot } from './mascot';

type PasswordField = 'current_password' | 'new_password';

@Component({
  selector: 'bn-home',
  imports: [DatePipe, ReactiveFormsModule, Mascot],
  templateUrl: './home.html',
  styleUrl: './home.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  private readonly api = inject(BouncerApi);
  protected readonly auth = inject(AuthStore);

  protected readonly me = signal<MeResponse | null>(null);
  protected readonly loadError = signal<string | null>(null);

  protected readonly passwordForm = inject(FormBuilder).nonNullable.group({
    current_password: ['', Validators.required],
    new_password: ['', Validators.required],
  });
  protected readonly fieldErrors = signal<Partial<Record<PasswordField, string>>>({});
  protected readonly passwordMessage = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly passwordBusy = signal(false);
  protected readonly everywhereBusy = signal(false);
  protected readonly everywhereError = signal<string | null>(null);

  constructor() {
    this.load();
  }

  protected load(): void {
    this.api.me().subscribe({
      next: (me) => {
        this.me.set(me);
        this.loadError.set(null);
      },
      error: (err: unknown) => this.loadError.set(toApiFailure(err).detail),
    });
  }

  protected changePassword(): void {
    this.passwordMessage.set(null);
    const local: Partial<Record<PasswordField, string>> = {};
    const c = this.passwordForm.controls;
    if (c.current_password.invalid) local.current_password = 'Enter your current password.';
    if (c.new_password.invalid) local.new_password = 'Choose a new password.';
    this.fieldErrors.set(local);
    if (Object.keys(local).length > 0 || this.passwordBusy()) return;

    this.passwordBusy.set(true);
    this.api.changePassword(this.passwordForm.getRawValue()).subscribe({
      next: () => {
        this.passwordBusy.set(false);
        this.passwordForm.reset();
        this.passwordMessage.set({ ok: true, text: 'Your password has been changed.' });
      },
      error: (err: unknown) => {
        this.passwordBusy.set(false);
        const failure = toApiFailure(err);
        const byField: Partial<Record<PasswordField, string>> = {};
        for (const e of failure.errors) {
          if (e.field === 'current_password' || e.field === 'new_password') byField[e.field] = e.message;
        }
        this.fieldErrors.set(byField);
        this.passwordMessage.set({ ok: false, text: failure.detail });
      },
    });
  }

  protected signOutEverywhere(): void {
    this.everywhereBusy.set(true);
    this.everywhereError.set(null);
    this.api.logoutEverywhere().subscribe({
      next: () => {
        this.everywhereBusy.set(false);
        this.auth.logout().subscribe();
      },
      error: (err: unknown) => {
        this.everywhereBusy.set(false);
        this.everywhereError.set(toApiFailure(err).detail);
      },
    });
  }
}
