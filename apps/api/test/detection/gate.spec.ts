import { AuditService } from '../../src/audit/audit.service';
import { describeWait } from '../../src/common/problem.exception';
import { DecisionService, DetectionService } from '../../src/detection';
import { HealingService } from '../../src/healing';
import { type Harness, openTestDatabase, startHarness } from './harness';

describe('detection gate (Fastify, module level)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let h: Harness;

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

  const many = async (n: number, url: string, from: string, headers?: Record<string, string>) => {
    let last = { status: 0, headers: {}, json: null } as Awaited<ReturnType<Harness['call']>>;
    for (let i = 0; i < n; i++) last = await h.call('GET', url, from, { headers });
    return last;
  };

  it('request rate: 300 requests in 60 s pass (suspicious from 210), the 301st is refused with 403 problem+json', async () => {
    h = await startHarness(database.db);
    const detection = h.app.get(DetectionService);
    await many(209, '/ok', '198.51.100.1');
    expect(detection.getState('198.51.100.1')).toBe('normal');
    await many(1, '/ok', '198.51.100.1');
    expect(detection.getState('198.51.100.1')).toBe('suspicious');
    const at300 = await many(90, '/ok', '198.51.100.1');
    expect(at300.status).toBe(200);
    const refused = await h.call('GET', '/ok', '198.51.100.1');
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toBe('300');
    expect(refused.json).toMatchObject({ type: 'urn:bouncer:problem:client-blocked', status: 403, retry_after: 300 });
    expect(refused.json.detail).toBe(`This client is blocked: 301 requests in 60 s (limit 300). Try again in ${describeWait(300)}.`);
    expect((await h.call('GET', '/ok', '198.51.100.1')).status).toBe(403);
    expect((await h.call('GET', '/ok', '198.51.100.2')).status).toBe(200);
    expect(detection.getState('198.51.100.1')).toBe('blocked');
  });

  it('a window that ended starts the count again', async () => {
    h = await startHarness(database.db, { rateLimit: 10 });
    await many(10, '/ok', '198.51.100.3');
    h.clock.advance(60_000);
    expect((await many(10, '/ok', '198.51.100.3')).status).toBe(200);
    expect((await h.call('GET', '/ok', '198.51.100.3')).status).toBe(403);
  });

  it('healing lifts the block when it expires, and a repeat offender is blocked twice as long, up to the cap', async () => {
    h = await startHarness(database.db, { rateLimit: 5, banSeconds: 300, maxBanSeconds: 1000 });
    const healing = h.app.get(HealingService);
    const audit = h.app.get(AuditService);
    const durations: string[] = [];
    for (let round = 0; round < 4; round++) {
      await many(5, '/ok', '203.0.113.5');
      const r = await h.call('GET', '/ok', '203.0.113.5');
      expect(r.status).toBe(403);
      durations.push(r.headers['retry-after'] as string);
      h.clock.advance(Number(r.headers['retry-after']) * 1000 - 1);
      expect((await h.call('GET', '/ok', '203.0.113.5')).status).toBe(403);
      h.clock.advance(1);
      const run = await healing.runOnce();
      expect(run?.lifted).toBeGreaterThanOrEqual(1);
      expect((await h.call('GET', '/ok', '203.0.113.5')).status).toBe(200);
      h.clock.advance(60_000);
    }
    expect(durations).toEqual(['300', '600', '1000', '1000']);
    expect(audit.recent(200).some((e) => e.type === 'decision.lifted' && e.client === '203.0.113.5')).toBe(true);
    expect(healing.lastRun()).toMatchObject({ lifted: expect.any(Number), trimmed_audit: 0 });
  });

  it('a block more than 24 h after the last one is not doubled', async () => {
    h = await startHarness(database.db, { rateLimit: 2 });
    await many(3, '/ok', '203.0.113.6');
    h.clock.advance(24 * 3600_000);
    await h.app.get(HealingService).runOnce();
    await many(2, '/ok', '203.0.113.6');
    expect((await h.call('GET', '/ok', '203.0.113.6')).headers['retry-after']).toBe('300');
  });

  it('probing: 20 answers 401/403/404 pass (suspicious from 14), the 21st blocks', async () => {
    h = await startHarness(database.db);
    const detection = h.app.get(DetectionService);
    await many(13, '/secret', '192.0.2.10');
    expect(detection.getState('192.0.2.10')).toBe('normal');
    await many(1, '/nowhere', '192.0.2.10');
    expect(detection.getState('192.0.2.10')).toBe('suspicious');
    await many(6, '/secret', '192.0.2.10');
    expect(detection.getState('192.0.2.10')).toBe('suspicious');
    expect((await h.call('GET', '/ok', '192.0.2.10')).status).toBe(200);
    await many(1, '/secret', '192.0.2.10');
    expect(detection.getState('192.0.2.10')).toBe('blocked');
    const r = await h.call('GET', '/ok', '192.0.2.10');
    expect(r.status).toBe(403);
    expect(r.json.detail).toContain('21 401/403/404 answers in 60 s (limit 20)');
  });

  it('observe mode records and shows decisions without enforcing them', async () => {
    h = await startHarness(database.db, { mode: 'observe', rateLimit: 5 });
    expect((await many(20, '/ok', '198.51.100.9')).status).toBe(200);
    const decisions = await h.call('GET', '/admin/decisions?state=blocked', '127.0.0.1');
    expect(decisions.json.items).toEqual([expect.objectContaining({ client: '198.51.100.9', rule: 'request-rate', enforced: false, decided_by: 'rule:request-rate' })]);
    const dash = await h.call('GET', '/dashboard-data', '127.0.0.1');
    expect(dash.json.mode).toBe('observe');
    expect(dash.json.blocked_ips).toEqual(['198.51.100.9']);
  });

  it('per-rule observe mode: that rule only is not enforced', async () => {
    h = await startHarness(database.db, { rateLimit: 5, probeThreshold: 3, observeRules: ['probing'] });
    await many(4, '/secret', '198.51.100.20');
    expect((await h.call('GET', '/ok', '198.51.100.20')).status).toBe(200);
    await many(6, '/ok', '198.51.100.21');
    expect((await h.call('GET', '/ok', '198.51.100.21')).status).toBe(403);
  });

  it('groups IPv6 clients per /64 and maps ::ffff: addresses to IPv4', async () => {
    h = await startHarness(database.db, { rateLimit: 4 });
    await h.call('GET', '/ok', '2001:db8:1:2::a');
    await h.call('GET', '/ok', '2001:db8:1:2::b');
    await h.call('GET', '/ok', '2001:db8:1:2:ffff::1');
    await h.call('GET', '/ok', '2001:db8:1:2::c');
    expect((await h.call('GET', '/ok', '2001:db8:1:2::d')).status).toBe(403);
    expect((await h.call('GET', '/ok', '2001:db8:1:3::a')).status).toBe(200);
    expect(h.app.get(DetectionService).getState('2001:db8:1:2::/64')).toBe('blocked');
    await many(5, '/ok', '::ffff:192.0.2.44');
    expect((await h.call('GET', '/ok', '192.0.2.44')).status).toBe(403);
  });

  it('believes X-Forwarded-For only from trusted proxies', async () => {
    h = await startHarness(database.db, { rateLimit: 3, trustedProxies: ['10.0.0.0/8'] });
    // Through the proxy: each forwarded client has its own count.
    await many(3, '/ok', '10.0.0.1', { 'x-forwarded-for': '198.51.100.50' });
    expect((await h.call('GET', '/ok', '10.0.0.1', { headers: { 'x-forwarded-for': '198.51.100.51' } })).status).toBe(200);
    expect((await h.call('GET', '/ok', '10.0.0.1', { headers: { 'x-forwarded-for': '198.51.100.50' } })).status).toBe(403);
    // A direct client rotating spoofed headers is still one client.
    for (let i = 0; i < 3; i++) await h.call('GET', '/ok', '198.51.100.60', { headers: { 'x-forwarded-for': `192.0.2.${i}` } });
    expect((await h.call('GET', '/ok', '198.51.100.60', { headers: { 'x-forwarded-for': '192.0.2.99' } })).status).toBe(403);
    // A spoofed left-most entry through the proxy does not help either.
    expect((await h.call('GET', '/ok', '10.0.0.1', { headers: { 'x-forwarded-for': '1.1.1.1, 198.51.100.50' } })).status).toBe(403);
  });

  it('allowlist and denylist by CIDR, managed through the admin API (loopback not allowlisted by default)', async () => {
    h = await startHarness(database.db, { rateLimit: 10 });
    await many(10, '/ok', '127.0.0.1');
    expect((await h.call('GET', '/ok', '127.0.0.1')).status).toBe(403);

    expect((await h.call('POST', '/admin/lists', '192.0.2.200', { body: { kind: 'allow', cidr: '198.51.100.0/24', note: 'office' } })).status).toBe(201);
    expect((await many(30, '/ok', '198.51.100.77')).status).toBe(200);

    expect((await h.call('POST', '/admin/lists', '192.0.2.200', { body: { kind: 'deny', cidr: '203.0.113.0/24' } })).status).toBe(201);
    const denied = await h.call('GET', '/ok', '203.0.113.9');
    expect(denied.status).toBe(403);
    expect(denied.json.detail).toContain('203.0.113.0/24 is on the denylist');

    const bad = await h.call('POST', '/admin/lists', '192.0.2.200', { body: { kind: 'deny', cidr: '203.0.113.0/33' } });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    const lists = await h.call('GET', '/admin/lists', '192.0.2.200');
    expect(lists.json.map((e: { cidr: string }) => e.cidr)).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    expect((await h.call('DELETE', '/admin/lists?kind=deny&cidr=203.0.113.0/24', '192.0.2.200')).status).toBe(204);
    expect((await h.call('GET', '/ok', '203.0.113.9')).status).toBe(200);
    expect((await h.call('DELETE', '/admin/lists?kind=deny&cidr=203.0.113.0/24', '192.0.2.200')).status).toBe(404);
  });

  it('admin blocks of an address or a CIDR, validated, audited with the admin name, and lifted', async () => {
    h = await startHarness(database.db);
    const block = await h.call('POST', '/admin/blocks', '192.0.2.200', {
      headers: { 'x-test-user': 'carol' },
      body: { client: '203.0.113.0/24', duration_seconds: 600, reason: 'scanner range' },
    });
    expect(block.status).toBe(201);
    expect(block.json).toMatchObject({ client: '203.0.113.0/24', state: 'blocked', rule: 'admin', decided_by: 'admin:carol', remaining_seconds: 600, enforced: true });
    expect((await h.call('GET', '/ok', '203.0.113.44')).status).toBe(403);
    expect((await h.call('GET', '/ok', '203.0.114.1')).status).toBe(200);

    const v6 = await h.call('POST', '/admin/blocks', '192.0.2.200', { body: { client: '2001:db8:5:6::77', duration_seconds: 60, reason: 'x' } });
    expect(v6.json.client).toBe('2001:db8:5:6::/64');
    expect((await h.call('GET', '/ok', '2001:db8:5:6::1')).status).toBe(403);

    for (const body of [
      { client: '203.0.113.0/40', duration_seconds: 60, reason: 'x' },
      { client: 'example.com', duration_seconds: 60, reason: 'x' },
      { client: '203.0.113.1', duration_seconds: 0, reason: 'x' },
      { client: '203.0.113.1', duration_seconds: 1.5, reason: 'x' },
      { client: '203.0.113.1', duration_seconds: 60, reason: 'x', extra: true },
    ]) {
      expect((await h.call('POST', '/admin/blocks', '192.0.2.200', { body })).status).toBe(400);
    }

    expect((await h.call('DELETE', '/admin/blocks?client=203.0.113.0/24', '192.0.2.200', { headers: { 'x-test-user': 'dave' } })).status).toBe(204);
    expect((await h.call('GET', '/ok', '203.0.113.44')).status).toBe(200);
    expect((await h.call('DELETE', '/admin/blocks?client=203.0.113.0/24', '192.0.2.200')).status).toBe(404);
    await h.app.get(DecisionService).settled();
    const events = await h.call('GET', '/admin/events?limit=10', '192.0.2.200');
    expect(events.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'decision.blocked', client: '203.0.113.0/24', actor: 'admin:carol' }),
        expect.objectContaining({ type: 'decision.lifted', client: '203.0.113.0/24', actor: 'admin:dave' }),
      ]),
    );
  });

  it('admin routes need the admin role', async () => {
    h = await startHarness(database.db);
    for (const url of ['/dashboard-data', '/admin/stats', '/admin/decisions', '/admin/lists', '/admin/events']) {
      expect((await h.call('GET', url, '192.0.2.201', { headers: { 'x-test-role': 'user' } })).status).toBe(403);
    }
  });

  it('suspicions can be cleared by an admin', async () => {
    h = await startHarness(database.db, { rateLimit: 10 });
    await many(7, '/ok', '198.51.100.30');
    expect(h.app.get(DetectionService).getState('198.51.100.30')).toBe('suspicious');
    expect((await h.call('DELETE', '/admin/suspicions?client=198.51.100.30', '192.0.2.200')).status).toBe(204);
    expect(h.app.get(DetectionService).getState('198.51.100.30')).toBe('normal');
  });

  it('decisions: paged and filtered', async () => {
    h = await startHarness(database.db, { rateLimit: 5 });
    for (let i = 1; i <= 5; i++) await many(6, '/ok', `198.51.100.${100 + i}`);
    const page = await h.call('GET', '/admin/decisions?state=blocked&page=2&page_size=2', '192.0.2.200');
    expect(page.json).toMatchObject({ total: 5, page: 2, page_size: 2 });
    expect(page.json.items).toHaveLength(2);
    expect((await h.call('GET', '/admin/decisions?page_size=100000', '192.0.2.200')).status).toBe(400);
    const stats = await h.call('GET', '/admin/stats', '192.0.2.200');
    expect(stats.json).toEqual({ total_ips: 6, blocked_ips: 5, system_health: 'ok', active_threshold: 5 });
  });

  it('memory stays bounded under a flood of one-off addresses', async () => {
    h = await startHarness(database.db, { maxTrackedClients: 100 });
    for (let i = 0; i < 3000; i++) await h.call('GET', '/secret', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const detection = h.app.get(DetectionService);
    expect(detection.monitor.trackedClients()).toBeLessThanOrEqual(100);
    const dash = await h.call('GET', '/dashboard-data', '192.0.2.200');
    expect(Object.keys(dash.json.request_counts).length).toBeLessThanOrEqual(20);
    expect(dash.json.total_ips).toBeLessThanOrEqual(100);
  }, 60_000);

  it('dashboard data: the original keys, bounded lists, a 15-minute series', async () => {
    h = await startHarness(database.db, { rateLimit: 40 });
    for (let i = 0; i < 30; i++) await many(i + 1, '/ok', `198.51.100.${i}`);
    await many(41, '/ok', '198.51.100.250');
    await many(3, '/secret', '198.51.100.251');
    const dash = await h.call('GET', '/dashboard-data', '192.0.2.200');
    const d = dash.json;
    expect(Object.keys(d)).toEqual(
      expect.arrayContaining(['total_ips', 'blocked_ips', 'suspicious_ips', 'request_counts', 'brute_force_ips', 'successful_block_ips', 'series', 'top_clients', 'decisions', 'events', 'healing', 'mode', 'degraded', 'requests_per_minute']),
    );
    expect(d.total_ips).toBe(33);
    expect(d.blocked_ips).toEqual(['198.51.100.250']);
    expect(d.top_clients).toHaveLength(20);
    expect(d.top_clients[0]).toEqual({ client: '198.51.100.250', requests: 41, state: 'blocked' });
    expect(d.top_clients[1]).toEqual({ client: '198.51.100.29', requests: 30, state: 'suspicious' });
    expect(Object.keys(d.request_counts)).toHaveLength(20);
    expect(d.series.bucket_seconds).toBe(10);
    expect(d.series.points).toHaveLength(90);
    const last = d.series.points[89];
    expect(last.requests).toBeGreaterThanOrEqual(500);
    expect(last.unauthorized).toBe(3);
    expect(last.blocks).toBe(0);
    expect(d.requests_per_minute).toBe(last.requests);
    expect(d.degraded).toBe(false);
    expect(d.decisions[0]).toMatchObject({ remaining_seconds: expect.any(Number) });
  });

  it('auth-route throttle: 30 sign-in requests a minute per client, then 429 problem+json with Retry-After and RateLimit headers', async () => {
    h = await startHarness(database.db);
    for (let i = 0; i < 30; i++) expect((await h.call('POST', '/token', '198.51.100.70')).status).toBe(200);
    const r = await h.call('POST', '/token', '198.51.100.70');
    expect(r.status).toBe(429);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.headers['retry-after']).toBe('60');
    expect(r.headers['ratelimit-policy']).toBe('"auth";q=30;w=60');
    expect(r.headers['ratelimit']).toBe('"auth";r=0;t=60');
    expect(r.json).toMatchObject({ status: 429, retry_after: 60 });
    expect((await h.call('POST', '/token', '198.51.100.71')).status).toBe(200);
    // Other routes are not throttled by it.
    expect((await many(40, '/health', '198.51.100.70')).status).toBe(200);
    h.clock.advance(60_000);
    expect((await h.call('POST', '/token', '198.51.100.70')).status).toBe(200);
  });
});
