import { Router, provideRouter } from '@angular/router';
import { TestBed } from '@angular/core/testing';
import { HttpErrorResponse } from '@angular/common/http';
import type { DashboardDataResponse, DecisionView, Paged, TrafficHistoryResponse, UserSummary } from '@bouncer/contracts';
import { provideCharts, withDefaultRegisterables } from 'ng2-charts';
import { Observable, Subject, of, throwError } from 'rxjs';
import { BouncerApi } from '../core/bouncer-api';
import { Dashboard } from './dashboard';
import { DASHBOARD_POLL_INTERVAL_MS } from './poll-interval';
import { TrafficApi } from './traffic-api';

const traffic: TrafficHistoryResponse = {
  from: '2026-01-01T00:00:00Z',
  to: '2026-01-01T00:00:20Z',
  bucket_seconds: 10,
  history_since: '2025-12-31T00:00:00Z',
  points: [
    { t: '2026-01-01T00:00:00Z', requests: 5, client_errors: 1, unauthorized: 0, blocks: 0 },
    { t: '2026-01-01T00:00:10Z', requests: 8, client_errors: 3, unauthorized: 2, blocks: 1 },
  ],
};

function decision(over: Partial<DecisionView>): DecisionView {
  return {
    id: 'd-000000000001',
    client: '127.0.0.77',
    state: 'blocked',
    reason: '6 failed logins in 60 s',
    rule: 'failed-logins',
    created_at: '2026-01-01T00:00:00Z',
    expires_at: '2026-01-01T00:02:00Z',
    remaining_seconds: 120,
    decided_by: 'rule:failed-logins',
    enforced: true,
    ...over,
  };
}

function data(over: Partial<DashboardDataResponse> = {}): DashboardDataResponse {
  return {
    total_ips: 12,
    blocked_ips: ['127.0.0.77'],
    suspicious_ips: ['127.0.0.5', '127.0.0.6'],
    request_counts: {},
    brute_force_ips: [{ ip: '127.0.0.77', remaining: 90 }],
    successful_block_ips: [],
    counts: { blocked: 1, suspicious: 2 },
    generated_at: '2026-01-01T00:00:00Z',
    mode: 'enforce',
    degraded: false,
    requests_per_minute: 345,
    series: {
      bucket_seconds: 10,
      points: [
        { t: '2026-01-01T00:00:00Z', requests: 5, client_errors: 1, unauthorized: 0, blocks: 0 },
        { t: '2026-01-01T00:00:10Z', requests: 8, client_errors: 3, unauthorized: 2, blocks: 1 },
      ],
    },
    top_clients: [{ client: '127.0.0.77', requests: 40, state: 'blocked' }],
    decisions: twoDecisions(),
    events: [{ at: '2026-01-01T00:00:05Z', type: 'decision.blocked', client: '127.0.0.77', actor: null, detail: '6 failed logins' }],
    decision_events: [
      { at: '2026-01-01T00:00:05Z', type: 'decision.blocked', client: '127.0.0.77', actor: null, detail: '6 failed logins' },
    ],
    healing: { at: '2026-01-01T00:00:00Z', duration_ms: 4, lifted: 1, pruned_counters: 2, trimmed_audit: 0 },
    route_classes: [],
    viewer_client: '127.0.0.1',
    ...over,
  };
}

/** Decisions the fake's `GET /admin/decisions` pages through, newest first: one blocked, one suspicious by default. */
const twoDecisions = () => [decision({}), decision({ client: '127.0.0.5', state: 'suspicious', remaining_seconds: 30 })];

class FakeApi {
  responses: (() => Observable<DashboardDataResponse>)[] = [];
  calls = 0;
  rows: DecisionView[] = twoDecisions();
  decisions = jest.fn((q: { state?: string; page?: number; page_size?: number }): Observable<Paged<DecisionView>> => {
    const size = q.page_size ?? 50;
    const page = q.page ?? 1;
    const matching = this.rows.filter((d) => d.state === q.state);
    return of({ items: matching.slice((page - 1) * size, page * size), total: matching.length, page, page_size: size });
  });
  unblock = jest.fn(() => of(undefined));
  block = jest.fn(() => of({}));
  clearSuspicion = jest.fn(() => of(undefined));
  addListEntry = jest.fn(() => of({}));
  listUsers = jest.fn((): Observable<UserSummary[]> => of([]));
  dashboardData(): Observable<DashboardDataResponse> {
    this.calls++;
    const next = this.responses.shift();
    return next ? next() : of(data());
  }
}

