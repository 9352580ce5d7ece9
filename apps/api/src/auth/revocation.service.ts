import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { and, gt, isNotNull, lt } from 'drizzle-orm';
import { CLOCK, type Clock } from '../common/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies, revokedTokens, users } from '../db/schema';

/**
 * What makes an otherwise valid access token dead before its expiry: its own id revoked
 * (logout), its session (refresh family) revoked, or its user's tokens invalidated (disable,
 * role change). All three are answered from memory on every request; the database holds
 * the same facts so they survive a restart.
 */
@Injectable()
export class RevocationService implements OnModuleInit {
  /** jti -> expiry (ms). */
  private readonly revokedJtis = new Map<string, number>();
  /** refresh family id -> expiry (ms). */
  private readonly revokedSessions = new Map<string, number>();
  /** username -> tokens issued before this instant (ms) are dead. */
  private readonly notBefore = new Map<string, number>();

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    const now = new Date(this.clock.now());
    const db = this.database.db;
    for (const r of await db.select().from(revokedTokens).where(gt(revokedTokens.expiresAt, now))) {
      this.revokedJtis.set(r.jti, r.expiresAt.getTime());
    }
    const families = await db
      .select({ id: refreshFamilies.id, expiresAt: refreshFamilies.expiresAt })
      .from(refreshFamilies)
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
    this.revokedJtis.set(jti, expiresAtMs);
    await this.database.db
      .insert(revokedTokens)
      .values({ jti, expiresAt: new Date(expiresAtMs) })
      .onConflictDoNothing();
  }

  /** Remembers that a session is dead (the caller has already marked it revoked in SQL). */
  markSessionRevoked(familyId: string, expiresAtMs: number): void {
    this.revokedSessions.set(familyId, expiresAtMs);
  }

  setNotBefore(username: string, atMs: number): void {
    this.notBefore.set(username, atMs);
  }

  forgetUser(username: string): void {
    this.notBefore.delete(username);
  }

  /** Drops entries whose tokens have expired anyway; returns how many went. */
  async prune(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const map of [this.revokedJtis, this.revokedSessions]) {
      for (const [k, exp] of map) if (exp <= now) (map.delete(k), n++);
    }
    await this.database.db.delete(revokedTokens).where(lt(revokedTokens.expiresAt, new Date(now)));
    return n;
  }
}
