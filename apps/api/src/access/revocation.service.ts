import { z } from 'zod';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { REDIS, type RedisHandle } from '../core/redis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type Database, DATABASE, type DatabaseHandle } from '../db/database';
import { deployment, revocations, users } from '../db/schema';
import { describeError } from '../db/query-errors';

/** The channel's name after the deployment's Redis prefix (REDIS_PREFIX). */
const CHANNEL_NAME = 'revocations';
/** With a shared database, instances read new revocations this often even without Redis. */
const RELOAD_INTERVAL_MS = 5_000;
/**
 * Each periodic read goes back this far before the previous one (the database's clock): a row is
 * stamped when its statement starts and may become visible a little later.
 */
const RELOAD_OVERLAP_MS = 30_000;
/**
 * A session revoked while one of its refreshes is in flight may still get an access token signed
 * a moment later; its revocation is held this much longer than the access-token lifetime.
 */
const IN_FLIGHT_MARGIN_MS = 60_000;
/** The service's own revocations waiting for the database; beyond this the oldest are dropped (still in force here). */
const UNSTORED_LIMIT = 10_000;
/** How often queued revocations are written again while the database does not answer. */
const UNSTORED_RETRY_MS = 2_000;

const RevocationMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('jti'), id: z.string(), exp: z.number() }),
  z.object({ kind: z.literal('session'), id: z.string(), exp: z.number() }),
  z.object({ kind: z.literal('user'), id: z.string(), gen: z.number().int().nonnegative(), exp: z.number() }),
  z.object({ kind: z.literal('user-deleted'), id: z.string(), gen: z.number().int().nonnegative(), exp: z.number() }),
]);
export type Revocation = z.infer<typeof RevocationMessage>;

