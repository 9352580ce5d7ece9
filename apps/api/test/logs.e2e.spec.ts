import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cookiesFrom, freePort, http } from '@bouncer/testing';

/** The built server at its chattiest log level: no password, token or cookie reaches the log. */
describe('logs', () => {
  it('never contain passwords, tokens or cookies, even at debug level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-logs-'));
    const password = 'Log-test-password-8842';
    const port = await freePort();
    const child = spawn(process.execPath, [resolve(__dirname, '../../../dist/apps/api/main.js')], {
      env: { ...process.env, PORT: String(port), DATA_DIR: dir, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password, LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 100 && !/listening on/.test(log); i++) await new Promise((r) => setTimeout(r, 100));
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
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
