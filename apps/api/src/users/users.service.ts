import { randomBytes } from 'node:crypto';
import { chmod, mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, asc, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Role, SignInRecord, UserSummary } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { ProblemException } from '../http/problem.exception';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type Database, DATABASE, type DatabaseHandle } from '../db/database';
import { storedFirst } from '../http/stored-first';
import { refreshFamilies, signIns, users } from '../db/schema';
import { PasswordService } from './password.service';
import { RevocationService } from '../access/revocation.service';
import { mixedScripts, normalizeUsername, USERNAME_PATTERN } from '../policy/username';

export type UserRow = typeof users.$inferSelect;

const SIGN_INS_KEPT_PER_USER = 20;

/** Serializes every change that could leave no enabled admin, across instances (pg_advisory_xact_lock). */
export const ADMIN_CHANGE_LOCK_ID = 7_406_222;

/** People: their accounts, passwords, roles and sign-in history. */
/** DATA_DIR/initial-admin-password: the generated first admin password, until it is changed. */
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

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

  async findByUsername(raw: string, db: Database = this.db): Promise<UserRow | null> {
    const [row] = await db
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

  async create(
    rawUsername: string,
    password: string,
    role: Role,
    actor: string,
    options: { mustChangePassword?: boolean } = {},
  ): Promise<UserSummary> {
    const username = normalizeUsername(rawUsername);
    this.assertValidUsername(username);
    this.assertPasswordPolicy(password, username, 'password');
    const hash = await this.passwords.hash(password);
    // Above every token a deleted account of the same name may still hold.
    const tokenGeneration = await this.revocation.generationForNewUser(username);
    const row = await storedFirst(`user ${username}`, () =>
      this.db.transaction(async (tx) => {
        const inserted = await tx
          .insert(users)
          .values({
            username,
            passwordHash: hash,
            role,
            createdAt: new Date(this.clock.now()),
            tokenGeneration,
            mustChangePassword: options.mustChangePassword ?? false,
          })
          .onConflictDoNothing()
          .returning();
        if (inserted.length === 0) throw new ProblemException(409, 'Conflict', `A user named ${username} already exists.`);
        await this.audit.write({ type: 'user.created', actor, detail: `created ${role} ${username}` }, tx);
        return inserted[0]!;
      }),
    );
    await this.revocation.userCreated(username, tokenGeneration);
    return toSummary(row);
  }

  /**
   * Changes a role or the disabled flag. There is always at least one enabled admin: the check
   * and the change run in one transaction under a lock every admin change takes, so two admins
   * disabling or demoting each other at the same moment (on two instances) cannot both succeed.
   * Stored and audited before it takes effect in memory (revocation of the user's tokens).
   */
  async update(rawUsername: string, change: { role?: Role; disabled?: boolean }, actor: string): Promise<UserSummary> {
    const target = normalizeUsername(rawUsername);
    if (target === normalizeUsername(actor) && (change.disabled || (change.role && change.role !== 'admin'))) {
      throw new ProblemException(409, 'Conflict', 'Admins cannot disable or demote themselves.');
    }
    const { row, revoked } = await storedFirst(`change of ${target}`, () =>
      this.db.transaction(async (tx) => {
        const db = tx as unknown as Database;
        const user = await this.lockedUser(db, target);
        const staysEnabledAdmin = (change.role ?? user.role) === 'admin' && !(change.disabled ?? user.disabled);
        if (!staysEnabledAdmin) await this.assertAnotherEnabledAdmin(db, user, 'disable or demote');
        const [updated] = await db
          .update(users)
          .set({
            role: change.role ?? user.role,
            disabled: change.disabled ?? user.disabled,
            tokenGeneration: sql`${users.tokenGeneration} + 1`,
          })
          .where(eq(users.id, user.id))
          .returning();
        if (!updated) throw new ProblemException(404, 'Not Found', `No user named ${user.username}.`);
        const ended = change.disabled ? await this.endSessions(db, user.id, 'user disabled') : [];
        // Stored with the change, in force only once it committed (`takeEffect` below).
        const revoked = [
          this.revocation.forGeneration(updated.username, updated.tokenGeneration),
          ...this.revocation.forSessions(ended.map((f) => f.id)),
        ];
        await this.revocation.store(db, revoked);
        const parts = [
          change.role && `role ${change.role}`,
          change.disabled !== undefined && (change.disabled ? 'disabled' : 'enabled'),
        ].filter(Boolean);
        await this.audit.write({ type: 'user.updated', actor, detail: `${updated.username}: ${parts.join(', ')}` }, db);
        return { row: updated, revoked };
      }),
    );
    // Tokens carry the role: every one issued before this answer ends; the next refresh gets the new role.
    await this.revocation.takeEffect(revoked);
    return toSummary(row);
  }

  async remove(rawUsername: string, actor: string): Promise<void> {
    const target = normalizeUsername(rawUsername);
    if (target === normalizeUsername(actor)) {
      throw new ProblemException(409, 'Conflict', 'Admins cannot delete themselves.');
    }
    const revoked = await storedFirst(`deletion of ${target}`, () =>
      this.db.transaction(async (tx) => {
        const db = tx as unknown as Database;
        const user = await this.lockedUser(db, target);
        await this.assertAnotherEnabledAdmin(db, user, 'delete');
        const ended = await this.endSessions(db, user.id, 'user deleted');
        // Recorded apart from the row, in the same transaction: the tokens stay dead after
        // restarts, on instances started later, and for a new account of the name.
        const deletion = await this.revocation.storeUserDeleted(db, user.username, user.tokenGeneration + 1);
        const sessions = this.revocation.forSessions(ended.map((f) => f.id));
        await this.revocation.store(db, sessions);
        await db.delete(users).where(eq(users.id, user.id));
        await this.audit.write({ type: 'user.deleted', actor, detail: `deleted ${user.username}` }, db);
        return [deletion, ...sessions];
      }),
    );
    await this.revocation.takeEffect(revoked);
  }

  /**
   * An admin's reset: a generated temporary password (returned once, never logged), to be
   * changed at the next sign-in. The new hash, the flag, the raised generation (every access
   * token of the user ends), the ended sessions, their revocations and the audit record are one
   * transaction, in force once it committed. Admins change their own with POST /me/password.
   */
  async resetPassword(rawUsername: string, actor: string, client: string | null): Promise<{ user: UserRow; temporaryPassword: string }> {
    const target = normalizeUsername(rawUsername);
    if (target === normalizeUsername(actor)) {
      throw new ProblemException(409, 'Conflict', 'Admins change their own password with POST /me/password, not a reset.');
    }
    const existing = await this.requireUser(target);
    const temporaryPassword = this.temporaryPassword(existing.username);
    const hash = await this.passwords.hash(temporaryPassword);
    const { row, revoked } = await storedFirst(`password reset of ${target}`, () =>
      this.transaction(async (db) => {
        const [updated] = await db
          .update(users)
          .set({ passwordHash: hash, mustChangePassword: true, tokenGeneration: sql`${users.tokenGeneration} + 1` })
          .where(eq(users.id, existing.id))
          .returning();
        if (!updated) throw new ProblemException(404, 'Not Found', `No user named ${target}.`);
        const ended = await this.endSessions(db, updated.id, 'password reset by an admin');
        const list = [
          this.revocation.forGeneration(updated.username, updated.tokenGeneration),
          ...this.revocation.forSessions(ended.map((f) => f.id)),
        ];
        await this.revocation.store(db, list);
        await this.audit.write(
          {
            type: 'user.password-reset',
            actor,
            client,
            detail: `password of ${updated.username} reset by ${actor}; ${ended.length} session(s) ended; must change at next sign-in`,
          },
          db,
        );
        return { row: updated, revoked: list };
      }),
    );
    await this.revocation.takeEffect(revoked);
    return { user: row, temporaryPassword };
  }

  /** A random password the policy accepts (144 bits; the loop is a guard, zxcvbn scores these 4). */
  private temporaryPassword(username: string): string {
    for (;;) {
      const candidate = randomBytes(18).toString('base64url');
      if (!this.passwords.policyViolation(candidate, username)) return candidate;
    }
  }

  /**
   * Takes the admin-change lock (released at commit; every instance takes the same one) and
   * reads the user under it.
   */
  private async lockedUser(db: Database, username: string): Promise<UserRow> {
    await db.execute(sql`select pg_advisory_xact_lock(${ADMIN_CHANGE_LOCK_ID})`);
    const [user] = await db.select().from(users).where(eq(users.username, username)).limit(1);
    if (!user) throw new ProblemException(404, 'Not Found', `No user named ${username}.`);
    return user;
  }

  /** Refuses (409) a change that would leave no enabled admin; `user` is the one losing that standing. */
  private async assertAnotherEnabledAdmin(db: Database, user: UserRow, what: string): Promise<void> {
    if (user.role !== 'admin' || user.disabled) return;
    const others = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false), ne(users.id, user.id)))
      .limit(1);
    if (others.length === 0) {
      throw new ProblemException(
        409,
        'Conflict',
        `Cannot ${what} ${user.username}: it is the last enabled admin. Make another admin first.`,
      );
    }
  }

  /** Runs `fn` in one transaction: a person's change, its revocations and its audit record are stored together or not at all. */
  transaction<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(tx as unknown as Database));
  }

  /** Ends the user's live sessions (refresh families) inside `db`, optionally keeping one; returns the ended ones. */
  endSessions(db: Database, userId: number, reason: string, keepSessionId?: string): Promise<{ id: string; expiresAt: Date }[]> {
    return db
      .update(refreshFamilies)
      .set({ revokedAt: new Date(this.clock.now()), revokedReason: reason })
      .where(
        and(
          eq(refreshFamilies.userId, userId),
          isNull(refreshFamilies.revokedAt),
          keepSessionId ? ne(refreshFamilies.id, keepSessionId) : undefined,
        ),
      )
      .returning({ id: refreshFamilies.id, expiresAt: refreshFamilies.expiresAt });
  }

  /** Whether `password` is the user's current one (argon2; the caller counts the attempt). */
  async verifyPassword(username: string, password: string, client?: string): Promise<boolean> {
    const user = await this.requireUser(username);
    return this.passwords.verify(user.passwordHash, password, client);
  }

  /**
   * Sets a new password (the current one already checked by the caller) and ends the other
   * sessions: the new hash, the raised generation, the ended sessions, their revocations and
   * the audit record are one transaction, in force only once it committed; if it fails, nothing
   * changed (503) and the caller can retry with the same token.
   */
  async changePassword(username: string, next: string, keepSessionId: string): Promise<void> {
    const user = await this.requireUser(username);
    this.assertPasswordPolicy(next, user.username, 'new_password');
    const hash = await this.passwords.hash(next);
    const revoked = await storedFirst(`password change of ${user.username}`, () =>
      this.transaction(async (db) => {
        const [row] = await db
          .update(users)
          .set({ passwordHash: hash, mustChangePassword: false, tokenGeneration: sql`${users.tokenGeneration} + 1` })
          .where(eq(users.id, user.id))
          .returning({ tokenGeneration: users.tokenGeneration });
        // Every access token issued before the change ends, the caller's too; the caller's session
        // stays (its next refresh gives a token of the new generation), the others end.
        const ended = await this.endSessions(db, user.id, 'password changed', keepSessionId);
        const list = [
          ...(row ? [this.revocation.forGeneration(user.username, row.tokenGeneration)] : []),
          ...this.revocation.forSessions(ended.map((f) => f.id)),
        ];
        await this.revocation.store(db, list);
        await this.audit.write(
          { type: 'user.password-changed', actor: user.username, detail: `${user.username} changed their password; other sessions ended` },
          db,
        );
        return list;
      }),
    );
    await this.revocation.takeEffect(revoked);
    if (user.username === normalizeUsername(this.config.adminUsername ?? 'admin')) {
      // The generated password no longer works: do not leave it on disk.
      await unlink(this.initialPasswordFile()).catch(() => undefined);
    }
  }

  async updateHash(userId: number, hash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash: hash }).where(eq(users.id, userId));
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

  /**
   * First start: no enabled admin exists. Create one from ADMIN_USERNAME/ADMIN_PASSWORD, or with
   * a generated password printed once. There is never a default password. The users table's
   * state never stops the start: when that name is taken by a disabled admin or a user, one
   * warning says how to restore it (`bouncer admin restore`), and the server starts.
   */
  async ensureAdmin(print?: (line: string) => void): Promise<void> {
    const [admin] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false)))
      .limit(1);
    if (admin) return;
    const username = normalizeUsername(this.config.adminUsername ?? 'admin');
    const existing = await this.findByUsername(username);
    if (existing) {
      this.logger.warn(
        `No enabled admin: "${username}" exists but is ${existing.disabled ? 'disabled' : `a ${existing.role}`}. ` +
          `Restore it on this host with \`npm run cli -- admin restore ${username}\` (enables it as an admin), then sign in.`,
      );
      return;
    }
    const given = this.config.adminPassword;
    if (given) {
      const why = this.passwords.policyViolation(given, username);
      if (why) throw new Error(`Invalid ADMIN_PASSWORD: ${why}`);
    }
    const password = given ?? randomBytes(18).toString('base64url');
    try {
      // A generated password was shown on a console or sits in a file: it must be changed first.
      await this.create(username, password, 'admin', 'system', { mustChangePassword: !given });
    } catch (err) {
      // Another instance starting at the same moment created it first.
      if (err instanceof ProblemException && err.getStatus() === 409) return;
      throw err;
    }
    if (given) {
      this.logger.log({ msg: `Created admin user "${username}" from ADMIN_USERNAME/ADMIN_PASSWORD.`, event: 'admin.created' });
      return;
    }
    // Never in the log (journald and docker keep it): in a file only this user reads, and on the console if there is one.
    const file = this.initialPasswordFile();
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, password + '\n', { mode: 0o600 });
    await chmod(file, 0o600); // an older file's mode is kept by writeFile
    this.logger.log({
      msg: `Created admin user "${username}"; its generated password is in ${file} (readable by this user only). Sign in and change it: the file is then removed.`,
      event: 'admin.created',
      password_file: file,
    });
    print?.(
      `Created admin user "${username}" with generated password: ${password}\n` +
        `  This is shown once (and kept in ${file} until it is changed). Sign in and change it (POST /me/password or the dashboard's home page).`,
    );
  }

  /** Where a generated first admin password waits until that admin changes it. */
  private initialPasswordFile(): string {
    return join(this.config.dataDir, INITIAL_PASSWORD_FILE);
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
    must_change_password: r.mustChangePassword,
  };
}
