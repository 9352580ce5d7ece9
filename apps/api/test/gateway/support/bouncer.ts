import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, http, strongPassword } from '@bouncer/testing';
import { startServer, type TestServer } from '../../support/app';

export interface GatewayBouncer {
  server: TestServer;
  url: string;
  /** host:port of Bouncer's HTTP listener (for the proxy's config). */
  hostPort: string;
  /** host:port of GATEWAY_LOG_LISTEN (UDP). */
  logHostPort: string;
  /** A scratch directory for the proxy's files; removed by close(). */
  dir: string;
  /** An access token for a new user with this role (signed in from 127.0.0.1, the proxy's address). */
  tokenFor(username: string, role: 'user' | 'admin'): Promise<string>;
  close(): Promise<void>;
}

/**
 * Bouncer in process (manual clock) for the gateway tests: TRUSTED_PROXIES is 127.0.0.1 only
 * (the proxies run there; every other 127.x.y.z is a client), POLICY_FILE is `policy` written to
 * a file, GATEWAY_LOG_LISTEN a free UDP port. `env` overrides anything.
 */
export async function startGatewayBouncer(policy: string, env: Record<string, string> = {}): Promise<GatewayBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'bouncer-gateway-'));
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, policy);
  const logPort = await freePort();
  const server = await startServer({
    TRUSTED_PROXIES: '127.0.0.1/32',
    POLICY_FILE: policyFile,
    GATEWAY_LOG_LISTEN: `127.0.0.1:${logPort}`,
    TOKEN_MAX_CLIENTS: '50',
    ...env,
  });
  return {
    server,
    url: server.url,
    hostPort: server.url.replace('http://', ''),
    logHostPort: `127.0.0.1:${logPort}`,
    dir,
    async tokenFor(username, role) {
      const password = strongPassword();
      const admin = await server.adminToken();
      const created = await http(server.url, '/admin/users', { token: admin, body: { username, password, role }, from: '127.0.0.1' });
      if (created.status !== 201) throw new Error(`creating ${username}: ${created.status} ${created.text}`);
      const res = await http(server.url, '/token', { form: { username, password }, from: '127.0.0.1' });
      if (res.status !== 200) throw new Error(`signing in ${username}: ${res.status} ${res.text}`);
      return res.json.access_token as string;
    },
    async close() {
      await server.close(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The policy the proxy tests use: an admin-only class, a per-user limit, the upstream's sign-in route. */
export const TEST_POLICY = `
version: 1
classes:
  - name: sign-in
    match: { methods: [POST], path: /login }
    auth: public
    sign_in: { username_field: username, failure_statuses: [401] }
  - name: admin
    match: { path: /admin/** }
    auth: { role: admin }
  - name: api
    match: { path: /api/** }
    auth: token
    rate_limits:
      subject: { limit: 3, window_seconds: 60 }
default:
  auth: public
`;
