import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { Public } from '../access/public.decorator';
import { DecisionService, DetectionService } from '../detection';
import { RevocationService } from '../access/revocation.service';
import { HealingService } from '../healing/healing.service';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly detection: DetectionService,
    private readonly healing: HealingService,
    private readonly decisions: DecisionService,
    private readonly revocations: RevocationService,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok', healing: this.healing.lastRun() };
  }

  /** Readiness: the database answers; a degraded shared store is reported, not fatal. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    let database: 'ok' | 'unreachable' = 'ok';
    try {
      await Promise.race([this.database.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    } catch {
      database = 'unreachable';
    }
    // Decisions and revocations in force here but not stored yet (the database did not answer):
    // written as soon as it does; until then a restart of this instance would forget them.
    const unstored = { decisions: this.decisions.unstored(), revocations: this.revocations.unstored() };
    const waiting = unstored.decisions.queued + unstored.revocations.queued > 0;
    const degraded = this.detection.isDegraded() || waiting;
    if (database !== 'ok') reply.status(503).header('Retry-After', '5');
    return {
      status: database === 'ok' ? (degraded ? 'degraded' : 'ok') : 'unavailable',
      database: `${this.database.kind}:${database}`,
      degraded,
      unstored,
    };
  }
}
