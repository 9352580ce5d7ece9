import { PasswordChangeForm } from '../account/password-change-form';
import { ConfirmButton } from '../console/shared/confirm-button';
import { DateTimePipe, timePreferences, timeZoneLabel } from '../console/shared/date-time';
import { TimePreferencesForm } from '../account/time-preferences';
import { deviceName } from './device-name';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { MeResponse } from '@bouncer/contracts';
import { toApiFailure } from '../core/api-failure';
import { AuthStore } from '../core/auth-store';
import { BouncerApi } from '../core/bouncer-api';
import { Mascot } from './mascot';

@Component({
  selector: 'bn-home',
  imports: [DateTimePipe, Mascot, PasswordChangeForm, ConfirmButton, TimePreferencesForm],
  templateUrl: './home.html',
  styleUrl: './home.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  private readonly api = inject(BouncerApi);
  protected readonly auth = inject(AuthStore);

  protected readonly me = signal<MeResponse | null>(null);
  protected readonly loadError = signal<string | null>(null);

  protected readonly device = deviceName;
  /** The newest sign-in from this browser's user agent: "this device" (D22). */
  protected readonly thisDeviceIndex = computed(
    () => this.me()?.recent_sign_ins.findIndex((s) => s.user_agent === navigator.userAgent) ?? -1,
  );
  protected readonly zone = computed(() => {
    timePreferences();
    return timeZoneLabel();
  });

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
