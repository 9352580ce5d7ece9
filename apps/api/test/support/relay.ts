import { createServer, type Server, Socket } from 'node:net';
import { freePort } from '@bouncer/testing';
import { createTestDatabaseUrl } from './postgres';

/**
 * A TCP relay between the API and PostgreSQL: `cut()` destroys every connection and stops
 * listening (the database is unreachable, for real: connects are refused), `open()` brings it
 * back. The machine's PostgreSQL server itself is never touched.
 */
export class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  async open(): Promise<void> {
    if (this.server?.listening) return;
    this.server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target, '127.0.0.1');
      // Either side gone takes the other with it, as one TCP connection would: a client killed
      // with unread data resets its socket (an error, not an end), and pipe() does not pass that
      // on, so PostgreSQL kept the dead client's session, with its open transaction and its row
      // locks, and the next requests for those rows waited out their query timeout.
      for (const [s, other] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          other.destroy();
        });
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server?.listen(this.port, '127.0.0.1', r));
  }
  async cut(): Promise<void> {
    if (!this.server?.listening) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** A fresh test database behind an open relay: `url` goes through the relay, `directUrl` does not (for the test's own checks). */
export async function databaseBehindRelay(): Promise<{ url: string; directUrl: string; relay: Relay; drop: () => Promise<void> }> {
  const db = await createTestDatabaseUrl();
  const relay = new Relay(await freePort(), Number(new URL(db.url).port || 5432));
  await relay.open();
  const url = new URL(db.url);
  url.port = String(relay.port);
  return { url: url.toString(), directUrl: db.url, relay, drop: db.drop };
}