describe('Dashboard', () => {
  let api: FakeApi;

  beforeEach(() => {
    jest.useFakeTimers();
    api = new FakeApi();
    TestBed.configureTestingModule({
      imports: [Dashboard],
      providers: [
        { provide: BouncerApi, useValue: api },
        { provide: TrafficApi, useValue: { series: () => of(traffic) } },
        { provide: DASHBOARD_POLL_INTERVAL_MS, useValue: 1000 },
        provideCharts(withDefaultRegisterables()),
        provideRouter([]),
      ],
    });
  });

  afterEach(() => jest.useRealTimers());

  function create() {
    const fixture = TestBed.createComponent(Dashboard);
    const el = fixture.nativeElement as HTMLElement;
    const text = (id: string) => el.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
    return { fixture, el, text };
  }

  it('renders the counters, charts and tables from the data', () => {
    const { fixture, el, text } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    expect(text('count-total')).toBe('12');
    expect(text('count-blocked')).toBe('1');
    expect(text('count-suspicious')).toBe('2');
    expect(text('count-rpm')).toBe('345');
    expect(el.querySelectorAll('canvas').length).toBe(2);
    expect(el.querySelector('[data-testid="blocked-table"]')?.textContent).toContain('6 failed logins in 60 s');
    expect(el.querySelector('[data-testid="suspicious-table"]')?.textContent).toContain('127.0.0.5');
    expect(text('attack-banner')).toContain('Brute force (failed sign-ins)');
    expect(text('attack-addresses')).toBe('1 address');
    expect(el.querySelector('[data-testid="stale-badge"]')).toBeNull();
    expect(el.querySelector('[data-testid="degraded-badge"]')).toBeNull();
    expect(text('healing')).toContain('Decisions lifted');
  });

  it('shows decisions in a feed of their own, which failed sign-ins cannot flood', () => {
    const flood = Array.from({ length: 50 }, (_, i) => ({
      at: `2026-01-01T00:01:${String(i).padStart(2, '0')}Z`,
      type: 'login.failed',
      client: `127.0.1.${i}`,
      actor: 'x',
      detail: 'failed sign-in as x',
    }));
    api.responses = [() => of(data({ events: flood }))];
    const { fixture, text } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    expect(text('event-feed')).not.toContain('Blocked');
    expect(text('decision-feed')).toContain('Blocked');
    expect(text('decision-feed')).toContain('127.0.0.77');
  });

  it('shows degraded and observe-mode badges', () => {
    api.responses.push(() => of(data({ degraded: true, mode: 'observe' })));
    const { fixture, el } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="degraded-badge"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="observe-badge"]')).not.toBeNull();
  });

  it('polls on the configured interval, keeps the last data and shows a stale badge when a poll fails', () => {
    api.responses.push(
      () => of(data()),
      () => throwError(() => new HttpErrorResponse({ status: 0, statusText: 'Unknown Error' })),
    );
    const { fixture, el, text } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    expect(api.calls).toBe(1);
    expect(el.querySelector('[data-testid="stale-badge"]')).toBeNull();

    jest.advanceTimersByTime(1000);
    fixture.detectChanges();
    expect(api.calls).toBe(2);
    expect(el.querySelector('[data-testid="stale-badge"]')).not.toBeNull();
    expect(text('count-total')).toBe('12');

    // One failure in a row: the next poll waits twice the interval (D18).
    api.responses.push(() => of(data({ total_ips: 13 })));
    jest.advanceTimersByTime(1000);
    expect(api.calls).toBe(2);
    jest.advanceTimersByTime(1000);
    fixture.detectChanges();
    expect(el.querySelector('[data-testid="stale-badge"]')).toBeNull();
    expect(text('count-total')).toBe('13');
  });

  it('counts the time remaining down every second between polls', () => {
    TestBed.overrideProvider(DASHBOARD_POLL_INTERVAL_MS, { useValue: 60_000 });
    const { fixture, el } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    const remaining = () => el.querySelector('[data-testid="blocked-table"] [data-testid="remaining"]')?.textContent?.trim();
    expect(remaining()).toBe('2 m 00 s');
    jest.advanceTimersByTime(3000);
    fixture.detectChanges();
    expect(remaining()).toBe('1 m 57 s');
    expect(api.calls).toBe(1);
  });

  it('pauses polling while the document is hidden', () => {
    const { fixture } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    const hidden = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    jest.advanceTimersByTime(5000);
    expect(api.calls).toBe(1);
    hidden.mockReturnValue(false);
    document.dispatchEvent(new Event('visibilitychange'));
    // The poll plan is a signal: its change reaches the poller with the next change detection.
    fixture.detectChanges();
    jest.advanceTimersByTime(0);
    expect(api.calls).toBe(2);
    hidden.mockRestore();
  });

  it('unblocks a client from the table and removes the row at once', () => {
    const pending = new Subject<DashboardDataResponse>();
    const { fixture, el } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    api.responses.push(() => pending);
    el.querySelector<HTMLButtonElement>('button[aria-label="Unblock 127.0.0.77"]')!.click();
    fixture.detectChanges();
    expect(api.unblock).toHaveBeenCalledWith('127.0.0.77');
    expect(el.querySelector('[data-testid="blocked-table"]')).toBeNull();
    expect(el.querySelector('[data-testid="action-status"]')?.textContent).toContain('Unblocked 127.0.0.77');
  });

  it('allowlists, and blocks with the one shared duration (1 h by default) keeping the rule reason', () => {
    const { fixture, el } = create();
    jest.advanceTimersByTime(0);
    fixture.detectChanges();
    el.querySelector<HTMLButtonElement>('button[aria-label="Allowlist 127.0.0.5"]')!.click();
    expect(api.addListEntry).toHaveBeenCalledWith(expect.objectContaining({ kind: 'allow', cidr: '127.0.0.5/32' }));
    el.querySelector<HTMLButtonElement>('button[aria-label="Block 127.0.0.5 for 1 hour, keeping its reason"]')!.click();
    expect(api.block).toHaveBeenCalledWith({
      client: '127.0.0.5',
      duration_seconds: 3600,
      reason: '6 failed logins in 60 s (blocked again from the overview)',
    });
    const select = el.querySelector<HTMLSelectElement>('[data-testid="row-block-duration"]')!;
    select.value = '86400';
    select.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    el.querySelector<HTMLButtonElement>('button[aria-label="Block 127.0.0.5 for 24 hours, keeping its reason"]')!.click();
    expect(api.block).toHaveBeenLastCalledWith(expect.objectContaining({ client: '127.0.0.5', duration_seconds: 86400 }));
  });

  describe('paged tables', () => {
    /** 60 blocked clients, newest first, and 2 suspicious. */
    const many = () => [
      ...Array.from({ length: 60 }, (_, i) => decision({ id: `d-${String(i).padStart(12, '0')}`, client: `127.0.2.${i + 1}` })),
      ...twoDecisions().slice(1),
      decision({ client: '127.0.0.6', state: 'suspicious' }),
    ];
    const router = () => TestBed.inject(Router);
    /** Navigates with the fake clock: the router settles on microtasks and a zero timer. */
    async function go(url: string) {
      const done = router().navigateByUrl(url);
      await jest.advanceTimersByTimeAsync(0);
      await done;
    }

    it('asks the server for the page in the URL and says which rows of how many it shows', async () => {
      api.rows = many();
      await go('/?blockedPage=2');
      const { fixture, el, text } = create();
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      expect(api.decisions).toHaveBeenCalledWith({ state: 'blocked', page: 2, page_size: 25 });
      expect(api.decisions).toHaveBeenCalledWith({ state: 'suspicious', page: 1, page_size: 25 });
      expect(text('overview-blocked-shown')).toMatch(/^26–50 of 60, newest first\./);
      expect(text('overview-suspicious-shown')).toMatch(/^1–2 of 2, newest first\./);
      expect(el.querySelectorAll('[data-testid="blocked-table"] tbody tr').length).toBe(25);
      expect(el.querySelector('[data-testid="blocked-table"] tbody tr')?.getAttribute('data-client')).toBe('127.0.2.26');
      expect(el.querySelector('nav[aria-label="Pages of blocked clients"]')?.textContent).toContain('Page 2 of 3');
      expect(el.querySelector('nav[aria-label="Pages of suspicious clients"]')?.textContent).toContain('Page 1 of 1');
    });

    it('turns a page with the pager: the URL changes and the new page is read at once', async () => {
      api.rows = many();
      const { fixture, el, text } = create();
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      const next = Array.from(el.querySelectorAll<HTMLButtonElement>('nav[aria-label="Pages of blocked clients"] button')).find(
        (b) => b.textContent?.trim() === 'Last',
      )!;
      next.click();
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      expect(router().url).toBe('/?blockedPage=3');
      expect(api.decisions).toHaveBeenLastCalledWith({ state: 'suspicious', page: 1, page_size: 25 });
      expect(api.decisions).toHaveBeenCalledWith({ state: 'blocked', page: 3, page_size: 25 });
      expect(text('overview-blocked-shown')).toMatch(/^51–60 of 60/);
    });

    it('keeps the rows on screen while the next poll is on its way', async () => {
      api.rows = many();
      const { fixture, el } = create();
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      const pending = new Subject<DashboardDataResponse>();
      api.responses.push(() => pending);
      await jest.advanceTimersByTimeAsync(1000);
      fixture.detectChanges();
      expect(api.calls).toBe(2);
      expect(el.querySelectorAll('[data-testid="blocked-table"] tbody tr').length).toBe(25);
    });

    it('reads the tables again only when the counts, the newest decision event or the page change, or after 30 s', async () => {
      const { fixture, el } = create();
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      const remaining = () => el.querySelector('[data-testid="blocked-table"] [data-testid="remaining"]')?.textContent?.trim();
      expect(api.decisions).toHaveBeenCalledTimes(2);
      // The live data is the same: one request a poll, and the rows count down from when they were read.
      await jest.advanceTimersByTimeAsync(1000);
      fixture.detectChanges();
      expect([api.calls, api.decisions.mock.calls.length, remaining()]).toEqual([2, 2, '1 m 59 s']);
      // The counts changed (a block, a lift): both tables are read again, and again when they change back.
      api.responses.push(() => of(data({ counts: { blocked: 2, suspicious: 2 } })));
      await jest.advanceTimersByTimeAsync(2000);
      expect(api.decisions).toHaveBeenCalledTimes(6);
      // So does a new decision event.
      const later = { ...data().decision_events[0]!, at: '2026-01-01T00:00:09Z' };
      api.responses.push(
        () => of(data({ decision_events: [later] })),
        () => of(data({ decision_events: [later] })),
      );
      await jest.advanceTimersByTimeAsync(2000);
      expect(api.decisions).toHaveBeenCalledTimes(8);
      await jest.advanceTimersByTimeAsync(1000);
      expect(api.decisions).toHaveBeenCalledTimes(10); // the event is no longer in the answer
      // Nothing changes: read again once 30 s have passed since the last read.
      await jest.advanceTimersByTimeAsync(29_000);
      expect(api.decisions).toHaveBeenCalledTimes(10);
      await jest.advanceTimersByTimeAsync(1000);
      expect(api.decisions).toHaveBeenCalledTimes(12);
    });

    it('moves a page past the end (rows lifted since, an old link) to the last page, in place', async () => {
      api.rows = many();
      await go('/?blockedPage=9&suspiciousPage=4');
      const { fixture, text } = create();
      await jest.advanceTimersByTimeAsync(0);
      await jest.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      expect(router().url).toBe('/?blockedPage=3');
      expect(api.decisions).toHaveBeenLastCalledWith({ state: 'suspicious', page: 1, page_size: 25 });
      expect(text('overview-blocked-shown')).toMatch(/^51–60 of 60/);
    });
  });
});
