import { DOCUMENT, DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import type { BlockRequest, DashboardDataResponse } from '@bouncer/contracts';
import {
  EMPTY,
  Observable,
  catchError,
  distinctUntilChanged,
  exhaustMap,
  fromEvent,
  interval,
  map,
  of,
  startWith,
  switchMap,
  timer,
} from 'rxjs';
import { toApiFailure } from '../core/api-failure';
import { asCidr } from '../console/shared/ranges';
import { BouncerApi } from '../core/bouncer-api';
import { BlockForm } from './block-form/block-form';
import { DecisionAction, DecisionTable } from './decision-table/decision-table';
import { DurationPipe } from './duration';
import { EventFeed } from './event-feed/event-feed';
import { DASHBOARD_POLL_INTERVAL_MS } from './poll-interval';
import { TopClientsChart } from './top-clients-chart/top-clients-chart';
import { TrafficChart } from './traffic-chart/traffic-chart';
import { RouterLink } from '@angular/router';
import { ClientLink } from '../console/shared/client-link';

type PollResult = { ok: true; data: DashboardDataResponse } | { ok: false; error: string };

/** The admin dashboard: polls `/dashboard-data`, counts down locally, lets the admin act. */
@Component({
  selector: 'bn-dashboard',
  imports: [DatePipe, DurationPipe, RouterLink, ClientLink, BlockForm, DecisionTable, EventFeed, TopClientsChart, TrafficChart],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Dashboard {
  private readonly api = inject(BouncerApi);
  private readonly document = inject(DOCUMENT);
  private readonly pollMs = inject(DASHBOARD_POLL_INTERVAL_MS);

  protected readonly data = signal<DashboardDataResponse | null>(null);
  protected readonly stale = signal(false);
  protected readonly pollError = signal<string | null>(null);
  protected readonly status = signal<{ ok: boolean; text: string } | null>(null);
  protected readonly busyClient = signal<string | null>(null);

  private readonly fetchedAt = signal(Date.now());
  private readonly now = signal(Date.now());
  /** Whole seconds since the shown data was fetched: drives the local countdowns. */
  protected readonly elapsed = computed(() => Math.max(0, Math.floor((this.now() - this.fetchedAt()) / 1000)));

  protected readonly blocked = computed(() => this.data()?.decisions.filter((d) => d.state === 'blocked') ?? []);
  protected readonly suspicious = computed(() => this.data()?.decisions.filter((d) => d.state === 'suspicious') ?? []);
  protected readonly attack = computed(() => {
    const d = this.data();
    if (!d) return [];
    const elapsed = this.elapsed();
    return [
      ...d.brute_force_ips.map((e) => ({ ip: e.ip, kind: 'failed logins', left: e.remaining - elapsed })),
      ...d.successful_block_ips.map((e) => ({ ip: e.ip, kind: 'repeated successful logins', left: e.remaining - elapsed })),
    ].filter((e) => e.left > 0);
  });

  constructor() {
    const visible$ = fromEvent(this.document, 'visibilitychange').pipe(
      startWith(null),
      map(() => !this.document.hidden),
      distinctUntilChanged(),
    );
    visible$
      .pipe(
        // Poll only while the tab is visible; poll at once when it becomes visible again.
        switchMap((visible) => (visible ? timer(0, this.pollMs) : EMPTY)),
        exhaustMap(() => this.fetch()),
        takeUntilDestroyed(),
      )
      .subscribe((result) => this.apply(result));

    interval(1000)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.now.set(Date.now()));
  }

  protected onDecisionAction(action: DecisionAction): void {
    const c = action.client;
    switch (action.kind) {
      case 'unblock':
        this.run(c, this.api.unblock(c), `Unblocked ${c}.`, () => this.dropDecision(c, 'blocked'));
        break;
      case 'clear':
        this.run(c, this.api.clearSuspicion(c), `Cleared suspicion of ${c}.`, () => this.dropDecision(c, 'suspicious'));
        break;
      case 'block':
        this.run(
          c,
          this.api.block({ client: c, duration_seconds: action.durationSeconds, reason: 'Blocked from the dashboard' }),
          `Blocked ${c}.`,
        );
        break;
      case 'allow':
        this.run(c, this.api.addListEntry({ kind: 'allow', cidr: asCidr(c), note: 'Allowlisted from the dashboard' }), `Allowlisted ${c}.`);
        break;
    }
  }

  protected blockClient(req: BlockRequest): void {
    this.run(req.client, this.api.block(req), `Blocked ${req.client}.`);
  }

  private run(client: string, call: Observable<unknown>, text: string, onOk?: () => void): void {
    this.busyClient.set(client);
    this.status.set(null);
    call.subscribe({
      next: () => {
        this.busyClient.set(null);
        this.status.set({ ok: true, text });
        onOk?.();
        this.fetch().subscribe((r) => this.apply(r));
      },
      error: (err: unknown) => {
        this.busyClient.set(null);
        this.status.set({ ok: false, text: toApiFailure(err).detail });
      },
    });
  }

  /** Remove a lifted decision at once instead of waiting for the next poll. */
  private dropDecision(client: string, state: 'blocked' | 'suspicious'): void {
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

  private fetch(): Observable<PollResult> {
    return this.api.dashboardData().pipe(
      map((data): PollResult => ({ ok: true, data })),
      catchError((err: unknown) => of<PollResult>({ ok: false, error: toApiFailure(err).detail })),
    );
  }

  private apply(result: PollResult): void {
    if (result.ok) {
      const t = Date.now();
      this.data.set(result.data);
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
}

export { asCidr } from '../console/shared/ranges';
