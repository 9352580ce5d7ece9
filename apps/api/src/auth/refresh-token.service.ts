import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, eq, lt } from 'drizzle-orm';
import { CLOCK, type Clock } from '../core/clock';
import { Prunable, type PrunableProvider, type PruneResult } from '../core/prunable';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type Database, DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies, usedRefreshTokens } from '../db/schema';
import { SigningKeysService } from './signing-keys.service';

export type RotateResult =
  | { kind: 'rotated'; userId: number; familyId: string; token: string }
  | { kind: 'reused'; userId: number; familyId: string }
  | { kind: 'invalid' };

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** A refresh family id exactly as we issue them (a lower-case UUID); anything else never reaches SQL. */
const FAMILY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * How long after a rotation the same client may present the token it just rotated and get the
 * same next token instead of revoking the session: two tabs (or a retried request) refreshing
 * one session at once.
 */
export const CONCURRENT_REFRESH_GRACE_MS = 10_000;

/** The family id of a presented refresh token, or null when it is not one of ours. */
export function familyIdOf(token: string): string | null {
  const dot = token.indexOf('.');
  const id = dot === 36 ? token.slice(0, 36) : '';
  return FAMILY_ID.test(id) ? id : null;
}

/**
 * Refresh tokens that rotate (RFC 9700, 4.14.2). A token is `<family id>.<secret>`; only the
 * sha256 of the current one is stored. Every use gives a new token and retires the old one;
 * presenting a retired token again means it was stolen, so the whole family is revoked.
 * Families expire REFRESH_TOKEN_TTL after their last use.
 *
 * The next token is derived from the presented one with a server key (HMAC), not drawn at
 * random: a client that presents the same token again within a few seconds (two tabs
 * refreshing at once) is given the very token the first request got, so both keep one valid
 * session. Without the key, an old token says nothing about the next.
 */
@Injectable()
@Prunable({ order: 40 })
export class RefreshTokenService implements PrunableProvider {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
  ) {}

  private rotationKey?: Buffer;

  private nextToken(familyId: string, presented: string): string {
    // Derived from the signing key, so every instance of the deployment derives the same token.
    this.rotationKey ??= createHash('sha256').update('bouncer-refresh-rotation\0').update(this.keys.privateKeyPem).digest();
    return `${familyId}.${createHmac('sha256', this.rotationKey).update(presented).digest('base64url')}`;
  }

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

  async rotate(token: string, client: string): Promise<RotateResult> {
    const familyId = familyIdOf(token);
    if (!familyId) return { kind: 'invalid' };
    let family = await this.findFamily(familyId);
    if (!family) return { kind: 'invalid' };
    const hash = sha256(token);
    const now = this.clock.now();
    const next = this.nextToken(familyId, token);
    let lostRace = false;
    if (hash === family.currentTokenHash && !family.revokedAt && family.expiresAt.getTime() > now) {
      // Compare-and-set: of two simultaneous uses of one token, exactly one rotates.
      const won = await this.db
        .update(refreshFamilies)
        .set({
          currentTokenHash: sha256(next),
          generation: family.generation + 1,
          expiresAt: this.expiry(),
          rotatedAt: new Date(now),
          rotatedBy: client,
        })
        .where(and(eq(refreshFamilies.id, familyId), eq(refreshFamilies.currentTokenHash, hash)))
        .returning({ id: refreshFamilies.id });
      if (won.length === 1) {
        await this.db.insert(usedRefreshTokens).values({ tokenHash: hash, familyId, expiresAt: family.expiresAt }).onConflictDoNothing();
        return { kind: 'rotated', userId: family.userId, familyId, token: next };
      }
      // The other use won: judge this one as a second presentation of a just-rotated token.
      lostRace = true;
      family = await this.findFamily(familyId);
      if (!family) return { kind: 'invalid' };
    }
    const justRotatedForThisClient =
      family.currentTokenHash === sha256(next) &&
      family.rotatedBy === client &&
      family.rotatedAt !== null &&
      now - family.rotatedAt.getTime() <= CONCURRENT_REFRESH_GRACE_MS &&
      !family.revokedAt &&
      family.expiresAt.getTime() > now;
    if (justRotatedForThisClient) return { kind: 'rotated', userId: family.userId, familyId, token: next };
    // Rotated away (longer ago, by another client, or rotated again since): reuse, revoked by the caller.
    if (lostRace) return { kind: 'reused', userId: family.userId, familyId };
    if (family.currentTokenHash !== hash) {
      const [used] = await this.db
        .select({ f: usedRefreshTokens.familyId })
        .from(usedRefreshTokens)
        .where(eq(usedRefreshTokens.tokenHash, hash))
        .limit(1);
      if (used && used.f === familyId) return { kind: 'reused', userId: family.userId, familyId };
    }
    return { kind: 'invalid' };
  }

  private async findFamily(familyId: string) {
    const [family] = await this.db.select().from(refreshFamilies).where(eq(refreshFamilies.id, familyId)).limit(1);
    return family ?? null;
  }

  /** Revokes a family; returns its expiry (ms) or null if it was unknown or already revoked. */
  async revokeFamily(familyId: string, reason: string, db: Database = this.db): Promise<number | null> {
    const rows = await db
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
