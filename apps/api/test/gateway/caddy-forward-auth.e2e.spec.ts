import { startGatewayBouncer, TEST_POLICY } from './support/bouncer';
import { startCaddy } from './support/proxies';
import { type ProxyWorld, proxyScenarios } from './support/scenarios';
import { startUpstream } from './support/upstream';

/**
 * Caddy 2.6 (Debian) `forward_auth` in front of the test upstream, with tools/caddy/Caddyfile;
 * its JSON access log reports the upstream's answers to Bouncer over UDP. Caddy's log has no
 * request body, so failed sign-ins are counted per client (the username is unknown).
 */
describe('gateway: Caddy forward_auth (tools/caddy/Caddyfile)', () => {
  let world: ProxyWorld;

  beforeAll(async () => {
    const bouncer = await startGatewayBouncer(TEST_POLICY, { FAILED_LOGIN_THRESHOLD: '3', PROBE_THRESHOLD: '5' });
    const upstream = await startUpstream();
    const proxy = await startCaddy({
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

  proxyScenarios(() => world, 22, { usernameFromBody: false });
});
