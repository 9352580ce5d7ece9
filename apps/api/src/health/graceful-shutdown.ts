import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Lifecycle } from './lifecycle';

export interface ShutdownOptions {
  /** Readiness 503 for this long, still serving, so load balancers stop sending first. */
  drainSeconds: number;
  /** The process ends by then whatever is still running (exit 1). */
  timeoutSeconds: number;
}

/** How long no request must be in flight before connections with nothing to do are closed. */
const QUIET_MS = 150;

/**
 * SIGTERM and SIGINT end the process without losing a request it has accepted:
 * 1. readiness turns 503 (draining) while everything else is still served, for `drainSeconds`;
 * 2. every answer from then on says `Connection: close`, and the process waits until nothing has
 *    happened for a moment: no request in flight, no new connection. Only then does the listener
 *    close. The wait matters on the embedded store: its SQL runs on the main thread, so under
 *    load many connections the kernel has completed are not accepted (or their request not read)
 *    yet; closing the listener resets the former, closing idle connections the latter (together
 *    a third of in-flight requests before);
 * 3. idle keep-alive connections are closed, and when the last connection has ended the app
 *    closes (the database last) and the process exits 0. A second signal, or `timeoutSeconds`
 *    after the first, ends it at once with exit 1.
 */
export function gracefulShutdown(app: NestFastifyApplication, opts: ShutdownOptions, print: (line: string) => void): void {
  const server: HttpServer = app.getHttpServer();
  const lifecycle = app.get(Lifecycle);
  let inFlight = 0;
  let draining = false;
  let lastActivity = Date.now();
  server.prependListener('connection', () => (lastActivity = Date.now()));
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    lastActivity = Date.now();
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight--;
      lastActivity = Date.now();
    });
  });

  let started: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started !== null) {
      print(`bouncer: ${signal} again during shutdown: stopping now (${inFlight} request(s) still in flight)`);
      process.exit(1);
    }
    started = Date.now();
    print(
      `bouncer: ${signal} received: shutting down (readiness 503 now, draining ${opts.drainSeconds} s, ` +
        `then finishing in-flight requests; at most ${opts.timeoutSeconds} s)`,
    );
    setTimeout(() => {
      print(`bouncer: shutdown did not finish within ${opts.timeoutSeconds} s (${inFlight} request(s) in flight): stopping now`);
      process.exit(1);
    }, opts.timeoutSeconds * 1000).unref();
    lifecycle.startDraining();
    void run(signal);
  };

  const run = async (signal: NodeJS.Signals) => {
    try {
      await sleep(opts.drainSeconds * 1000);
      draining = true;
      await untilQuiet(() => inFlight === 0 && Date.now() - lastActivity >= QUIET_MS);
      // net.Server's close, not http.Server's: the latter also closes idle connections at once,
      // before the sweep below has checked that nothing is in flight.
      const ended = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      server.closeIdleConnections();
      // Keep-alive connections that carry a last request close after its answer (Connection: close);
      // the sweep catches one that turns idle without closing.
      const sweep = setInterval(() => {
        if (inFlight === 0) server.closeIdleConnections();
      }, QUIET_MS);
      await ended;
      clearInterval(sweep);
      await app.close();
      print(`bouncer: shutdown complete after ${signal} in ${((Date.now() - (started ?? Date.now())) / 1000).toFixed(1)} s`);
      process.exit(0);
    } catch (err) {
      print(`bouncer: shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolves once `quiet()` holds before and after a poll phase of the event loop: a timer can fire
 * right after a long synchronous query, before the loop has looked at the connections and data
 * that arrived meanwhile; setImmediate runs only after it has.
 */
async function untilQuiet(quiet: () => boolean): Promise<void> {
  for (;;) {
    if (quiet()) {
      await new Promise((r) => setImmediate(r));
      if (quiet()) return;
    }
    await sleep(25);
  }
}
