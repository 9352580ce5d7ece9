import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked, type WritableSignal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import type { AccountClientPage, AccountPage, UserSession, UserSummary } from '@bouncer/contracts';
import { type Observable, Subject, catchError, map, of, startWith, switchMap } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { RangeBar } from '../../dashboard/range-bar/range-bar';
import { RANGES, type ViewRange, rangeParams, rangeSince, readRange, sameRange } from '../../dashboard/time-range';
import { ClientLink } from '../shared/client-link';
import { ConfirmButton } from '../shared/confirm-button';
import { type Column, ConsoleTable, FeedbackBanner } from '../shared/console-table';
import { DateTimePipe, TIME_ZONE, formatDateTime, timePreferences } from '../shared/date-time';
import { pageCount, Pager, pageRange } from '../shared/pager';
import { intParam, textParam, urlState } from '../shared/url-state';

interface Feedback {
  ok: boolean;
  text: string;
}

/** Accounts per page of the table. */
const PAGE_SIZE = 50;
/** The window when the URL names none: the API's own default. */
const DEFAULT_RANGE = '24h';

/**
 * Accounts under attack in a time range (the console's picker, `?range=` or `?since=&until=`; the last
 * 24 hours by default): failed sign-ins per targeted account, from how many clients, since
 * when, and whether rule 3 throttled it, counted and paged by the server (`GET /admin/accounts`,
 * "n of N", no cap); `?q=` finds accounts by part of their name;
 * unlock per account. `?user=NAME` opens one account: its open sessions (revoke one), the
 * clients that guessed at it, unlock, and an admin-set temporary password (reset). Every
 * action is audited by the server.
 */
@Component({
  selector: 'bn-accounts-page',
  imports: [FormsModule, RouterLink, ClientLink, ConfirmButton, ConsoleTable, DateTimePipe, FeedbackBanner, Pager, RangeBar],
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
    bn-range-bar {
      display: block;
      margin: 0.75rem 0 1rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AccountsPage {
  protected readonly accountColumns: Column[] = [
    'Account',
    { label: 'Failures', num: true },
    { label: 'Clients', num: true },
    'Since',
    'Latest',
    'Actions',
  ];
  protected readonly sessionColumns = ['Session', 'Started', 'Last used', 'From', 'Action'];
  private readonly api = inject(BouncerApi);
  private readonly url = urlState();

  protected readonly zone = TIME_ZONE;
  private readonly users = signal<UserSummary[]>([]);
  /** The time range of the counts, from the URL; a change of page or search keeps it the same value. */
  private readonly timeRange = computed(() => readRange(this.url.params(), DEFAULT_RANGE), { equal: sameRange });
  /** The table's view, from the URL. */
  protected readonly view = computed(() => {
    const p = this.url.params();
    return { q: textParam(p['q']).trim(), page: intParam(p['page'], 1), range: this.timeRange() };
  });
  /** When the shown counts were asked for: a named range ends then. */
  protected readonly fetchedAt = signal(Date.now());
  /** The range in words, for the headings: "last 24 h", "2026-12-02 17:40 – 2026-12-02 19:40". */
  protected readonly rangeLabel = computed(() => {
    timePreferences(); // a custom range is shown in the admin's zone and clock
    return rangeLabel(this.timeRange());
  });
  protected readonly search = { q: '' };
  protected readonly page = signal<AccountPage | null>(null);
  protected readonly range = computed(() => pageRange(this.page()));
  protected readonly pages = computed(() => pageCount(this.page()));
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  /** Feedback of the last action on the table, shown above it (next to the rows acted on). */
  protected readonly tableFeedback = signal<Feedback | null>(null);
  /** Feedback of the last action in the account panel, shown inside it. */
  protected readonly panelFeedback = signal<Feedback | null>(null);
  protected readonly temporaryPassword = signal<string | null>(null);
  private readonly reload$ = new Subject<void>();

  /** The account opened from the URL (`?user=`). */
  protected readonly selected = computed(() => textParam(this.url.params()['user']).trim().toLowerCase());
  protected readonly selectedUser = computed(() => this.users().find((u) => u.username === this.selected()) ?? null);
  protected readonly sessions = signal<UserSession[] | null>(null);
  protected readonly sessionsError = signal<string | null>(null);
  /** The clients that guessed at the opened account (the first page, most failures first, with their total). */
  protected readonly selectedClients = signal<AccountClientPage | null>(null);
  protected readonly lookup = { name: '' };

  constructor() {
    this.api.listUsers().subscribe({ next: (u) => this.users.set(u), error: () => this.users.set([]) });
    effect(() => {
      const q = this.view().q;
      untracked(() => (this.search.q = q));
    });
    toObservable(this.view)
      .pipe(
        switchMap((v) =>
          this.reload$.pipe(
            startWith(undefined),
            map(() => v),
          ),
        ),
        switchMap((v) =>
          this.api.accounts({ q: v.q, page: v.page, page_size: PAGE_SIZE, ...this.window(v.range) }).pipe(
            map((page) => ({ page, error: null as string | null })),
            catchError((err: unknown) => of({ page: null, error: toApiFailure(err).detail })),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe(({ page, error }) => {
        this.error.set(error);
        if (page) this.page.set(page);
      });
    effect(() => {
      const name = this.selected();
      // The opened account's clients count over the same range as the table.
      this.timeRange();
      untracked(() => {
        this.lookup.name = name;
        this.panelFeedback.set(null);
        this.temporaryPassword.set(null);
        this.loadSessions(name);
        this.loadClients(name);
      });
    });
  }

  protected find(): void {
    this.url.set({ q: this.search.q.trim(), page: '' });
  }

  protected changeRange(range: ViewRange): void {
    this.url.set({ ...rangeParams(range, DEFAULT_RANGE), page: '' });
  }

  protected goTo(page: number): void {
    this.url.set({ page: page <= 1 ? '' : String(page) });
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
      this.reload$.next(),
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

  private loadClients(name: string): void {
    this.selectedClients.set(null);
    if (!name) return;
    this.api
      .accountClients(name, { page_size: PAGE_SIZE, ...this.window(this.view().range) })
      .pipe(catchError(() => of(null)))
      .subscribe((c) => this.selectedClients.set(c));
  }

  /** The API's window for a range (a named one from now, up to now); notes the time so the picker shows the real bounds. */
  private window(range: ViewRange): { since: string; until?: string } {
    const now = Date.now();
    this.fetchedAt.set(now);
    return range.kind === 'custom'
      ? { since: rangeSince(range, now), until: new Date(range.until).toISOString() }
      : { since: rangeSince(range, now) };
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

function rangeLabel(range: ViewRange): string {
  if (range.kind === 'custom') return `${formatDateTime(range.since).slice(0, 16)} – ${formatDateTime(range.until).slice(0, 16)}`;
  return `last ${RANGES.find((r) => r.key === range.key)!.label}`;
}