/** The revocation a peer published, or null when the message is not one. */
export function parseRevocation(raw: string): Revocation | null {
  try {
    const parsed = RevocationMessage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The lowest token generation a user's tokens need; `until` is finite once the account is gone. */
export interface GenerationFloor {
  gen: number;
  until: number;
  deleted: boolean;
}

/**
 * A user's floor after a generation change, whatever order the changes arrive in (Redis and
 * the periodic read may deliver them twice or out of order). A deletion raises the floor above
 * the account's last generation; a new account of the same name starts at that floor, so at an
 * equal generation an existing account is the newer fact.
 */
export function nextFloor(
  old: GenerationFloor | undefined,
  change: { kind: 'user' | 'user-deleted'; gen: number; exp: number },
): GenerationFloor {
  if (change.kind === 'user') {
    return !old || change.gen >= old.gen ? { gen: change.gen, until: Infinity, deleted: false } : old;
  }
  if (!old || change.gen > old.gen || (change.gen === old.gen && old.deleted)) {
    return { gen: change.gen, until: Math.max(change.exp, old?.deleted ? old.until : 0), deleted: true };
  }
  return old;
}

/**
 * What makes an otherwise valid access token dead before its expiry: its own id revoked
 * (logout), its session (refresh family) revoked, or its user's token generation raised (role
 * change, disable, password change, deletion). All three are answered from memory on every
 * request. A revocation a person asks for (logout, password change, an admin's change) is
 * written to the `revocations` table, with the change and its audit record, before it takes
 * effect anywhere: stored and in force, or neither (503), so a retry works. One the service
 * makes on its own (misuse) is in force at once and stored as soon as the database answers.
 * Each is published on Redis (applied on every instance at once) and, with a shared database,
 * read back by the other instances every few seconds (only what changed), so nothing is missed
 * while Redis is down.
 */
@Injectable()
@Prunable({ order: 30 })
export class RevocationService implements OnModuleInit, OnModuleDestroy, PrunableProvider {
  private readonly logger = new Logger(RevocationService.name);
  /** jti -> expiry (ms). */
  private readonly revokedJtis = new Map<string, number>();
  /** refresh family id -> until when its access tokens can live (ms). */
  private readonly revokedSessions = new Map<string, number>();
  /** username -> the lowest generation its tokens need. */
  private readonly floors = new Map<string, GenerationFloor>();
  /** The database's time of the last read (ms), for reading only what changed since. */
  private lastReadAt: number | null = null;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  /** The service's own revocations in force but not yet stored, oldest first. */
  private readonly unstoredQueue: Revocation[] = [];
  private unstoredDropped = 0;

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisHandle | null,
  ) {}

  private get channel(): string {
    return `${this.redis?.prefix ?? ''}${CHANNEL_NAME}`;
  }

  /** Until when an access token issued now can live (ms). */
  private accessHorizon(): number {
    return this.clock.now() + this.config.accessTokenTtlSeconds * 1000 + IN_FLIGHT_MARGIN_MS;
  }

  async onModuleInit(): Promise<void> {
    // Subscribed before the database is read, so a revocation a peer publishes while this
    // instance starts is heard (revocations only add, so hearing one before the read is safe).
    if (this.redis) {
      this.redis.subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        const revocation = parseRevocation(message);
        // A malformed message (another deployment, a hand-typed PUBLISH) is logged and ignored, never fatal.
        if (revocation) this.apply(revocation);
        else this.logger.warn(`ignored a malformed message on ${this.channel}: ${message.slice(0, 200)}`);
      });
      await this.redis.subscriber.subscribe(this.channel).catch(() => undefined);
      // Back from an outage: what the peers revoked meanwhile is read at once, not at the next tick.
      if (this.database.kind === 'postgres')
        this.redis.onChange((up) => {
          if (up) void this.reload().catch((e: Error) => this.logger.warn(`reload failed: ${e.message}`));
        });
    }
    await this.loadAll();
    if (this.database.kind === 'postgres') {
      this.timer = setInterval(
        () => void this.reload().catch((e: Error) => this.logger.warn(`reload failed: ${describeError(e)}`)),
        RELOAD_INTERVAL_MS,
      );
      this.timer.unref();
    }

    this.retryTimer = setInterval(() => {
      if (this.unstoredQueue.length) void this.storeQueued().catch(() => undefined);
    }, UNSTORED_RETRY_MS);
    this.retryTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  /** At start: every user's generation and every live revocation. */
  private async loadAll(): Promise<void> {
    for (const u of await this.database.db.select({ username: users.username, gen: users.tokenGeneration }).from(users)) {
      this.apply({ kind: 'user', id: u.username, gen: u.gen, exp: 0 });
    }
    await this.reload();
  }

  /**
   * Reads the revocations recorded since the last read (all live ones the first time); returns
   * how many rows it read. Users' generations need no re-read: every change is also a row here.
   */
  async reload(): Promise<number> {
    const db = this.database.db;
    // The database's clock, not the instance's: rows are stamped with it.
    const [clock] = await db
      .select({ nowMs: sql<number>`(extract(epoch from now()) * 1000)::float8` })
      .from(deployment)
      .limit(1);
    const dbNow = Number(clock?.nowMs ?? this.clock.now());
    const since = this.lastReadAt === null ? null : new Date(this.lastReadAt - RELOAD_OVERLAP_MS);
    const live = gt(revocations.expiresAt, new Date(this.clock.now()));
    const rows = await db
      .select()
      .from(revocations)
      .where(since ? and(live, gt(revocations.recordedAt, since)) : live);
    for (const r of rows) {
      const exp = r.expiresAt.getTime();
      if (r.kind === 'jti' || r.kind === 'session') this.apply({ kind: r.kind, id: r.key, exp });
      else this.apply({ kind: r.kind, id: r.key, gen: r.generation ?? 0, exp });
    }
    this.lastReadAt = dbNow;
    return rows.length;
  }

  /** True when the token must be refused although its signature and expiry are fine. */
  isRevoked(claims: { jti: string; sid?: string; sub: string; gen: number }): boolean {
    if (this.revokedJtis.has(claims.jti)) return true;
    if (claims.sid && this.revokedSessions.has(claims.sid)) return true;
    const floor = this.floors.get(claims.sub);
    return floor !== undefined && claims.gen < floor.gen;
  }

  /** The revocation that ends one access token (logout, misuse). */
  forToken(jti: string, expiresAtMs: number): Revocation {
    return { kind: 'jti', id: jti, exp: expiresAtMs };
  }

  /** The revocations that end the access tokens of sessions (refresh families). */
  forSessions(familyIds: readonly string[]): Revocation[] {
    const exp = this.accessHorizon();
    return familyIds.map((id) => ({ kind: 'session' as const, id, exp }));
  }

  /** The user's token generation was raised to `generation`: every token below it is dead. */
  forGeneration(username: string, generation: number): Revocation {
    return { kind: 'user', id: username, gen: generation, exp: this.accessHorizon() };
  }

  /** The user is gone: tokens below `generation` stay dead until they would have expired, also for a new account of that name. */
  forDeletion(username: string, generation: number): Revocation {
    return { kind: 'user-deleted', id: username, gen: generation, exp: this.accessHorizon() };
  }

  /**
   * Writes revocations inside the caller's transaction (the one that also makes the change a
   * person asked for and audits it); `takeEffect` then applies and shares them once it committed.
   */
  async store(db: Database, list: readonly Revocation[]): Promise<void> {
    for (const r of list) await this.upsert(db, r);
  }

  /**
   * Applies stored revocations here and on every peer. Only after `store` committed: a
   * revocation in memory but not in the database would be undone by a restart and, worse,
   * would leave the person unable to retry (their token already refused here).
   */
  async takeEffect(list: readonly Revocation[]): Promise<void> {
    for (const r of list) await this.share(r);
  }

  /**
   * A revocation the service makes on its own (token misuse, refresh-token reuse): refusing is
   * the safe side, so it is in effect here and on the peers at once, then stored; when the
   * database does not answer it waits in a bounded queue, written as soon as the database is back.
   */
  async enforceNow(list: readonly Revocation[]): Promise<void> {
    for (const r of list) {
      await this.share(r);
      try {
        await this.upsert(this.database.db, r);
      } catch (err) {
        this.queueUnstored(r, err as Error);
      }
    }
  }

  /** Revocations in force but not yet stored (the database did not answer); and how many were dropped from a full queue. */
  unstored(): { queued: number; dropped: number } {
    return { queued: this.unstoredQueue.length, dropped: this.unstoredDropped };
  }

  /** Writes the queued revocations, oldest first; rejects at the first failure (the next tick tries again). */
  async storeQueued(): Promise<void> {
    while (this.unstoredQueue.length) {
      await this.upsert(this.database.db, this.unstoredQueue[0] as Revocation);
      this.unstoredQueue.shift();
    }
  }

  private queueUnstored(r: Revocation, err: Error): void {
    if (this.unstoredQueue.length >= UNSTORED_LIMIT) {
      this.unstoredQueue.shift();
      this.unstoredDropped++;
    }
    this.unstoredQueue.push(r);
    this.logger.error(`revocation (${r.kind}) in force but not stored yet, queued (${this.unstoredQueue.length}): ${err.message}`);
  }

  /**
   * Writes the deletion's revocation inside the caller's transaction (the one that deletes the
   * row), so the user can never be gone without it; `takeEffect` then applies and shares it.
   */
  async storeUserDeleted(db: Database, username: string, generation: number): Promise<Revocation> {
    const r = this.forDeletion(username, generation);
    await this.upsert(db, r);
    return r;
  }

  /** The generation a new account of this name must start at (above every token of a deleted one). */
  async generationForNewUser(username: string): Promise<number> {
    const [row] = await this.database.db
      .select({ gen: revocations.generation })
      .from(revocations)
      .where(
        and(eq(revocations.kind, 'user-deleted'), eq(revocations.key, username), gt(revocations.expiresAt, new Date(this.clock.now()))),
      )
      .limit(1);
    return row?.gen ?? 0;
  }

  /** A user account exists with this generation (created here). */
  async userCreated(username: string, generation: number): Promise<void> {
    await this.share({ kind: 'user', id: username, gen: generation, exp: 0 });
  }

  /** How many revocations are held in memory (for tests and stats). */
  size(): { tokens: number; sessions: number; users: number } {
    return { tokens: this.revokedJtis.size, sessions: this.revokedSessions.size, users: this.floors.size };
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
    for (const [k, floor] of this.floors)
      if (floor.until <= now) {
        this.floors.delete(k);
        n++;
      }
    await this.database.db.delete(revocations).where(lt(revocations.expiresAt, new Date(now)));
    return n;
  }

  async pruneStale(): Promise<PruneResult> {
    return { pruned: await this.prune() };
  }

  private async upsert(db: Database, r: Revocation): Promise<void> {
    const generation = r.kind === 'user' || r.kind === 'user-deleted' ? r.gen : null;
    await db
      .insert(revocations)
      .values({ kind: r.kind, key: r.id, generation, expiresAt: new Date(r.exp) })
      .onConflictDoUpdate({
        target: [revocations.kind, revocations.key],
        set: {
          generation: sql`greatest(${revocations.generation}, excluded.generation)`,
          expiresAt: sql`greatest(${revocations.expiresAt}, excluded.expires_at)`,
          recordedAt: sql`now()`,
        },
      });
  }

  private async share(r: Revocation): Promise<void> {
    this.apply(r);
    await this.publish(r);
  }

  private async publish(r: Revocation): Promise<void> {
    // Awaited so that the peers have it (Redis has delivered it) before the change is answered.
    if (this.redis?.isUp()) await this.redis.client.publish(this.channel, JSON.stringify(r)).catch(() => undefined);
  }

  private apply(r: Revocation): void {
    if (r.kind === 'jti') this.revokedJtis.set(r.id, Math.max(r.exp, this.revokedJtis.get(r.id) ?? 0));
    else if (r.kind === 'session') this.revokedSessions.set(r.id, Math.max(r.exp, this.revokedSessions.get(r.id) ?? 0));
    else this.floors.set(r.id, nextFloor(this.floors.get(r.id), r));
  }
}
