import type { Page } from 'playwright-core';
import { eventually, http, sleep } from '@bouncer/testing';
import { startApi, type RunningApi } from './support/api-process';
import { expectAccessible } from './support/axe';
import { launchBrowser, screenshot, signIn, type RunningBrowser } from './support/browser';

/**
 * The overview's time range, refresh and zoom (issue #13 point 7), its busiest-clients chart and
 * attack summary (D9, D21), the one time format with the admin's zone, My account (D22) and the
 * read-only Settings (point 9), in real Chromium against the built API; axe-core on each, light and dark.
 */
describe('overview, time range and settings (real API + Chromium)', () => {
  let api: RunningApi;
  let browser: RunningBrowser;
  let page: Page;
  const GUESSER = '127.0.0.88';

  const query = () => new URL(page.url()).searchParams;

  beforeAll(async () => {
    api = await startApi('overview');
    browser = await launchBrowser({ bypassCSP: true });
    page = browser.page;
    await signIn(page, api.baseUrl, api.adminUsername, api.adminPassword);
    await page.waitForURL('**/dashboard');
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it("labels every busiest client, tags the admin's own address, and sums up the attack (D9, D21)", async () => {
    // Traffic from a few clients, and failed sign-ins at two accounts from one address.
    for (let i = 0; i < 30; i++) await http(api.baseUrl, '/validate-token', { from: `127.0.0.${20 + (i % 5)}` });
    for (const name of ['dave', 'root', 'dave', 'root', 'dave', 'dave']) {
      await http(api.baseUrl, '/token', { form: { grant_type: 'password', username: name, password: 'wrong-password-1' }, from: GUESSER });
    }
    await eventually(async () => (await page.getByTestId('attack-banner').count()) === 1, 'attack banner', 30_000);
    const banner = await page.getByTestId('attack-banner').innerText();
    expect(banner).toMatch(/Brute force \(failed sign-ins\) on accounts dave, root from 1 address/);
    await page.getByText('As a table').click();
    const table = await page.getByTestId('top-clients-table').innerText();
    expect(table).toContain('127.0.0.1 (you)');
    expect(table).toContain('127.0.0.20');
    // Latest events use human labels and name the target, not an actor.
    expect(await page.getByTestId('event-feed').innerText()).toMatch(/failed sign-in[\s\S]*target: (dave|root)/i);
    await screenshot(page, 'overview-attack');
    await expectAccessible(page, 'overview');
    await page.getByTestId('attack-addresses').click();
    await page.waitForURL(/\/decisions\?.*rule=failed-logins/);
  });

  it('labels the traffic chart with its unit and zone, and keeps the time range in the URL', async () => {
    await page.goto(`${api.baseUrl}/dashboard`);
    await eventually(async () => (await page.getByTestId('traffic-note').count()) === 1, 'traffic chart shown', 30_000);
    expect(await page.getByTestId('traffic-note').innerText()).toContain('One point counts 10 s');
    expect(await page.getByTestId('range-15m').getAttribute('aria-pressed')).toBe('true');
    // The server started for the first time moments ago: the chart says its history starts after the range does.
    expect(await page.getByTestId('history-marker').innerText()).toMatch(
      /^History since \d\d:\d\d: the server stores traffic from its first start/,
    );

    await page.getByTestId('range-24h').click();
    await page.waitForURL(/range=24h/);
    await eventually(async () => (await page.getByTestId('traffic-note').innerText()).includes('One point counts 5 min'), '5-min buckets');
    await page.getByTestId('range-7d').click();
    await eventually(async () => (await page.getByTestId('traffic-note').innerText()).includes('One point counts 1 h'), 'hour buckets');
    await page.getByTestId('range-1h').click();
    await eventually(async () => (await page.getByTestId('traffic-note').innerText()).includes('One point counts 1 min'), 'minute buckets');
    expect(query().get('range')).toBe('1h');
    // A link with the range opens the same view.
    await page.goto(`${api.baseUrl}/dashboard?range=24h&refresh=10`);
    await eventually(
      async () => (await page.getByTestId('range-24h').getAttribute('aria-pressed')) === 'true',
      'range from the URL',
      30_000,
    );
    expect(await page.getByTestId('refresh-every').inputValue()).toBe('10');
    await screenshot(page, 'overview-range-24h');
    await expectAccessible(page, 'overview 24 h');
  });

  it('zooms by dragging across the chart and with the buttons, into a custom range in the URL', async () => {
    await page.goto(`${api.baseUrl}/dashboard?range=1h`);
    await eventually(async () => (await page.getByTestId('traffic-note').count()) === 1, 'chart', 30_000);
    const box = (await page.getByTestId('traffic-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/since=/);
    const since = Date.parse(query().get('since')!);
    const until = Date.parse(query().get('until')!);
    expect(until - since).toBeGreaterThanOrEqual(60_000);
    expect(until - since).toBeLessThan(30 * 60_000);
    expect(await page.getByTestId('range-custom').getAttribute('aria-pressed')).toBe('true');
    await eventually(async () => (await page.getByTestId('traffic-note').innerText()).includes('One point counts'), 'zoomed chart');

    await page.getByTestId('zoom-out').click();
    await eventually(async () => Date.parse(query().get('until')!) - Date.parse(query().get('since')!) > until - since, 'zoomed out');

    // A custom range typed in the console's format; a bad one keeps focus on the field to fix.
    await page.getByTestId('range-since').fill('yesterday');
    await page.getByTestId('range-apply').click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('range-since');
    expect(await page.locator('#range-since-error').innerText()).toContain('YYYY-MM-DD HH:MM');
    await expectAccessible(page, 'overview custom range');
  });

  it('pauses polling and changes the refresh interval', async () => {
    await page.goto(`${api.baseUrl}/dashboard`);
    await eventually(async () => (await page.getByTestId('count-total').count()) === 1, 'overview', 30_000);
    await page.getByTestId('pause').click();
    await page.waitForURL(/paused=1/);
    expect(await page.getByTestId('range-shown').innerText()).toContain('paused');
    let polls = 0;
    const count = (r: { url(): string }) => {
      if (r.url().includes('/dashboard-data')) polls++;
    };
    page.on('request', count);
    await sleep(4500);
    expect(polls).toBe(0);
    await page.getByTestId('pause').click();
    await page.waitForURL((u) => !u.search.includes('paused'));
    await page.getByTestId('refresh-every').selectOption('5');
    await page.waitForURL(/refresh=5/);
    polls = 0;
    await sleep(5600);
    page.off('request', count);
    // One at once on the change, one 5 s later: not one every 2 s.
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(2);
  });

  it('shows every time in the zone and clock the admin chose (My account)', async () => {
    await page.goto(`${api.baseUrl}/account`);
    await page.getByTestId('time-zone').selectOption('Asia/Tokyo');
    await page.getByTestId('hour12').check();
    // Rendered on the next change detection, not within check()'s own wait.
    await eventually(
      async () =>
        /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (AM|PM), Asia\/Tokyo \(UTC\+09:00\)/.test(await page.getByTestId('time-example').innerText()),
      'the example in the chosen zone and clock',
      10_000,
    );
    // The choice lasts across a reload and reaches the sign-in table and the overview.
    await page.reload();
    await eventually(async () => (await page.getByTestId('sign-ins').count()) === 1, 'sign-ins', 30_000);
    expect(await page.getByTestId('sign-ins').innerText()).toMatch(/(AM|PM)/);
    expect(await page.getByTestId('this-device').count()).toBe(1);
    expect(await page.getByTestId('sign-ins').innerText()).toContain('Headless Chrome');
    await screenshot(page, 'account-time-preferences');
    await expectAccessible(page, 'my account');
    await page.goto(`${api.baseUrl}/dashboard`);
    await eventually(
      async () => (await page.getByTestId('range-shown').innerText()).includes('Asia/Tokyo'),
      'zone on the overview',
      30_000,
    );
    await page.goto(`${api.baseUrl}/account`);
    await page.getByTestId('time-zone').selectOption('');
    await page.getByTestId('hour12').uncheck();
  });

  it('shows the stores, their health and the route classes on Settings (point 9)', async () => {
    await page.goto(`${api.baseUrl}/settings`);
    await eventually(async () => (await page.getByTestId('stores-health').count()) === 1, 'stores', 30_000);
    const stores = await page.getByTestId('stores-health').innerText();
    expect(stores).toContain('Embedded (PGlite, in DATA_DIR): reachable');
    expect(stores).toMatch(/Shared store\s+None/);
    expect(stores).toMatch(/Fallback\s+none in use/);
    await eventually(async () => (await page.getByTestId('policy-table').count()) === 1, 'policy', 30_000);
    expect(await page.getByTestId('policy-table').innerText()).toMatch(
      /default[\s\S]*everything else[\s\S]*public[\s\S]*global rules only/,
    );
    await screenshot(page, 'settings');
    await expectAccessible(page, 'settings');
  });
});
