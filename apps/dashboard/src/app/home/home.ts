import { DatePipe } from '@angular/common';
import { PasswordChangeForm } from '../account/password-change-form';
import { ConfirmButton } from '../console/shared/confirm-button';
import { DateTimePipe } from '../console/shared/date-time';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import type { MeResponse } from '@bouncer/contracts';
import { toApiFailure } from '../core/api-failure';
import { AuthStore } from '../core/auth-store';
import { BouncerApi } from '../core/bouncer-api';
import { Mascot } from './mascot';

@Component({
  selector: 'bn-home',
  imports: [DatePipe, DateTimePipe, Mascot, PasswordChangeForm, ConfirmButton],
  templateUrl: './home.html',
  styleUrl: './home.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  private readonly api = inject(BouncerApi);
  protected readonly auth = inject(AuthStore);

  protected readonly me = signal<MeResponse | null>(null);
  protected readonly loadError = signal<string | null>(null);

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
