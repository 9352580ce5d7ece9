import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, ElementRef, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable, toSignal } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import type { BlockRequest, DashboardDataResponse, DecisionView, Paged, TrafficHistoryResponse } from '@bouncer/contracts';
import {
  EMPTY,
  Observable,
  catchError,
  distinctUntilChanged,
  expand,
  forkJoin,
  fromEvent,
  interval,
  map,
  of,
  startWith,
  switchMap,
  tap,
  timer,
} from 'rxjs';
import { ClientLink } from '../console/shared/client-link';
import { DateTimePipe, formatDateTime } from '../console/shared/date-time';
import { asCidr } from '../console/shared/ranges';
import { Pager, pageCount, pageRange } from '../console/shared/pager';
import { intParam, urlState } from '../console/shared/url-state';
import { toApiFailure } from '../core/api-failure';
import { BouncerApi } from '../core/bouncer-api';
import { attackSummaries, listNames } from './attack-summary';
import { BlockForm } from './block-form/block-form';
import { DecisionAction, DecisionTable } from './decision-table/decision-table';
import { BLOCK_DURATIONS, DEFAULT_BLOCK_SECONDS, DurationPipe } from './duration';
import { EventFeed } from './event-feed/event-feed';
import { DASHBOARD_POLL_INTERVAL_MS } from './poll-interval';
import { RangeBar } from './range-bar/range-bar';
import { type ViewRange, nextPollDelay, rangeParams, readView, zoomBy, zoomTo } from './time-range';
import { TopClientsChart } from './top-clients-chart/top-clients-chart';
import { TrafficApi } from './traffic-api';
import { TrafficChart } from './traffic-chart/traffic-chart';

/** The overview's two decision tables, each paged by the server. */
type TableState = 'blocked' | 'suspicious';
type DecisionPage = Paged<DecisionView>;
type TablePages = Record<TableState, number>;

/** The rows both tables show, when they were read, and what the live data said then (see `fetch`). */
interface TablesShown extends Record<TableState, DecisionPage> {
  at: number;
  key: string;
}

type PollResult = { ok: true; data: DashboardDataResponse; tables: TablesShown } | { ok: false; error: string };

/** Rows per page of each table on the overview; the Decisions page searches and sorts them all (D19). */
const OVERVIEW_ROWS = 25;
/** The URL key of each table's page (`?blockedPage=3`), so a link shows the same rows. */
const PAGE_PARAM: Record<TableState, string> = { blocked: 'blockedPage', suspicious: 'suspiciousPage' };
/** The tables are read again at least this often when the live data shows no change (a decision extended). */
const TABLES_MAX_AGE_MS = 30_000;
/** The two tables, in page order; the blocked one also has the row block duration and the block form. */
const TABLES = [
  { state: 'blocked', title: 'Blocked clients', noun: 'blocked clients' },
  { state: 'suspicious', title: 'Suspicious clients', noun: 'suspicious clients' },
] as const;

/** Which part of the page an action's feedback belongs beside (D6). */
type StatusPlace = 'blocked' | 'suspicious' | 'form';

/**
 * The admin overview: polls `/dashboard-data` and the traffic series of the chosen range
 * (`/admin/traffic`) at the chosen interval, backing off while the server fails; the range,
 * interval and pause live in the URL.
 */
