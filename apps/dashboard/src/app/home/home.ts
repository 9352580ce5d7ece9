import { PasswordChangeForm } from '../account/password-change-form';
import { ConfirmButton } from '../console/shared/confirm-button';
import { DateTimePipe, formatDateTime, timePreferences, timeZoneLabel } from '../console/shared/date-time';
import { TimePreferencesForm } from '../account/time-preferences';
import { deviceName } from './device-name';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { MeResponse, UserSession } from '@bouncer/contracts';
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

  /** Open sessions of this account (D22: ended one by one); null until loaded. */
  protected readonly sessions = signal<UserSession[] | null>(null);
  protected readonly sessionsError = signal<string | null>(null);
  /** Feedback beside the list after an end (D6), and the session being ended. */
  protected readonly sessionsNotice = signal<string | null>(null);
  protected readonly ending = signal<string | null>(null);
  protected readonly endLabel = (s: UserSession) => `End the session started ${formatDateTime(s.created_at)}`;

  protected readonly everywhereBusy = signal(false);
  protected readonly everywhereError = signal<string | null>(null);

  constructor() {
    this.load();
  }

  protected load(): void {
    this.loadSessions();
    this.api.me().subscribe({
      next: (me) => {
        this.me.set(me);
        this.loadError.set(null);
      },
      error: (err: unknown) => this.loadError.set(toApiFailure(err).detail),
    });
  }

  protected loadSessions(): void {
    this.api.mySessions().subscribe({
      next: (list) => {
        this.sessions.set(list);
        this.sessionsError.set(null);
      },
      error: (err: unknown) => this.sessionsError.set(toApiFailure(err).detail),
    });
  }

  protected endSession(session: UserSession): void {
    this.ending.set(session.id);
    this.sessionsNotice.set(null);
    this.api.endMySession(session.id).subscribe({
      next: () => {
        this.ending.set(null);
        this.sessions.update((list) => list?.filter((s) => s.id !== session.id) ?? null);
        this.sessionsNotice.set(`The session started ${formatDateTime(session.created_at)} is ended: that device is signed out.`);
        document.getElementById('sessions-title')?.focus();
      },
      error: (err: unknown) => {
        this.ending.set(null);
        this.sessionsError.set(toApiFailure(err).detail);
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
