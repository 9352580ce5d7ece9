import { http, type HttpOptions, strongPassword } from '@bouncer/testing';
import { AuditService } from '../src/audit/audit.service';
import { HealingService } from '../src/healing/healing.service';
import { startServer, type TestServer } from './support/app';

/**
 * What the console's client and accounts pages need beyond decisions: one client's activity
 * (its request timeline, the accounts it guessed at, the sign-ins and sessions seen from it),
 * unlocking an account under attack, and a user's sessions listed and ended one by one.
 * Every admin action here is audited.
 */
describe('console API: client activity, account unlock, user sessions', () => {
  let server: TestServer;
  let admin: string;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, { from: '127.0.0.1', ...opts });
  const frankPassword = strongPassword();
  const signIn = (username: string, password: string, from: string) =>
    req('/token', { form: { grant_type: 'password', username, password }, from });
  const events = async (type: string) =>
    (await req(`/admin/events?type=${encodeURIComponent(type)}`, { token: await server.adminToken() })).json as {
      actor: string;
      client: string | null;
      detail: string;
    }[];

  beforeAll(async () => {
    server = await startServer({ ALLOWLIST: '127.0.0.1/32' });
    admin = await server.adminToken();
    expect((await req('/admin/users', { token: admin, body: { username: 'frank', password: frankPassword, role: 'user' } })).status).toBe(
      201,
    );
  }, 120_000);
  afterAll(async () => {
    await server?.close(true);
  });

  describe('GET /admin/clients/activity', () => {
    const GUESSER = '127.40.0.8';
    const FRANK_HOME = '127.41.0.5';

    beforeAll(async () => {
      for (const name of ['carol', 'carol', 'dave']) expect((await signIn(name, 'wrong-password-1', GUESSER)).status).toBe(401);
      const first = await signIn('frank', frankPassword, FRANK_HOME);
      expect(first.status).toBe(200);
      // A refresh from the same client: the session is now "seen from" it.
      const refreshed = await req('/token', {
        form: { grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string },
        from: FRANK_HOME,
      });
      expect(refreshed.status).toBe(200);
    });

    it('names the accounts a client guessed at, with how often and since when', async () => {
      const res = await req(`/admin/clients/activity?client=${GUESSER}`, { token: admin });
      expect(res.status).toBe(200);
      expect(res.json.client).toBe(GUESSER);
      expect(res.json.accounts).toEqual([
        { username: 'carol', failures: 2, first_at: expect.any(String), last_at: expect.any(String) },
        { username: 'dave', failures: 1, first_at: expect.any(String), last_at: expect.any(String) },
      ]);
      expect(res.json.sign_ins).toEqual([]);
      expect(res.json.sessions).toEqual([]);
    });

    it('counts its requests per minute over the last hour, refused ones too', async () => {
      const res = await req(`/admin/clients/activity?client=${GUESSER}`, { token: admin });
      expect(res.json.timeline).toMatchObject({ bucket_seconds: 60, tracked: true });
      expect(res.json.timeline.requests).toHaveLength(60);
      expect(res.json.timeline.requests.reduce((a: number, b: number) => a + b, 0)).toBe(3);
      const never = await req('/admin/clients/activity?client=192.0.2.1', { token: admin });
      expect(never.json.timeline.tracked).toBe(false);
      expect(never.json.timeline.requests.every((n: number) => n === 0)).toBe(true);
    });

    it('shows the sign-ins and open sessions seen from it by username and session id, never a token', async () => {
      const res = await req(`/admin/clients/activity?client=${FRANK_HOME}`, { token: admin });
      expect(res.json.sign_ins).toEqual([{ username: 'frank', at: expect.any(String), user_agent: null }]);
      expect(res.json.sessions).toEqual([
        {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          username: 'frank',
          last_used_at: expect.any(String),
          expires_at: expect.any(String),
        },
      ]);
      expect(res.text).not.toMatch(/refresh_token|access_token|password/);
    });

    it('takes a range: everything from the clients inside it', async () => {
      const res = await req(`/admin/clients/activity?client=${encodeURIComponent('127.41.0.0/16')}`, { token: admin });
      expect(res.status).toBe(200);
      expect(res.json.sign_ins.map((s: { username: string }) => s.username)).toEqual(['frank']);
      expect(res.json.timeline.tracked).toBe(true);
    });

    it('refuses what is not an address or range (400), and anyone but an admin', async () => {
      for (const bad of ['999.1.1.1', 'not-an-ip']) {
        const res = await req(`/admin/clients/activity?client=${encodeURIComponent(bad)}`, { token: admin });
        expect([bad, res.status, res.json.errors?.[0]?.field]).toEqual([bad, 400, 'client']);
      }
      expect((await req('/admin/clients/activity', { token: admin })).status).toBe(400);
      const frank = (await signIn('frank', frankPassword, '127.41.0.9')).json.access_token as string;
      expect((await req('/admin/clients/activity?client=127.0.0.9', { token: frank })).status).toBe(403);
      expect((await req('/admin/clients/activity?client=127.0.0.9')).status).toBe(401);
    });
  });

  describe('POST /admin/accounts/:username/unlock', () => {
    it("forgets an account's failed sign-ins: a client that spent its guess may try again; audited", async () => {
      // Ten clients, one wrong guess each: the account rule's free attempts are used up.
      for (let i = 1; i <= 10; i++) expect((await signIn('erin', 'wrong-password-1', `127.42.0.${i}`)).status).toBe(401);
      server.clock.advance(10_000); // past the account-wide spacing
      const refused = await signIn('erin', 'wrong-password-1', '127.42.0.1');
      expect(refused.status).toBe(429);

      const unlock = await req('/admin/accounts/Erin/unlock', { token: admin, method: 'POST' });
      expect(unlock.status).toBe(204);
      expect((await signIn('erin', 'wrong-password-1', '127.42.0.1')).status).toBe(401);

      const audited = await events('account.unlocked');
      expect(audited[0]).toMatchObject({ actor: 'admin:admin', detail: expect.stringContaining('account erin unlocked by admin') });
    });

    it('is for admins only', async () => {
      const frank = (await signIn('frank', frankPassword, '127.41.0.10')).json.access_token as string;
      expect((await req('/admin/accounts/erin/unlock', { token: frank, method: 'POST' })).status).toBe(403);
    });
  });

  describe('GET and DELETE /admin/users/:username/sessions', () => {
    it("lists a user's open sessions and ends one: its refresh token and access token stop working; audited", async () => {
      const a = await signIn('frank', frankPassword, '127.43.0.1');
      const b = await signIn('frank', frankPassword, '127.43.0.2');
      const list = await req('/admin/users/frank/sessions', { token: admin });
      expect(list.status).toBe(200);
      expect(list.json.length).toBeGreaterThanOrEqual(2);
      expect(Object.keys(list.json[0]).sort()).toEqual(['created_at', 'expires_at', 'id', 'last_client', 'last_used_at']);
      expect(list.json[0].id).toMatch(/^[0-9a-f-]{36}$/);
      // The session of `a` is the family its refresh token names (`<family id>.<secret>`).
      const familyOf = (token: string) => token.slice(0, token.indexOf('.'));
      const target = familyOf(a.json.refresh_token as string);
      expect(list.json.map((s: { id: string }) => s.id)).toContain(target);

      const end = await req(`/admin/users/frank/sessions/${target}`, { token: admin, method: 'DELETE' });
      expect(end.status).toBe(204);
      expect((await req('/validate-token', { token: a.json.access_token as string, from: '127.43.0.1' })).status).toBe(401);
      expect(
        (await req('/token', { form: { grant_type: 'refresh_token', refresh_token: a.json.refresh_token as string }, from: '127.43.0.1' }))
          .status,
      ).toBe(401);
      // The other session goes on.
      expect((await req('/validate-token', { token: b.json.access_token as string, from: '127.43.0.2' })).status).toBe(200);
      const after = await req('/admin/users/frank/sessions', { token: admin });
      expect(after.json.map((s: { id: string }) => s.id)).not.toContain(target);

      const audited = await events('session.revoked');
      expect(audited[0]).toMatchObject({ actor: 'admin:admin', detail: expect.stringContaining('of frank ended by admin') });
      // Ending it again: nothing open by that id.
      expect((await req(`/admin/users/frank/sessions/${target}`, { token: admin, method: 'DELETE' })).status).toBe(404);
    });

    it('answers 404 for an unknown user, 400 for a malformed id, 403 to a user', async () => {
      expect((await req('/admin/users/nobody/sessions', { token: admin })).status).toBe(404);
      const bad = await req('/admin/users/frank/sessions/not-a-uuid', { token: admin, method: 'DELETE' });
      expect([bad.status, bad.json.errors?.[0]?.field]).toEqual([400, 'id']);
      const frank = (await signIn('frank', frankPassword, '127.43.0.3')).json.access_token as string;
      expect((await req('/admin/users/frank/sessions', { token: frank })).status).toBe(403);
    });
  });

  describe('GET and DELETE /me/sessions (issue #13 point 8: everyone sees and ends their own sessions)', () => {
    const familyOf = (token: string) => token.slice(0, token.indexOf('.'));

    it('lists the caller’s own sessions with this one marked, and ends another one; audited as the owner', async () => {
      const here = await signIn('frank', frankPassword, '127.45.0.1');
      const elsewhere = await signIn('frank', frankPassword, '127.45.0.2');
      const token = here.json.access_token as string;
      const mine = await req('/me/sessions', { token, from: '127.45.0.1' });
      expect(mine.status).toBe(200);
      const current = mine.json.filter((s: { current: boolean }) => s.current);
      expect(current.map((s: { id: string }) => s.id)).toEqual([familyOf(here.json.refresh_token as string)]);
      const other = familyOf(elsewhere.json.refresh_token as string);
      expect(mine.json.find((s: { id: string }) => s.id === other)).toMatchObject({ current: false });

      expect((await req(`/me/sessions/${other}`, { token, method: 'DELETE', from: '127.45.0.1' })).status).toBe(204);
      expect((await req('/validate-token', { token: elsewhere.json.access_token as string, from: '127.45.0.2' })).status).toBe(401);
      expect((await req('/validate-token', { token, from: '127.45.0.1' })).status).toBe(200);
      expect((await events('session.revoked'))[0]).toMatchObject({
        actor: 'frank',
        detail: expect.stringContaining('of frank ended by its owner'),
      });
      // Already ended: 404; not a session id: 400 naming the field.
      expect((await req(`/me/sessions/${other}`, { token, method: 'DELETE', from: '127.45.0.1' })).status).toBe(404);
      const bad = await req('/me/sessions/nope', { token, method: 'DELETE', from: '127.45.0.1' });
      expect([bad.status, bad.json.errors?.[0]?.field]).toEqual([400, 'id']);
    });

    it('never ends someone else’s session, and answers 401 without a token', async () => {
      const adminSessions = (await req('/admin/users/admin/sessions', { token: admin })).json as { id: string }[];
      expect(adminSessions.length).toBeGreaterThan(0);
      const frank = (await signIn('frank', frankPassword, '127.45.0.3')).json.access_token as string;
      const target = adminSessions[0]?.id ?? '';
      expect((await req(`/me/sessions/${target}`, { token: frank, method: 'DELETE', from: '127.45.0.3' })).status).toBe(404);
      expect((await req('/admin/users/admin/sessions', { token: admin })).json.map((s: { id: string }) => s.id)).toContain(target);
      expect((await req('/me/sessions', { from: '127.45.0.3' })).status).toBe(401);
    });
  });

  describe('POST /admin/decisions/extend and the time-left filter', () => {
    const block = (client: string, seconds: number, reason: string) =>
      req('/admin/blocks', { token: admin, body: { client, duration_seconds: seconds, reason } });

    beforeAll(async () => {
      expect((await block('127.44.0.1', 120, 'short one')).status).toBe(201);
      expect((await block('127.44.0.2', 1800, 'half an hour')).status).toBe(201);
      expect((await block('127.44.0.3', 7200, 'two hours')).status).toBe(201);
    });

    it('finds decisions by time left', async () => {
      const within5m = await req('/admin/decisions?q=127.44.0.0/24&expires_within=300', { token: admin });
      expect(within5m.json.items.map((d: { client: string }) => d.client)).toEqual(['127.44.0.1']);
      const within1h = await req('/admin/decisions?q=127.44.0.0/24&expires_within=3600&sort=client', { token: admin });
      expect(within1h.json.items.map((d: { client: string }) => d.client)).toEqual(['127.44.0.1', '127.44.0.2']);
      const beyond1h = await req('/admin/decisions?q=127.44.0.0/24&expires_beyond=3600', { token: admin });
      expect(beyond1h.json.total).toBe(1);
      expect((await req('/admin/decisions?expires_within=-1', { token: admin })).status).toBe(400);
    });

    it('extends a decision, keeping its reason and reference; audited', async () => {
      const before = (await req('/admin/decisions?client=127.44.0.1', { token: admin })).json.items[0];
      const res = await req('/admin/decisions/extend', { token: admin, body: { client: '127.44.0.1', state: 'blocked', seconds: 3600 } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ id: before.id, reason: 'short one', client: '127.44.0.1' });
      expect(res.json.remaining_seconds).toBeGreaterThanOrEqual(before.remaining_seconds + 3599);
      const after = (await req('/admin/decisions?client=127.44.0.1', { token: admin })).json.items[0];
      expect(after.remaining_seconds).toBe(res.json.remaining_seconds);
      const audited = await events('decision.extended');
      expect(audited[0]).toMatchObject({
        actor: 'admin:admin',
        detail: expect.stringContaining(`extended by 3600 s by admin:admin (ref ${before.id})`),
      });
    });

    it('answers 404 when nothing stands, 400 for a bad body', async () => {
      const none = await req('/admin/decisions/extend', { token: admin, body: { client: '127.44.9.9', state: 'blocked', seconds: 600 } });
      expect(none.status).toBe(404);
      for (const body of [
        { client: '127.44.0.1', state: 'blocked', seconds: 10 },
        { client: '127.44.0.1', state: 'gone', seconds: 600 },
        { client: 'nope', state: 'blocked', seconds: 600 },
      ]) {
        expect((await req('/admin/decisions/extend', { token: admin, body })).status).toBe(400);
      }
    });
  });

  describe('POST /admin/decisions/bulk-extend and bulk-lift', () => {
    const CLIENTS = ['127.49.0.1', '127.49.0.2', '127.49.0.3'];
    const ids = async () => {
      const page = await req('/admin/decisions?q=127.49.0.0/24&sort=client', { token: await server.adminToken() });
      return (page.json.items as { id: string; client: string; remaining_seconds: number }[]).map((d) => d);
    };
    /** The audit records of one type about these clients. */
    const audited = async (type: string) => (await events(type)).filter((e) => CLIENTS.includes(e.client ?? ''));

    beforeAll(async () => {
      for (const client of CLIENTS)
        expect((await req('/admin/blocks', { token: admin, body: { client, duration_seconds: 600, reason: 'bulk test' } })).status).toBe(
          201,
        );
    });

    it('extends every decision named in one call, once each however often named; one audit record per decision', async () => {
      const before = await ids();
      const token = await server.adminToken();
      const res = await req('/admin/decisions/bulk-extend', {
        token,
        body: { ids: [before[0]!.id, before[1]!.id, before[0]!.id, 'd-000000000000'], seconds: 3600 },
      });
      expect(res.status).toBe(200);
      expect(res.json.results).toEqual([
        { id: before[0]!.id, client: CLIENTS[0], state: 'blocked', outcome: 'extended' },
        { id: before[1]!.id, client: CLIENTS[1], state: 'blocked', outcome: 'extended' },
        { id: 'd-000000000000', outcome: 'not_found' },
      ]);
      const after = await ids();
      expect(after.map((d) => d.remaining_seconds - (before.find((b) => b.id === d.id)?.remaining_seconds ?? 0))).toEqual([3600, 3600, 0]);
      // The references stay: the same decisions, longer.
      expect(after.map((d) => d.id)).toEqual(before.map((d) => d.id));
      const records = await audited('decision.extended');
      expect(records.map((e) => e.client).sort()).toEqual(CLIENTS.slice(0, 2));
      expect(records.every((e) => e.detail.includes('extended by 3600 s by admin:admin'))).toBe(true);
    });

    it('lifts every decision named in one call; one audit record per decision', async () => {
      const before = await ids();
      const token = await server.adminToken();
      const res = await req('/admin/decisions/bulk-lift', { token, body: { ids: before.map((d) => d.id) } });
      expect(res.status).toBe(200);
      expect(res.json.results.map((r: { outcome: string }) => r.outcome)).toEqual(['lifted', 'lifted', 'lifted']);
      expect(await ids()).toEqual([]);
      for (const client of CLIENTS) expect((await req('/me', { from: client })).status).toBe(401); // no longer 403
      const unblocked = (await audited('decision.unblocked')).filter((e) => e.detail.includes('unblocked by admin:admin'));
      expect(unblocked).toHaveLength(3);
      // Named again: nothing stands any more.
      const again = await req('/admin/decisions/bulk-lift', { token, body: { ids: [before[0]!.id] } });
      expect(again.json.results).toEqual([{ id: before[0]!.id, outcome: 'not_found' }]);
    });

    it('refuses an empty or oversized list, a malformed reference and a short extension (400), and anyone but an admin', async () => {
      const token = await server.adminToken();
      const many = Array.from({ length: 501 }, (_, i) => `d-${i.toString(16).padStart(12, '0')}`);
      for (const [path, body] of [
        ['bulk-lift', { ids: [] }],
        ['bulk-lift', { ids: many }],
        ['bulk-lift', { ids: ['127.49.0.1'] }],
        ['bulk-lift', {}],
        ['bulk-extend', { ids: ['d-000000000000'], seconds: 10 }],
        ['bulk-extend', { ids: ['d-000000000000'] }],
      ] as const)
        expect((await req(`/admin/decisions/${path}`, { token, body })).status).toBe(400);
      // A full page of references fits the body limit.
      expect((await req('/admin/decisions/bulk-lift', { token, body: { ids: many.slice(0, 500) } })).status).toBe(200);
      const frank = (await signIn('frank', frankPassword, '127.49.1.1')).json.access_token as string;
      expect((await req('/admin/decisions/bulk-lift', { token: frank, body: { ids: ['d-000000000000'] } })).status).toBe(403);
    });
  });

  describe('list entries with an expiry', () => {
    it('applies an entry until it expires; the healing job then removes it and audits that', async () => {
      const added = await req('/admin/lists', {
        token: admin,
        body: { kind: 'deny', cidr: '127.46.0.9', note: 'cool-down', duration_seconds: 60 },
      });
      expect(added.status).toBe(201);
      expect(added.json).toMatchObject({ kind: 'deny', cidr: '127.46.0.9', note: 'cool-down', expires_at: expect.any(String) });
      const forever = await req('/admin/lists', { token: admin, body: { kind: 'allow', cidr: '127.47.0.0/24', note: 'office' } });
      expect(forever.json.expires_at).toBeNull();
      expect((await req('/me', { from: '127.46.0.9' })).status).toBe(403);

      server.clock.advance(61_000);
      await server.app.get(HealingService).runOnce();
      expect((await req('/me', { from: '127.46.0.9' })).status).toBe(401);
      const lists = (await req('/admin/lists', { token: await server.adminToken() })).json as { cidr: string }[];
      expect(lists.map((e) => e.cidr)).not.toContain('127.46.0.9');
      expect(lists.map((e) => e.cidr)).toContain('127.47.0.0/24');
      const audited = await events('list.deny.expired');
      expect(audited[0]).toMatchObject({ actor: 'healing', detail: expect.stringContaining('127.46.0.9 left the denylist') });
    });

    it('refuses an expiry under a minute (400)', async () => {
      const res = await req('/admin/lists', {
        token: await server.adminToken(),
        body: { kind: 'allow', cidr: '127.48.0.1', duration_seconds: 5 },
      });
      expect(res.status).toBe(400);
    });
  });

  describe('GET /admin/accounts and /admin/accounts/:username/clients', () => {
    /** More failures at one account than the 1,000 events the browser used to read: nothing is capped. */
    const MANY = 1_200;

    beforeAll(async () => {
      const audit = server.app.get(AuditService);
      for (let i = 0; i < MANY; i++)
        await audit.write({
          type: 'login.failed',
          client: `127.50.${Math.floor(i / 200)}.${i % 200}`,
          actor: 'hana',
          detail: 'failed sign-in as hana',
        });
      // What the account rule records when it starts limiting an account.
      await audit.write({ type: 'account.delayed', actor: 'hana', detail: '10 failed sign-ins for hana within an hour' });
      for (const [client, name] of [
        ['127.51.0.1', 'ivan'],
        ['127.51.0.1', 'ivan'],
        ['127.51.0.2', 'ivan'],
        ['127.51.0.3', 'frank'],
      ] as const)
        expect((await signIn(name, 'wrong-password-1', client)).status).toBe(401);
    }, 120_000);

    it('counts every failed sign-in in the window, per account, most first, with clients, since when and whether it exists', async () => {
      const token = await server.adminToken();
      const res = await req('/admin/accounts?page_size=2', { token });
      expect(res.status).toBe(200);
      expect(res.json.items[0]).toEqual({
        username: 'hana',
        failures: MANY,
        clients: MANY,
        first_at: expect.any(String),
        last_at: expect.any(String),
        throttled: true,
        known: false,
      });
      // Every account with a failure in the last 24 hours is counted, whatever the page shows.
      expect(res.json).toMatchObject({ page: 1, page_size: 2, total: expect.any(Number), since: expect.any(String) });
      const everyone = await req('/admin/accounts?page_size=500', { token });
      expect(everyone.json.total).toBe(everyone.json.items.length);
      const names = everyone.json.items.map((a: { username: string }) => a.username);
      expect(names).toEqual(expect.arrayContaining(['hana', 'ivan', 'frank']));
      expect(res.json.total).toBe(names.length);
      const byName = Object.fromEntries(everyone.json.items.map((a: { username: string }) => [a.username, a]));
      expect(byName['ivan']).toMatchObject({ failures: 2 + 1, clients: 2, known: false, throttled: false });
      expect(byName['frank']).toMatchObject({ known: true });
      const failures = everyone.json.items.map((a: { failures: number }) => a.failures);
      expect([...failures].sort((a, b) => b - a)).toEqual(failures);

      const second = await req('/admin/accounts?page_size=2&page=2', { token });
      expect(second.json.items.map((a: { username: string }) => a.username)).toEqual(names.slice(2, 4));
    });

    it('finds accounts by part of their name, and reads a window', async () => {
      const token = await server.adminToken();
      const found = await req(`/admin/accounts?q=${encodeURIComponent('ＶＡ')}`, { token });
      expect(found.json.items.map((a: { username: string }) => a.username)).toEqual(['ivan']);
      expect(found.json.total).toBe(1);
      // `%` and `_` are letters here, not patterns.
      expect((await req('/admin/accounts?q=%25', { token })).json.total).toBe(0);
      const later = new Date(server.clock.now() + 1).toISOString();
      server.clock.advance(1_000);
      const none = await req(`/admin/accounts?since=${encodeURIComponent(later)}`, { token });
      expect(none.json).toMatchObject({ items: [], total: 0, since: later, until: null });
      // A window with an end: before the failures, nothing; around them, all of them.
      const all = (await req('/admin/accounts', { token })).json.total as number;
      const dayAgoMs = server.clock.now() - 24 * 3_600_000;
      const dayAgo = new Date(dayAgoMs).toISOString();
      const justAfter = new Date(dayAgoMs + 1_000).toISOString();
      const before = await req(`/admin/accounts?since=${encodeURIComponent(dayAgo)}&until=${encodeURIComponent(justAfter)}`, { token });
      expect(before.json).toMatchObject({ total: 0 });
      const end = new Date(server.clock.now() + 3_600_000).toISOString();
      const around = await req(`/admin/accounts?since=${encodeURIComponent(dayAgo)}&until=${encodeURIComponent(end)}`, { token });
      // An end after now is now: the answer names the window it counted.
      expect(around.json).toMatchObject({ total: all, since: dayAgo, until: new Date(server.clock.now()).toISOString() });
      const ivan = await req(`/admin/accounts/ivan/clients?until=${encodeURIComponent(later)}`, { token });
      expect(ivan.json).toMatchObject({ total: 2, until: later });
    });

    it('lists the clients that guessed at one account, paged with their total', async () => {
      const token = await server.adminToken();
      const ivan = await req('/admin/accounts/Ivan/clients', { token });
      expect(ivan.status).toBe(200);
      expect(ivan.json).toMatchObject({ total: 2, page: 1, page_size: 50 });
      expect(ivan.json.items).toEqual([
        { client: '127.51.0.1', failures: 2, first_at: expect.any(String), last_at: expect.any(String) },
        { client: '127.51.0.2', failures: 1, first_at: expect.any(String), last_at: expect.any(String) },
      ]);
      const hana = await req('/admin/accounts/hana/clients?page_size=500&page=3', { token });
      expect(hana.json.total).toBe(MANY);
      expect(hana.json.items).toHaveLength(MANY - 1000);
    });

    it('refuses bad input (400) and anyone but an admin', async () => {
      const token = await server.adminToken();
      for (const query of [
        'page_size=501',
        'page=0',
        'since=yesterday',
        `since=${new Date(server.clock.now() + 3_600_000).toISOString()}`,
        'until=tomorrow',
        `since=${new Date(server.clock.now() - 60_000).toISOString()}&until=${new Date(server.clock.now() - 60_000).toISOString()}`,
        `until=${new Date(server.clock.now() - 25 * 3_600_000).toISOString()}`,
        `q=${'x'.repeat(65)}`,
      ])
        expect((await req(`/admin/accounts?${query}`, { token })).status).toBe(400);
      expect((await req('/admin/accounts/%20/clients', { token })).status).toBe(400);
      // A name longer than any route parameter Fastify takes is refused before the handler.
      expect((await req(`/admin/accounts/${'x'.repeat(300)}/clients`, { token })).status).toBe(414);
      const frank = (await signIn('frank', frankPassword, '127.51.0.9')).json.access_token as string;
      expect((await req('/admin/accounts', { token: frank })).status).toBe(403);
      expect((await req('/admin/accounts/frank/clients', { token: frank })).status).toBe(403);
      expect((await req('/admin/accounts')).status).toBe(401);
    });
  });
});

