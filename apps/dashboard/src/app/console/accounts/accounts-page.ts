import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked, type WritableSignal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import type { SecurityEvent, UserSession, UserSummary } from '@bouncer/contracts';
import type { Observable } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { ClientLink } from '../shared/client-link';
import { ConfirmButton } from '../shared/confirm-button';
import { DateTimePipe, TIME_ZONE } from '../shared/date-time';
import { textParam, urlState } from '../shared/url-state';

interface AccountRow {
  account: string;
  failures: number;
  clients: number;
  first: string;
  last: string;
  throttled: boolean;
  /** An account that exists (attackers also guess names that are no account). */
  known: boolean;
}

interface Feedback {
  ok: boolean;
  text: string;
}

/**
 * Accounts under attack, from the last 24 hours of the audit log: failed sign-ins per targeted
 * account, from how many clients, since when, and whether rule 3 throttled it; unlock per
 * account. `?user=NAME` opens one account: its open sessions (revoke one), unlock, and an
 * admin-set temporary password (reset). Every action is audited by the server.
 */
@Component({
  selector: 'bn-accounts-page',
  imports: [FormsModule, RouterLink, ClientLink, ConfirmButton, DateTimePipe],
  templateUrl: './accounts-page.html',
  styles: `
    h3 {
      margin-top: 1.25rem;
    }
    .row-actions {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      align-items: center;
    }
    .badge {
      margin-left: 0.35rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AccountsPage {
  private readonly api = inject(BouncerApi);
  private readonly url = urlState();

  protected readonly zone = TIME_ZONE;
  private readonly events = signal<SecurityEvent[] | null>(null);
  private readonly users = signal<UserSummary[]>([]);
  protected readonly error = signal<string | null>(null);
  protected readonly truncated = signal(false);
  protected readonly busy = signal(false);
  /** Feedback of the last action on the table, shown above it (next to the rows acted on). */
  protected readonly tableFeedback = signal<Feedback | null>(null);
  /** Feedback of the last action in the account panel, shown inside it. */
  protected readonly panelFeedback = signal<Feedback | null>(null);
  protected readonly temporaryPassword = signal<string | null>(null);

  /** The account opened from the URL (`?user=`). */
  protected readonly selected = computed(() => textParam(this.url.params()['user']).trim().toLowerCase());
  protected readonly selectedUser = computed(() => this.users().find((u) => u.username === this.selected()) ?? null);
  protected readonly sessions = signal<UserSession[] | null>(null);
  protected readonly sessionsError = signal<string | null>(null);
  protected readonly lookup = { name: '' };

  protected readonly rows = computed<AccountRow[] | null>(() => {
    const list = this.events();
    if (!list) return null;
    const known = new Set(this.users().map((u) => u.username));
    const by = new Map<string, { failures: number; clients: Set<string>; first: string; last: string; throttled: boolean }>();
    for (const e of list) {
      if (!e.actor) continue;
      const row = by.get(e.actor) ?? { failures: 0, clients: new Set<string>(), first: e.at, last: e.at, throttled: false };
      if (e.type === 'account.delayed') row.throttled = true;
      else row.failures++;
      if (e.client) row.clients.add(e.client);
      if (e.at < row.first) row.first = e.at;
      if (e.at > row.last) row.last = e.at;
      by.set(e.actor, row);
    }
    return [...by.entries()]
      .map(([account, r]) => ({
        account,
        failures: r.failures,
        clients: r.clients.size,
        first: r.first,
        last: r.last,
        throttled: r.throttled,
        known: known.has(account),
      }))
      .sort((a, b) => b.failures - a.failures);
  });

  /** The clients that guessed at the opened account (from the events already read). */
  protected readonly selectedClients = computed(() => {
    const name = this.selected();
    const clients = new Set<string>();
    for (const e of this.events() ?? []) if (e.actor === name && e.client && e.type !== 'account.delayed') clients.add(e.client);
    return [...clients].slice(0, 50);
  });

  constructor() {
    this.loadAttacks();
    this.api.listUsers().subscribe({ next: (u) => this.users.set(u), error: () => this.users.set([]) });
    effect(() => {
      const name = this.selected();
      untracked(() => {
        this.lookup.name = name;
        this.panelFeedback.set(null);
        this.temporaryPassword.set(null);
        this.loadSessions(name);
      });
    });
  }

  protected open(name: string): void {
    this.url.set({ user: name.trim().toLowerCase() });
  }

  protected close(): void {
    this.url.set({ user: '' });
  }

  protected unlock(account: string, where: 'table' | 'panel'): void {
    const feedback = where === 'table' ? this.tableFeedback : this.panelFeedback;
    this.run(this.api.unlockAccount(account), feedback, `Unlocked ${account}: its failed sign-ins are forgotten.`, () =>
      this.loadAttacks(),
    );
  }

  protected revoke(session: UserSession): void {
    const name = this.selected();
    this.run(this.api.revokeUserSession(name, session.id), this.panelFeedback, `Ended session ${session.id.slice(0, 8)} of ${name}.`, () =>
      this.loadSessions(name),
    );
  }

  protected reset(): void {
    const name = this.selected();
    this.temporaryPassword.set(null);
    this.busy.set(true);
    this.panelFeedback.set(null);
    this.api.resetPassword(name).subscribe({
      next: (r) => {
        this.busy.set(false);
        this.temporaryPassword.set(r.temporary_password);
        this.panelFeedback.set({
          ok: true,
          text: `${name} has a temporary password; their sessions ended. They must change it at the next sign-in.`,
        });
        this.loadSessions(name);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.panelFeedback.set({ ok: false, text: toApiFailure(err).detail });
      },
    });
  }

  private loadAttacks(): void {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    this.api.events({ type: 'login.failed', since, limit: 1000 }).subscribe({
      next: (failed) => {
        this.truncated.set(failed.next !== null);
        this.api.events({ type: 'account.delayed', since, limit: 1000 }).subscribe({
          next: (delayed) => this.events.set([...failed.items, ...delayed.items]),
          error: () => this.events.set(failed.items),
        });
      },
      error: (err: unknown) => this.error.set(toApiFailure(err).detail),
    });
  }

  private loadSessions(name: string): void {
    this.sessions.set(null);
    this.sessionsError.set(null);
    if (!name) return;
    this.api.userSessions(name).subscribe({
      next: (s) => this.sessions.set(s),
      // 404: a guessed name that is no account; it has no sessions, but can still be unlocked.
      error: (err: unknown) => this.sessionsError.set(toApiFailure(err).detail),
    });
  }

  private run(call: Observable<unknown>, feedback: WritableSignal<Feedback | null>, text: string, after: () => void): void {
    this.busy.set(true);
    feedback.set(null);
    call.subscribe({
      next: () => {
        this.busy.set(false);
        feedback.set({ ok: true, text });
        after();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        feedback.set({ ok: false, text: toApiFailure(err).detail });
      },
    });
  }
}
