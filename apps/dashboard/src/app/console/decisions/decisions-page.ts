import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import type { BulkDecisionResult, DecisionView, Paged } from '@bouncer/contracts';
import { EMPTY, type Observable, Subject, catchError, interval, map, merge, of, switchMap, timer } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { DurationPipe } from '../../dashboard/duration';
import { ClientLink } from '../shared/client-link';
import { ConfirmButton } from '../shared/confirm-button';
import { type Column, ConsoleTable, FeedbackBanner, type SortState } from '../shared/console-table';
import { DateTimePipe } from '../shared/date-time';
import { pageCount, Pager, pageRange } from '../shared/pager';
import { intParam, oneOf, textParam, urlState } from '../shared/url-state';

export const RULE_IDS = [
  'admin',
  'request-rate',
  'failed-logins',
  'failed-logins-per-56',
  'failed-logins-per-48',
  'account-failed-logins',
  'successful-logins',
  'token-misuse',
  'refresh-reuse',
  'probing',
  'denylist',
] as const;
const STATES = ['any', 'blocked', 'suspicious'] as const;
/** The time-left filter: its URL value, its label, and the API bounds it stands for (seconds). */
export const TIME_LEFT = [
  { value: 'any', label: 'any', within: null, beyond: null },
  { value: '5m', label: 'ends within 5 min', within: 300, beyond: null },
  { value: '1h', label: 'ends within 1 h', within: 3600, beyond: null },
  { value: 'gt1h', label: 'more than 1 h', within: null, beyond: 3600 },
] as const;
/** How much a bulk extension adds. */
export const EXTENSIONS = [
  { seconds: 900, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 604_800, label: '7 days' },
] as const;
const SORTS = ['created_at', 'expires_at', 'client', 'rule'] as const;
const ORDERS = ['default', 'asc', 'desc'] as const;
export const PAGE_SIZES = [25, 50, 100, 200] as const;
/** The list refreshes this often while the tab is visible. */
const REFRESH_MS = 10_000;

/** The table's columns after the select-all box; four of them sort (by the API's `sort` key). */
const COLUMNS: readonly Column[] = [
  { label: 'Client', sort: 'client' },
  'State and reason',
  { label: 'Rule', sort: 'rule' },
  { label: 'Decided', sort: 'created_at' },
  { label: 'Time left', num: true, sort: 'expires_at' },
  'Action',
];

type Result = { ok: true; page: Paged<DecisionView>; at: number } | { ok: false; error: string; field: string | null };

/** Why a decision of a bulk action was not done, or null when it was. */
function outcomeError(r: BulkDecisionResult['results'][number] | undefined): string | null {
  if (!r) return 'no answer';
  if (r.outcome === 'lifted' || r.outcome === 'extended') return null;
  return r.outcome === 'not_found' ? 'it no longer stands' : (r.detail ?? 'failed');
}

/** A row's key: a client may have one decision of each state. */
const keyOf = (d: Pick<DecisionView, 'client' | 'state'>) => `${d.state} ${d.client}`;

/**
 * Every standing decision, searched, sorted and paged on the server ("n of N", never capped).
 * A blocked client is one row with its suspicion inside. Filter by time left; lift one, or lift
 * or extend many with one confirmation.
 */
