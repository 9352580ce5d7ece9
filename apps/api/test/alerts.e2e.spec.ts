import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, freePort, http } from '@bouncer/testing';
import { startServer, type TestServer } from './support/app';
import { PrivateRedis } from './support/private-redis';

/** What a webhook receiver got. */
interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A real webhook receiver on loopback: answers each POST with the next status in `statuses`
 * (then 200), or never answers when `hang` is set.
 */
async function startReceiver(opts: { statuses?: number[]; hang?: boolean } = {}) {
  const statuses = [...(opts.statuses ?? [])];
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (opts.hang) return; // holds the connection open: a receiver that never answers
      const status = statuses.shift() ?? 200;
      received.push({ at: Date.now(), headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bouncer`;
  return {
    url,
    received,
    /** The alerts that were accepted (answered 200), parsed. */
    delivered: () => received.filter((r) => r.status === 200).map((r) => ({ ...r, json: JSON.parse(r.body) as Record<string, unknown> })),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `eventually` takes any truthy value; an empty list is not an answer yet. */
const nonEmpty = <T>(xs: T[]): T[] | null => (xs.length ? xs : null);

const SECRET = 'alert-secret-for-the-test-0123456789';

function signatureValid(r: Received, secret: string): boolean {
  const ts = String(r.headers['x-bouncer-timestamp'] ?? '');
  const sig = String(r.headers['x-bouncer-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
  return (
    sig.length === expected.length &&
    timingSafeEqual(Buffer.from(sig), Buffer.from(expected)) &&
    Math.abs(Date.now() / 1000 - Number(ts)) < 300
  );
}

/** Probes three missing paths from each address: with PROBE_THRESHOLD=3 each one is blocked by the probing rule. */
async function probe(server: TestServer, froms: string[]): Promise<number[]> {
  const took: number[] = [];
  for (const from of froms)
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      const res = await http(server.url, `/wp-admin/${i}.php`, { from });
      took.push(performance.now() - started);
      expect([403, 404]).toContain(res.status);
    }
  return took;
}

describe('alert webhooks', () => {
  describe('json format, signed, receiver failing twice first', () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    beforeAll(async () => {
      receiver = await startReceiver({ statuses: [500, 500] });
      server = await startServer({
        ALERT_WEBHOOKS: receiver.url,
        ALERT_WEBHOOK_SECRET: SECRET,
        ALERT_ATTACK_THRESHOLD: '3',
        ALERT_ATTACK_WINDOW: '60',
        ALERT_ADMIN_FAILED_SIGNINS: '3',
        ALERT_RETRY_BASE_MS: '50',
        PROBE_THRESHOLD: '3',
        ALLOWLIST: '127.0.0.1/32',
      });
    });
    afterAll(async () => {
      await server?.close(true);
      await receiver?.close();
    });

    it('#14.2 (ops review §6.2) a probing attack from several addresses gets one signed alert within seconds, delivered on the third try after two 500s', async () => {
      const started = Date.now();
      await probe(server, ['127.0.9.1', '127.0.9.2', '127.0.9.3']);
      const [alert] = await eventually(async () => nonEmpty(receiver.delivered()), 'an alert to be delivered', 10_000, 25);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(alert?.json).toMatchObject({ source: 'bouncer', kind: 'attack.started', details: { rule: 'probing', threshold: 3 } });
      // Every try is signed, each with its own timestamp in the signed string.
      for (const r of receiver.received) expect(signatureValid(r, SECRET)).toBe(true);
      expect(signatureValid({ ...(alert as Received), body: (alert as Received).body.replace('probing', 'probinG') }, SECRET)).toBe(false);
      expect(signatureValid(alert as Received, 'another-secret-0123456789')).toBe(false);
    });

    it('#14.2 (ops review §6.2) a second burst by the same rule within the window is the same incident: no second alert', async () => {
      await probe(server, ['127.0.9.4', '127.0.9.5', '127.0.9.6']);
      server.clock.advance(30_000);
      await probe(server, ['127.0.9.7', '127.0.9.8', '127.0.9.9']);
      // Give a wrongly sent second alert the time the first one needed.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.delivered().filter((d) => d.json['kind'] === 'attack.started')).toHaveLength(1);
    });

    it('#14.2 (ops review §6.2) failed sign-ins at an admin account from several addresses raise admin.under-attack once', async () => {
      for (const from of ['127.0.10.1', '127.0.10.2', '127.0.10.3', '127.0.10.4'])
        expect((await http(server.url, '/token', { form: { username: 'admin', password: 'not-the-password-1' }, from })).status).toBe(401);
      // Failures at an ordinary (unknown) name are not an admin under attack.
      for (const from of ['127.0.10.5', '127.0.10.6', '127.0.10.7'])
        await http(server.url, '/token', { form: { username: 'nobody-here', password: 'not-the-password-1' }, from });
      const alert = await eventually(
        async () => receiver.delivered().find((d) => d.json['kind'] === 'admin.under-attack'),
        'admin.under-attack',
        10_000,
        25,
      );
      expect(alert.json).toMatchObject({ details: { account: 'admin' } });
      expect(signatureValid(alert, SECRET)).toBe(true);
      expect(receiver.delivered().filter((d) => d.json['kind'] === 'admin.under-attack')).toHaveLength(1);
    });

    it('#14.2 (ops review §6.2) allowlisting a blocked client lifts its block and says so: allowlist.override', async () => {
      const admin = await server.adminToken();
      for (let i = 0; i < 4; i++) await http(server.url, `/missing-${i}`, { from: '127.0.12.1' });
      expect((await http(server.url, '/missing-x', { from: '127.0.12.1' })).status).toBe(403);
      const added = await http(server.url, '/admin/lists', {
        token: admin,
        from: '127.0.0.1',
        body: { kind: 'allow', cidr: '127.0.12.0/24' },
      });
      expect(added.status).toBe(201);
      const alert = await eventually(
        async () => receiver.delivered().find((d) => d.json['kind'] === 'allowlist.override'),
        'allowlist.override',
        10_000,
        25,
      );
      expect(alert.json).toMatchObject({ details: { client: '127.0.12.1', by: 'admin:admin' } });
    });

    it('#14.2 a rule that would have blocked an allowlisted client raises allowlist.skipped once per incident, audited; the client is never refused', async () => {
      const admin = await server.adminToken();
      const added = await http(server.url, '/admin/lists', {
        token: admin,
        from: '127.0.0.1',
        body: { kind: 'allow', cidr: '127.0.13.0/24' },
      });
      expect(added.status).toBe(201);
      // PROBE_THRESHOLD=3: the 4th miss would block an ordinary client; this one keeps getting its 404s.
      for (let i = 0; i < 6; i++) expect((await http(server.url, `/scan-${i}`, { from: '127.0.13.7' })).status).toBe(404);
      const alert = await eventually(
        async () => receiver.delivered().find((d) => d.json['kind'] === 'allowlist.skipped'),
        'allowlist.skipped',
        10_000,
        25,
      );
      expect(alert.json).toMatchObject({ kind: 'allowlist.skipped', details: { client: '127.0.13.7', rule: 'probing' } });
      expect(signatureValid(alert, SECRET)).toBe(true);
      const events = await http(server.url, '/admin/events?type=allowlist.skipped-decision', { token: admin, from: '127.0.0.1' });
      expect(events.json).toEqual([
        expect.objectContaining({ type: 'allowlist.skipped-decision', client: '127.0.13.7', actor: 'rule:probing' }),
      ]);
      // More would-be blocks within the window are the same incident: no second alert, no block.
      server.clock.advance(20_000);
      for (let i = 0; i < 8; i++) expect((await http(server.url, `/scan-more-${i}`, { from: '127.0.13.7' })).status).toBe(404);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(receiver.delivered().filter((d) => d.json['kind'] === 'allowlist.skipped')).toHaveLength(1);
      const decisions = await http(server.url, '/admin/decisions?client=127.0.13.7', { token: admin, from: '127.0.0.1' });
      expect(decisions.json).toMatchObject({ total: 0 });
    });
  });

  describe('slack format, a receiver that never answers and one that is gone', () => {
    let server: TestServer;
    let slack: Awaited<ReturnType<typeof startReceiver>>;
    let hanging: Awaited<ReturnType<typeof startReceiver>>;
    let deadUrl: string;

    beforeAll(async () => {
      slack = await startReceiver();
      hanging = await startReceiver({ hang: true });
      deadUrl = `http://127.0.0.1:${await freePort()}/gone`;
      server = await startServer({
        ALERT_WEBHOOKS: [deadUrl, hanging.url, slack.url].join(','),
        ALERT_FORMAT: 'slack',
        ALERT_ATTACK_THRESHOLD: '3',
        ALERT_RETRY_BASE_MS: '20',
        PROBE_THRESHOLD: '3',
        ALLOWLIST: '127.0.0.1/32',
      });
    });
    afterAll(async () => {
      await server?.close(true);
      await slack?.close();
      await hanging?.close();
    });

    it('#14.2 (ops review §6.2) a dead and a hanging receiver do not slow requests; the dead one ends in alert.failed in the audit log; the Slack body is valid', async () => {
      // Baseline: the same requests before any alert is under way.
      const before = await probe(server, ['127.0.11.1', '127.0.11.2']);
      const during = await probe(server, ['127.0.11.3', '127.0.11.4', '127.0.11.5', '127.0.11.6']);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const [alert] = await eventually(async () => nonEmpty(slack.delivered()), 'the Slack alert', 10_000, 25);
      // Requests while two receivers fail or hang: no slower than before (well within noise), none held up.
      expect(median(during)).toBeLessThan(median(before) * 3 + 20);
      expect(Math.max(...during)).toBeLessThan(1_000);
      // Slack's incoming-webhook shape: text, and blocks of known types with mrkdwn text.
      const body = alert?.json as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
      expect(body.text).toMatch(/^Bouncer: rule probing made 3 or more decisions/);
      expect(body.blocks.length).toBeGreaterThan(0);
      for (const b of body.blocks) {
        expect(['section', 'context']).toContain(b.type);
        if (b.type === 'section') expect(b.text?.type).toBe('mrkdwn');
      }
      expect(alert?.headers['x-bouncer-signature']).toBeUndefined(); // no secret configured: unsigned
      const admin = await server.adminToken();
      const failed = await eventually(
        async () => {
          const events = (await http(server.url, '/admin/events?limit=200', { token: admin, from: '127.0.0.1' })).json as {
            type: string;
            detail: string;
          }[];
          return events.find((e) => e.type === 'alert.failed');
        },
        'alert.failed in the audit log',
        10_000,
        100,
      );
      expect(failed.detail).toMatch(/^alert attack\.started not delivered to http:\/\/127\.0\.0\.1:\d+\/… after 4 tries/);
      expect(hanging.received).toHaveLength(0);
    });
  });

  describe('shared store', () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let redis: PrivateRedis;

    beforeAll(async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
      receiver = await startReceiver();
      server = await startServer({ ALERT_WEBHOOKS: receiver.url, REDIS_URL: redis.url, ALERT_RETRY_BASE_MS: '20' });
    });
    afterAll(async () => {
      await server?.close(true);
      await receiver?.close();
      await redis?.kill();
    });

    it('#14.2 (ops review §6.2) Redis killed gives one store.lost however long it stays down, and store.regained once it is back', async () => {
      await eventually(async () => (await http(server.url, '/health/ready')).status === 200, 'ready', 20_000, 100);
      await redis.kill();
      await eventually(async () => receiver.delivered().find((d) => d.json['kind'] === 'store.lost'), 'store.lost', 15_000, 50);
      await redis.start();
      await eventually(async () => receiver.delivered().find((d) => d.json['kind'] === 'store.regained'), 'store.regained', 20_000, 50);
      expect(receiver.delivered().map((d) => d.json['kind'])).toEqual(['store.lost', 'store.regained']);
    });
  });
});
