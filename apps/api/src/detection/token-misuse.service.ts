import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { CLOCK, type Clock } from '../core/clock';
import { REDIS, type RedisHandle } from '../core/redis';
import { DecisionService } from './decisions/decision.service';
import { DETECTION_OPTIONS, type DetectionOptions } from '../config/detection-options';

interface Usage {
  clients: string[];
  expiresAt: number;
}

/** How long a refresh family's users are remembered: a phone changing networks is normal later. */
const FAMILY_WINDOW_MS = 15 * 60_000;

/** Adds a client to a token's set and says how many clients and which came first, atomically. */
const OBSERVE = `
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 and redis.call('SCARD', KEYS[1]) == 1 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {redis.call('SCARD', KEYS[1]), redis.call('GET', KEYS[2]) or ARGV[1]}
`;
type WithObserve = { bouncerObserve(set: string, first: string, client: string, ttlMs: number): Promise<[number, string]> };

/**
 * Rule 5: a token is carried by one client. The same access token (jti) or refresh family
 * used from a second client while the first still uses it marks the newcomer suspicious;
 * from more than `tokenMaxClients` clients, the token is revoked and newcomers are blocked.
 * With several instances the clients of a token are gathered in Redis, so a token replayed
 * through different instances is seen whole; a client already seen with a token is answered
 * from memory (no Redis round trip on the usual request).
 */
@Injectable()
export class TokenMisuseService {
  private readonly tokens: LRUCache<string, Usage>;
  private readonly shared: ((Redis | Cluster) & WithObserve) | null;

  constructor(
    @Inject(DETECTION_OPTIONS) private readonly options: DetectionOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly decisions: DecisionService,
    @Optional() @Inject(REDIS) private readonly redis: RedisHandle | null = null,
  ) {
    this.tokens = new LRUCache({ max: options.maxTrackedClients });
    this.shared = redis ? (redis.client as (Redis | Cluster) & WithObserve) : null;
    if (redis && !('bouncerObserve' in redis.client)) redis.client.defineCommand('bouncerObserve', { numberOfKeys: 2, lua: OBSERVE });
  }

  /** Called on every authenticated request. */
  observeAccessToken(jti: string, client: string, username: string, expiresAtSec: number): Promise<'ok' | 'revoke'> {
    return this.observe(`jti:${jti}`, client, `access token of ${username}`, expiresAtSec * 1000);
  }

  observeRefreshFamily(familyId: string, client: string, username: string): Promise<'ok' | 'revoke'> {
    return this.observe(`family:${familyId}`, client, `session of ${username}`, this.clock.now() + FAMILY_WINDOW_MS);
  }

  /** A rotated refresh token came back: whoever presents it is suspicious. */
  async refreshReuse(client: string, username: string): Promise<void> {
    await this.decisions.suspect({ client, rule: 'refresh-reuse', reason: `presented an already-used refresh token of ${username}` });
  }

  private async observe(key: string, client: string, what: string, expiresAt: number): Promise<'ok' | 'revoke'> {
    if (this.options.mode === 'off') return 'ok';
    const now = this.clock.now();
    let u = this.tokens.get(key);
    if (!u || u.expiresAt <= now) {
      u = { clients: [], expiresAt };
      this.tokens.set(key, u);
    }
    if (u.clients.includes(client)) return 'ok';
    u.clients.push(client);
    let count = u.clients.length;
    let first = u.clients[0];
    if (this.shared && this.redis?.isUp()) {
      try {
        const ttl = Math.max(1_000, expiresAt - now);
        const [n, f] = await this.shared.bouncerObserve(`bn:tok:${key}`, `bn:tokf:${key}`, client, ttl);
        count = Number(n);
        first = f;
      } catch {
        // Redis failed mid-call: judge on what this instance saw.
      }
    }
    if (count <= 1) return 'ok';
    if (count > this.options.tokenMaxClients) {
      await this.decisions.block({
        client,
        rule: 'token-misuse',
        reason: `${what} used from ${count} clients (first ${first})`,
        seconds: this.options.banSeconds,
        escalate: true,
      });
      return this.decisions.isEnforced('token-misuse') ? 'revoke' : 'ok';
    }
    await this.decisions.suspect({ client, rule: 'token-misuse', reason: `${what} used from ${client} while in use by ${first}` });
    return 'ok';
  }
}
