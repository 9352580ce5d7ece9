import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { UserSession } from '@bouncer/contracts';
import { RevocationService } from '../access/revocation.service';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { refreshFamilies } from '../db/schema';
import { storedFirst } from '../http/stored-first';
import { ProblemException } from '../http/problem.exception';
import { UsersService } from './users.service';

/** A user's open sessions (refresh-token families) as admins see and end them. */
@Injectable()
export class UserSessionsService {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly users: UsersService,
    private readonly revocation: RevocationService,
    private readonly audit: AuditService,
  ) {}

  /** Open sessions, the most recently used first; ids only, never a token. */
  async list(username: string): Promise<UserSession[]> {
    const user = await this.requireUser(username);
    const rows = await this.database.db
      .select()
      .from(refreshFamilies)
      .where(
        and(
          eq(refreshFamilies.userId, user.id),
          isNull(refreshFamilies.revokedAt),
          gt(refreshFamilies.expiresAt, new Date(this.clock.now())),
        ),
      )
      .orderBy(desc(refreshFamilies.rotatedAt), desc(refreshFamilies.createdAt))
      .limit(200);
    return rows.map((r) => ({
      id: r.id,
      created_at: r.createdAt.toISOString(),
      expires_at: r.expiresAt.toISOString(),
      last_used_at: r.rotatedAt?.toISOString() ?? null,
      last_client: r.rotatedBy,
    }));
  }

  /**
   * Ends one session: the family is revoked, its access tokens refused on every instance, and
   * the admin's act audited, all stored in one transaction before the answer (as a logout).
   */
  async revoke(username: string, sessionId: string, actor: string, client: string | null): Promise<void> {
    const user = await this.requireUser(username);
    const revoked = this.revocation.forSessions([sessionId]);
    const ended = await storedFirst(`revoking a session of ${user.username}`, () =>
      this.users.transaction(async (db) => {
        const rows = await db
          .update(refreshFamilies)
          .set({ revokedAt: new Date(this.clock.now()), revokedReason: `revoked by admin ${actor}` })
          .where(and(eq(refreshFamilies.id, sessionId), eq(refreshFamilies.userId, user.id), isNull(refreshFamilies.revokedAt)))
          .returning({ id: refreshFamilies.id });
        if (rows.length === 0) return false;
        await this.revocation.store(db, revoked);
        await this.audit.write(
          {
            type: 'session.revoked',
            actor: `admin:${actor}`,
            client,
            detail: `session ${sessionId.slice(0, 8)}… of ${user.username} ended by ${actor}`,
          },
          db,
        );
        return true;
      }),
    );
    if (!ended) throw new ProblemException(404, 'Not Found', `${user.username} has no open session ${sessionId}.`);
    await this.revocation.takeEffect(revoked);
  }

  private async requireUser(username: string) {
    const user = await this.users.findByUsername(username);
    if (!user) throw new ProblemException(404, 'Not Found', 'No such user.');
    return user;
  }
}
