import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { classifyUrl } from '@bouncer/detection';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { describeError } from '../db/query-errors';
import { GatewayService } from './gateway.service';
import { signInUsername } from './sign-in-username';

/** One access-log line, as nginx (tools/nginx/forward-auth.conf's `bouncer_report` format) writes it. */
interface NginxLine {
  method?: unknown;
  uri?: unknown;
  status?: unknown;
  client?: unknown;
  content_type?: unknown;
  body?: unknown;
}

/** One line of Caddy's JSON access log (`log { output net udp/… ; format json }`). */
interface CaddyLine {
  request?: { remote_ip?: unknown; client_ip?: unknown; method?: unknown; uri?: unknown };
  status?: unknown;
}

/**
 * How nginx and Caddy tell Bouncer what the protected API answered in forward-auth mode:
 * their access log, sent as syslog/UDP datagrams to GATEWAY_LOG_LISTEN (host:port). Neither
 * proxy can call an HTTP endpoint after the answer without a scripting module, and the access
 * log is the one place that has the answer's status (and, in nginx, the request body, which
 * holds the username of a sign-in). Datagrams from an address that is not a trusted proxy are
 * dropped: only the proxy may say what its clients did. Bind it to a loopback or private
 * address: UDP senders are not authenticated beyond their address.
 */
@Injectable()
export class GatewayLogReceiver implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GatewayLogReceiver.name);
  private socket: Socket | null = null;
  /** Datagrams taken, and dropped (untrusted sender, unreadable line), for the operator. */
  readonly stats = { received: 0, dropped: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gateway: GatewayService,
  ) {}

  async onModuleInit(): Promise<void> {
    const listen = this.config.gatewayLogListen;
    if (!listen) return;
    const socket = createSocket(listen.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => this.take(msg, rinfo));
    socket.on('error', (e) => this.logger.warn(`GATEWAY_LOG_LISTEN: ${describeError(e)}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(listen.port, listen.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.logger.log(`reading proxy access logs on udp ${listen.host}:${listen.port}`);
  }

  onModuleDestroy(): void {
    this.socket?.close();
    this.socket = null;
  }

  /** The port bound (tests bind port 0). */
  port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  private take(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.gateway.isTrustedProxy(rinfo.address)) {
      this.stats.dropped++;
      return;
    }
    const report = this.parse(msg.toString('utf8'));
    if (!report) {
      this.stats.dropped++;
      return;
    }
    this.stats.received++;
    this.gateway.report(report).catch((e: Error) => this.logger.warn(`an access-log report failed: ${describeError(e)}`));
  }

  private parse(text: string): Parameters<GatewayService['report']>[0] | null {
    // A syslog header (`<190>Dec  2 17:40:00 host nginx: `) may come before the JSON.
    const start = text.indexOf('{');
    if (start < 0) return null;
    let line: NginxLine & CaddyLine;
    try {
      line = JSON.parse(text.slice(start)) as NginxLine & CaddyLine;
    } catch {
      return null;
    }
    const req = line.request;
    const method = str(req?.method ?? line.method);
    const url = str(req?.uri ?? line.uri);
    const client = str(req?.client_ip ?? req?.remote_ip ?? line.client);
    const status = Number(line.status);
    if (!method || !url || !client || !Number.isInteger(status) || status < 100 || status > 599) return null;
    const key = this.gateway.clientOf(client, {});
    if (key === 'invalid') return null;
    let username: string | null = null;
    const body = str(line.body);
    if (body) {
      const field = classifyUrl(this.gateway.policy, method, url)?.cls.signIn?.usernameField;
      if (field) username = signInUsername(field, str(line.content_type) ?? undefined, body);
    }
    return { client: key, method, url, status, username };
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}
