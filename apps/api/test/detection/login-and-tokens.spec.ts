import { ProblemException } from '../../src/common/problem.exception';
import { openDatabase } from '../../src/db/database';
import { DecisionService, DetectionService, LoginDefenseService, TokenMisuseService } from '../../src/detection';
import { HealingService } from '../../src/healing';
import { AuditService } from '../../src/audit/audit.service';
import { type Harness, openTestDatabase, startHarness } from './harness';

async function problemOf(p: Promise<unknown>): Promise<ProblemException> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('expected a ProblemException');
}

describe('sign-in and token rules (module level)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let h: Harness;
  let login: LoginDefenseService;
  let tokens: TokenMisuseService;
  let detection: DetectionService;

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.remove();
  });
  beforeEach(async () => {
    await database.wipe();
  });
  afterEach(async () => {
    await h?.app.get(DecisionService).settled();
    await h?.close();
  });

  const start = async (options = {}) => {
    h = await startHarness(database.db, options);
    login = h.app.get(LoginDefenseService);
    tokens = h.app.get(TokenMisuseService);
    detection = h.app.get(DetectionService);
  };
  const fail = async (client: string, user = 'bob', trustedDevice = false) => {
    await login.check(client, user, { trustedDevice });
    await login.recordFailure(client, user);
  };
  const succeed = async (client: string, user = 'bob') => {
    await login.check(client, user, { trustedDevice: false });
    await login.recordSuccess(client, user);
  };

  describe('rule 2: failed logins per client', () => {
    it('4 failures: suspicious, not held back; the 5th starts a 60 s buffer answered with 429', async () => {
      await start();
      for (let i = 0; i < 3; i++) await fail('198.51.100.1');
      expect(detection.getState('198.51.100.1')).toBe('normal');
      await fail('198.51.100.1');
      expect(detection.getState('198.51.100.1')).toBe('suspicious');
      await expect(login.check('198.51.100.1', 'bob', { trustedDevice: false })).resolves.toBeUndefined();
      await login.recordFailure('198.51.100.1', 'bob');
      expect(detection.getState('198.51.100.1')).toBe('blocked');

      const p = await problemOf(login.check('198.51.100.1', 'bob', { trustedDevice: false }));
      expect(p.getStatus()).toBe(429);
      expect(p.detail).toBe('Too many failed logins; try again in 60 seconds.');
      expect(p.extras.retryAfter).toBe(60);
      expect(p.extras.rateLimit).toMatchObject({ remaining: 0, resetSeconds: 60 });

      // Listed as blocked and suspicious, with the seconds remaining, in the original's keys.
      h.clock.advance(15_000);
      const dash = detection.dashboardData();
      expect(dash.blocked_ips).toContain('198.51.100.1');
      expect(dash.suspicious_ips).toContain('198.51.100.1');
      expect(dash.brute_force_ips).toEqual([{ ip: '198.51.100.1', remaining: 45 }]);
      // Other routes stay open: the buffer holds back sign-ins only.
      expect((await h.call('GET', '/ok', '198.51.100.1')).status).toBe(200);

      h.clock.advance(45_000 - 1);
      expect((await problemOf(login.check('198.51.100.1', 'bob', { trustedDevice: false }))).extras.retryAfter).toBe(1);
      h.clock.advance(1);
      await login.check('198.51.100.1', 'bob', { trustedDevice: false });
      await login.recordFailure('198.51.100.1', 'bob');
      // The 6th failure: 60 s × (6 − 4).
      expect((await problemOf(login.check('198.51.100.1', 'bob', { trustedDevice: false }))).extras.retryAfter).toBe(120);
    });

    it('a successful login resets the count', async () => {
      await start();
      for (let i = 0; i < 4; i++) await fail('198.51.100.2');
      await succeed('198.51.100.2');
      for (let i = 0; i < 4; i++) await fail('198.51.100.2');
      await expect(login.check('198.51.100.2', 'bob', { trustedDevice: false })).resolves.toBeUndefined();
    });

    it('simultaneous attempts cannot overshoot the threshold', async () => {
      await start();
      for (let i = 0; i < 3; i++) await fail('198.51.100.3');
      await login.check('198.51.100.3', 'bob', { trustedDevice: false });
      await login.check('198.51.100.3', 'bob', { trustedDevice: false });
      expect((await problemOf(login.check('198.51.100.3', 'bob', { trustedDevice: false }))).getStatus()).toBe(429);
    });

    it('a client blocked for another reason gets 403', async () => {
      await start();
      h.app.get(DecisionService).block({ client: '198.51.100.4', rule: 'admin', reason: 'test', seconds: 60, by: 'admin:x' });
      expect((await problemOf(login.check('198.51.100.4', 'bob', { trustedDevice: false }))).getStatus()).toBe(403);
    });
  });

  describe('rule 3: failed logins per account from many addresses', () => {
    it('a botnet of 100 addresses making 3 guesses each gets at most a few dozen checked in an hour', async () => {
      await start();
      let checked = 0;
      let refused = 0;
      // 300 guesses spread over an hour (one every 12 s), each from the next address.
      for (let i = 0; i < 300; i++) {
        const client = `203.0.113.${i % 100}`;
        try {
          await login.check(client, 'victim', { trustedDevice: false });
          checked++;
          await login.recordFailure(client, 'victim');
        } catch (err) {
          expect((err as ProblemException).getStatus()).toBe(429);
          expect((err as ProblemException).detail).toMatch(/^Too many failed logins for this account; try again in \d+ seconds?\.$/);
          refused++;
        }
        h.clock.advance(12_000);
      }
      expect(checked).toBeLessThanOrEqual(40);
      expect(checked).toBeGreaterThanOrEqual(10);
      expect(refused).toBe(300 - checked);
    });

    it('the owner on a trusted device is never delayed', async () => {
      await start();
      for (let i = 0; i < 11; i++) await fail(`203.0.113.${i}`, 'owner');
      expect((await problemOf(login.check('203.0.113.200', 'owner', { trustedDevice: false }))).getStatus()).toBe(429);
      await expect(login.check('192.0.2.50', 'owner', { trustedDevice: true })).resolves.toBeUndefined();
      await login.recordSuccess('192.0.2.50', 'owner');
    });

    it('the delay doubles from 1 s: one checked guess per delay', async () => {
      await start();
      for (let i = 0; i < 10; i++) await fail(`203.0.113.${i}`, 'carol');
      await fail('203.0.113.20', 'carol'); // the first delayed guess takes a 1 s slot
      expect((await problemOf(login.check('203.0.113.21', 'carol', { trustedDevice: false }))).extras.retryAfter).toBe(1);
      h.clock.advance(1_000);
      await fail('203.0.113.21', 'carol'); // the next takes a 2 s slot
      h.clock.advance(1_000);
      expect((await problemOf(login.check('203.0.113.22', 'carol', { trustedDevice: false }))).extras.retryAfter).toBe(1);
      h.clock.advance(1_000);
      await fail('203.0.113.22', 'carol'); // then 4 s
      h.clock.advance(3_999);
      expect((await problemOf(login.check('203.0.113.23', 'carol', { trustedDevice: false }))).getStatus()).toBe(429);
      h.clock.advance(1);
      await expect(login.check('203.0.113.23', 'carol', { trustedDevice: false })).resolves.toBeUndefined();
    });
  });

  describe('rule 4: successful logins per client', () => {
    it('the 4th in 60 s is suspicious, the 5th refused with 429 and blocks 60 s, the 6th 120 s', async () => {
      await start();
      for (let i = 0; i < 3; i++) await succeed('198.51.100.10');
      expect(detection.getState('198.51.100.10')).toBe('normal');
      await succeed('198.51.100.10');
      expect(detection.getState('198.51.100.10')).toBe('suspicious');
      const fifth = await problemOf(succeed('198.51.100.10'));
      expect(fifth.getStatus()).toBe(429);
      expect(fifth.extras.retryAfter).toBe(60);
      expect(detection.dashboardData().successful_block_ips).toEqual([{ ip: '198.51.100.10', remaining: 60 }]);
      expect((await problemOf(login.check('198.51.100.10', 'bob', { trustedDevice: false }))).extras.retryAfter).toBe(60);
      h.clock.advance(30_000);
      await h.app.get(HealingService).runOnce();
      expect((await problemOf(login.check('198.51.100.10', 'bob', { trustedDevice: false }))).extras.retryAfter).toBe(30);
      h.clock.advance(29_000);
      await h.app.get(HealingService).runOnce();
      // 59 s after the first: still the same window.
      await login.check('198.51.100.10', 'bob', { trustedDevice: false }).catch(() => undefined);
      h.clock.advance(1_000);
      await h.app.get(HealingService).runOnce();
      expect(detection.getState('198.51.100.10')).toBe('suspicious');
    });

    it('observe mode: the 5th is not refused', async () => {
      await start({ mode: 'observe' });
      for (let i = 0; i < 6; i++) await succeed('198.51.100.11');
      expect(detection.dashboardData().decisions.some((d) => d.client === '198.51.100.11' && d.state === 'blocked' && !d.enforced)).toBe(true);
    });
  });

  describe('rule 5: token misuse', () => {
    const exp = () => Math.floor(h.clock.now() / 1000) + 900;

    it('a second client while the first uses it: suspicious, naming both; a 4th client: revoke and block', async () => {
      await start();
      const e = exp();
      expect(tokens.observeAccessToken('j1', '198.51.100.20', 'bob', e)).toBe('ok');
      expect(tokens.observeAccessToken('j1', '198.51.100.20', 'bob', e)).toBe('ok');
      expect(detection.getState('198.51.100.20')).toBe('normal');
      expect(tokens.observeAccessToken('j1', '198.51.100.21', 'bob', e)).toBe('ok');
      expect(detection.getState('198.51.100.21')).toBe('suspicious');
      const reason = h.app.get(DecisionService).suspicionOf('198.51.100.21', h.clock.now())?.reason;
      expect(reason).toContain('198.51.100.21');
      expect(reason).toContain('198.51.100.20');
      expect(tokens.observeAccessToken('j1', '198.51.100.22', 'bob', e)).toBe('ok');
      expect(tokens.observeAccessToken('j1', '198.51.100.23', 'bob', e)).toBe('revoke');
      expect(detection.getState('198.51.100.23')).toBe('blocked');
      expect(detection.getState('198.51.100.20')).not.toBe('blocked');
    });

    it('a client that moves on is not misuse: the first stopped using the token a window ago', async () => {
      await start();
      const e = exp();
      tokens.observeAccessToken('j2', '198.51.100.30', 'bob', e);
      h.clock.advance(300_000);
      expect(tokens.observeAccessToken('j2', '198.51.100.31', 'bob', e)).toBe('ok');
      expect(detection.getState('198.51.100.31')).toBe('normal');
    });

    it('refresh families the same way, and refresh reuse marks the presenter suspicious', async () => {
      await start();
      expect(tokens.observeRefreshFamily('f1', '198.51.100.40', 'bob')).toBe('ok');
      expect(tokens.observeRefreshFamily('f1', '198.51.100.41', 'bob')).toBe('ok');
      expect(detection.getState('198.51.100.41')).toBe('suspicious');
      await tokens.refreshReuse('198.51.100.42', 'bob');
      expect(detection.getState('198.51.100.42')).toBe('suspicious');
      expect(h.app.get(AuditService).recent(5).some((e) => e.type === 'token.refresh-reuse')).toBe(true);
    });

    it('observe mode never asks for revocation', async () => {
      await start({ mode: 'observe' });
      const e = exp();
      for (let i = 0; i < 5; i++) expect(tokens.observeAccessToken('j3', `198.51.100.${50 + i}`, 'bob', e)).toBe('ok');
    });
  });

  it('healing trims the audit log past its retention and prunes counters', async () => {
    await start({ auditRetentionSeconds: 3600 });
    const audit = h.app.get(AuditService);
    await audit.record({ type: 'test.old', detail: 'old' });
    h.clock.advance(3600_000 + 1);
    await audit.record({ type: 'test.new', detail: 'new' });
    await fail('198.51.100.60');
    h.clock.advance(3600_000);
    const run = await h.app.get(HealingService).runOnce();
    expect(run).toMatchObject({ trimmed_audit: 1 });
    expect(run?.pruned_counters).toBeGreaterThan(0);
    expect((await audit.list(10)).map((e) => e.type)).toContain('test.new');
    expect((await audit.list(10)).map((e) => e.type)).not.toContain('test.old');
    expect(h.app.get(HealingService).lastRun()).toEqual(run);
    expect(detection.dashboardData().healing).toEqual(run);
  });

  it('decisions, block history and lists survive a restart (same data folder)', async () => {
    await start({ rateLimit: 3 });
    for (let i = 0; i < 4; i++) await h.call('GET', '/ok', '198.51.100.70');
    await h.call('POST', '/admin/lists', '192.0.2.1', { body: { kind: 'deny', cidr: '203.0.113.0/24' } });
    await fail('198.51.100.71');
    for (let i = 0; i < 4; i++) await fail('198.51.100.71');
    await h.app.get(DecisionService).settled();
    const clock = h.clock;
    await h.close();
    await database.db.close();

    database.db = await openDatabase({ dataDir: database.dataDir });
    h = await startHarness(database.db, { rateLimit: 3 }, clock);
    detection = h.app.get(DetectionService);
    login = h.app.get(LoginDefenseService);
    expect(detection.getState('198.51.100.70')).toBe('blocked');
    expect((await h.call('GET', '/ok', '198.51.100.70')).status).toBe(403);
    expect((await h.call('GET', '/ok', '203.0.113.8')).status).toBe(403);
    expect((await problemOf(login.check('198.51.100.71', 'bob', { trustedDevice: false }))).getStatus()).toBe(429);

    // Block history survives too: the next block of .70 is doubled.
    clock.advance(300_000);
    await h.app.get(HealingService).runOnce();
    for (let i = 0; i < 3; i++) await h.call('GET', '/ok', '198.51.100.70');
    expect((await h.call('GET', '/ok', '198.51.100.70')).headers['retry-after']).toBe('600');
  });
});
