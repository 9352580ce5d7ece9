import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PASSWORD_CHANGE_REQUIRED_TYPE } from '@bouncer/contracts';
import { ManualClock } from '@bouncer/detection/testing';
import { http, strongPassword } from '@bouncer/testing';
import { passwordPolicyViolation } from '../src/policy/password-policy';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { client, startServer, type TestServer } from './support/app';

/**
 * Issue #14 point 3 and #13 points 4, 8: an admin resets a user's password; the temporary one
 * is shown once and permits only the password change; the change gives back the session.
 * One in-process server on the embedded store.
 */
describe('password reset and "must change password at next sign-in"', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  const userPassword = strongPassword();

  beforeAll(async () => {
    server = await startServer();
    api = client(server);
    const created = await api('/admin/users', {
      token: await server.adminToken(),
      body: { username: 'rosa', password: userPassword, role: 'user' },
    });
    expect(created.status).toBe(201);
    expect(created.json.must_change_password).toBe(false);
  });
  afterAll(() => server?.close(true));

  const signIn = (password: string, from = '127.0.71.1') => api('/token', { form: { username: 'rosa', password }, from });

  it('resets: a strong temporary password once, no-store, old tokens and sessions end, audited; a restricted token follows', async () => {
    const before = await signIn(userPassword);
    expect(before.status).toBe(200);
    expect(before.json.must_change_password).toBe(false);
    expect((await api('/me', { token: before.json.access_token, from: '127.0.71.1' })).status).toBe(200);

    const admin = await server.adminToken();
    const reset = await api('/admin/users/rosa/password-reset', { method: 'POST', token: admin, body: {} });
    expect(reset.status).toBe(200);
    expect(reset.headers['cache-control']).toBe('no-store');
    expect(reset.json).toEqual({ username: 'rosa', temporary_password: expect.any(String), must_change_password: true });
    const temporary = reset.json.temporary_password as string;
    expect(passwordPolicyViolation(temporary, 'rosa')).toBeNull();

    // The old access token, the old refresh token and the old password all stop working.
    expect((await api('/me', { token: before.json.access_token, from: '127.0.71.1' })).status).toBe(401);
    const oldRefresh = await api('/token', {
      form: { grant_type: 'refresh_token', refresh_token: before.json.refresh_token },
      from: '127.0.71.1',
    });
    expect(oldRefresh.status).toBe(401);
    expect((await signIn(userPassword, '127.0.71.2')).status).toBe(401);

    const users = await api('/admin/users', { token: admin });
    expect(users.json.find((u: { username: string }) => u.username === 'rosa')).toMatchObject({ must_change_password: true });

    const events = await api('/admin/events?type=user.password-reset', { token: admin });
    expect(events.status).toBe(200);
    expect(events.json).toEqual([expect.objectContaining({ type: 'user.password-reset', actor: 'admin' })]);
    expect(JSON.stringify(events.json)).not.toContain(temporary);

    // Signing in with the temporary password: a token that permits only the change.
    const restricted = await signIn(temporary, '127.0.71.3');
    expect(restricted.status).toBe(200);
    expect(restricted.json.must_change_password).toBe(true);
    const token = restricted.json.access_token as string;
    const me = await api('/me', { token, from: '127.0.71.3' });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ username: 'rosa', must_change_password: true });
    for (const path of ['/validate-token', '/me/devices', '/dashboard-data']) {
      const refused = await api(path, { token, from: '127.0.71.3' });
      expect({ path, status: refused.status, type: refused.json?.type }).toEqual({
        path,
        status: 403,
        type: PASSWORD_CHANGE_REQUIRED_TYPE,
      });
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
    // A refresh keeps the restriction until the password is changed.
    const refreshed = await api('/token', {
      form: { grant_type: 'refresh_token', refresh_token: restricted.json.refresh_token },
      from: '127.0.71.3',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.must_change_password).toBe(true);
    expect((await api('/validate-token', { token: refreshed.json.access_token, from: '127.0.71.3' })).status).toBe(403);

    // Changing it: the same password again is refused, a new one lifts the restriction after a refresh.
    const same = await api('/me/password', {
      token: refreshed.json.access_token,
      from: '127.0.71.3',
      body: { current_password: temporary, new_password: temporary },
    });
    expect(same.status).toBe(400);
    expect(same.json.errors).toEqual([{ field: 'new_password', message: 'must differ from the current password' }]);
    const next = strongPassword();
    const changed = await api('/me/password', {
      token: refreshed.json.access_token,
      from: '127.0.71.3',
      body: { current_password: temporary, new_password: next },
    });
    expect(changed.status).toBe(204);
    // The restricted token died with the change; the session did not.
    expect((await api('/me', { token: refreshed.json.access_token, from: '127.0.71.3' })).status).toBe(401);
    const fresh = await api('/token', {
      form: { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token },
      from: '127.0.71.3',
    });
    expect(fresh.status).toBe(200);
    expect(fresh.json.must_change_password).toBe(false);
    const valid = await api('/validate-token', { token: fresh.json.access_token, from: '127.0.71.3' });
    expect(valid.status).toBe(200);
    expect((await api('/me', { token: fresh.json.access_token, from: '127.0.71.3' })).json.must_change_password).toBe(false);
    expect((await signIn(temporary, '127.0.71.4')).status).toBe(401);
    expect((await signIn(next, '127.0.71.4')).json.must_change_password).toBe(false);
  });

  it('a restricted admin token is refused on /admin and /metrics too; the browser session says must_change_password', async () => {
    const admin = await server.adminToken();
    const second = strongPassword();
    expect((await api('/admin/users', { token: admin, body: { username: 'ops2', password: second, role: 'admin' } })).status).toBe(201);
    const reset = await api('/admin/users/ops2/password-reset', { method: 'POST', token: admin });
    expect(reset.status).toBe(200);
    const session = await api('/session', {
      body: { username: 'ops2', password: reset.json.temporary_password },
      from: '127.0.71.5',
    });
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ username: 'ops2', role: 'admin', must_change_password: true });
    const token = session.json.access_token as string;
    const users = await api('/admin/users', { token, from: '127.0.71.5' });
    expect(users.status).toBe(403);
    expect(users.json.type).toBe(PASSWORD_CHANGE_REQUIRED_TYPE);
    expect((await api('/metrics', { token, from: '127.0.71.5' })).status).toBe(401);
    // Signing out stays open.
    expect((await api('/session', { method: 'DELETE', token, from: '127.0.71.5' })).status).toBe(204);
  });

  it('bad resets are clear 4xx: unknown user 404, own account 409, not an admin 403, anonymous 401', async () => {
    const admin = await server.adminToken();
    const unknown = await api('/admin/users/nobody-here/password-reset', { method: 'POST', token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    expect((await api('/admin/users/admin/password-reset', { method: 'POST', token: admin })).status).toBe(409);
    const userPw = strongPassword();
    await api('/admin/users', { token: admin, body: { username: 'plain', password: userPw, role: 'user' } });
    const plain = await api('/token', { form: { username: 'plain', password: userPw }, from: '127.0.71.6' });
    expect(
      (await api('/admin/users/rosa/password-reset', { method: 'POST', token: plain.json.access_token, from: '127.0.71.6' })).status,
    ).toBe(403);
    expect((await api('/admin/users/rosa/password-reset', { method: 'POST', from: '127.0.71.6' })).status).toBe(401);
  });
});

