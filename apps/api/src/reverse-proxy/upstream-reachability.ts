import { connect } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

const CONNECT_TIMEOUT_MS = 1_000;

/**
 * Whether the upstream of the reverse-proxy mode accepts connections, for /health/ready. A
 * field, never a failed readiness: every instance loses the upstream at once, and taking them
 * all out of the load balancer would also take Bouncer's own routes (sign-in, the dashboard).
 */
@Injectable()
export class UpstreamReachability {
  private readonly target: { host: string; port: number };

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const url = new URL(config.upstream?.url ?? 'http://127.0.0.1');
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.target = { host, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
  }

  /** `ok` when a TCP connection opens within a second, else `unreachable`. */
  check(): Promise<'ok' | 'unreachable'> {
    return new Promise((resolve) => {
      const socket = connect({ ...this.target, timeout: CONNECT_TIMEOUT_MS });
      const done = (state: 'ok' | 'unreachable') => {
        socket.destroy();
        resolve(state);
      };
      socket.once('connect', () => done('ok'));
      socket.once('timeout', () => done('unreachable'));
      socket.once('error', () => done('unreachable'));
    });
  }
}
