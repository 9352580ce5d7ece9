import { http } from '@bouncer/testing';
import { startGatewayBouncer, TEST_POLICY } from './support/bouncer';
import { startNginx } from './support/proxies';
import { type ProxyWorld, proxyScenarios } from './support/scenarios';
import { startUpstream } from './support/upstream';

/**
 * nginx `auth_request` in front of a test upstream, with tools/nginx/forward-auth.conf as the
 * README shows it; its access log reports the upstream's answers to Bouncer over UDP.
 */
describe('gateway: nginx auth_request (tools/nginx/forward-auth.conf)', () => {
  let world: ProxyWorld;

  beforeAll(async () => {
    const bouncer = await startGatewayBouncer(TEST_POLICY, { FAILED_LOGIN_THRESHOLD: '3', PROBE_THRESHOLD: '5' });
    const upstream = await startUpstream();
    const proxy = await startNginx({
      bouncer: bouncer.hostPort,
      upstream: `127.0.0.1:${upstream.port}`,
      bouncerLog: bouncer.logHostPort,
      dir: bouncer.dir,
    });
    const user = await bouncer.tokenFor('alice', 'user');
    const admin = await bouncer.tokenFor('root', 'admin');
    world = { bouncer, upstream, proxy, user, admin };
    // Start-up of an in-process server (its embedded database) is slow on a loaded machine.
  }, 300_000);

  afterAll(async () => {
    await world?.proxy.stop();
    await world?.upstream.close();
    await world?.bouncer.close();
  });

  proxyScenarios(() => world, 21, { usernameFromBody: true });

  it('counts requests per route class for the dashboard and shows the policy to admins', async () => {
    const token = await world.bouncer.server.adminToken();
    const data = await http(world.bouncer.url, '/dashboard-data', { token, from: '127.0.0.1' });
    const api = (data.json.route_classes as { name: string; requests: number; refused: number; by_status: Record<string, number> }[]).find(
      (c) => c.name === 'api',
    );
    expect(api?.requests).toBeGreaterThan(0);
    expect(api?.by_status['429']).toBeGreaterThanOrEqual(1);
    expect(api?.by_status['401']).toBeGreaterThanOrEqual(1);
    const policy = await http(world.bouncer.url, '/admin/policy', { token, from: '127.0.0.1' });
    expect(policy.status).toBe(200);
    expect(policy.json.policy.classes.map((c: { name: string }) => c.name)).toEqual(['sign-in', 'admin', 'api']);
    expect(policy.json.policy.classes[2].rate_limits).toEqual({ subject: { limit: 3, window_seconds: 60 } });
    expect((await http(world.bouncer.url, '/admin/policy', { token: world.user, from: '127.0.0.1' })).status).toBe(403);
    const ready = await http(world.bouncer.url, '/health/ready', { from: '127.0.0.1' });
    expect(ready.json.route_classes).toContainEqual({ name: 'api', on_store_down: 'local', now: 'normal' });
  });
});
