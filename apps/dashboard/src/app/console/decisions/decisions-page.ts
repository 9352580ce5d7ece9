import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import type { DecisionView, Paged } from '@bouncer/contracts';
import { EMPTY, type Observable, Subject, catchError, from, interval, map, merge, mergeMap, of, switchMap, timer, toArray } from 'rxjs';
import { toApiFailure } from '../../core/api-failure';
import { BouncerApi } from '../../core/bouncer-api';
import { DurationPipe } from '../../dashboard/duration';
import { ClientLink } from '../shared/client-link';
import { ConfirmButton } from '../shared/confirm-button';
import { DateTimePipe } from '../shared/date-time';
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

type Sort = (typeof SORTS)[number];
type Result = { ok: true; page: Paged<DecisionView>; at: number } | { ok: false; error: string; field: string | null };

/** A row's key: a client may have one decision of each state. */
const keyOf = (d: Pick<DecisionView, 'client' | 'state'>) => `${d.state} ${d.client}`;

/**
 * Every standing decision, searched, sorted and paged on the server ("n of N", never capped).
 * A blocked client is one row with its suspicion inside. Filter by time left; lift one, or lift
 * or extend many with one confirmation.
 */
@Component({
  selector: 'bn-decisions-page',
  imports: [FormsModule, DurationPipe, DateTimePipe, ClientLink, ConfirmButton],
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
  protected readonly pages = computed(() => {
    const p = this.page();
    return p ? Math.max(1, Math.ceil(p.total / p.page_size)) : 1;
  });
  protected readonly range = computed(() => {
    const p = this.page();
    if (!p || p.total === 0) return null;
    const first = (p.page - 1) * p.page_size + 1;
    return { first, last: first + p.items.length - 1, total: p.total };
  });
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
  protected sortBy(sort: Sort): void {
    const v = this.view();
    const order = v.sort === sort ? (this.effectiveOrder() === 'asc' ? 'desc' : 'asc') : '';
    this.url.set({ sort: sort === 'created_at' ? '' : sort, order, page: '' });
  }

  protected ariaSort(sort: Sort): 'ascending' | 'descending' | null {
    return this.view().sort === sort ? (this.effectiveOrder() === 'asc' ? 'ascending' : 'descending') : null;
  }

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

  /** Lengthens every selected decision (a blocked client's folded suspicion too) by the chosen time: one confirmation. */
  protected extendSelected(): void {
    const chosen = this.rows().filter((r) => this.selected().has(r.key));
    const seconds = Number(this.extendBy.seconds);
    const label = EXTENSIONS.find((e) => e.seconds === seconds)?.label ?? `${seconds} s`;
    if (chosen.length === 0 || this.busy()) return;
    this.busy.set(true);
    this.feedback.set(null);
    from(chosen)
      .pipe(
        mergeMap(
          (d) =>
            this.api.extendDecision({ client: d.client, state: d.state, seconds }).pipe(
              switchMap(() =>
                d.suspicion
                  ? this.api.extendDecision({ client: d.client, state: 'suspicious', seconds }).pipe(catchError(() => of(null)))
                  : of(null),
              ),
              map(() => ({ d, error: null as string | null })),
              catchError((err: unknown) => of({ d, error: toApiFailure(err).detail })),
            ),
          4,
        ),
        toArray(),
      )
      .subscribe((outcomes) => {
        this.busy.set(false);
        const failed = outcomes.filter((o) => o.error !== null);
        const ok = outcomes.length - failed.length;
        this.selected.set(new Set());
        this.feedback.set({
          ok: failed.length === 0,
          text:
            failed.length === 0
              ? `Extended ${ok === 1 ? chosen[0]!.client : `${ok} decisions`} by ${label}.`
              : `Extended ${ok} of ${outcomes.length}. Not extended: ${failed.map((f) => `${f.d.client} (${f.error})`).join('; ')}`,
        });
        this.refresh$.next();
      });
  }

  private liftMany(list: DecisionView[], after?: () => void): void {
    if (list.length === 0 || this.busy()) return;
    this.busy.set(true);
    this.feedback.set(null);
    from(list)
      .pipe(
        // A few at a time: quick for hundreds, gentle on the server.
        mergeMap(
          (d) =>
            this.lift(d).pipe(
              map(() => ({ d, error: null as string | null })),
              catchError((err: unknown) => of({ d, error: toApiFailure(err).detail })),
            ),
          4,
        ),
        toArray(),
      )
      .subscribe((outcomes) => {
        this.busy.set(false);
        const ok = outcomes.filter((o) => o.error === null);
        const failed = outcomes.filter((o) => o.error !== null);
        this.lifted.update((s) => new Set([...s, ...ok.map((o) => keyOf(o.d))]));
        this.selected.set(new Set());
        const what = (n: number) => (n === 1 ? `${list.length === 1 ? list[0]!.client : '1 decision'}` : `${n} decisions`);
        const text =
          failed.length === 0
            ? `Lifted ${what(ok.length)}.`
            : `Lifted ${ok.length} of ${outcomes.length}. Not lifted: ${failed.map((f) => `${f.d.client} (${f.error})`).join('; ')}`;
        this.feedback.set({ ok: failed.length === 0, text });
        after?.();
      });
  }

  private lift(d: DecisionView): Observable<unknown> {
    const call = d.state === 'blocked' ? this.api.unblock(d.client) : this.api.clearSuspicion(d.client);
    // A blocked client's folded suspicion goes with its block: the admin lifted "this client".
    return d.suspicion ? call.pipe(switchMap(() => this.api.clearSuspicion(d.client).pipe(catchError(() => of(null))))) : call;
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