@Component({
  selector: 'bn-decisions-page',
  imports: [FormsModule, DurationPipe, DateTimePipe, ClientLink, ConfirmButton, ConsoleTable, FeedbackBanner, Pager],
  templateUrl: './decisions-page.html',
  styles: `
    .bulk-extend {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 0.35rem;
      align-items: center;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DecisionsPage {
  private readonly api = inject(BouncerApi);
  private readonly document = inject(DOCUMENT);
  private readonly url = urlState();

  protected readonly rules = RULE_IDS;
  protected readonly sizes = PAGE_SIZES;
  protected readonly timeLeft = TIME_LEFT;
  protected readonly extensions = EXTENSIONS;
  protected readonly columns = COLUMNS;
  /** The bulk extension chosen (seconds, as the select's value). */
  protected readonly extendBy = { seconds: '3600' };

  /** The view, from the URL. */
  protected readonly view = computed(() => {
    const p = this.url.params();
    return {
      q: textParam(p['q']),
      state: oneOf(p['state'], STATES, 'any'),
      rule: oneOf(p['rule'], ['any', ...RULE_IDS], 'any'),
      decided_by: textParam(p['decided_by']),
      left: oneOf(
        p['left'],
        TIME_LEFT.map((t) => t.value),
        'any',
      ),
      sort: oneOf(p['sort'], SORTS, 'created_at'),
      order: oneOf(p['order'], ORDERS, 'default'),
      page: intParam(p['page'], 1),
      size: oneOf(String(p['size'] ?? ''), PAGE_SIZES.map(String), '50'),
    };
  });

  /** The search form: edited freely, applied to the URL on submit. */
  protected readonly form = { q: '', state: 'any', rule: 'any', decided_by: '', left: 'any', size: '50' };

  protected readonly result = signal<Result | null>(null);
  protected readonly page = computed(() => {
    const r = this.result();
    return r?.ok ? r.page : null;
  });
  protected readonly pages = computed(() => pageCount(this.page()));
  protected readonly range = computed(() => pageRange(this.page()));
  /** Said once per search, not per refresh: the live region stays quiet while polling. */
  protected readonly announcement = signal('');

  private readonly now = signal(Date.now());
  protected readonly rows = computed(() => {
    const r = this.result();
    if (!r?.ok) return [];
    const elapsed = Math.max(0, Math.floor((this.now() - r.at) / 1000));
    return r.page.items.map((d) => ({ ...d, key: keyOf(d), left: Math.max(0, d.remaining_seconds - elapsed) }));
  });

  protected readonly selected = signal<ReadonlySet<string>>(new Set());
  protected readonly allSelected = computed(() => {
    const rows = this.rows();
    return rows.length > 0 && rows.every((r) => this.selected().has(r.key));
  });
  /** Rows lifted from this page: shown as such until the next search, so focus has a place to stay. */
  protected readonly lifted = signal<ReadonlySet<string>>(new Set());
  protected readonly busy = signal(false);
  protected readonly stale = signal<string | null>(null);
  protected readonly feedback = signal<{ ok: boolean; text: string } | null>(null);
  private readonly refresh$ = new Subject<void>();

  constructor() {
    // The form shows the URL's view whenever the URL changes (a link, Back, a header sort).
    effect(() => {
      const v = this.view();
      untracked(() =>
        Object.assign(this.form, { q: v.q, state: v.state, rule: v.rule, decided_by: v.decided_by, left: v.left, size: v.size }),
      );
    });
    let lastQuery = '';
    toObservable(this.view)
      .pipe(
        switchMap((v) =>
          // Also at once after an action that changed the rows (an extension).
          merge(timer(0, REFRESH_MS), this.refresh$.pipe(map(() => 0))).pipe(
            switchMap((tick) => (tick > 0 && this.document.hidden ? EMPTY : this.fetch(v))),
            map((r) => ({ v, r })),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe(({ v, r }) => {
        const query = JSON.stringify(v);
        const fresh = query !== lastQuery;
        lastQuery = query;
        // A failed refresh keeps the rows on screen (marked stale) instead of emptying the table.
        const prev = this.result();
        if (!r.ok && !fresh && prev?.ok) {
          this.stale.set(r.error);
          return;
        }
        this.stale.set(null);
        this.result.set(r);
        if (fresh) {
          this.selected.set(new Set());
          this.lifted.set(new Set());
          this.announcement.set(r.ok ? this.summary() : `Search failed: ${r.error}`);
        }
      });
    interval(1000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.now.set(Date.now()));
  }

  protected search(): void {
    const f = this.form;
    this.url.set({
      q: f.q.trim(),
      state: f.state === 'any' ? '' : f.state,
      rule: f.rule === 'any' ? '' : f.rule,
      decided_by: f.decided_by.trim(),
      left: f.left === 'any' ? '' : f.left,
      size: f.size === '50' ? '' : f.size,
      page: '',
    });
  }

  protected reset(): void {
    this.url.set({ q: '', state: '', rule: '', decided_by: '', left: '', size: '', page: '', sort: '', order: '' });
  }

  protected goTo(page: number): void {
    this.url.set({ page: page <= 1 ? '' : String(page) });
  }

  /** A column header: first press sorts by it, the next reverses. */
  protected sortBy(key: string): void {
    const sort = oneOf(key, SORTS, 'created_at');
    const v = this.view();
    const order = v.sort === sort ? (this.effectiveOrder() === 'asc' ? 'desc' : 'asc') : '';
    this.url.set({ sort: sort === 'created_at' ? '' : sort, order, page: '' });
  }

  protected readonly sortState = computed((): SortState => ({
    key: this.view().sort,
    direction: this.effectiveOrder() === 'asc' ? 'ascending' : 'descending',
  }));

  private effectiveOrder(): 'asc' | 'desc' {
    const v = this.view();
    if (v.order !== 'default') return v.order;
    return v.sort === 'client' || v.sort === 'rule' ? 'asc' : 'desc';
  }

  protected toggle(key: string, on: boolean): void {
    this.selected.update((s) => {
      const next = new Set(s);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });
  }

  protected toggleAll(on: boolean): void {
    this.selected.set(
      on
        ? new Set(
            this.rows()
              .filter((r) => !this.lifted().has(r.key))
              .map((r) => r.key),
          )
        : new Set(),
    );
  }

  protected liftOne(d: DecisionView, cell: HTMLElement): void {
    this.liftMany([d], () => setTimeout(() => cell.focus()));
  }

  protected liftSelected(): void {
    const chosen = this.rows().filter((r) => this.selected().has(r.key));
    this.liftMany(chosen);
  }

  /** Lengthens every selected decision (a blocked client's folded suspicion too) by the chosen time: one confirmation, one call. */
  protected extendSelected(): void {
    const chosen = this.rows().filter((r) => this.selected().has(r.key));
    const seconds = Number(this.extendBy.seconds);
    const label = EXTENSIONS.find((e) => e.seconds === seconds)?.label ?? `${seconds} s`;
    this.bulk(
      chosen,
      (ids) => this.api.extendDecisions(ids, seconds),
      (done, failed, total) => {
        this.selected.set(new Set());
        this.feedback.set({
          ok: failed.length === 0,
          text:
            failed.length === 0
              ? `Extended ${done.length === 1 ? done[0]!.client : `${done.length} decisions`} by ${label}.`
              : `Extended ${done.length} of ${total}. Not extended: ${failed.map((f) => `${f.d.client} (${f.error})`).join('; ')}`,
        });
        this.refresh$.next();
      },
    );
  }

  private liftMany(list: DecisionView[], after?: () => void): void {
    this.bulk(
      list,
      (ids) => this.api.liftDecisions(ids),
      (done, failed, total) => {
        this.lifted.update((s) => new Set([...s, ...done.map(keyOf)]));
        this.selected.set(new Set());
        const what = (n: number) => (n === 1 ? `${list.length === 1 ? list[0]!.client : '1 decision'}` : `${n} decisions`);
        const text =
          failed.length === 0
            ? `Lifted ${what(done.length)}.`
            : `Lifted ${done.length} of ${total}. Not lifted: ${failed.map((f) => `${f.d.client} (${f.error})`).join('; ')}`;
        this.feedback.set({ ok: failed.length === 0, text });
        after?.();
      },
    );
  }

  /**
   * One bulk call for the rows, named by reference; a blocked client's folded suspicion goes
   * with its block (the admin acted on "this client"), and only the row's own outcome counts.
   */
  private bulk(
    list: DecisionView[],
    call: (ids: string[]) => Observable<BulkDecisionResult>,
    report: (done: DecisionView[], failed: { d: DecisionView; error: string }[], total: number) => void,
  ): void {
    if (list.length === 0 || this.busy()) return;
    this.busy.set(true);
    this.feedback.set(null);
    const ids = list.flatMap((d) => (d.suspicion ? [d.id, d.suspicion.id] : [d.id]));
    call(ids)
      .pipe(
        map((r) => new Map(r.results.map((x) => [x.id, x]))),
        map((byId) => list.map((d) => ({ d, error: outcomeError(byId.get(d.id)) }))),
        catchError((err: unknown) => of(list.map((d) => ({ d, error: toApiFailure(err).detail })))),
      )
      .subscribe((outcomes) => {
        this.busy.set(false);
        const done = outcomes.filter((o) => o.error === null).map((o) => o.d);
        const failed = outcomes.flatMap((o) => (o.error === null ? [] : [{ d: o.d, error: o.error }]));
        report(done, failed, outcomes.length);
      });
  }

  private summary(): string {
    const r = this.range();
    return r ? `Showing ${r.first} to ${r.last} of ${r.total} decisions.` : 'No decisions match.';
  }

  private fetch(v: ReturnType<DecisionsPage['view']>): Observable<Result> {
    return this.api
      .decisions({
        q: v.q,
        state: v.state === 'any' ? '' : v.state,
        rule: v.rule === 'any' ? '' : v.rule,
        decided_by: v.decided_by,
        expires_within: TIME_LEFT.find((t) => t.value === v.left)?.within,
        expires_beyond: TIME_LEFT.find((t) => t.value === v.left)?.beyond,
        sort: v.sort === 'created_at' ? '' : v.sort,
        order: v.order === 'default' ? '' : v.order,
        page: v.page,
        page_size: v.size,
        one_per_client: true,
      })
      .pipe(
        map((page): Result => ({ ok: true, page, at: Date.now() })),
        catchError((err: unknown) => {
          const f = toApiFailure(err);
          return of<Result>({ ok: false, error: f.detail, field: f.errors[0]?.field ?? null });
        }),
      );
  }
}
