import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startApiProcess, strongPassword, type ApiProcess } from '@bouncer/testing';

/**
 * What a request leaves behind must die young. V8 collects its young generation (a scavenge)
 * cheaply as long as almost nothing in it is still referenced; what is, is copied, and then
 * promoted to the old generation, which only a full mark-compact frees. The gate's refusal once
 * built its headers as an object spread from the shared ones plus four more properties, and at
 * 30,000 refusals a second each scavenge promoted about 0.9 MB (a served request: 3 KB), so a
 * blocked client's refusals spent a tenth of their time in the collector. The built server runs
 * with --trace-gc-nvp, which prints what each scavenge promoted; both the refusal path and the
 * served path must promote next to nothing.
 */
describe('garbage of the request path', () => {
  const BLOCKED = '198.51.100.7';
  const SERVED = '198.51.100.8';
  let api: ApiProcess;
  let dir: string;
  let output = '';
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bouncer-gc-'));
    const password = strongPassword();
    api = await startApiProcess({
      nodeArgs: ['--trace-gc-nvp'],
      env: {
        PATH: process.env['PATH'],
        DATA_DIR: dir,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: password,
        LOG_LEVEL: 'warn',
        TRUSTED_PROXIES: '127.0.0.1/32',
        RATE_LIMIT: '1000000000',
        PROBE_THRESHOLD: '1000000000',
        SUCCESS_LOGIN_BLOCK: '1000',
      },
      onOutput: (chunk) => (output += chunk),
    });
    const signIn = await http(api.url, '/token', {
      form: { username: 'admin', password },
      headers: { 'x-forwarded-for': SERVED },
    });
    expect(signIn.status).toBe(200);
    token = (signIn.json as { access_token: string }).access_token;
    const blocked = await http(api.url, '/admin/blocks', {
      token,
      body: { client: BLOCKED, duration_seconds: 600, reason: 'garbage test' },
    });
    expect(blocked.status).toBe(201);
  });

  afterAll(async () => {
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `total` requests over 16 keep-alive connections; returns the statuses seen. */
  async function hammer(client: string, total: number): Promise<Set<number>> {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const statuses = new Set<number>();
    let sent = 0;
    const one = (): Promise<void> =>
      new Promise((done, fail) => {
        const req = request(
          `${api.url}/validate-token`,
          { agent, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } },
          (res) => {
            statuses.add(res.statusCode ?? 0);
            res.resume();
            res.on('end', done);
          },
        );
        req.on('error', fail);
        req.end();
      });
    const lane = async () => {
      while (sent < total) {
        sent++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    agent.destroy();
    return statuses;
  }

  /** Bytes each scavenge promoted while `work` ran. */
  async function promotedDuring(work: () => Promise<unknown>): Promise<number[]> {
    const from = output.length;
    await work();
    return [...output.slice(from).matchAll(/gc=s .*?promoted=(\d+)/g)].map((m) => Number(m[1]));
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it.each([
    ['a blocked client refused by the gate', BLOCKED, 403],
    ['a served client on a token-protected route', SERVED, 200],
  ])('%s: each scavenge promotes under 100 KB', async (_what, client, status) => {
    // Warm: the code is optimised and the young generation sized before anything is counted.
    await hammer(client, 5_000);
    let statuses = new Set<number>();
    const promoted = await promotedDuring(async () => (statuses = await hammer(client, 40_000)));
    expect([...statuses]).toEqual([status]);
    // 40,000 requests allocate tens of MB: several scavenges, whatever the young generation's size.
    expect(promoted.length).toBeGreaterThanOrEqual(3);
    expect(median(promoted)).toBeLessThan(100_000);
  });
});
