import type { Page } from 'playwright-core';
import { eventually, http, sleep, strongPassword } from '@bouncer/testing';
import { startApi, type RunningApi } from './support/api-process';
import { launchBrowser, paintedPixels, screenshot, signIn, type RunningBrowser } from './support/browser';

/**
 * One API process: the admin works in the browser (from 127.0.0.1) while the test
 * sends traffic from other loopback addresses, each a distinct client.
 */
describe('admin dashboard (real API + Chromium)', () => {
  let api: RunningApi;
  /** `POST /token` with the OAuth2 password grant, form-encoded (the original's client flow). */
  const passwordGrant = (username: string, password: string, from: string) =>
    http(api.baseUrl, '/token', { form: { grant_type: 'password', username, password }, from });
  let browser: RunningBrowser;
  let page: Page;
  let trafficOn = false;
  let traffic: Promise<void> = Promise.resolve();

  const ATTACKER = '127.0.0.77';

  beforeAll(async () => {
    api = await startApi('admin');
    browser = await launchBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    trafficOn = false;
    await traffic;
    await browser?.close();
    await api?.stop();
  });

  /** Background traffic from 127.0.0.10-15: health checks and unauthenticated calls. */
  function startTraffic(): void {
    trafficOn = true;
    traffic = (async () => {
      let i = 0;
      while (trafficOn) {
        const addr = `127.0.0.${10 + (i % 6)}`;
        const path = i % 3 === 0 ? '/validate-token' : '/health';
        await http(api.baseUrl, path, { from: addr }).catch(() => undefined);
        i++;
        await sleep(60);
      }
    })();
  }

  const text = (testId: string) => page.getByTestId(testId).innerText();

  it('sends anonymous visitors to the login page', async () => {
    await page.goto(`${api.baseUrl}/dashboard`);
    await page.waitForURL('**/login');
    expect(await page.getByRole('heading', { name: 'Sign in to Bouncer' }).isVisible()).toBe(true);
  });

  it('shows live numbers and drawn charts to a signed-in admin', async () => {
    await signIn(page, api.baseUrl, api.adminUsername, api.adminPassword);
    await page.waitForURL('**/dashboard');
    expect(await page.getByTestId('header-user').innerText()).toContain('admin');

    startTraffic();
    await eventually(async () => Number(await text('count-total')) >= 3, 'at least 3 clients tracked', 30_000);
    await eventually(async () => Number(await text('count-rpm')) > 0, 'requests per minute > 0', 30_000);
    await eventually(
      async () => {
        const pixels = await paintedPixels(page);
        return pixels.length >= 2 && pixels.every((n) => n > 0);
      },
      'both charts drawn',
      30_000,
    );
    expect(await page.getByTestId('stale-badge').count()).toBe(0);
    await screenshot(page, 'admin-dashboard');
  });

  it('shows a client that failed six logins as blocked, with a countdown', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await passwordGrant('nobody', 'wrong-password', ATTACKER)).status);
    }
    // Failures (401), then the time buffer (429) or the block (403).
    expect(statuses[0]).toBe(401);
    expect(statuses.some((s) => s === 429 || s === 403)).toBe(true);

    const row = page.locator(`[data-testid="blocked-table"] tr[data-client="${ATTACKER}"]`);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await row.innerText()).toMatch(/failed|login/i);

    const seconds = async () => {
      const t = await row.getByTestId('remaining').innerText();
      const m = /(?:(\d+) m )?(\d+) s/.exec(t);
      return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : NaN;
    };
    const first = await seconds();
    expect(first).toBeGreaterThan(0);
    await sleep(2_500);
    const later = await seconds();
    expect(later).toBeLessThan(first);
    expect(await page.getByTestId('count-blocked').innerText()).not.toBe('0');
    await screenshot(page, 'admin-blocked-client');
  });

  it('lets the admin unblock that client from the table', async () => {
    await page.getByRole('button', { name: `Unblock ${ATTACKER}` }).click();
    const row = page.locator(`[data-testid="blocked-table"] tr[data-client="${ATTACKER}"]`);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.getByTestId('action-status').innerText()).toContain(`Unblocked ${ATTACKER}`);
    // Still gone after the next polls (the server really lifted it).
    await sleep(4_500);
    expect(await row.count()).toBe(0);
    const health = await http(api.baseUrl, '/health', { from: ATTACKER });
    expect(health.status).toBe(200);
    await screenshot(page, 'admin-after-unblock');
  });

  it('signs a user in to the user home, never the dashboard', async () => {
    trafficOn = false;
    await traffic;

    // The admin creates the user through the API, from its own address.
    const grant = await passwordGrant(api.adminUsername, api.adminPassword, '127.0.0.3');
    expect(grant.status).toBe(200);
    const adminToken = (grant.json as { access_token: string }).access_token;
    const userPassword = strongPassword();
    const created = await http(api.baseUrl, '/admin/users', {
      body: { username: 'bob', password: userPassword, role: 'user' },
      from: '127.0.0.3',
      token: adminToken,
    });
    expect({ status: created.status, body: created.status < 300 ? '' : created.text }).toEqual({
      status: created.status < 300 ? created.status : 201,
      body: '',
    });

    // Sign the admin out from the header, then sign in as the user.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL('**/login');
    await signIn(page, api.baseUrl, 'bob', userPassword);
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: /Welcome back, bob/ }).waitFor();
    expect(await page.locator('bn-mascot svg').count()).toBe(1);
    const signIns = page.getByTestId('sign-ins');
    await signIns.waitFor();
    expect(await signIns.innerText()).toContain('127.0.0.1');
    await screenshot(page, 'user-home');

    // A user who opens /dashboard lands on /home (full reload: session restored from the cookie).
    await page.goto(`${api.baseUrl}/dashboard`);
    await page.waitForURL('**/home');
    expect(await page.getByTestId('header-user').innerText()).toContain('bob');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL('**/login');
  });
});
