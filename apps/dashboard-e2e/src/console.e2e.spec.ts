import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { eventually, http, strongPassword } from '@bouncer/testing';
import { adminSeeder, type AdminSeeder, startApi, type RunningApi } from './support/api-process';
import { expectAccessibleAsShown } from './support/axe';
import { goInApp, launchBrowser, screenshot, signIn, type RunningBrowser } from './support/browser';

/**
 * The console (dashboard v2) in real Chromium against the built API: each page by its deep
 * link, each action, axe-core on each page, and the task an admin must manage with the
 * keyboard alone: find one client among 1,000 decisions, see why, lift it, export the audit log.
 */
describe('console (real API + Chromium)', () => {
  let api: RunningApi;
  let browser: RunningBrowser;
  let page: Page;
  let seed: AdminSeeder;
  /** The seeder: allowlisted, so its 1,000 admin calls are not themselves a flood. */
  const SEEDER = '127.0.0.3';
  const ATTACKER = '127.0.0.77';
  const GUESSER = '127.0.0.78';
  const SEEDED = 1000;
  const seedAddress = (i: number) => `127.60.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const carolPassword = strongPassword();
  /** A time after carol's failed sign-ins: an Accounts range from then does not count them. */
  let afterCarol = '';

  const go = (path: string) => goInApp(page, path);

  beforeAll(async () => {
    api = await startApi('console', { ALLOWLIST: `${SEEDER}/32` });
    seed = await adminSeeder(api, SEEDER);
    // 1,000 admin blocks, ten at a time.
    const started = Date.now();
    for (let i = 0; i < SEEDED; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          seed('/admin/blocks', { client: seedAddress(i + k), duration_seconds: 7200, reason: `seeded ${i + k}` }),
        ),
      );
      expect(batch.map((r) => r.status)).toEqual(Array(10).fill(201));
    }
    console.log(`seeded ${SEEDED} blocks in ${Date.now() - started} ms`);
    // Failed sign-ins against carol (the Accounts page), from their own address.
    for (let i = 0; i < 6; i++) {
      await http(api.baseUrl, '/token', {
        form: { grant_type: 'password', username: 'carol', password: 'wrong-password-1' },
        from: GUESSER,
      });
    }
    afterCarol = new Date().toISOString();
    // A scanner: 16 answers 404 make it suspicious (rule probing: 70 % of 20), then an admin blocks it.
    for (let i = 0; i < 16; i++) await http(api.baseUrl, `/wp-admin/${i}.php`, { from: ATTACKER });
    expect((await seed('/admin/blocks', { client: ATTACKER, duration_seconds: 7200, reason: 'scanning for admin pages' })).status).toBe(
      201,
    );
    expect((await seed('/admin/users', { username: 'carol', password: carolPassword, role: 'user' })).status).toBe(201);

    browser = await launchBrowser({ bypassCSP: true });
    page = browser.page;
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it('gives a signed-in admin the navigation, the overview, and no layout shift while polling', async () => {
    await signIn(page, api.baseUrl, api.adminUsername, api.adminPassword);
    await page.waitForURL('**/dashboard');
    const nav = page.getByRole('navigation', { name: 'Console' });
    for (const label of ['Overview', 'Decisions', 'Clients', 'Accounts', 'Lists', 'Audit', 'Users', 'Settings', 'My account']) {
      expect(await nav.getByRole('link', { name: label, exact: true }).count()).toBe(1);
    }
    expect(await nav.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    await page.getByTestId('count-blocked').waitFor();
    await eventually(async () => Number(await page.getByTestId('count-blocked').innerText()) >= SEEDED, 'blocked counter', 30_000);
    expect(await page.getByTestId('overview-blocked-shown').innerText()).toMatch(/^1–25 of 100\d, newest first\./);

    // Cumulative layout shift over 3 polls (2 s each) once the page has settled.
    const shift = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let sum = 0;
          new PerformanceObserver((list) => {
            for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[])
              if (!e.hadRecentInput) sum += e.value;
          }).observe({ type: 'layout-shift', buffered: false });
          setTimeout(() => resolve(sum), 6500);
        }),
    );
    console.log(`overview layout shift over 6.5 s of polling: ${shift.toFixed(4)}`);
    expect(shift).toBeLessThan(0.01);
    await screenshot(page, 'console-overview');
    await expectAccessibleAsShown(page, 'overview');
  });

  it("pages the overview's blocked table on the server, with the pager (keyboard) and by a link", async () => {
    await go('/dashboard');
    const shown = page.getByTestId('overview-blocked-shown');
    const showing = (rows: RegExp) => eventually(async () => rows.test(await shown.innerText()), `blocked ${rows}`, 20_000);
    await showing(/^1–25 of/);
    const rows = page.locator('[data-testid="blocked-table"] tbody tr');
    const clients = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-client')));
    const firstPage = await clients();
    expect(firstPage).toHaveLength(25);
    const pager = page.getByRole('navigation', { name: 'Pages of blocked clients' });
    expect(await pager.innerText()).toMatch(/Page 1 of 4\d/);

    // Keyboard: focus Next and press Enter; the page goes in the URL and the server answers rows 26-50.
    await pager.getByRole('button', { name: 'Next' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/[?&]blockedPage=2(&|$)/);
    await showing(/^26–50 of 100\d/);
    const secondPage = await clients();
    expect(secondPage).toHaveLength(25);
    expect(secondPage.filter((c) => firstPage.includes(c))).toEqual([]);
    // The same rows as the API's second page of blocked decisions, newest first.
    const api2 = (await seed('/admin/decisions?state=blocked&page=2&page_size=25')).json as { items: { client: string }[] };
    expect(secondPage).toEqual(api2.items.map((d) => d.client));
    await screenshot(page, 'console-overview-page-2');
    await expectAccessibleAsShown(page, 'overview, blocked page 2');

    // A link opens the same view: page 3 of the blocked, the suspicious table on its first page.
    await page.goto(`${api.baseUrl}/dashboard?blockedPage=3`);
    await showing(/^51–75 of 100\d/);
    expect(await pager.innerText()).toMatch(/Page 3 of/);
    expect(await page.getByTestId('overview-suspicious-shown').innerText()).toMatch(/^(1–\d+ of \d+, newest first|None)\./);
    // A page past the end moves to the last one, in place.
    await page.goto(`${api.baseUrl}/dashboard?blockedPage=999`);
    await page.waitForURL(/[?&]blockedPage=4\d(&|$)/);
    await showing(/^\d+–100\d of 100\d/);
  });

  it('lets the keyboard alone find one client among 1,000 decisions, see why, and lift it', async () => {
    await go('/decisions');
    await page.getByTestId('decisions-count').filter({ hasText: 'of' }).waitFor();
    // The seeded blocks, the scanner and the guesser (suspicious): as many as the API counts, never capped.
    const total = ((await seed('/admin/decisions?one_per_client=true&page_size=1')).json as { total: number }).total;
    expect(total).toBeGreaterThanOrEqual(SEEDED + 1);
    expect(await page.getByTestId('decisions-count').innerText()).toBe(`1–50 of ${total}`);
    await screenshot(page, 'console-decisions');
    await expectAccessibleAsShown(page, 'decisions');

    // Keyboard only from here: the search field, Enter, Tab to the address link, Enter.
    await page.getByLabel('Address or CIDR').focus();
    await page.keyboard.type(ATTACKER);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/decisions?q=${ATTACKER}`);
    await eventually(async () => (await page.getByTestId('decisions-count').innerText()) === '1–1 of 1', 'one match', 15_000);
    const row = page.locator(`[data-testid="decisions-table"] tr[data-client="${ATTACKER}"]`);
    expect(await row.count()).toBe(1); // blocked and suspicious: one row
    expect(await row.innerText()).toMatch(/Also suspicious/);

    let onLink = false;
    for (let i = 0; i < 40 && !onLink; i++) {
      await page.keyboard.press('Tab');
      onLink = await page.evaluate((c) => document.activeElement?.getAttribute('data-client-link') === c, ATTACKER);
    }
    expect(onLink).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/clients/${ATTACKER}`);
    await page.getByTestId('client-reason').first().waitFor();
    expect(await page.getByTestId('client-state').innerText()).toMatch(/blocked/i);
    expect(await page.getByTestId('client-reason').first().innerText()).toMatch(/scanning for admin pages/);
    expect(await page.getByTestId('client-state').innerText()).toMatch(/Suspicious because/i);
    await page.getByTestId('client-events').waitFor();
    // Events read as human labels (D13): "Blocked", "Marked suspicious", not decision.blocked.
    expect(await page.getByTestId('client-events').innerText()).toMatch(/blocked|marked suspicious/i);
    expect(await page.getByTestId('client-history').innerText()).toMatch(/\bblocked\b/i);
    await screenshot(page, 'console-client');
    await expectAccessibleAsShown(page, 'client');

    await page.getByRole('button', { name: 'Lift the block' }).focus();
    await page.keyboard.press('Enter');
    await eventually(
      async () => (await page.getByTestId('client-feedback').innerText()).includes(`Lifted the block on ${ATTACKER}`),
      'lift feedback',
    );
    const health = await http(api.baseUrl, '/health/ready', { from: ATTACKER });
    expect(health.status).not.toBe(403);
    const me = await http(api.baseUrl, '/me', { from: ATTACKER });
    expect(me.status).toBe(401); // no longer refused as blocked (403); simply not signed in
  });

  it('keeps every filter, sort and page in the URL, so a link shows the same view', async () => {
    await page.goto(`${api.baseUrl}/decisions?state=blocked&sort=client&page=2&size=25`);
    await eventually(async () => (await page.getByTestId('decisions-count').innerText()).startsWith('26–50 of'), 'page 2 of 25', 20_000);
    expect(await page.getByLabel('State').inputValue()).toBe('blocked');
    expect(await page.getByLabel('Per page').inputValue()).toBe('25');
    const firstClient = await page.locator('[data-testid="decisions-table"] tbody tr').first().getAttribute('data-client');
    // Numeric address order, as the API pages it (127.0.0.77 first, then 127.60.0.1, ... 127.60.0.9, 127.60.0.10).
    const expected = (
      (await seed('/admin/decisions?state=blocked&sort=client&page=2&page_size=25&one_per_client=true')).json as {
        items: { client: string }[];
      }
    ).items[0]?.client;
    expect(firstClient).toBe(expected);
    expect(firstClient).toMatch(/^127\.60\.0\.2[4-6]$/); // 24, 25 or 26: earlier tests lift the scanner and some seeds
    expect(await page.locator('th[aria-sort="ascending"]').innerText()).toMatch(/client/i);

    // A bad address: the server's reason beside the field, the input kept.
    await page.getByLabel('Address or CIDR').fill('999.1.1.1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#f-q-error').waitFor();
    expect(await page.locator('#f-q-error').innerText()).toMatch(/not an IP address/);
    expect(await page.getByLabel('Address or CIDR').inputValue()).toBe('999.1.1.1');
  });

  it('lifts many decisions with one confirmation', async () => {
    await page.goto(`${api.baseUrl}/decisions?q=127.60.3.0%2F24&sort=client`);
    await eventually(async () => (await page.getByTestId('decisions-count').innerText()) === '1–50 of 250', 'range search', 20_000);
    for (const i of [750, 751, 752]) await page.getByRole('checkbox', { name: `Select ${seedAddress(i)}`, exact: true }).check();
    await page.getByRole('button', { name: 'Lift selected (3)' }).click();
    // Nothing happens before the confirmation.
    expect(((await seed(`/admin/decisions?q=${seedAddress(750)}`)).json as { total: number }).total).toBe(1);
    await page.getByRole('button', { name: 'Lift them' }).click();
    await eventually(
      async () => (await page.getByTestId('decisions-feedback').innerText()).includes('Lifted 3 decisions.'),
      'bulk feedback',
    );
    expect(((await seed(`/admin/decisions?q=127.60.3.0/24`)).json as { total: number }).total).toBe(247);
    await page.reload();
    await eventually(async () => (await page.getByTestId('decisions-count').innerText()) === '1–50 of 247', 'count after lift', 20_000);
  });

  it('denies and un-denies a client from its page, confirming each', async () => {
    const client = '127.0.0.88';
    await go(`/clients/${client}`);
    await page.getByTestId('client-state').filter({ hasText: 'normal' }).waitFor();
    await page.getByRole('button', { name: 'Denylist' }).click();
    await page.getByRole('button', { name: 'Deny', exact: true }).click();
    await eventually(async () => (await page.getByTestId('client-feedback').innerText()).includes('to the denylist'), 'deny feedback');
    await page.getByTestId('client-list-entry').waitFor();
    expect((await http(api.baseUrl, '/me', { from: client })).status).toBe(403);

    await go('/lists?kind=deny');
    // A single address is stored as the address (its /32 is implied).
    await page.locator(`[data-testid="lists-table"] tr[data-cidr="${client}"]`).waitFor();
    expect(await page.getByTestId('lists-count').innerText()).toMatch(/^1 of \d+ entries$/);
    await screenshot(page, 'console-lists');
    await expectAccessibleAsShown(page, 'lists');
    await page.getByRole('button', { name: `Remove ${client} from the denylist` }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await eventually(async () => (await page.getByTestId('lists-feedback').innerText()).includes(`Removed ${client}`), 'remove feedback');
    expect((await http(api.baseUrl, '/me', { from: client })).status).toBe(401);
  });

  it('filters the audit log in the URL, pages it, and exports it as CSV and JSON Lines', async () => {
    await page.goto(`${api.baseUrl}/audit?type=decision.&range=1h`);
    await page.getByTestId('audit-table').waitFor();
    expect(await page.getByLabel('Action (type or prefix)').inputValue()).toBe('decision.');
    expect(await page.locator('[data-testid="audit-table"] tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.waitForURL(/cursor=/);
    await page.getByTestId('audit-table').waitFor();
    await screenshot(page, 'console-audit');
    await expectAccessibleAsShown(page, 'audit');

    // Keyboard: focus the export button and press Enter.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('button', { name: 'Export CSV' })
        .focus()
        .then(() => page.keyboard.press('Enter')),
    ]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    expect(csvText.startsWith('id,at,type,client,actor,detail')).toBe(true);
    expect(csvText.split('\r\n').filter((l) => l.includes('decision.blocked')).length).toBeGreaterThanOrEqual(SEEDED);
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON Lines' }).click()]);
    const lines = readFileSync(await jsonl.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines.every((l) => (JSON.parse(l) as { type: string }).type.startsWith('decision.') || l.includes('audit.exported'))).toBe(true);
  });

  it('changes a role only on an explicit, confirmed save', async () => {
    await go('/users');
    const row = page.locator('tr[data-user="carol"]');
    await row.waitFor();
    const select = row.getByLabel('Role of carol', { exact: true });
    await select.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Tab');
    // Arrow keys and focus changes sent nothing.
    const users = (await seed('/admin/users')).json as { username: string; role: string }[];
    expect(users.find((u) => u.username === 'carol')?.role).toBe('user');
    const newRole = await select.inputValue();
    expect(newRole).toBe('admin');
    await row.getByRole('button', { name: 'Save role of carol' }).click();
    await row.getByRole('button', { name: 'Make admin' }).click();
    await eventually(async () => (await row.innerText()).includes('carol is now admin.'), 'role feedback next to the row');
    await screenshot(page, 'console-users');
    await expectAccessibleAsShown(page, 'users');
  });

  it('shows the settings and accounts pages, accessible', async () => {
    await go('/settings');
    await page.getByTestId('rules-table').waitFor();
    expect(await page.getByTestId('rules-table').innerText()).toContain('request-rate');
    await screenshot(page, 'console-settings');
    await expectAccessibleAsShown(page, 'settings');
    await go('/accounts');
    await page.getByTestId('accounts-table').waitFor();
    expect(await page.getByTestId('accounts-table').innerText()).toContain('carol');
    expect(await page.getByTestId('range-24h').getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'console-accounts');
    await expectAccessibleAsShown(page, 'accounts');

    // The time range: a named one in the URL, then a custom window (From and To, both sent to the API).
    const asked: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (new URL(r.url()).pathname === '/admin/accounts') asked.push(r.url());
    };
    page.on('request', onRequest);
    await page.getByTestId('range-1h').click();
    await page.waitForURL(/\/accounts\?range=1h$/);
    await eventually(async () => (await page.getByTestId('accounts-title').innerText()).endsWith('last 1 h'), '1 h heading');
    expect(await page.getByTestId('accounts-table').innerText()).toContain('carol');
    const since1h = Date.parse(new URL(asked.at(-1)!).searchParams.get('since')!);
    expect(Math.abs(Date.now() - 3_600_000 - since1h)).toBeLessThan(60_000);

    await page.getByTestId('range-custom').click();
    await page.locator('#custom-range').waitFor();
    expect(await page.locator('#custom-range label').allInnerTexts()).toEqual(['From', 'To']);
    // The field holds the shown range's start; shown as is, it becomes a custom range in the URL.
    await page.getByTestId('range-apply').click();
    await page.waitForURL(/\/accounts\?since=[^&]+&until=[^&]+$/);
    expect(new URL(asked.at(-1)!).searchParams.get('until')).not.toBeNull();
    expect(await page.getByTestId('range-custom').getAttribute('aria-pressed')).toBe('true');
    await eventually(async () => (await page.getByTestId('accounts-title').innerText()).includes(' – '), 'custom heading');
    expect(await page.getByTestId('accounts-table').innerText()).toContain('carol');
    await expectAccessibleAsShown(page, 'accounts, custom range');
    page.off('request', onRequest);

    // A link with a window after carol's failures: they are not counted.
    const anHourOn = new Date(Date.parse(afterCarol) + 3_600_000).toISOString();
    await page.goto(`${api.baseUrl}/accounts?since=${encodeURIComponent(afterCarol)}&until=${encodeURIComponent(anHourOn)}`);
    await page
      .getByTestId('accounts-count')
      .filter({ hasText: /Accounts|No accounts/ })
      .waitFor();
    expect(await page.getByTestId('accounts-title').innerText()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await page.locator('[data-testid="accounts-table"] a', { hasText: /^carol$/ }).count()).toBe(0);
    await go('/clients');
    await page.getByLabel('Address or range').fill('127.0.0.77');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/clients/127.0.0.77');
    await expectAccessibleAsShown(page, 'clients');
  });

  it('gives every admin a My account page with the password rules up front and live strength', async () => {
    await go('/account');
    await page.getByText('At least 12 characters').waitFor();
    // Its own sessions, this browser's marked (D22, point 8).
    await page.getByTestId('this-session').waitFor();
    await page.getByLabel('New password', { exact: true }).fill('password');
    await eventually(async () => /Strength: (very weak|weak)/.test(await page.getByTestId('pw-strength').innerText()), 'weak', 20_000);
    await page.getByLabel('New password', { exact: true }).fill(strongPassword());
    await eventually(async () => /\(acceptable\)/.test(await page.getByTestId('pw-strength').innerText()), 'acceptable', 20_000);
    await screenshot(page, 'console-my-account');
    await expectAccessibleAsShown(page, 'my account');
    await page.getByLabel('New password', { exact: true }).fill('');
  });

  it('is usable at 360 px, and dark when the system is dark or the switch says so', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await go('/decisions');
    await page.getByTestId('decisions-table').waitFor();
    // Nothing wider than the screen; on failure, the elements that stick out.
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = Array.from(document.querySelectorAll('body *'))
        .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-wrap, .app-nav'))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id} right=${Math.round(e.getBoundingClientRect().right)}`);
      return { by: document.documentElement.scrollWidth - width, wide };
    });
    expect(overflow).toEqual({ by: 0, wide: [] });
    await screenshot(page, 'console-decisions-360');

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    const luminance = async () => {
      const m = /(\d+), (\d+), (\d+)/.exec(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor));
      return m ? (Number(m[1]) + Number(m[2]) + Number(m[3])) / 3 : -1;
    };
    expect(await luminance()).toBeLessThan(60);
    await screenshot(page, 'console-decisions-dark');
    await expectAccessibleAsShown(page, 'decisions (dark)');
    // The switch: system -> dark -> light; light wins over the dark system.
    await page.getByTestId('theme-switch').click();
    await page.getByTestId('theme-switch').click();
    expect(await page.evaluate(() => document.documentElement.getAttribute('data-theme'))).toBe('light');
    expect(await luminance()).toBeGreaterThan(200);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('resets a password, shows it once, and takes the user to a change they cannot skip', async () => {
    await go('/users');
    const row = page.locator('tr[data-user="carol"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Reset password of carol' }).click();
    await row.getByRole('button', { name: 'Reset', exact: true }).click();
    const shown = page.getByTestId('temporary-password');
    await shown.waitFor();
    const temporary = (await shown.locator('code').innerText()).trim();
    expect(temporary.length).toBeGreaterThanOrEqual(12);
    await eventually(async () => /must change password/i.test(await row.innerText()), 'flag shown');
    await screenshot(page, 'console-users-reset');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL('**/login');
    await signIn(page, api.baseUrl, 'carol', temporary);
    await page.waitForURL('**/change-password');
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await screenshot(page, 'console-forced-password-change');
    await expectAccessibleAsShown(page, 'forced password change');
    // Not skippable: another page leads back here.
    await go('/decisions');
    await page.waitForURL('**/change-password');

    const mine = strongPassword();
    await page.getByLabel('Current (temporary) password').fill(temporary);
    await page.getByLabel('New password', { exact: true }).fill(mine);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL('**/dashboard');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    const signInAgain = await http(api.baseUrl, '/token', {
      form: { grant_type: 'password', username: 'carol', password: mine },
      from: '127.0.0.5',
    });
    expect(signInAgain.status).toBe(200);
    expect((signInAgain.json as { must_change_password: boolean }).must_change_password).toBe(false);
  });
});
