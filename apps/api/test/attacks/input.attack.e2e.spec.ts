import { chmod, lstat, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, type HttpResponse, strongPassword } from '@bouncer/testing';
import { startServer, type TestServer } from '../support/app';

const PROBLEM = 'application/problem+json';

function expectProblem(res: HttpResponse, status: number): void {
  expect({ status: res.status, type: String(res.headers['content-type']).split(';')[0] }).toEqual({ status, type: PROBLEM });
}

/** Every file and folder under `root` (itself included) with its permission bits. */
async function modes(root: string): Promise<{ path: string; dir: boolean; mode: number }[]> {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path);
    out.push({ path, dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return out;
}

describe('input attacks', () => {
  let server: TestServer;
  let admin: string;
  const req = (path: string, opts?: Parameters<typeof http>[2]) => http(server.url, path, opts);

  beforeAll(async () => {
    server = await startServer();
    admin = await server.adminToken();
  });
  afterAll(() => server.close(true));

  it('L2 deeply nested JSON is a 400 on every route, never a stack overflow', async () => {
    const arrays = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const objects = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    const cases: [string, string, string, string?][] = [
      ['POST', '/token', `{"username":${arrays(5000)},"password":"x"}`],
      ['POST', '/session', `{"username":${objects(2500)},"password":"x"}`],
      ['POST', '/admin/users', `{"username":${arrays(5000)},"password":"x","role":"user"}`, admin],
      ['POST', '/admin/blocks', `{"client":"198.51.100.9","duration_seconds":5,"reason":${objects(2500)}}`, admin],
      ['PATCH', '/admin/users/admin', `{"role":${objects(2500)}}`, admin],
    ];
    for (const [method, path, raw, token] of cases) {
      const res = await req(path, { method, raw, token, from: '127.0.20.1', headers: { 'content-type': 'application/json' } });
      expectProblem(res, 400);
      expect(res.json.detail).toMatch(/nested/);
    }
    // A reasonable body still works.
    expect((await req('/.well-known/jwks.json', { from: '127.0.20.1' })).status).toBe(200);
  });

  it('L3 a NUL byte anywhere (body, form, path, query, cookie) is a 400 before anything else happens', async () => {
    const from = '127.0.21.1';
    const cases: [string, Parameters<typeof http>[2]][] = [
      ['/token', { form: { username: 'ad\u0000min', password: 'xxxxxxxxxxxx' } }],
      ['/token', { form: { grant_type: 'refresh_token', refresh_token: 'a\u0000b.c' } }],
      ['/session', { body: { username: 'ad\u0000min', password: 'xxxxxxxxxxxx' } }],
      ['/session', { body: { username: 'admin', password: 'xxxxxxxxxxxx', ['k\u0000']: 1 } }],
      ['/admin/users/a%00b', { method: 'PATCH', body: { role: 'user' }, token: admin }],
      ['/admin/users/a%00b', { method: 'DELETE', token: admin }],
      ['/admin/users', { body: { username: 'nul\u0000user', password: strongPassword(), role: 'user' }, token: admin }],
      ['/admin/blocks?client=198.51.100.1%00', { method: 'DELETE', token: admin }],
      ['/admin/decisions?state=blocked&x=%00', { token: admin }],
      ['/me/password', { body: { current_password: 'a\u0000', new_password: strongPassword() }, token: admin }],
      ['/session/refresh', { method: 'POST', cookie: 'bn_refresh=a%00b.c' }],
    ];
    for (const [path, opts] of cases) {
      const res = await req(path, { ...opts, from });
      expectProblem(res, 400);
      expect(res.json.detail).toMatch(/NUL|cannot contain/i);
    }
    // The refused requests were not sign-in attempts: the admin still signs in from there.
    expect((await req('/token', { form: { username: 'admin', password: server.adminPassword }, from })).status).toBe(200);
  });

  it('L4 an admin action with a NUL in reason or note is refused and has no effect', async () => {
    const events = async () => (await req('/admin/events?limit=1000', { token: admin, from: '127.0.22.1' })).json.length as number;
    const before = await events();
    const block = await req('/admin/blocks', {
      body: { client: '127.0.22.77', duration_seconds: 600, reason: 'x\u0000y' },
      token: admin,
      from: '127.0.22.1',
    });
    expectProblem(block, 400);
    const list = await req('/admin/lists', {
      body: { kind: 'deny', cidr: '127.0.22.78/32', note: 'x\u0000y' },
      token: admin,
      from: '127.0.22.1',
    });
    expectProblem(list, 400);
    // Neither is enforced, listed nor recorded.
    expect((await req('/.well-known/jwks.json', { from: '127.0.22.77' })).status).toBe(200);
    expect((await req('/.well-known/jwks.json', { from: '127.0.22.78' })).status).toBe(200);
    const lists = await req('/admin/lists', { token: admin, from: '127.0.22.1' });
    expect(JSON.stringify(lists.json)).not.toContain('127.0.22.78');
    const decisions = await req('/admin/decisions?state=blocked', { token: admin, from: '127.0.22.1' });
    expect(JSON.stringify(decisions.json)).not.toContain('127.0.22.77');
    expect(await events()).toBe(before);
  });

  it('I3 a username mixing scripts (Cyrillic а in admin) is refused at creation', async () => {
    const from = '127.0.24.1';
    const password = strongPassword();
    const mixed = await req('/admin/users', { body: { username: '\u0430dmin', password, role: 'admin' }, token: admin, from });
    expectProblem(mixed, 400);
    expect(mixed.json.errors?.[0]?.message).toMatch(/script/);
    for (const username of ['пётр', 'ελένη', 'user-42', 'やまだ山田', 'josé.garcía']) {
      const ok = await req('/admin/users', { body: { username, password, role: 'user' }, token: admin, from });
      expect({ username, status: ok.status }).toEqual({ username, status: 201 });
    }
  });

  // Last: starting another server in this process re-registers passport's (process-wide) JWT strategy, so the
  // first server's tokens stop verifying from then on.
  it('L12 passwords are counted in code points, normalised with NFKC and checked for strength', async () => {
    const from = '127.0.23.1';
    const weak = ['😀😁😂🤣😃😄', 'abcdabcdabcd', '         abc', 'Password1234!', 'bouncer-bouncer-2026', 'carol-carol-carol-1'];
    for (const password of weak) {
      const res = await req('/admin/users', { body: { username: 'carol', password, role: 'user' }, token: admin, from });
      expectProblem(res, 400);
      expect(res.json.errors?.[0]?.field).toBe('password');
    }
    // Full-width letters are the same password as their plain forms.
    const res = await req('/admin/users', {
      body: { username: 'dave', password: 'Ｆｕｌｌ-Width-Otter-Lamp-73', role: 'user' },
      token: admin,
      from,
    });
    expect(res.status).toBe(201);
    expect((await req('/token', { form: { username: 'dave', password: 'Full-Width-Otter-Lamp-73' }, from })).status).toBe(200);
    expect((await req('/token', { form: { username: 'dave', password: 'Ｆｕｌｌ-Width-Otter-Lamp-73' }, from })).status).toBe(200);
    // The same policy holds for a new password.
    const daveToken = (await req('/token', { form: { username: 'dave', password: 'Full-Width-Otter-Lamp-73' }, from })).json.access_token;
    const change = await req('/me/password', {
      body: { current_password: 'Full-Width-Otter-Lamp-73', new_password: 'Password1234!' },
      token: daveToken,
      from,
    });
    expectProblem(change, 400);
    // And to ADMIN_PASSWORD on a first start.
    await expect(
      startServer({}, { dataDir: await mkdtemp(join(tmpdir(), 'bouncer-l12-')), adminPassword: 'Password1234!' }),
    ).rejects.toThrow(/ADMIN_PASSWORD/);
  });

  it('L10 the embedded database is 0600 files in 0700 folders, also when the folder was left open by an older version', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bouncer-l10-'));
    await chmod(dataDir, 0o755);
    const adminPassword = strongPassword();
    const first = await startServer({}, { dataDir, adminPassword });
    await first.close();
    let loose = (await modes(dataDir)).filter((e) => e.mode !== (e.dir ? 0o700 : 0o600));
    expect(loose.slice(0, 5)).toEqual([]);
    // As an older version left it: everything readable by every local user.
    for (const e of await modes(dataDir)) await chmod(e.path, e.dir ? 0o755 : 0o666);
    const second = await startServer({}, { dataDir, adminPassword });
    try {
      loose = (await modes(dataDir)).filter((e) => e.mode !== (e.dir ? 0o700 : 0o600));
      expect(loose.slice(0, 5)).toEqual([]);
    } finally {
      await second.close(true);
    }
  });
});