describe('console API: a client timeline over the console time range', () => {
  let server: TestServer;
  const req = (path: string, opts?: HttpOptions) => http(server.url, path, { from: '127.0.0.1', ...opts });
  beforeAll(async () => {
    server = await startServer({ ALLOWLIST: '127.0.0.1/32' });
  }, 120_000);
  afterAll(async () => {
    await server?.close(true);
  });

  it('takes the console time range: per minute within the last hour, per hour up to 7 days, the bucket named', async () => {
    const WANDERER = '127.42.0.3';
    const at = async (path: string) => {
      expect((await req(path, { from: WANDERER })).status).toBe(404);
    };
    // Two requests now, then three a day and a half later (the server's clock moves, not the test's).
    await at('/nothing-here');
    await at('/nothing-here');
    const firstAt = server.clock.now();
    server.clock.advance(36 * 3_600_000);
    for (let i = 0; i < 3; i++) await at('/nothing-here');
    const token = await server.adminToken();
    const timeline = async (query: string) => {
      const res = await req(`/admin/clients/activity?client=${WANDERER}&${query}`, { token });
      expect(res.status).toBe(200);
      return res.json.timeline as { since: string; until: string; bucket_seconds: number; requests: number[] };
    };
    const total = (t: { requests: number[] }) => t.requests.reduce((a, b) => a + b, 0);

    const quarter = await timeline('range=15m');
    expect([quarter.bucket_seconds, quarter.requests.length, total(quarter)]).toEqual([60, 16, 3]);
    const day = await timeline('range=24h');
    expect([day.bucket_seconds, total(day)]).toEqual([3600, 3]);
    const week = await timeline('range=7d');
    expect([week.bucket_seconds, week.requests.length, total(week)]).toEqual([3600, 169, 5]);
    // A custom range around the first two requests only.
    const since = new Date(firstAt - 3_600_000).toISOString();
    const until = new Date(firstAt + 3_600_000).toISOString();
    const custom = await timeline(`since=${since}&until=${until}`);
    expect([custom.bucket_seconds, total(custom), custom.until]).toEqual([3600, 2, until]);
  });

  it('refuses a bad time range with a 400 naming the field', async () => {
    const bad: [string, string][] = [
      ['range=2y', 'range'],
      ['since=yesterday', 'since'],
      ['until=2026-01-01T00:00:00Z', 'until'],
      ['range=1h&since=2026-01-01T00:00:00Z', 'range'],
      ['since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'since'],
      ['since=2025-01-01T00:00:00Z&until=2025-02-01T00:00:00Z', 'since'],
    ];
    for (const [query, field] of bad) {
      const res = await req(`/admin/clients/activity?client=127.0.0.9&${query}`, { token: await server.adminToken() });
      expect([query, res.status, res.json.errors?.[0]?.field]).toEqual([query, 400, field]);
    }
  });
});
