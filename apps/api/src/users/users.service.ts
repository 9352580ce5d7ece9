import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, asc, desc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { Role, SignInRecord, UserSummary } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { ProblemException } from '../http/problem.exception';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies, signIns, users } from '../db/schema';
import { PasswordService } from './password.service';
import { RevocationService } from '../access/revocation.service';
import { mixedScripts, normalizeUsername, USERNAME_PATTERN } from './username';

export type UserRow = typeof users.$inferSelect;

const SIGN_INS_KEPT_PER_USER = 20;

/** People: their accounts, passwords, roles and sign-in history. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly passwords: PasswordService,
    private readonly revocation: RevocationService,
    private readonly audit: AuditService,
  ) {}

  private get db() {
    return this.database.db;
  }

  async findByUsername(raw: string): Promise<UserRow | null> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(eq(users.username, normalizeUsername(raw)))
      .limit(1);
    return row ?? null;
  }

  async findById(id: number): Promise<UserRow | null> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return row ?? null;
  }

  async list(): Promise<UserSummary[]> {
    const rows = await this.db.select().from(users).orderBy(asc(users.username));
    return rows.map(toSummary);
  }

  async create(rawUsername: string, password: string, role: Role, actor: string): Promise<UserSummary> {
    const username = normalizeUsername(rawUsername);
    this.assertValidUsername(username);
    this.assertPasswordPolicy(password, username, 'password');
    const hash = await this.passwords.hash(password);
    const inserted = await this.db
      .insert(users)
      .values({ username, passwordHash: hash, role, createdAt: new Date(this.clock.now()), tokensValidAfter: new Date(0) })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) {
      throw new ProblemException(409, 'Conflict', `A user named ${username} already exists.`);
    }
    this.revocation.setNotBefore(username, 0);
    await this.audit.record({ type: 'user.created', actor, detail: `created ${role} ${username}` });
    return toSummary(inserted[0]!);
  }

  async update(rawUsername: string, change: { role?: Role; disabled?: boolean }, actor: string): Promise<UserSummary> {
    const user = await this.requireUser(rawUsername);
    if (user.username === normalizeUsername(actor) && (change.disabled || (change.role && change.role !== 'admin'))) {
      throw new ProblemException(409, 'Conflict', 'Admins cannot disable or demote themselves.');
    }
    const now = new Date(this.clock.now());
    const [row] = await this.db
      .update(users)
      .set({ role: change.role ?? user.role, disabled: change.disabled ?? user.disabled, tokensValidAfter: now })
      .where(eq(users.id, user.id))
      .returning();
    if (!row) throw new ProblemException(404, 'Not Found', `No user named ${user.username}.`);
    // Tokens carry the role: end them so the next refresh picks up the change.
    this.revocation.setNotBefore(row.username, now.getTime());
    if (change.disabled) await this.revokeSessions(user.id, 'user disabled');
    const parts = [
      change.role && `role ${change.role}`,
      change.disabled !== undefined && (change.disabled ? 'disabled' : 'enabled'),
    ].filter(Boolean);
    await this.audit.record({ type: 'user.updated', actor, detail: `${row.username}: ${parts.join(', ')}` });
    return toSummary(row);
  }

  async remove(rawUsername: string, actor: string): Promise<void> {
    const user = await this.requireUser(rawUsername);
    if (user.username === normalizeUsername(actor)) {
      throw new ProblemException(409, 'Conflict', 'Admins cannot delete themselves.');
    }
    await this.revokeSessions(user.id, 'user deleted');
    this.revocation.setNotBefore(user.username, this.clock.now());
    await this.db.delete(users).where(eq(users.id, user.id));
    await this.audit.record({ type: 'user.deleted', actor, detail: `deleted ${user.username}` });
  }

  /** Changes a password; every other session of the user ends. */
  /** Whether `password` is the user's current one (argon2; the caller counts the attempt). */
  async verifyPassword(username: string, password: string): Promise<boolean> {
    const user = await this.requireUser(username);
    return this.passwords.verify(user.passwordHash, password);
  }

  /** Sets a new password (the current one already checked by the caller) and ends the other sessions. */
  async changePassword(username: string, next: string, keepSessionId: string): Promise<void> {
    const user = await this.requireUser(username);
    this.assertPasswordPolicy(next, user.username, 'new_password');
    await this.db
      .update(users)
      .set({ passwordHash: await this.passwords.hash(next) })
      .where(eq(users.id, user.id));
    await this.revokeSessions(user.id, 'password changed', keepSessionId);
    await this.audit.record({
      type: 'user.password-changed',
      actor: user.username,
      detail: `${user.username} changed their password; other sessions ended`,
    });
  }

  async updateHash(userId: number, hash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash: hash }).where(eq(users.id, userId));
  }

  /** Revokes the user's sessions (refresh families), optionally keeping one. Returns how many. */
  async revokeSessions(userId: number, reason: string, keepSessionId?: string): Promise<number> {
    const live = and(eq(refreshFamilies.userId, userId), isNull(refreshFamilies.revokedAt));
    const revoked = await this.db
      .update(refreshFamilies)
      .set({ revokedAt: new Date(this.clock.now()), revokedReason: reason })
      .where(keepSessionId ? and(live, ne(refreshFamilies.id, keepSessionId)) : live)
      .returning({ id: refreshFamilies.id, expiresAt: refreshFamilies.expiresAt });
    // A family outlives every access token it issued (REFRESH_TOKEN_TTL > ACCESS_TOKEN_TTL).
    for (const f of revoked) this.revocation.markSessionRevoked(f.id, f.expiresAt.getTime());
    return revoked.length;
  }

  async recordSignIn(userId: number, address: string, userAgent: string | null): Promise<void> {
    const at = new Date(this.clock.now());
    await this.db.insert(signIns).values({ userId, at, address, userAgent: userAgent?.slice(0, 300) ?? null });
    await this.db.update(users).set({ lastSignInAt: at }).where(eq(users.id, userId));
    // Keep the history short: the newest few per user.
    const old = await this.db
      .select({ id: signIns.id })
      .from(signIns)
      .where(eq(signIns.userId, userId))
      .orderBy(desc(signIns.at), desc(signIns.id))
      .offset(SIGN_INS_KEPT_PER_USER);
    if (old.length > 0)
      await this.db.delete(signIns).where(
        inArray(
          signIns.id,
          old.map((o) => o.id),
        ),
      );
  }

  async recentSignIns(userId: number, limit = 10): Promise<SignInRecord[]> {
    const rows = await this.db
      .select()
      .from(signIns)
      .where(eq(signIns.userId, userId))
      .orderBy(desc(signIns.at), desc(signIns.id))
      .limit(limit);
    return rows.map((r) => ({ at: r.at.toISOString(), address: r.address, user_agent: r.userAgent }));
  }

  /** Has this client address signed in as this user before? (rule 3 never locks out the owner) */
  async hasSignedInFrom(userId: number, address: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: signIns.id })
      .from(signIns)
      .where(and(eq(signIns.userId, userId), eq(signIns.address, address)))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * First start: no admin exists. Create one from ADMIN_USERNAME/ADMIN_PASSWORD, or with a
   * generated password printed once. There is never a default password.
   */
  async ensureAdmin(print: (line: string) => void): Promise<void> {
    const [admin] = await this.db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).limit(1);
    if (admin) return;
    const username = normalizeUsername(this.config.adminUsername ?? 'admin');
    const given = this.config.adminPassword;
    if (given) {
      const why = this.passwords.policyViolation(given, username);
      if (why) throw new Error(`Invalid ADMIN_PASSWORD: ${why}`);
    }
    const password = given ?? randomBytes(18).toString('base64url');
    await this.create(username, password, 'admin', 'system');
    if (given) {
      print(`Created admin user "${username}" from ADMIN_USERNAME/ADMIN_PASSWORD.`);
    } else {
      print(
        `Created admin user "${username}" with generated password: ${password}\n` +
          `  This is shown once. Sign in and change it (POST /me/password or the dashboard's home page).`,
      );
    }
  }

  private async requireUser(raw: string): Promise<UserRow> {
    const user = await this.findByUsername(raw);
    if (!user) throw new ProblemException(404, 'Not Found', `No user named ${normalizeUsername(raw)}.`);
    return user;
  }

  private assertValidUsername(username: string): void {
    if (!USERNAME_PATTERN.test(username)) {
      throw new ProblemException(400, 'Bad Request', 'The username is not acceptable.', {
        errors: [{ field: 'username', message: 'must be 3 to 64 letters, digits or ._-@' }],
      });
    }
    const scripts = mixedScripts(username);
    if (scripts) {
      throw new ProblemException(400, 'Bad Request', `The username mixes letters of several scripts (${scripts.join(', ')}).`, {
        errors: [{ field: 'username', message: 'must use the letters of one script, so it cannot imitate another name' }],
      });
    }
  }

  private assertPasswordPolicy(password: string, username: string, field: string): void {
    const why = this.passwords.policyViolation(password, username);
    if (why) {
      throw new ProblemException(400, 'Bad Request', `The password ${why}.`, { errors: [{ field, message: why }] });
    }
  }
}

function toSummary(r: UserRow): UserSummary {
  return {
    username: r.username,
    role: r.role,
    disabled: r.disabled,
    created_at: r.createdAt.toISOString(),
    last_sign_in_at: r.lastSignInAt ? r.lastSignInAt.toISOString() : null,
  };
}
