import { Controller, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { CLOCK, type Clock } from '../core/clock';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { ProblemException } from '../http/problem.exception';
import { storedFirst } from '../http/stored-first';
import { ApiProblems, ApiRaw } from '../openapi/api-docs.decorators';

/**
 * Backup of the embedded store while the service runs. The running server holds the data
 * folder's lock, so the copy is taken by it (between two queries, after a checkpoint) and
 * streamed to an admin; `bouncer backup <file>` calls this with an admin token, and
 * `bouncer restore <file>` (server stopped) puts it back. The signing key (DATA_DIR/keys) is
 * not in it: a backup that leaks must not let its holder mint tokens for the live service.
 */
@ApiTags('operations')
@ApiBearerAuth()
@Roles('admin')
@Controller()
export class BackupController {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('admin/backup')
  @HttpCode(200)
  @ApiRaw(
    'Back up the embedded store (a gzipped tar)',
    ['application/gzip'],
    'A gzipped tar of the embedded database (users, decisions, lists, audit log, sessions).',
  )
  @ApiProblems(401, 403, [409, 'The data is in PostgreSQL: back it up with pg_dump'], 503)
  async backup(@CurrentUser() admin: AuthUser, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    if (this.database.kind !== 'embedded') {
      throw new ProblemException(
        409,
        'Conflict',
        'This deployment stores its data in PostgreSQL (DATABASE_URL): back that database up with its own tools (pg_dump).',
      );
    }
    // Audited before the copy is taken: nobody gets a backup that is not on record, and the
    // backup holds its own record.
    await storedFirst('audit of a backup', () =>
      this.audit.write({ type: 'backup.taken', actor: admin.username, detail: 'backup of the embedded store (POST /admin/backup)' }),
    );
    const blob = await this.database.dump();
    if (!blob) throw new ProblemException(409, 'Conflict', 'This store cannot be backed up by Bouncer.');
    const bytes = Buffer.from(await blob.arrayBuffer());
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', 'application/gzip')
      .header('content-disposition', `attachment; filename="bouncer-backup-${stamp}.tar.gz"`)
      .header('cache-control', 'no-store');
    return bytes;
  }
}
