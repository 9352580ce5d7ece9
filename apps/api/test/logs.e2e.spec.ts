import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookiesFrom, http, startApiProcess } from '@bouncer/testing';

/** The built server at its chattiest log level: no password, token or cookie reaches the log. */
describe('logs', () => {
  it('never contain passwords, tokens or cookies, even at debug level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-logs-'));
    const password = 'Log-test-password-8842';
    let log = '';
    const api = await startApiProcess({
      env: { ...process.env, DATA_DIR: dir, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password, LOG_LEVEL: 'debug' },
      onOutput: (chunk) => (log += chunk),
    });
    try {
      const url = api.url;
      const pair = (await http(url, '/token', { form: { username: 'admin', password } })).json;
      await http(url, '/token', { form: { username: 'admin', password: 'Wrong-password-7731' } });
      await http(url, '/validate-token', { token: pair.access_token });
      await http(url, '/token', { form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token } });
      const session = await http(url, '/session', { body: { username: 'admin', password } });
      await http(url, '/session/refresh', { method: 'POST', cookie: cookiesFrom(session) });
      await new Promise((r) => setTimeout(r, 200));
      expect(log).toMatch(/"msg":"request completed"/); // requests are logged at debug ...
      for (const secret of [password, 'Wrong-password-7731', pair.access_token, pair.refresh_token, session.json.access_token]) {
        expect(log).not.toContain(secret); // ... but never what authenticates them
      }
      expect(log).not.toMatch(/bn_refresh=/);
    } finally {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
