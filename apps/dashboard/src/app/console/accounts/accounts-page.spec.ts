import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { AccountClientPage, AccountPage, UserSession } from '@bouncer/contracts';
import { of } from 'rxjs';
import { BouncerApi } from '../../core/bouncer-api';
import { AccountsPage } from './accounts-page';

const row = (username: string, failures: number, over: Partial<AccountPage['items'][number]> = {}) => ({
  username,
  failures,
  clients: 1,
  first_at: '2026-12-03T10:00:00Z',
  last_at: '2026-12-03T11:00:00Z',
  throttled: false,
  known: true,
  ...over,
});

/** The page's clock: a named range ends now. */
const NOW = Date.UTC(2026, 11, 3, 12, 0);
const HOUR = 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

describe('AccountsPage', () => {
  let api: {
    accounts: jest.Mock;
    accountClients: jest.Mock;
    listUsers: jest.Mock;
    userSessions: jest.Mock;
    unlockAccount: jest.Mock;
  };

  async function open(url: string): Promise<{ harness: RouterTestingHarness; el: HTMLElement }> {
    TestBed.configureTestingModule({
      providers: [provideRouter([{ path: 'accounts', component: AccountsPage }]), { provide: BouncerApi, useValue: api }],
    });
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url);
    harness.detectChanges();
    return { harness, el: harness.routeNativeElement as HTMLElement };
  }
  const text = (el: HTMLElement, id: string) => el.querySelector(`[data-testid="${id}"]`)?.textContent?.replace(/\s+/g, ' ').trim();

  afterEach(() => jest.restoreAllMocks());

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const page: AccountPage = {
      items: [row('hana', 1200, { clients: 1200, throttled: true, known: false }), row('ivan', 3, { clients: 2 })],
      total: 120,
      page: 2,
      page_size: 50,
      since: '2026-12-02T12:00:00Z',
      until: null,
    };
    const clients: AccountClientPage = {
      items: [{ client: '127.51.0.1', failures: 2, first_at: '2026-12-03T10:00:00Z', last_at: '2026-12-03T11:00:00Z' }],
      total: 75,
      page: 1,
      page_size: 50,
      since: '2026-12-02T12:00:00Z',
      until: null,
    };
    api = {
      accounts: jest.fn(() => of(page)),
      accountClients: jest.fn(() => of(clients)),
      listUsers: jest.fn(() => of([])),
      userSessions: jest.fn(() => of([] as UserSession[])),
      unlockAccount: jest.fn(() => of(undefined)),
    };
  });

  it('asks the server for the page and the search in the URL, and says which rows of how many it shows', async () => {
    const { el } = await open('/accounts?q=a&page=2');
    expect(api.accounts).toHaveBeenCalledWith({ q: 'a', page: 2, page_size: 50, since: iso(NOW - 24 * HOUR) });
    expect(text(el, 'accounts-count')).toBe('Accounts 51–52 of 120');
    const cells = Array.from(el.querySelectorAll('[data-testid="accounts-table"] tbody tr:first-child td')).map((td) =>
      td.textContent?.replace(/\s+/g, ' ').trim(),
    );
    expect(cells[0]).toMatch(/^hana.*throttled.*no such account$/);
    expect(cells.slice(1, 3)).toEqual(['1200', '1200']);
    expect(el.querySelector('nav.pager')?.textContent).toContain('Page 2 of 3');
  });

  it('lists the clients that guessed at an opened account, saying when only the first of them are shown', async () => {
    const { el } = await open('/accounts?user=Ivan');
    expect(api.accountClients).toHaveBeenCalledWith('ivan', { page_size: 50, since: iso(NOW - 24 * HOUR) });
    expect(text(el, 'account-clients-count')).toBe('The 1 with the most failures of 75; all of them are in the audit log.');
    expect(text(el, 'account-clients')).toContain('127.51.0.1 (2)');
  });

  it('reads the page again after an unlock', async () => {
    const { harness, el } = await open('/accounts');
    expect(api.accounts).toHaveBeenCalledTimes(1);
    const ask = Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="accounts-table"] button')).find(
      (b) => b.textContent?.trim() === 'Unlock',
    )!;
    ask.click();
    harness.detectChanges();
    Array.from(el.querySelectorAll<HTMLButtonElement>('button'))
      .find((b) => b.textContent?.trim() === 'Unlock' && b.classList.contains('btn-danger'))!
      .click();
    harness.detectChanges();
    expect(api.unlockAccount).toHaveBeenCalledWith('hana');
    expect(api.accounts).toHaveBeenCalledTimes(2);
    expect(text(el, 'accounts-feedback')).toBe('Unlocked hana: its failed sign-ins are forgotten.');
  });

  it('counts over the time range in the URL, the last 24 hours when it names none', async () => {
    const { harness, el } = await open('/accounts?range=1h&user=ivan');
    expect(api.accounts).toHaveBeenLastCalledWith(expect.objectContaining({ since: iso(NOW - HOUR) }));
    expect(api.accountClients).toHaveBeenLastCalledWith('ivan', expect.objectContaining({ since: iso(NOW - HOUR) }));
    expect(text(el, 'accounts-title')).toBe('Failed sign-ins by account, last 1 h');
    expect(el.querySelector('[data-testid="range-1h"]')?.getAttribute('aria-pressed')).toBe('true');

    // A custom window: both bounds go to the API.
    await harness.navigateByUrl(`/accounts?since=${iso(NOW - 3 * HOUR)}&until=${iso(NOW - 2 * HOUR)}`);
    harness.detectChanges();
    expect(api.accounts).toHaveBeenLastCalledWith(expect.objectContaining({ since: iso(NOW - 3 * HOUR), until: iso(NOW - 2 * HOUR) }));
    expect(text(el, 'accounts-title')).toMatch(/^Failed sign-ins by account, \d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(el.querySelector('[data-testid="range-custom"]')?.getAttribute('aria-pressed')).toBe('true');
    expect(Array.from(el.querySelectorAll('#custom-range label')).map((l) => l.textContent?.trim())).toEqual(['From', 'To']);
  });

  it('puts the chosen range in the URL and goes back to the first page', async () => {
    const { harness, el } = await open('/accounts?page=2&q=a');
    el.querySelector<HTMLButtonElement>('[data-testid="range-7d"]')!.click();
    await harness.fixture.whenStable();
    harness.detectChanges();
    const url = new URL(TestBed.inject(Router).url, 'http://x');
    expect(Object.fromEntries(url.searchParams)).toEqual({ q: 'a', range: '7d' });
    expect(api.accounts).toHaveBeenLastCalledWith({ q: 'a', page: 1, page_size: 50, since: iso(NOW - 7 * 24 * HOUR) });
    // The default range leaves the URL.
    el.querySelector<HTMLButtonElement>('[data-testid="range-24h"]')!.click();
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/accounts?q=a');
  });
});
