import { createPrivateKey, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, strongPassword } from '@bouncer/testing';
import { sql } from 'drizzle-orm';
import { RevocationService } from '../../src/access/revocation.service';
import { DATABASE, type DatabaseHandle } from '../../src/db/database';
import { startServer, startSharedPair, type SharedPair, type TestServer } from '../support/app';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;

/** Signs a JWT with the server's own key, so only the header or claims under test differ from a real token. */
function signWithServerKey(server: TestServer, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const key = createPrivateKey(readFileSync(join(server.dataDir, 'keys', 'jwt-es256.pem')));
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createSign('SHA256').update(input).sign({ key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function createUser(server: TestServer, username: string, role: 'admin' | 'user', password = strongPassword()) {
  const res = await http(server.url, '/admin/users', {
    token: await server.adminToken(),
    body: { username, password, role },
    from: '127.0.0.1',
  });
  expect(`${res.status} ${res.text}`).toMatch(/^201/);
  return password;
}

async function signIn(server: TestServer, username: string, password: string, from: string) {
  const res = await http(server.url, '/token', { form: { username, password }, from });
  expect(res.status).toBe(200);
  return { access: res.json.access_token as string, refresh: res.json.refresh_token as string };
}

const refresh = (server: TestServer, token: string, from: string) =>
  http(server.url, '/token', { form: { grant_type: 'refresh_token', refresh_token: token }, from });

/** 200 when the token is alive; the role it carries is checked with an admin-only route. */
const validate = (server: TestServer, token: string, from: string) => http(server.url, '/validate-token', { token, from });
const adminRoute = (server: TestServer, token: string, from: string) => http(server.url, '/admin/users', { token, from });

/**
 * The H2 race: the admin erin refreshes in a loop on `issuer` while an admin demotes her on
 * `demoter` (the same server, or the other instance). The clock does not move, so her tokens and
 * the demotion share their second. Gives the tokens out when the demotion was answered, and, once
 * the loop ends, every token it got and the session it holds; and her password.
 */
async function demoteWhileRefreshing(issuer: TestServer, demoter: TestServer, from: string) {
  const password = await createUser(demoter, 'erin', 'admin');
  let session = await signIn(issuer, 'erin', password, from);
  const issued: string[] = [session.access];
  const racing = (async () => {
    for (let i = 0; i < 8; i++) {
      const res = await refresh(issuer, session.refresh, from);
      if (res.status !== 200) break;
      session = { access: res.json.access_token, refresh: res.json.refresh_token };
      issued.push(res.json.access_token);
    }
  })();
  const demoted = await http(demoter.url, '/admin/users/erin', {
    method: 'PATCH',
    token: await demoter.adminToken(),
    body: { role: 'user' },
    from: '127.0.0.1',
  });
  expect(demoted.status).toBe(200);
  return { password, issuedBeforeAnswer: [...issued], loopEnded: racing.then(() => ({ issued, session })) };
}

describe('tokens and sessions under attack', () => {
  describe('one instance on the embedded store', () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startServer({ TOKEN_MAX_CLIENTS: '3' });
    });
    afterEach(async () => {
      await server?.close(true);
    });

    it("H1 a deleted or disabled user's tokens stay refused after a restart, also for a new account of the same name", async () => {
      const exPassword = await createUser(server, 'exadmin', 'admin');
      const ex = await signIn(server, 'exadmin', exPassword, '127.0.9.1');
      const offPassword = await createUser(server, 'offuser', 'user');
      const off = await signIn(server, 'offuser', offPassword, '127.0.9.2');
      expect((await validate(server, ex.access, '127.0.9.1')).status).toBe(200);

      const admin = await server.adminToken();
      expect((await http(server.url, '/admin/users/exadmin', { method: 'DELETE', token: admin, from: '127.0.0.1' })).status).toBe(204);
      const disabled = await http(server.url, '/admin/users/offuser', {
        method: 'PATCH',
        token: admin,
        body: { disabled: true },
        from: '127.0.0.1',
      });
      expect(disabled.status).toBe(200);
      expect((await validate(server, ex.access, '127.0.9.1')).status).toBe(401);
      expect((await validate(server, off.access, '127.0.9.2')).status).toBe(401);

      server.clock.advance(5_000);
      const { dataDir, adminPassword, clock } = server;
      await server.close();
      server = await startServer({ TOKEN_MAX_CLIENTS: '3' }, { dataDir, adminPassword, clock });

      expect((await validate(server, ex.access, '127.0.9.1')).status).toBe(401);
      const backdoor = await http(server.url, '/admin/users', {
        token: ex.access,
        body: { username: 'backdoor', password: strongPassword(), role: 'admin' },
        from: '127.0.9.1',
      });
      expect(backdoor.status).toBe(401);
      expect((await validate(server, off.access, '127.0.9.2')).status).toBe(401);
      expect((await refresh(server, ex.refresh, '127.0.9.1')).status).toBe(401);

      // Someone else gets the name: the old holder's token must not become theirs.
      await createUser(server, 'exadmin', 'user');
      expect((await validate(server, ex.access, '127.0.9.1')).status).toBe(401);
      // Re-enabling does not bring the old tokens back either.
      await http(server.url, '/admin/users/offuser', {
        method: 'PATCH',
        token: await server.adminToken(),
        body: { disabled: false },
        from: '127.0.0.1',
      });
      expect((await validate(server, off.access, '127.0.9.2')).status).toBe(401);
    });

    it('I2 a role change does what the README says: the access tokens end, the session continues with the new role', async () => {
      // The review found the README promising that a role change "ends their sessions" while the
      // code kept them: the behaviour is now stated exactly, and this test holds both to it.
      const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
      expect(readme).toContain('role change: the sessions continue; their next refresh gives a token with the new role.');
      const password = await createUser(server, 'roleswap', 'admin');
      const before = await signIn(server, 'roleswap', password, '127.0.9.20');
      const demoted = await http(server.url, '/admin/users/roleswap', {
        method: 'PATCH',
        token: await server.adminToken(),
        body: { role: 'user' },
        from: '127.0.0.1',
      });
      expect(demoted.status).toBe(200);
      expect((await validate(server, before.access, '127.0.9.20')).status).toBe(401);
      const next = await refresh(server, before.refresh, '127.0.9.20');
      expect(next.status).toBe(200);
      expect(claimsOf(next.json.access_token as string)['role']).toBe('user');
      expect((await adminRoute(server, next.json.access_token as string, '127.0.9.20')).status).toBe(403);
    });

    it('H2 a demotion ends every admin token issued before it was answered, even in the same millisecond and during a refresh loop', async () => {
      const { password, issuedBeforeAnswer, loopEnded } = await demoteWhileRefreshing(server, server, '127.0.9.10');
      const { issued, session: pair } = await loopEnded;
      for (const token of issuedBeforeAnswer) {
        expect([401, 403]).toContain((await adminRoute(server, token, '127.0.9.10')).status);
      }
      // Whatever the loop got after the answer is a user token at most.
      for (const token of issued) expect([401, 403]).toContain((await adminRoute(server, token, '127.0.9.10')).status);

      // The session survives a role change, with the new role only.
      const after = await refresh(server, pair.refresh, '127.0.9.10');
      expect(after.status).toBe(200);
      expect(claimsOf(after.json.access_token).role).toBe('user');
      expect((await validate(server, after.json.access_token, '127.0.9.10')).json).toMatchObject({ valid: true, role: 'user' });
      expect((await adminRoute(server, after.json.access_token, '127.0.9.10')).status).toBe(403);

      // A password change, too, ends the tokens issued before it, with no same-second window.
      const current = after.json.access_token as string;
      const changed = await http(server.url, '/me/password', {
        token: current,
        body: { current_password: password, new_password: strongPassword() },
        from: '127.0.9.10',
      });
      expect(changed.status).toBe(204);
      expect((await validate(server, current, '127.0.9.10')).status).toBe(401);
    });

    it('L1 a refresh token whose family part is not a UUID is an invalid grant, never a 500', async () => {
      const bad = [
        '------------------------------------.abc',
        'ffffffff-ffff-ffff-ffff-fffffffffff-.abc',
        '0123456789abcdef0123456789abcdef0123.abc',
        'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz.abc',
        '.abc',
      ];
      for (const [i, token] of bad.entries()) {
        const res = await refresh(server, token, `127.0.9.${30 + i}`);
        expect(res.status).toBe(401);
        expect(res.json.type).toBe('urn:bouncer:problem:invalid-grant');
        const viaCookie = await http(server.url, '/session/refresh', {
          method: 'POST',
          headers: { cookie: `bn_refresh=${encodeURIComponent(token)}` },
          from: `127.0.9.${30 + i}`,
        });
        expect(viaCookie.status).toBe(401);
      }
      // A NUL byte is refused earlier, by the input guard (L3): a 400, still never a 500.
      const nul = await refresh(server, '\u0000', '127.0.9.39');
      expect(nul.status).toBe(400);
      expect(nul.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('L11 revoked sessions are held in memory only as long as one of their access tokens can live', async () => {
      const password = await createUser(server, 'leaver', 'user');
      const revocation = server.app.get(RevocationService);
      const before = revocation.size().sessions;
      for (let i = 0; i < 5; i++) {
        const { access } = await signIn(server, 'leaver', password, `127.0.9.${40 + i}`);
        expect((await http(server.url, '/logout', { method: 'POST', token: access, from: `127.0.9.${40 + i}` })).status).toBe(204);
      }
      expect(revocation.size().sessions).toBe(before + 5);
      // Access tokens live 15 minutes (ACCESS_TOKEN_TTL); refresh families 7 days.
      server.clock.advance(17 * 60_000);
      await revocation.prune();
      expect(revocation.size().sessions).toBe(0);
    });

    it('L14 simultaneous refreshes of one session (two tabs) keep it; a reuse after the grace still revokes it', async () => {
      const password = await createUser(server, 'tabs', 'user');
      const first = await signIn(server, 'tabs', password, '127.0.9.50');
      const answers = await Promise.all(Array.from({ length: 5 }, () => refresh(server, first.refresh, '127.0.9.50')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      for (const a of answers) expect((await validate(server, a.json.access_token, '127.0.9.50')).status).toBe(200);
      // Every tab got the same next refresh token, and it still works.
      const next = new Set(answers.map((a) => a.json.refresh_token as string));
      expect(next.size).toBe(1);
      const later = await refresh(server, [...next][0]!, '127.0.9.50');
      expect(later.status).toBe(200);

      // The old token again after the grace: stolen. The family dies and the presenter is reported.
      server.clock.advance(30_000);
      const replay = await refresh(server, first.refresh, '127.0.9.50');
      expect(replay.status).toBe(401);
      expect(replay.json.detail).toMatch(/already used/);
      expect((await refresh(server, later.json.refresh_token, '127.0.9.50')).status).toBe(401);
      expect((await validate(server, later.json.access_token, '127.0.9.50')).status).toBe(401);

      // Within the grace but from another client: also reuse.
      const other = await signIn(server, 'tabs', password, '127.0.9.51');
      expect((await refresh(server, other.refresh, '127.0.9.51')).status).toBe(200);
      const thief = await refresh(server, other.refresh, '127.0.9.52');
      expect(thief.status).toBe(401);
      expect(thief.json.detail).toMatch(/already used/);
    });

    it('I1 the sign-in client counts towards the clients a session may be used from', async () => {
      const password = await createUser(server, 'spread', 'user');
      let token = (await signIn(server, 'spread', password, '127.0.9.60')).refresh;
      // Three more clients: four in all, one more than TOKEN_MAX_CLIENTS.
      for (const from of ['127.0.9.61', '127.0.9.62']) {
        const res = await refresh(server, token, from);
        expect(res.status).toBe(200);
        token = res.json.refresh_token;
      }
      const fourth = await refresh(server, token, '127.0.9.63');
      expect(fourth.status).toBe(401);
      expect(fourth.json.detail).toMatch(/too many places/);
    });

    it('I9 a token with a crit header, or issued in the future, is refused even with a valid signature', async () => {
      const password = await createUser(server, 'critic', 'user');
      const { access } = await signIn(server, 'critic', password, '127.0.9.70');
      const header = headerOf(access);
      const claims = claimsOf(access);
      // The control: the same header and claims re-signed by hand are accepted.
      expect((await validate(server, signWithServerKey(server, header, claims), '127.0.9.70')).status).toBe(200);

      const crit = signWithServerKey(server, { ...header, crit: ['exp'] }, claims);
      expect((await validate(server, crit, '127.0.9.70')).status).toBe(401);
      const nowSec = Math.floor(server.clock.now() / 1000);
      const future = signWithServerKey(server, header, { ...claims, iat: nowSec + 3600, exp: nowSec + 3600 + 900 });
      expect((await validate(server, future, '127.0.9.70')).status).toBe(401);
      // A few seconds ahead (another instance's clock) is tolerated.
      const skewed = signWithServerKey(server, header, { ...claims, iat: nowSec + 5 });
      expect((await validate(server, skewed, '127.0.9.70')).status).toBe(200);
    });
  });

  describe('two instances on PostgreSQL + Redis', () => {
    let pair: SharedPair;
    let third: TestServer | undefined;
    beforeEach(async () => {
      pair = await startSharedPair();
    });
    afterEach(async () => {
      await third?.close(true);
      third = undefined;
      await pair?.close();
    });

    it('H1 a user deleted or disabled on one instance has their tokens refused on the other and on any instance started later', async () => {
      const { a, b } = pair;
      const exPassword = await createUser(a, 'exadmin', 'admin');
      const ex = await signIn(a, 'exadmin', exPassword, '127.0.9.101');
      const offPassword = await createUser(a, 'offuser', 'user');
      const off = await signIn(b, 'offuser', offPassword, '127.0.9.102');
      expect((await validate(b, ex.access, '127.0.9.101')).status).toBe(200);

      const admin = await a.adminToken();
      expect((await http(a.url, '/admin/users/exadmin', { method: 'DELETE', token: admin, from: '127.0.0.1' })).status).toBe(204);
      expect(
        (await http(a.url, '/admin/users/offuser', { method: 'PATCH', token: admin, body: { disabled: true }, from: '127.0.0.1' })).status,
      ).toBe(200);
      expect((await validate(b, ex.access, '127.0.9.101')).status).toBe(401);
      expect((await validate(b, off.access, '127.0.9.102')).status).toBe(401);

      third = await startServer(pair.env, { dataDir: pair.a.dataDir + '-c', adminPassword: a.adminPassword, clock: pair.clock });
      expect((await validate(third, ex.access, '127.0.9.101')).status).toBe(401);
      expect((await adminRoute(third, ex.access, '127.0.9.101')).status).toBe(401);
      expect((await validate(third, off.access, '127.0.9.102')).status).toBe(401);
    });

    it('H2 a demotion on one instance ends the admin tokens on the other at once, with no same-second window', async () => {
      const { a, b } = pair;
      const { issuedBeforeAnswer, loopEnded } = await demoteWhileRefreshing(b, a, '127.0.9.110');
      for (const token of issuedBeforeAnswer) expect([401, 403]).toContain((await adminRoute(b, token, '127.0.9.110')).status);
      const { issued, session } = await loopEnded;
      for (const token of issued) expect([401, 403]).toContain((await adminRoute(b, token, '127.0.9.110')).status);
      const after = await refresh(b, session.refresh, '127.0.9.110');
      expect(after.status).toBe(200);
      expect(claimsOf(after.json.access_token).role).toBe('user');
    });

    it('L11 instances re-read only the revocations recorded since their last read, not all of them', async () => {
      const { a, b } = pair;
      const revocationB = b.app.get(RevocationService);
      // 200 revocations recorded an hour ago (still live: long-lived logged-out tokens).
      const db = a.app.get<DatabaseHandle>(DATABASE).db;
      await db.execute(
        sql`insert into revocations (kind, key, expires_at, recorded_at)
            select 'jti', 'old-' || g, now() + interval '1 day', now() - interval '1 hour' from generate_series(1, 200) g`,
      );
      const password = await createUser(a, 'quitter', 'user');
      for (let i = 0; i < 3; i++) {
        const { access } = await signIn(a, 'quitter', password, `127.0.9.${120 + i}`);
        expect((await http(a.url, '/logout', { method: 'POST', token: access, from: `127.0.9.${120 + i}` })).status).toBe(204);
      }
      const read = await revocationB.reload();
      // The three logouts (token and session each) and the user's creation, not the 200 old rows.
      expect(read).toBeGreaterThanOrEqual(6);
      expect(read).toBeLessThan(50);
    });

    it('L14 simultaneous refreshes of one session through both instances keep it (real PostgreSQL concurrency)', async () => {
      const { a, b } = pair;
      const password = await createUser(a, 'tabs', 'user');
      const first = await signIn(a, 'tabs', password, '127.0.9.130');
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => refresh(i % 2 ? a : b, first.refresh, '127.0.9.130')));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(new Set(answers.map((r) => r.json.refresh_token)).size).toBe(1);
      expect((await refresh(b, answers[0]!.json.refresh_token, '127.0.9.130')).status).toBe(200);
    });
  });
});
