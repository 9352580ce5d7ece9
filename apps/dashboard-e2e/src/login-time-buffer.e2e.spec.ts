import { startApi, type RunningApi } from './support/api-process';
import { launchBrowser, screenshot, type RunningBrowser } from './support/browser';
import { sleep } from '@bouncer/testing';

/**
 * A dedicated API process: the browser (127.0.0.1) fails logins until Bouncer answers
 * with a time buffer, and the login page counts the seconds down.
 */
describe('login page during a time buffer (real API + Chromium)', () => {
  let api: RunningApi;
  let browser: RunningBrowser;

  beforeAll(async () => {
    api = await startApi('buffer');
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it('warns before the pause, then shows the wait at once and counts it down', async () => {
    const { page } = browser;
    await page.goto(`${api.baseUrl}/login`);
    await page.getByLabel('Username').fill(api.adminUsername);

    const countdown = page.getByTestId('countdown');
    // What the page said after each wrong password: the warning (D15), or the countdown it started.
    const said: string[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel('Password').fill(`wrong-password-${attempt}`);
      const answer = page.waitForResponse((r) => r.url().endsWith('/session') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect((await answer).status()).toBe(401);
      await page.getByTestId('login-error').waitFor();
      const left = page.getByTestId('login-attempts-left');
      said.push((await left.count()) ? await left.innerText() : (await countdown.count()) ? 'countdown' : '');
    }
    // The 5th failure starts the 60 s buffer: the page counts it down without a 6th try.
    expect(said).toEqual(['', '', '2 attempts left before a 60 s pause.', '1 attempt left before a 60 s pause.', 'countdown']);

    await countdown.waitFor({ state: 'visible' });
    const wait = page.getByTestId('login-wait');
    expect((await wait.innerText()).length).toBeGreaterThan(10);
    const first = Number(await countdown.innerText());
    expect(first).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Sign in' }).isDisabled()).toBe(true);
    await screenshot(page, 'login-time-buffer');

    await sleep(2_200);
    const later = Number(await countdown.innerText());
    expect(later).toBeLessThan(first);
  });
});
