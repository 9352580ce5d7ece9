import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, eq, lt } from 'drizzle-orm';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies, usedRefreshTokens } from '../db/schema';

export type RotateResult =
  | { kind: 'rotated'; userId: number; familyId: string; token: string }
  | { kind: 'reused'; userId: number; familyId: string }
  | { kind: 'invalid' };

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * Refresh tokens that rotate (RFC 9700, 4.14.2). A token is `<family id>.<secret>`; only the
 * sha256 of the current one is stored. Every use gives a new token and retires the old one;
 * presenting a retired token again means it was stolen, so the whole family is revoked.
 * Families expire REFRESH_TOKEN_TTL after their last use.
 */
@Injectable()
@Prunable({ order: 40 })
export class RefreshTokenService implements PrunableProvider {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get db() {
    return this.database.db;
  }

  private expiry(): Date {
    return new Date(this.clock.now() + this.config.refreshTokenTtlSeconds * 1000);
  }

  /** Starts a session: a new family and its first token. */
  async issue(userId: number): Promise<{ familyId: string; token: string }> {
    const familyId = randomUUID();
    const token = `${familyId}.${randomBytes(32).toString('base64url')}`;
    await this.db.insert(refreshFamilies).values({
      id: familyId,
      userId,
      createdAt: new Date(this.clock.now()),
      expiresAt: this.expiry(),
      currentTokenHash: sha256(token),
    });
    return { familyId, token };
  }

  async rotate(token: string): Promise<RotateResult> {
    const familyId = token.split('.')[0] ?? '';
    if (!/^[0-9a-f-]{36}$/.test(familyId)) return { kind: 'invalid' };
    const [family] = await this.db.select().from(refreshFamilies).where(eq(refreshFamilies.id, familyId)).limit(1);
    if (!family) return { kind: 'invalid' };
    const hash = sha256(token);
    const now = this.clock.now();
    if (hash === family.currentTokenHash && !family.revokedAt && family.expiresAt.getTime() > now) {
      const next = `${familyId}.${randomBytes(32).toString('base64url')}`;
      // Compare-and-set: of two simultaneous uses of one token, exactly one wins.
      const won = await this.db
        .update(refreshFamilies)
        .set({ currentTokenHash: sha256(next), generation: family.generation + 1, expiresAt: this.expiry() })
        .where(and(eq(refreshFamilies.id, familyId), eq(refreshFamilies.currentTokenHash, hash)))
        .returning({ id: refreshFamilies.id });
      if (won.length === 1) {
        await this.db.insert(usedRefreshTokens).values({ tokenHash: hash, familyId, expiresAt: family.expiresAt }).onConflictDoNothing();
        return { kind: 'rotated', userId: family.userId, familyId, token: next };
      }
      return { kind: 'reused', userId: family.userId, familyId };
    }
    const [used] = await this.db
      .select({ f: usedRefreshTokens.familyId })
      .from(usedRefreshTokens)
      .where(eq(usedRefreshTokens.tokenHash, hash))
      .limit(1);
    if (used && used.f === familyId) return { kind: 'reused', userId: family.userId, familyId };
    return { kind: 'invalid' };
  }

  /** Revokes a family; returns its expiry (ms) or null if it was unknown or already revoked. */
  async revokeFamily(familyId: string, reason: string): Promise<number | null> {
    const rows = await this.db
      .update(refreshFamilies)
      .set({ revokedAt: new Date(this.clock.now()), revokedReason: reason })
      .where(eq(refreshFamilies.id, familyId))
      .returning({ expiresAt: refreshFamilies.expiresAt });
    return rows[0]?.expiresAt.getTime() ?? null;
  }

  async pruneStale(): Promise<PruneResult> {
    return { pruned: await this.prune() };
  }

  /** Deletes families and retired tokens past their expiry. */
  async prune(): Promise<number> {
    const now = new Date(this.clock.now());
    const a = await this.db
      .delete(usedRefreshTokens)
      .where(lt(usedRefreshTokens.expiresAt, now))
      .returning({ h: usedRefreshTokens.tokenHash });
    const b = await this.db.delete(refreshFamilies).where(lt(refreshFamilies.expiresAt, now)).returning({ id: refreshFamilies.id });
    return a.length + b.length;
  }
}