describe('a generated first admin password must be changed at the first sign-in', () => {
  let app: NestFastifyApplication;
  let dataDir: string;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bouncer-first-admin-'));
    // No ADMIN_PASSWORD: the first start generates one.
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', HEALING_INTERVAL: '3600' });
    app = await createApp(config, { clock: new ManualClock(Date.now()), print: (l) => lines.push(l) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs in restricted with the generated password; the change removes the file and lifts the restriction', async () => {
    const file = join(dataDir, 'initial-admin-password');
    const generated = (await readFile(file, 'utf8')).trim();
    expect(lines.join('\n')).toContain(generated);

    const signIn = await http(url, '/token', { form: { username: 'admin', password: generated }, from: '127.0.72.1' });
    expect(signIn.json.must_change_password).toBe(true);
    const token = signIn.json.access_token as string;
    expect((await http(url, '/admin/stats', { token, from: '127.0.72.1' })).json.type).toBe(PASSWORD_CHANGE_REQUIRED_TYPE);
    const next = strongPassword();
    const changed = await http(url, '/me/password', {
      token,
      from: '127.0.72.1',
      body: { current_password: generated, new_password: next },
    });
    expect(changed.status).toBe(204);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await http(url, '/token', { form: { username: 'admin', password: next }, from: '127.0.72.1' });
    expect(again.json.must_change_password).toBe(false);
    expect((await http(url, '/admin/stats', { token: again.json.access_token, from: '127.0.72.1' })).status).toBe(200);
  });
});
