import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { REDIS, type RedisHandle } from '../../core/redis';
import type { Decision, DecisionState } from './decision';

/** Decisions travel between instances on this Redis channel. */
/** The channel's name after the deployment's Redis prefix (REDIS_PREFIX). */
const CHANNEL_NAME = 'decisions';

export type SyncMessage =
  | { from: string; op: 'set'; decision: Decision }
  | { from: string; op: 'lift'; client: string; state: DecisionState }
  | { from: string; op: 'lists' };

/** What a peer sent, without the sender. */
export type SyncEvent = SyncMessage extends infer M ? (M extends { from: string } ? Omit<M, 'from'> : never) : never;

/**
 * Cross-instance sync over Redis pub/sub: each decision, lift and list change is published,
 * and the others' are handed to the listener. Without Redis it does nothing. A malformed
 * message is logged and ignored; it never reaches the listener or stops the subscriber.
 */
@Injectable()
export class DecisionSync {
  private readonly logger = new Logger(DecisionSync.name);
  private readonly instanceId = randomUUID();

  constructor(@Optional() @Inject(REDIS) private readonly redis: RedisHandle | null = null) {}

  private get channel(): string {
    return `${this.redis?.prefix ?? ''}${CHANNEL_NAME}`;
  }

  /** Subscribes; `onEvent` gets each peer's message, `onReconnect` runs when Redis comes back. */
  async start(onEvent: (e: SyncEvent) => void, onReconnect: () => void): Promise<void> {
    if (!this.redis) return;
    const redis = this.redis;
    redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const m = parseMessage(message);
      if (!m) {
        this.logger.warn(`ignored a malformed message on ${this.channel}: ${message.slice(0, 200)}`);
        return;
      }
      if (m.from === this.instanceId) return;
      const { from: _from, ...event } = m;
      onEvent(event);
    });
    await redis.subscriber.subscribe(this.channel).catch(() => undefined);
    redis.onChange((up) => {
      if (up) onReconnect();
    });
  }

  /** Whether peers hear what is published now (Redis configured and up). */
  connected(): boolean {
    return this.redis?.isUp() ?? false;
  }

  publish(event: SyncEvent): void {
    if (this.redis?.isUp()) {
      void this.redis.client.publish(this.channel, JSON.stringify({ from: this.instanceId, ...event })).catch(() => undefined);
    }
  }
}

/** The message if it is one this code understands, else null. */
export function parseMessage(raw: string): SyncMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  if (typeof o['from'] !== 'string') return null;
  if (o['op'] === 'lists') return o as SyncMessage;
  if (o['op'] === 'lift')
    return typeof o['client'] === 'string' && (o['state'] === 'blocked' || o['state'] === 'suspicious') ? (o as SyncMessage) : null;
  if (o['op'] === 'set') {
    const d = o['decision'] as Record<string, unknown> | null;
    const ok =
      typeof d === 'object' &&
      d !== null &&
      typeof d['client'] === 'string' &&
      (d['state'] === 'blocked' || d['state'] === 'suspicious') &&
      typeof d['rule'] === 'string' &&
      typeof d['reason'] === 'string' &&
      typeof d['createdAt'] === 'number' &&
      typeof d['expiresAt'] === 'number' &&
      typeof d['decidedBy'] === 'string' &&
      typeof d['enforced'] === 'boolean' &&
      (d['scope'] === undefined || d['scope'] === 'all' || d['scope'] === 'sign-in');
    if (ok && d['scope'] === undefined) d['scope'] = 'all';
    return ok ? (o as SyncMessage) : null;
  }
  return null;
}
