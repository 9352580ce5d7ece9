import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { DeviceView } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { devices } from '../db/schema';
import { ProblemException } from '../http/problem.exception';
import type { UserRow } from './users.service';

/** A remembered device lasts a year at most from when it was first remembered. */
export const DEVICE_TTL_SECONDS = 365 * 24 * 3600;
/** Per user; the least recently used goes first (an attacker who knows the password gains nothing by filling it). */
const DEVICES_KEPT_PER_USER = 20;
const COOKIE_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export interface RememberedDevice {
  id: string;
  /** The cookie value to (re)send and how long it may live. */
  cookie: string;
  maxAgeSeconds: number;
}

/**
 * Remembered devices (security review M8): the owner's browser passes the per-account sign-in
 * rule while the account is under attack. The cookie is `<id>.<secret>` with 32 random bytes
 * per device; only sha256(secret) is stored. A device counts only for the user it was issued
 * to, until it expires (a year), is revoked (by the user or an admin) or the password changes
 * (it is bound to a tag of the password hash).
 */
@Injectable()
export class DevicesService {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private get db() {
    return this.database.db;
  }

  /** The device a cookie proves for this user, or null (malformed, foreign, revoked, expired, from before a password change). */
  /** False when `cookie` cannot name a remembered device (absent or malformed): recognise() would say null without a query. */
  mayRecognise(cookie: string | undefined): boolean {
    return cookie !== undefined && COOKIE_PATTERN.test(cookie);
  }

  async recognise(cookie: string | undefined, user: UserRow): Promise<RememberedDevice | null> {
    const m = cookie ? COOKIE_PATTERN.exec(cookie) : null;
    if (!m) return null;
    const [, id, secret] = m as unknown as [string, string, string];
    const [row] = await this.db
      .select()
      .from(devices)
      .where(and(eq(devices.id, id), eq(devices.userId, user.id)))
      .limit(1);
    if (!row) return null;
    const now = this.clock.now();
    if (row.expiresAt.getTime() <= now || row.credentialTag !== credentialTag(user.passwordHash)) return null;
    const given = Buffer.from(sha256(secret), 'hex');
    const stored = Buffer.from(row.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    return { id, cookie: `${id}.${secret}`, maxAgeSeconds: Math.floor((row.expiresAt.getTime() - now) / 1000) };
  }

  /** After a right password on a browser: the device it already is (touched), or a new one. */
  async remember(user: UserRow, known: RememberedDevice | null, userAgent: string | null): Promise<RememberedDevice> {
    const now = this.clock.now();
    if (known) {
      await this.db
        .update(devices)
        .set({ lastUsedAt: new Date(now) })
        .where(eq(devices.id, known.id));
      return known;
    }
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    await this.db.insert(devices).values({
      id,
      userId: user.id,
      secretHash: sha256(secret),
      credentialTag: credentialTag(user.passwordHash),
      userAgent: userAgent?.slice(0, 200) ?? null,
      createdAt: new Date(now),
      lastUsedAt: new Date(now),
      expiresAt: new Date(now + DEVICE_TTL_SECONDS * 1000),
    });
    const old = await this.db
      .select({ id: devices.id })
      .from(devices)
      .where(eq(devices.userId, user.id))
      .orderBy(desc(devices.lastUsedAt), desc(devices.createdAt))
      .offset(DEVICES_KEPT_PER_USER);
    if (old.length > 0)
      await this.db.delete(devices).where(
        inArray(
          devices.id,
          old.map((o) => o.id),
        ),
      );
    return { id, cookie: `${id}.${secret}`, maxAgeSeconds: DEVICE_TTL_SECONDS };
  }

  /** A password rehash (same password, new parameters) keeps the devices remembered under it. */
  async rebind(userId: number, oldHash: string, newHash: string): Promise<void> {
    await this.db
      .update(devices)
      .set({ credentialTag: credentialTag(newHash) })
      .where(and(eq(devices.userId, userId), eq(devices.credentialTag, credentialTag(oldHash))));
  }

  async list(userId: number): Promise<DeviceView[]> {
    const now = this.clock.now();
    const rows = await this.db.select().from(devices).where(eq(devices.userId, userId)).orderBy(asc(devices.createdAt));
    return rows
      .filter((r) => r.expiresAt.getTime() > now)
      .map((r) => ({
        id: r.id,
        user_agent: r.userAgent,
        created_at: r.createdAt.toISOString(),
        last_used_at: r.lastUsedAt.toISOString(),
        expires_at: r.expiresAt.toISOString(),
      }));
  }

  /** The user forgets one of their devices. */
  async revoke(user: { id: number; username: string }, id: string, client: string): Promise<void> {
    const gone = UUID.test(id)
      ? await this.db
          .delete(devices)
          .where(and(eq(devices.id, id), eq(devices.userId, user.id)))
          .returning({ id: devices.id })
      : [];
    if (gone.length === 0) throw new ProblemException(404, 'Not Found', 'No such device.');
    await this.audit.record({
      type: 'device.revoked',
      client,
      actor: user.username,
      detail: `${user.username} forgot a remembered device`,
    });
  }

  /** Every device of a user ends: the user's own request, an admin's, or a password change. Returns how many. */
  async revokeAll(user: { id: number; username: string }, by: { actor: string; client?: string; why: string }): Promise<number> {
    const gone = await this.db.delete(devices).where(eq(devices.userId, user.id)).returning({ id: devices.id });
    await this.audit.record({
      type: 'device.revoked-all',
      client: by.client ?? null,
      actor: by.actor,
      detail: `${gone.length} remembered device${gone.length === 1 ? '' : 's'} of ${user.username} forgotten: ${by.why}`,
    });
    return gone.length;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Changes whenever the password does (every hash has its own salt). */
function credentialTag(passwordHash: string): string {
  return sha256(`bouncer-device\0${passwordHash}`);
}
