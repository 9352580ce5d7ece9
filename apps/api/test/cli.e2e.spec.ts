import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ApiProcess, http, startApiProcess, strongPassword } from '@bouncer/testing';

/**
 * Issue #14 points 3 and 5: the `bouncer` command line against a running server, and the audit
 * API it reads. The built server (`npx nx build api`) and the built CLI (dist/apps/api/cli.js),
 * each a process of its own, as an operator runs them.
 */

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'dist/apps/api/cli.js');

function processEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of [
    'ADMIN_PASSWORD',
    'ADMIN_USERNAME',
    'DATABASE_URL',
    'REDIS_URL',
    'LOG_LEVEL',
    'JWT_PRIVATE_KEY_FILE',
    'BOUNCER_TOKEN',
    'BOUNCER_URL',
  ])
    delete env[k];
  return { ...env, ...extra };
}

/** Runs the built CLI to its exit (`via: 'npx'`: as `npx bouncer …` in the workspace, through package.json's bin). */
function bouncer(
  args: string[],
  env: Record<string, string>,
  via: 'node' | 'npx' = 'node',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const [command, argv] = via === 'npx' ? ['npx', ['--no-install', 'bouncer', ...args]] : [process.execPath, [CLI, ...args]];
    const child = spawn(command, argv, { cwd: ROOT, env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('bouncer CLI against a running server (built processes)', () => {
  const password = 'Cli-test-password-8841';
  let dir: string;
  let server: ApiProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bouncer-cli-'));
    server = await startApiProcess({
      env: processEnv({ DATA_DIR: dir, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: password, LOG_LEVEL: 'warn' }),
      probeFrom: '127.0.60.1',
    });
    const token = (await http(server.url, '/token', { from: '127.0.60.2', form: { username: 'admin', password } })).json
      .access_token as string;
    env = { BOUNCER_URL: server.url, BOUNCER_TOKEN: token };
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('#14.3 decisions add, then decisions list --json shows it; decisions delete lifts it, a second delete is exit 4', async () => {
    const empty = await bouncer(['decisions', 'list', '--json'], env);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ items: [], total: 0 });

    const added = await bouncer(['decisions', 'add', '127.0.62.7', '--duration', '600', '--reason', 'scraping'], env);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining('127.0.62.7') });
    const listed = await bouncer(['decisions', 'list', '--json', '--state', 'blocked'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).items).toEqual([
      expect.objectContaining({ client: '127.0.62.7', state: 'blocked', reason: 'scraping' }),
    ]);
    // Filtered by the server before paging: the total counts what matches.
    const byRule = JSON.parse((await bouncer(['decisions', 'list', '--json', '--rule', 'admin', '--client', '127.0.62.7'], env)).stdout);
    expect(byRule).toMatchObject({ total: 1, items: [expect.objectContaining({ client: '127.0.62.7' })] });
    expect(JSON.parse((await bouncer(['decisions', 'list', '--json', '--rule', 'failed-logins'], env)).stdout)).toMatchObject({
      total: 0,
      items: [],
    });
    const table = await bouncer(['decisions', 'list'], env);
    expect(table.stdout).toMatch(/^CLIENT\s+STATE/m);
    expect(table.stdout).toMatch(/^127\.0\.62\.7\s+blocked/m);
    // The request was really made by the admin: the server refuses the client at once.
    expect((await http(server.url, '/token', { from: '127.0.62.7', form: { username: 'admin', password } })).status).toBe(403);

    expect((await bouncer(['decisions', 'delete', '127.0.62.7'], env)).code).toBe(0);
    expect(await bouncer(['decisions', 'delete', '127.0.62.7'], env)).toMatchObject({ code: 4, stderr: expect.stringContaining('404') });
    // Bad input is the server's 400, a usage error: exit 2.
    expect((await bouncer(['decisions', 'add', 'not-an-ip', '--reason', 'x'], env)).code).toBe(2);
  }, 60_000);

  it('#14.5 GET /admin/events pages with an opaque cursor and says when a page is truncated; filters and bad input are 400', async () => {
    // Failed sign-ins from many addresses: more audit events than one export page (500).
    for (let i = 0; i < 260; i++) {
      for (let k = 0; k < 2; k++)
        await http(server.url, '/token', {
          from: `127.61.${Math.floor(i / 250)}.${(i % 250) + 1}`,
          form: { username: `nobody${i}`, password: 'Wrong-password-77x' },
        });
    }
    const admin = { token: env.BOUNCER_TOKEN, from: '127.0.60.3' };
    const seen: { type: string }[] = [];
    let path: string | null = '/admin/events?limit=200&type=login.failed';
    let pages = 0;
    while (path) {
      const res = await http(server.url, path, admin);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.json)).toBe(true);
      seen.push(...res.json);
      const cursor = res.headers['x-next-cursor'] as string | undefined;
      if (cursor) expect(res.json).toHaveLength(200);
      path = cursor ? `/admin/events?limit=200&type=login.failed&cursor=${encodeURIComponent(cursor)}` : null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(520);
    expect(new Set(seen.map((e) => e.type))).toEqual(new Set(['login.failed']));
    const one = (await http(server.url, '/admin/events?actor=nobody7&client=127.61.0.8', admin)).json;
    expect(one).toHaveLength(2);
    expect((await http(server.url, '/admin/events?limit=1001', admin)).status).toBe(400);
    expect((await http(server.url, '/admin/events?cursor=garbage', admin)).status).toBe(400);
    expect((await http(server.url, '/admin/events?since=yesterday', admin)).status).toBe(400);
    const future = (await http(server.url, `/admin/events?since=${new Date(Date.now() + 3_600_000).toISOString()}`, admin)).json;
    expect(future).toEqual([]);
  }, 120_000);

  it('#14.3/#14.5 audit export --format jsonl streams every event, more than one page, count matching the API; csv has a header', async () => {
    const jsonl = await bouncer(['audit', 'export', '--format', 'jsonl'], env);
    expect(jsonl.code).toBe(0);
    const rows = jsonl.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { id: number; type: string });
    expect(rows.length).toBeGreaterThan(500);
    expect(rows.filter((r) => r.type === 'login.failed')).toHaveLength(520);
    expect(rows[rows.length - 1]?.type).toBe('audit.exported');
    // Oldest first, each once.
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // The paged API, read to its end, has them all (and whatever was recorded after the export).
    let total = 0;
    let path: string | null = '/admin/events?limit=1000';
    while (path) {
      const res = await http(server.url, path, { token: env.BOUNCER_TOKEN, from: '127.0.60.4' });
      total += res.json.length;
      const cursor = res.headers['x-next-cursor'] as string | undefined;
      path = cursor ? `/admin/events?limit=1000&cursor=${encodeURIComponent(cursor)}` : null;
    }
    expect(total).toBeGreaterThanOrEqual(rows.length);
    expect(total).toBeLessThan(rows.length + 5);

    const csv = await bouncer(['audit', 'export', '--format', 'csv', '--type', 'login.failed'], env);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('id,at,type,client,actor,detail');
    expect(lines).toHaveLength(521);
  }, 60_000);

  it('#14.5 GET /admin/events/export streams JSON lines (no length, chunked), applies the filters, is audited, and needs an admin', async () => {
    // From an address the token was already used at: a fifth one would be token misuse (revoked).
    const admin = { token: env.BOUNCER_TOKEN, from: '127.0.60.3' };
    const all = await http(server.url, '/admin/events/export?format=jsonl&type=login.failed', admin);
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('application/x-ndjson');
    expect(all.headers['content-disposition']).toBe('attachment; filename="bouncer-audit.jsonl"');
    // Streamed while the log is read a page at a time: no Content-Length is known up front.
    expect(all.headers['transfer-encoding']).toBe('chunked');
    expect(all.headers['content-length']).toBeUndefined();
    const rows = all.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { id: number; at: string; type: string; actor: string | null; client: string | null });
    expect(rows).toHaveLength(520);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(['login.failed']));
    // A time range cuts the same stream (since inclusive, until exclusive): until the 100th event's time, then since it.
    const at = rows[99]!.at;
    const until = (await http(server.url, `/admin/events/export?type=login.failed&until=${encodeURIComponent(at)}`, admin)).text;
    const since = (await http(server.url, `/admin/events/export?type=login.failed&since=${encodeURIComponent(at)}`, admin)).text;
    const count = (t: string) => t.split('\n').filter((l) => l !== '').length;
    expect(count(until)).toBe(rows.filter((r) => r.at < at).length);
    expect(count(until) + count(since)).toBe(520);
    // Actor and client filters, and the CSV form.
    const one = await http(server.url, '/admin/events/export?format=csv&actor=nobody7&client=127.61.0.8', admin);
    expect(one.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(one.text.split('\r\n').filter((l) => l !== '')).toHaveLength(3);
    // Each export is itself an audit event, naming the admin.
    const exported = (await http(server.url, '/admin/events?type=audit.exported&limit=1000', admin)).json as { actor: string }[];
    expect(exported.length).toBeGreaterThanOrEqual(4);
    expect(new Set(exported.map((e) => e.actor))).toEqual(new Set(['admin:admin']));
    // Bad input is 400, no token 401.
    const bad = await http(
      server.url,
      `/admin/events/export?since=${encodeURIComponent('2030-01-02T00:00:00Z')}&until=${encodeURIComponent('2030-01-01T00:00:00Z')}`,
      admin,
    );
    expect(bad.status).toBe(400);
    expect((await http(server.url, '/admin/events/export?format=xml', admin)).status).toBe(400);
    expect((await http(server.url, '/admin/events/export', { from: '127.0.60.5' })).status).toBe(401);
  }, 60_000);

  it('#14.3 `npx bouncer decisions list --json` and `npx bouncer audit export --format jsonl` work from the workspace (package.json bin)', async () => {
    const added = await bouncer(['decisions', 'add', '127.0.62.9', '--duration', '600', '--reason', 'npx check'], env, 'npx');
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
    const listed = await bouncer(['decisions', 'list', '--json'], env, 'npx');
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
    // (The token-misuse rule may list the test's own addresses too: the admin token is used from several.)
    expect(JSON.parse(listed.stdout).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ client: '127.0.62.9', state: 'blocked', reason: 'npx check' })]),
    );
    const exported = await bouncer(['audit', 'export', '--format', 'jsonl', '--type', 'login.failed'], env, 'npx');
    expect(exported.code).toBe(0);
    expect(exported.stdout.split('\n').filter((l) => l !== '')).toHaveLength(520);
    expect((await bouncer(['decisions', 'delete', '127.0.62.9'], env, 'npx')).code).toBe(0);
  }, 120_000);

  it('#14.3 a bad token is exit 5; a token file others can read is refused (exit 2), a 0600 one works; no token is exit 2', async () => {
    const bad = await bouncer(['decisions', 'list'], { ...env, BOUNCER_TOKEN: 'not-a-token' });
    expect(bad).toMatchObject({ code: 5, stderr: expect.stringContaining('401') });

    const file = join(dir, 'token');
    writeFileSync(file, `${env.BOUNCER_TOKEN}\n`);
    chmodSync(file, 0o644);
    const open = await bouncer(['decisions', 'list', '--token-file', file], { BOUNCER_URL: server.url });
    expect(open).toMatchObject({ code: 2, stderr: expect.stringContaining('chmod 600') });
    chmodSync(file, 0o600);
    expect((await bouncer(['decisions', 'list', '--token-file', file], { BOUNCER_URL: server.url })).code).toBe(0);
    expect((await bouncer(['decisions', 'list'], { BOUNCER_URL: server.url })).code).toBe(2);
  }, 60_000);

  it('#14.3 status, rules show, users list and allow add/list/delete work against the server, as --json for scripts', async () => {
    const status = await bouncer(['status', '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ready: { status: 'ready' } });
    expect(Object.keys(JSON.parse((await bouncer(['rules', 'show'], env)).stdout)).length).toBeGreaterThan(0);
    expect(JSON.parse((await bouncer(['users', 'list', '--json'], env)).stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'admin', role: 'admin' })]),
    );
    expect((await bouncer(['allow', 'add', '198.51.100.0/24', '--note', 'office'], env)).code).toBe(0);
    const allowed = JSON.parse((await bouncer(['allow', 'list', '--json'], env)).stdout);
    expect(allowed).toEqual([expect.objectContaining({ kind: 'allow', cidr: '198.51.100.0/24', note: 'office' })]);
    expect((await bouncer(['deny', 'list', '--json'], env)).stdout.trim()).toBe('[]');
    expect((await bouncer(['allow', 'delete', '198.51.100.0/24'], env)).code).toBe(0);
    expect((await bouncer(['allow', 'delete', '198.51.100.0/24'], env)).code).toBe(4);
  }, 60_000);

  it('#14.3 users reset-password prints a temporary password once (--json for scripts); it signs in restricted; an unknown user is exit 4', async () => {
    const created = await http(server.url, '/admin/users', {
      // From where the CLI's own calls come: the admin token has already been used from four addresses.
      token: env['BOUNCER_TOKEN'],
      from: '127.0.0.1',
      body: { username: 'cli-reset', password: strongPassword(), role: 'user' },
    });
    expect(created.status).toBe(201);
    const human = await bouncer(['users', 'reset-password', 'cli-reset'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Temporary password of cli-reset: \S{24}$/m);
    const json = await bouncer(['users', 'reset-password', 'cli-reset', '--json'], env);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as { username: string; temporary_password: string; must_change_password: boolean };
    expect(answer).toMatchObject({ username: 'cli-reset', must_change_password: true });
    // The second reset replaced the first password.
    const first = human.stdout.match(/: (\S{24})$/m)![1]!;
    expect((await http(server.url, '/token', { from: '127.0.60.3', form: { username: 'cli-reset', password: first } })).status).toBe(401);
    const signIn = await http(server.url, '/token', {
      from: '127.0.60.3',
      form: { username: 'cli-reset', password: answer.temporary_password },
    });
    expect(signIn.json).toMatchObject({ must_change_password: true });
    const listed = JSON.parse((await bouncer(['users', 'list', '--json'], env)).stdout) as {
      username: string;
      must_change_password: boolean;
    }[];
    expect(listed.find((u) => u.username === 'cli-reset')).toMatchObject({ must_change_password: true });
    expect((await bouncer(['users', 'reset-password', 'nobody-at-all'], env)).code).toBe(4);
  }, 60_000);

  it('#14.3 --help on a subcommand prints its options and exits 0; an unknown option is exit 2', async () => {
    const help = await bouncer(['decisions', 'add', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: bouncer decisions add \[options\] <client>/);
    expect(help.stdout).toContain('--reason');
    expect(help.stdout).toContain('--token-file');
    expect((await bouncer(['audit', 'export', '--format', 'xml'], env)).code).toBe(2);
  }, 30_000);
});
