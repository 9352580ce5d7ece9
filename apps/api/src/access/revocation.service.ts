import { z } from 'zod';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { and, gt, isNotNull, lt } from 'drizzle-orm';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { REDIS, type RedisHandle } from '../core/redis';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies, revokedTokens, users } from '../db/schema';

/** The channel's name after the deployment's Redis prefix (REDIS_PREFIX). */
const CHANNEL_NAME = 'revocations';
/** With a shared database, instances re-read revocations this often even without Redis. */
const RELOAD_INTERVAL_MS = 5_000;

const RevocationMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('jti'), id: z.string(), exp: z.number() }),
  z.object({ kind: z.literal('session'), id: z.string(), exp: z.number() }),
  z.object({ kind: z.literal('user'), id: z.string(), at: z.number() }),
]);
type Revocation = z.infer<typeof RevocationMessage>;

/** The revocation a peer published, or null when the message is not one. */
export function parseRevocation(raw: string): Revocation | null {
  try {
    const parsed = RevocationMessage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * What makes an otherwise valid access token dead before its expiry: its own id revoked
 * (logout), its session (refresh family) revoked, or its user's tokens invalidated (disable,
 * role change). All three are answered from memory on every request. The database holds the
 * same facts so they survive a restart; with several instances, each revocation is also
 * published on Redis (applied everywhere at once) and re-read from the shared database every
 * few seconds (so nothing is missed while Redis is down).
 */
@Injectable()
@Prunable({ order: 30 })
export class RevocationService implements OnModuleInit, OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(RevocationService.name);
  /** jti -> expiry (ms). */
  private readonly revokedJtis = new Map<string, number>();
  /** refresh family id -> expiry (ms). */
  private readonly revokedSessions = new Map<string, number>();
  /** username -> tokens issued before this instant (ms) are dead. */
  private readonly notBefore = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REDIS) private readonly redis: RedisHandle | null,
  ) {}

  private get channel(): string {
    return `${this.redis?.prefix ?? ''}${CHANNEL_NAME}`;
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
    if (this.redis) {
      this.redis.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        const revocation = parseRevocation(message);
        // A malformed message (another deployment, a hand-typed PUBLISH) is logged and ignored, never fatal.
        if (revocation) this.apply(revocation);
        else this.logger.warn(`ignored a malformed message on ${this.channel}: ${message.slice(0, 200)}`);
      });
      await this.redis.subscriber.subscribe(this.channel).catch(() => undefined);
    }
    if (this.database.kind === 'postgres') {
      this.timer = setInterval(
        () => void this.reload().catch((e: Error) => this.logger.warn(`reload failed: ${e.message}`)),
        RELOAD_INTERVAL_MS,
      );
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads every live revocation from the database. */
  async reload(): Promise<void> {
    const now = new Date(this.clock.now());
    const db = this.database.db;
    for (const r of await db.select().from(revokedTokens).where(gt(revokedTokens.expiresAt, now))) {
      this.revokedJtis.set(r.jti, r.expiresAt.getTime());
    }
    const families = await db
      .select({ id: refreshFamilies.id, expiresAt: refreshFamilies.expiresAt })
      .from(refreshFamilies)
      // A family outlives every access token it issued, so its expiry bounds theirs.
      .where(and(isNotNull(refreshFamilies.revokedAt), gt(refreshFamilies.expiresAt, now)));
    for (const f of families) this.revokedSessions.set(f.id, f.expiresAt.getTime());
    for (const u of await db.select({ username: users.username, after: users.tokensValidAfter }).from(users)) {
      this.notBefore.set(u.username, u.after.getTime());
    }
  }

  /** True when the token must be refused although its signature and expiry are fine. */
  isRevoked(claims: { jti: string; sid?: string; sub: string; iat: number }): boolean {
    if (this.revokedJtis.has(claims.jti)) return true;
    if (claims.sid && this.revokedSessions.has(claims.sid)) return true;
    const nb = this.notBefore.get(claims.sub);
    return nb !== undefined && claims.iat * 1000 < nb - 999;
  }

  async revokeToken(jti: string, expiresAtMs: number): Promise<void> {
    this.share({ kind: 'jti', id: jti, exp: expiresAtMs });
    await this.database.db
      .insert(revokedTokens)
      .values({ jti, expiresAt: new Date(expiresAtMs) })
      .onConflictDoNothing();
  }

  /** Remembers that a session is dead (the caller has already marked it revoked in SQL). */
  markSessionRevoked(familyId: string, expiresAtMs: number): void {
    this.share({ kind: 'session', id: familyId, exp: expiresAtMs });
  }

  setNotBefore(username: string, atMs: number): void {
    this.share({ kind: 'user', id: username, at: atMs });
  }

  /** Drops entries whose tokens have expired anyway; returns how many went. */
  async prune(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const map of [this.revokedJtis, this.revokedSessions]) {
      for (const [k, exp] of map)
        if (exp <= now) {
          map.delete(k);
          n++;
        }
    }
    await this.database.db.delete(revokedTokens).where(lt(revokedTokens.expiresAt, new Date(now)));
    return n;
  }

  async pruneStale(): Promise<PruneResult> {
    return { pruned: await this.prune() };
  }

  private share(r: Revocation): void {
    this.apply(r);
    if (this.redis?.isUp()) void this.redis.client.publish(this.channel, JSON.stringify(r)).catch(() => undefined);
  }

  private apply(r: Revocation): void {
    if (r.kind === 'jti') this.revokedJtis.set(r.id, r.exp);
    else if (r.kind === 'session') this.revokedSessions.set(r.id, r.exp);
    else this.notBefore.set(r.id, r.at);
  }
}