@Component({
  selector: 'bn-dashboard',
  imports: [
    DateTimePipe,
    DurationPipe,
    RouterLink,
    ClientLink,
    BlockForm,
    DecisionTable,
    EventFeed,
    Pager,
    RangeBar,
    TopClientsChart,
    TrafficChart,
  ],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Dashboard {
  private readonly api = inject(BouncerApi);
  private readonly trafficApi = inject(TrafficApi);
  private readonly document = inject(DOCUMENT);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  /** The default refresh interval (tests shorten it); the URL's `refresh` overrides it. */
  private readonly defaultPollMs = inject(DASHBOARD_POLL_INTERVAL_MS);
  private readonly url = urlState();

  protected readonly view = computed(() => readView(this.url.params()));
  /** The page each table shows, from the URL. */
  protected readonly tablePages = computed(
    (): TablePages => {
      const p = this.url.params();
      return { blocked: intParam(p[PAGE_PARAM.blocked], 1), suspicious: intParam(p[PAGE_PARAM.suspicious], 1) };
    },
    { equal: (a, b) => a.blocked === b.blocked && a.suspicious === b.suspicious },
  );
  protected readonly data = signal<DashboardDataResponse | null>(null);
  protected readonly traffic = signal<TrafficHistoryResponse | null>(null);
  protected readonly stale = signal(false);
  protected readonly pollError = signal<string | null>(null);
  /** When polling backs off: seconds until the next try (shown once, not ticking). */
  protected readonly retryIn = signal<number | null>(null);
  protected readonly status = signal<{ ok: boolean; text: string; place: StatusPlace } | null>(null);
  protected readonly busyClient = signal<string | null>(null);
  protected readonly blockDurations = BLOCK_DURATIONS;
  protected readonly rowBlockSeconds = signal(DEFAULT_BLOCK_SECONDS);

  private readonly fetchedAt = signal(Date.now());
  private readonly now = signal(Date.now());
  /** Whole seconds since the shown data was fetched: drives the local countdowns. */
  protected readonly elapsed = computed(() => Math.max(0, Math.floor((this.now() - this.fetchedAt()) / 1000)));
  protected readonly dataTime = computed(() => this.fetchedAt());

  /** The page of each table last received; kept on screen while the next one loads (no layout shift). */
  protected readonly pages = signal<TablesShown | null>(null);
  /** Whole seconds since the tables were read: their countdowns tick from then. */
  protected readonly tablesElapsed = computed(() => Math.max(0, Math.floor((this.now() - (this.pages()?.at ?? this.now())) / 1000)));
  /** Which rows of how many each table shows ("26–50 of 1003"). */
  protected readonly ranges = computed(() => {
    const p = this.pages();
    return { blocked: pageRange(p?.blocked ?? null), suspicious: pageRange(p?.suspicious ?? null) };
  });
  protected readonly tables = TABLES;
  protected readonly attacks = computed(() => {
    const d = this.data();
    return d ? attackSummaries(d, this.elapsed()) : [];
  });
  protected readonly listNames = listNames;
  protected readonly generatedAt = computed(() => formatDateTime(this.data()?.generated_at));

  constructor() {
    const visible = toSignal(
      fromEvent(this.document, 'visibilitychange').pipe(
        startWith(null),
        map(() => !this.document.hidden),
        distinctUntilChanged(),
      ),
      { initialValue: !this.document.hidden },
    );
    const plan = computed(
      () => {
        const v = this.view();
        const refreshMs = this.url.params()['refresh'] === undefined ? this.defaultPollMs : v.refreshSeconds * 1000;
        const pages = this.tablePages();
        return {
          visible: visible(),
          paused: v.paused,
          refreshMs,
          range: v.range,
          pages,
          key: JSON.stringify([v.range, v.paused, refreshMs, pages]),
        };
      },
      { equal: (a, b) => a.visible === b.visible && a.key === b.key },
    );
    toObservable(plan)
      .pipe(
        // Poll only while the tab is visible and not paused; a change of range, interval or table
        // page starts over at once. Paused, the page still loads the chosen view once.
        switchMap((p) => (!p.visible ? EMPTY : p.paused ? this.pollOnce(p.range, p.pages) : this.pollLoop(p.range, p.pages, p.refreshMs))),
        takeUntilDestroyed(),
      )
      .subscribe();

    // The countdowns tick locally between polls.
    interval(1000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.now.set(Date.now()));
  }

  protected changeRange(range: ViewRange): void {
    this.url.set(rangeParams(range));
  }

  protected zoomChart(z: { from: number; to: number }): void {
    this.url.set(rangeParams(zoomTo(z.from, z.to)));
  }

  protected zoomRange(factor: number): void {
    this.url.set(rangeParams(zoomBy(this.view().range, factor, Date.now())));
  }

  protected setPaused(paused: boolean): void {
    this.url.set({ paused: paused ? '1' : null });
  }

  protected setRefresh(seconds: number): void {
    this.url.set({ refresh: String(seconds) });
  }

  protected goToPage(table: TableState, page: number): void {
    this.url.set({ [PAGE_PARAM[table]]: page <= 1 ? null : String(page) });
  }

  protected pickRowDuration(e: Event): void {
    this.rowBlockSeconds.set(Number((e.target as HTMLSelectElement).value));
  }

  protected onDecisionAction(action: DecisionAction, place: 'blocked' | 'suspicious'): void {
    const c = action.client;
    switch (action.kind) {
      case 'unblock':
        this.run(c, place, this.api.unblock(c), `Unblocked ${c}.`, () => this.dropDecision(c, 'blocked'));
        break;
      case 'clear':
        this.run(c, place, this.api.clearSuspicion(c), `Cleared suspicion of ${c}.`, () => this.dropDecision(c, 'suspicious'));
        break;
      case 'block':
        this.run(
          c,
          place,
          this.api.block({ client: c, duration_seconds: action.durationSeconds, reason: action.reason }),
          `Blocked ${c} for ${BLOCK_DURATIONS.find((o) => o.seconds === action.durationSeconds)?.label ?? `${action.durationSeconds} s`}.`,
        );
        break;
      case 'allow':
        this.run(
          c,
          place,
          this.api.addListEntry({ kind: 'allow', cidr: asCidr(c), note: 'Allowlisted from the dashboard' }),
          `Allowlisted ${c}.`,
        );
        break;
    }
  }

  protected blockClient(req: BlockRequest): void {
    this.run(req.client, 'form', this.api.block(req), `Blocked ${req.client}.`);
  }

  private run(client: string, place: StatusPlace, call: Observable<unknown>, text: string, onOk?: () => void): void {
    this.busyClient.set(client);
    this.status.set(null);
    call.subscribe({
      next: () => {
        this.busyClient.set(null);
        this.status.set({ ok: true, text, place });
        if (onOk) {
          // The row goes away: keep the keyboard user in place (D6).
          const index = this.rowIndex(place, client);
          onOk();
          this.focusAfterRemoval(place as 'blocked' | 'suspicious', index);
        }
        this.pollOnce(this.view().range, this.tablePages(), true).subscribe();
      },
      error: (err: unknown) => {
        this.busyClient.set(null);
        this.status.set({ ok: false, text: toApiFailure(err).detail, place });
      },
    });
  }

  private rowIndex(place: StatusPlace, client: string): number {
    const rows = Array.from(this.host.nativeElement.querySelectorAll<HTMLElement>(`[data-testid="${place}-table"] tbody tr`));
    return rows.findIndex((r) => r.dataset['client'] === client);
  }

  /** Focus the next row's first button (or the one before, or the table's heading) once the row is gone. */
  private focusAfterRemoval(place: 'blocked' | 'suspicious', index: number): void {
    setTimeout(() => {
      const root = this.host.nativeElement;
      const rows = Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${place}-table"] tbody tr`));
      const row = rows[Math.min(index, rows.length - 1)];
      const target: HTMLElement | null = row?.querySelector('button') ?? root.querySelector(`#${place}-title`);
      target?.focus();
    });
  }

  /** Remove a lifted decision at once instead of waiting for the next poll. */
  private dropDecision(client: string, state: TableState): void {
    this.pages.update((p) => {
      if (!p) return p;
      const items = p[state].items.filter((x) => x.client !== client);
      return { ...p, [state]: { ...p[state], items, total: p[state].total - (p[state].items.length - items.length) } };
    });
    this.data.update(
      (d) =>
        d && {
          ...d,
          decisions: d.decisions.filter((x) => !(x.client === client && x.state === state)),
          blocked_ips: state === 'blocked' ? d.blocked_ips.filter((ip) => ip !== client) : d.blocked_ips,
          counts: {
            blocked: d.counts.blocked - (state === 'blocked' && d.blocked_ips.includes(client) ? 1 : 0),
            suspicious: d.counts.suspicious - (state === 'suspicious' && d.suspicious_ips.includes(client) ? 1 : 0),
          },
          suspicious_ips: state === 'suspicious' ? d.suspicious_ips.filter((ip) => ip !== client) : d.suspicious_ips,
        },
    );
  }

  /** Polls at the chosen interval; after a failure waits longer each time, up to a minute (D18). */
  private pollLoop(range: ViewRange, pages: TablePages, refreshMs: number): Observable<unknown> {
    let failures = 0;
    const once = () =>
      this.pollOnce(range, pages).pipe(
        tap((ok) => {
          failures = ok ? 0 : failures + 1;
          this.retryIn.set(ok ? null : Math.round(nextPollDelay(refreshMs, failures) / 1000));
        }),
      );
    return once().pipe(expand(() => timer(nextPollDelay(refreshMs, failures)).pipe(switchMap(once))));
  }

  /** One poll of both sources; true when the live data came. */
  private pollOnce(range: ViewRange, pages: TablePages, rereadTables = false): Observable<boolean> {
    return forkJoin([this.fetch(pages, rereadTables), this.trafficApi.series(range).pipe(catchError(() => of(null)))]).pipe(
      map(([result, traffic]) => {
        this.apply(result);
        if (traffic) this.traffic.set(traffic);
        return result.ok;
      }),
    );
  }

  /**
   * The live data, then the shown page of each table (newest first, as the Decisions page sorts
   * by default). Every admin request counts against the admin's own request rate, so the tables
   * are read again only when their pages, the counts or the latest decision event changed, after
   * an action, or after TABLES_MAX_AGE_MS: most polls are one request, not three.
   */
  private fetch(pages: TablePages, rereadTables: boolean): Observable<PollResult> {
    const page = (state: TableState) => this.api.decisions({ state, page: pages[state], page_size: OVERVIEW_ROWS });
    return this.api.dashboardData().pipe(
      switchMap((data) => {
        const key = JSON.stringify([pages, data.counts, latestAt(data.decision_events)]);
        const shown = this.pages();
        if (!rereadTables && shown?.key === key && Date.now() - shown.at < TABLES_MAX_AGE_MS)
          return of<PollResult>({ ok: true, data, tables: shown });
        return forkJoin([page('blocked'), page('suspicious')]).pipe(
          map(([blocked, suspicious]): PollResult => ({ ok: true, data, tables: { blocked, suspicious, at: Date.now(), key } })),
        );
      }),
      catchError((err: unknown) => of<PollResult>({ ok: false, error: toApiFailure(err).detail })),
    );
  }

  private apply(result: PollResult): void {
    if (result.ok) {
      const t = Date.now();
      this.data.set(result.data);
      this.pages.set(result.tables);
      this.backIntoRange(result.tables);
      this.fetchedAt.set(t);
      this.now.set(t);
      this.stale.set(false);
      this.pollError.set(null);
    } else {
      // Keep the last data on screen, marked stale.
      this.stale.set(true);
      this.pollError.set(result.error);
    }
  }

  /**
   * A page past the last (its rows were lifted or ran out, or an old link) moves to the last page
   * in place, so the table never sits empty while others remain.
   */
  private backIntoRange(pages: TablesShown): void {
    for (const table of ['blocked', 'suspicious'] as const) {
      const p = pages[table];
      const last = pageCount(p);
      if (p.items.length === 0 && p.page > last)
        this.url.set({ [PAGE_PARAM[table]]: last <= 1 ? null : String(last) }, { replaceUrl: true });
    }
  }
}

export { asCidr } from '../console/shared/ranges';

/** The time of the newest event (ISO 8601 sorts as text), or null. */
function latestAt(events: readonly { at: string }[]): string | null {
  return events.reduce<string | null>((latest, e) => (latest === null || e.at > latest ? e.at : latest), null);
}
