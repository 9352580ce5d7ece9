import type { Page } from 'playwright-core';
import { eventually, http, strongPassword } from '@bouncer/testing';
import { adminSeeder, type AdminSeeder, startApi, type RunningApi } from './support/api-process';
import { expectAccessible } from './support/axe';
import { goInApp, launchBrowser, screenshot, signIn, type RunningBrowser } from './support/browser';

/**
 * The console's drill-downs in real Chromium against the built API (issue #13, points 3 and 4):
 * a client's page with its request timeline, the accounts it guessed at and the sessions seen
 * from it; the Accounts page with unlock, an account's sessions ended one by one, and an
 * admin-set temporary password. axe-core on each page, light and dark.
 */
describe('console drill-downs (real API + Chromium)', () => {
  let api: RunningApi;
  let browser: RunningBrowser;
  let page: Page;
  let seed: AdminSeeder;
  const SEEDER = '127.0.0.3';
  const GUESSER = '127.0.0.78';
  const DAN_HOME = '127.0.0.91';
  const SCANNER = '127.0.0.66';
  const danPassword = strongPassword();
  let danSessions: { access_token: string; refresh_token: string }[] = [];

  const go = (path: string) => goInApp(page, path);

  beforeAll(async () => {
    api = await startApi('console-drilldown', { ALLOWLIST: `${SEEDER}/32` });
    seed = await adminSeeder(api, SEEDER);
    expect((await seed('/admin/users', { username: 'dan', password: danPassword, role: 'user' })).status).toBe(201);
    // The guesser tries dan (twice) and root (an account that does not exist).
    for (const name of ['dan', 'dan', 'root']) {
      await http(api.baseUrl, '/token', { form: { grant_type: 'password', username: name, password: 'wrong-password-1' }, from: GUESSER });
    }
    // Dan signs in twice from home; one session refreshes from there.
    danSessions = [];
    for (let i = 0; i < 2; i++) {
      const r = await http(api.baseUrl, '/token', {
        form: { grant_type: 'password', username: 'dan', password: danPassword },
        from: DAN_HOME,
      });
      expect(r.status).toBe(200);
      danSessions.push(r.json as { access_token: string; refresh_token: string });
    }
    const refreshed = await http(api.baseUrl, '/token', {
      form: { grant_type: 'refresh_token', refresh_token: danSessions[1]!.refresh_token },
      from: DAN_HOME,
    });
    expect(refreshed.status).toBe(200);
    danSessions[1] = refreshed.json as { access_token: string; refresh_token: string };

    // Three blocks ending in 2 min, 30 min and 2 h: the time-left filter and the bulk extension.
    for (const [client, seconds] of [
      ['127.50.0.1', 120],
      ['127.50.0.2', 1800],
      ['127.50.0.3', 7200],
    ] as const) {
      expect((await seed('/admin/blocks', { client, duration_seconds: seconds, reason: `ends in ${seconds} s` })).status).toBe(201);
    }

    // A scanner: 16 answers 404 make it suspicious (rule probing: 70 % of 20).
    for (let i = 0; i < 16; i++) await http(api.baseUrl, `/wp-admin/${i}.php`, { from: SCANNER });

    browser = await launchBrowser({ bypassCSP: true });
    page = browser.page;
    await signIn(page, api.baseUrl, api.adminUsername, api.adminPassword);
    await page.waitForURL('**/dashboard');
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it("shows a client's request timeline, the accounts it guessed at, and the sessions seen from it", async () => {
    await go(`/clients/${GUESSER}`);
    await page.getByTestId('client-timeline').waitFor();
    expect(await page.getByTestId('client-timeline-summary').innerText()).toMatch(
      /^3 requests in the last hour; the busiest minute was \d\d:\d\d with 3\.$/,
    );
    const accounts = page.getByTestId('client-accounts');
    await accounts.waitFor();
    expect(await accounts.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^dan\s+2\s/),
      expect.stringMatching(/^root\s+1\s/),
    ]);
    await screenshot(page, 'console-client-guesser');
    await expectAccessible(page, 'client (guesser)');

    await go(`/clients/${DAN_HOME}`);
    const seen = page.getByTestId('client-sessions');
    await seen.waitFor();
    const text = await seen.innerText();
    expect(text).toMatch(/session [0-9a-f]{8} of dan, last used/);
    expect(text).toMatch(/dan signed in/);
    expect(text).not.toContain(danSessions[1]!.refresh_token.slice(37));
    await screenshot(page, 'console-client-sessions');
    await expectAccessible(page, 'client (sessions)');

    // The account link opens the account on the Accounts page.
    await seen.getByRole('link', { name: 'dan' }).first().click();
    await page.waitForURL('**/accounts?user=dan');
    await page.getByTestId('account-sessions').waitFor();
  });

  it("takes the console's time range for a client's timeline, from the URL and from the picker, and names the bar's unit", async () => {
    const unit = page.getByTestId('client-timeline-unit');
    const summary = page.getByTestId('client-timeline-summary');
    const pressed = (key: string) => page.getByTestId(`range-${key}`).getAttribute('aria-pressed');

    // From the URL: a day, in hours.
    await go(`/clients/${GUESSER}?range=24h`);
    await eventually(async () => (await unit.innerText()).startsWith('requests / 1 h'), 'the timeline in hours');
    expect(await pressed('24h')).toBe('true');
    expect(await summary.innerText()).toMatch(/^3 requests in the last 24 h; the busiest hour was \d{4}-\d\d-\d\d \d\d:\d\d with 3\.$/);
    // The client page does not poll: no pause, no refresh interval.
    expect(await page.getByTestId('pause').count()).toBe(0);

    // From the picker: 15 minutes, in minutes, and the URL follows.
    await page.getByTestId('range-15m').click();
    await page.waitForURL(/[?&]range=15m/);
    await eventually(async () => (await unit.innerText()).startsWith('requests / 1 min'), 'the timeline in minutes');
    expect(await summary.innerText()).toMatch(/^3 requests in the last 15 min; the busiest minute was \d\d:\d\d with 3\.$/);

    // 7 days, then a custom range typed in the picker (the bounds it shows), both in the URL.
    await page.getByTestId('range-7d').click();
    await page.waitForURL(/[?&]range=7d/);
    await eventually(async () => (await summary.innerText()).startsWith('3 requests in the last 7 days'), 'the week');
    await page.getByTestId('range-custom').click();
    await page.getByTestId('range-apply').click();
    await page.waitForURL(/since=.*until=/);
    await eventually(async () => (await summary.innerText()).startsWith('3 requests from '), 'the custom range');
    expect(await pressed('custom')).toBe('true');
    await screenshot(page, 'console-client-range');
    await expectAccessible(page, 'client (custom range)');

    // The default (1 h) leaves the URL without a range.
    await page.getByTestId('range-1h').click();
    await page.waitForURL((u) => !u.search.includes('range=') && !u.search.includes('since='));
    await eventually(async () => (await summary.innerText()).startsWith('3 requests in the last hour'), 'the hour');
  });

  it('unlocks an account from the Accounts page, with one confirmation, audited', async () => {
    await go('/accounts');
    const table = page.getByTestId('accounts-table');
    await table.waitFor();
    const rootRow = table.locator('tr', { hasText: 'root' });
    expect(await rootRow.innerText()).toMatch(/no such account/i);
    await screenshot(page, 'console-accounts-attacked');
    await expectAccessible(page, 'accounts');

    await page.getByRole('button', { name: 'Unlock dan' }).click();
    // Nothing is sent before the confirmation.
    expect(((await seed('/admin/events?type=account.unlocked')).json as unknown[]).length).toBe(0);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await eventually(async () => (await page.getByTestId('accounts-feedback').innerText()).includes('Unlocked dan'), 'unlock feedback');
    const audited = (await seed('/admin/events?type=account.unlocked')).json as { actor: string; detail: string }[];
    expect(audited[0]?.actor).toBe(`admin:${api.adminUsername}`);
    expect(audited[0]?.detail).toContain('account dan unlocked');

    // Counted and paged by the server ("n of N"); a part of the name finds the account, in the URL.
    expect(await page.getByTestId('accounts-count').innerText()).toBe('Accounts 1–2 of 2');
    await page.getByLabel('Account name contains').fill('RO');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL('**/accounts?q=RO');
    await eventually(async () => (await page.getByTestId('accounts-count').innerText()) === 'Accounts 1–1 of 1', 'search result');
    expect(await table.locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^root/)]);
    await expectAccessible(page, 'accounts (search)');
  });

  it("lists an account's sessions and ends one: its tokens stop working at once", async () => {
    await go('/accounts?user=dan');
    const sessions = page.getByTestId('account-sessions');
    await sessions.waitFor();
    expect(await sessions.locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('account-clients').innerText()).toContain(GUESSER);
    await screenshot(page, 'console-account-sessions');
    await expectAccessible(page, 'account panel');

    const family = danSessions[0]!.refresh_token.slice(0, 8);
    await page.getByRole('button', { name: `End session ${family}` }).click();
    await page.getByRole('button', { name: 'End session', exact: true }).click();
    await eventually(
      async () => (await page.getByTestId('account-feedback').innerText()).includes(`Ended session ${family} of dan`),
      'revoke feedback',
    );
    await eventually(async () => (await sessions.locator('tbody tr').count()) === 1, 'one session left');
    expect((await http(api.baseUrl, '/validate-token', { token: danSessions[0]!.access_token, from: DAN_HOME })).status).toBe(401);
    expect((await http(api.baseUrl, '/validate-token', { token: danSessions[1]!.access_token, from: DAN_HOME })).status).toBe(200);
  });

  it('gives the account a temporary password, shown once, and ends its sessions', async () => {
    await go('/accounts?user=dan');
    await page.getByTestId('account-sessions').waitFor();
    await page.getByRole('button', { name: 'Reset password of dan' }).click();
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    const shown = page.getByTestId('account-temporary-password');
    await shown.waitFor();
    const temporary = (await page.getByTestId('account-temporary-password-value').innerText()).trim();
    expect(temporary.length).toBeGreaterThanOrEqual(12);
    await eventually(async () => (await page.getByTestId('account-panel').innerText()).includes('No open sessions.'), 'sessions ended');
    const signInWithIt = await http(api.baseUrl, '/token', {
      form: { grant_type: 'password', username: 'dan', password: temporary },
      from: '127.0.0.92',
    });
    expect([signInWithIt.status, (signInWithIt.json as { must_change_password: boolean }).must_change_password]).toEqual([200, true]);
  });

  it('filters decisions by time left and extends the selected ones with one confirmation', async () => {
    await go('/decisions?q=127.50.0.0%2F24&left=1h&sort=client');
    const count = page.getByTestId('decisions-count');
    await eventually(async () => (await count.innerText()) === '1–2 of 2', 'two end within the hour', 20_000);
    expect(await page.getByLabel('Time left').inputValue()).toBe('1h');
    await screenshot(page, 'console-decisions-time-left');
    await expectAccessible(page, 'decisions (time left)');

    for (const client of ['127.50.0.1', '127.50.0.2']) await page.getByRole('checkbox', { name: `Select ${client}`, exact: true }).check();
    await page.getByLabel('Extend by').selectOption({ label: '24 hours' });
    await page.getByRole('button', { name: 'Extend selected (2)' }).click();
    // Nothing changes before the confirmation.
    expect(((await seed('/admin/decisions?q=127.50.0.0/24&expires_within=3600')).json as { total: number }).total).toBe(2);
    // One call for the whole selection.
    const posts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST' && r.url().includes('/admin/')) posts.push(new URL(r.url()).pathname);
    };
    page.on('request', onRequest);
    await page.getByRole('button', { name: 'Extend them' }).click();
    await eventually(
      async () => (await page.getByTestId('decisions-feedback').innerText()).includes('Extended 2 decisions by 24 hours.'),
      'extend feedback',
    );
    page.off('request', onRequest);
    expect(posts).toEqual(['/admin/decisions/bulk-extend']);
    expect(((await seed('/admin/decisions?q=127.50.0.0/24&expires_within=3600')).json as { total: number }).total).toBe(0);
    const reasons = ((await seed('/admin/decisions?q=127.50.0.0/24&sort=client')).json as { items: { reason: string }[] }).items;
    expect(reasons.map((d) => d.reason)).toEqual(['ends in 120 s', 'ends in 1800 s', 'ends in 7200 s']);
    await eventually(async () => (await count.innerText()) === '0 of 0', 'the list follows', 20_000);
  });

  it('adds an allow entry with a note and an expiry, and shows the decisions it overrides', async () => {
    await go('/lists');
    await page.getByTestId('lists-count').waitFor();
    await page.locator('#l-new-kind').selectOption('allow');
    await page.getByLabel('Address or range').fill(SCANNER);
    await page.getByLabel('Note', { exact: true }).fill('our uptime checker');
    await page.getByLabel('For', { exact: true }).selectOption({ label: '24 hours' });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await eventually(async () => (await page.getByTestId('lists-feedback').innerText()).includes(`Added ${SCANNER}`), 'add feedback');
    const row = page.locator(`[data-testid="lists-table"] tr[data-cidr="${SCANNER}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('our uptime checker');
    const entry = ((await seed('/admin/lists')).json as { cidr: string; expires_at: string | null }[]).find((e) => e.cidr === SCANNER);
    expect(Date.parse(entry?.expires_at ?? '') - Date.now()).toBeGreaterThan(23 * 3600_000);
    // Its suspicion stands: the entry overrides it.
    const overrides = page.getByTestId(`overrides-${SCANNER}`);
    await eventually(async () => (await overrides.innerText()).trim() === '1 decision', 'overrides counted', 15_000);
    await screenshot(page, 'console-lists-expiry');
    await expectAccessible(page, 'lists (expiry, overrides)');
    await overrides.getByRole('link').click();
    await page.waitForURL(`**/decisions?q=${SCANNER}`);
    await eventually(async () => (await page.getByTestId('decisions-count').innerText()) === '1–1 of 1', 'the overridden decision');
  });
});
