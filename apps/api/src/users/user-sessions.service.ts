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

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A session id from a path, lower-cased; 400 unless it is one (a UUID). */
export function sessionIdFrom(id: string): string {
  if (!SESSION_ID.test(id)) {
    throw new ProblemException(400, 'Bad Request', 'A session id is a UUID.', {
      errors: [{ field: 'id', message: 'must be a session id (UUID)' }],
    });
  }
  return id.toLowerCase();
}

/** A user's open sessions (refresh-token families), as admins and their owner see and end them. */
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
    return this.end(username, sessionId, { actor: `admin:${actor}`, reason: `revoked by admin ${actor}`, by: actor }, client);
  }

  /** The owner ends one of their own sessions (a browser left signed in elsewhere). Audited as an admin's end is. */
  async revokeOwn(username: string, sessionId: string, client: string | null): Promise<void> {
    return this.end(username, sessionId, { actor: username, reason: 'ended by its owner', by: 'its owner' }, client);
  }

  private async end(
    username: string,
    sessionId: string,
    who: { actor: string; reason: string; by: string },
    client: string | null,
  ): Promise<void> {
    const user = await this.requireUser(username);
    const revoked = this.revocation.forSessions([sessionId]);
    const ended = await storedFirst(`revoking a session of ${user.username}`, () =>
      this.users.transaction(async (db) => {
        const rows = await db
          .update(refreshFamilies)
          .set({ revokedAt: new Date(this.clock.now()), revokedReason: who.reason })
          .where(and(eq(refreshFamilies.id, sessionId), eq(refreshFamilies.userId, user.id), isNull(refreshFamilies.revokedAt)))
          .returning({ id: refreshFamilies.id });
        if (rows.length === 0) return false;
        await this.revocation.store(db, revoked);
        await this.audit.write(
          {
            type: 'session.revoked',
            actor: who.actor,
            client,
            detail: `session ${sessionId.slice(0, 8)}… of ${user.username} ended by ${who.by}`,
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
