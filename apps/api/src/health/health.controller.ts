import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Fallback, ReadinessResponse } from '@bouncer/contracts';
import type { FastifyReply } from 'fastify';
import { DATABASE, type DatabaseHandle } from '../db/database';
import { REDIS, type RedisHandle } from '../core/redis';
import { Public } from '../access/public.decorator';
import { DecisionService, DetectionService } from '../detection';
import { RevocationService } from '../access/revocation.service';
import { GatewayService } from '../gateway/gateway.service';
import { HealingService } from '../healing/healing.service';
import { UpstreamReachability } from '../reverse-proxy';
import { Lifecycle } from './lifecycle';
import { ApiJson, HEADERS, ref } from '../openapi/api-docs.decorators';

/** `GET /health/ready` (its shape is in @bouncer/contracts, with the other answers'). */
export type Readiness = ReadinessResponse;
export type { Fallback };

const PING_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Optional() @Inject(REDIS) private readonly redis: RedisHandle | null,
    private readonly detection: DetectionService,
    private readonly healing: HealingService,
    private readonly decisions: DecisionService,
    private readonly revocations: RevocationService,
    private readonly lifecycle: Lifecycle,
    private readonly gateway: GatewayService,
    @Optional() @Inject(UpstreamReachability) private readonly upstream: UpstreamReachability | null = null,
  ) {}

  /** Liveness: the process answers (wire the orchestrator's liveness probe here; it never checks dependencies). */
  @Get()
  @ApiJson('Liveness: the process answers (never checks dependencies)', 'Liveness')
  live() {
    return { status: 'ok', healing: this.healing.lastRun() };
  }

  /**
   * Readiness (wire the load balancer here): 503 only when this instance cannot serve at all
   * (its embedded database is gone) or while it drains for shutdown. A lost PostgreSQL or Redis
   * is `degraded` and stays 200: every instance loses it at once, and pulling them all would turn
   * a partial outage (issued tokens still verified, sign-ins 503) into a total one.
   */
  @Get('ready')
  @ApiJson('Readiness: 200 ready or degraded, 503 unavailable or draining (same body)', 'Readiness')
  @ApiResponse({
    status: 503,
    description: 'Unavailable (the embedded store is gone) or draining for shutdown; the same body.',
    headers: { 'Retry-After': HEADERS['Retry-After'] },
    content: { 'application/json': { schema: ref('Readiness') } },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const [reachable, upstream] = await Promise.all([this.databaseAnswers(), this.upstream?.check()]);
    const fallbacks: Fallback[] = [];
    if (!reachable && this.database.kind === 'postgres') {
      fallbacks.push({
        part: 'database',
        state: 'unreachable',
        instead:
          'issued access tokens are still verified and blocks still enforced from memory; sign-ins, refreshes and admin changes answer 503 with Retry-After until it returns',
      });
    }
    // The connection's own state too: the counter store notices a loss only when a request is
    // counted, and probes are not counted.
    const redisDown = this.detection.isDegraded() || (this.redis ? !this.redis.isUp() : false);
    if (redisDown) {
      fallbacks.push({
        part: 'redis',
        state: 'unreachable',
        instead: 'counting and blocking on this instance alone (limits apply per instance) until it returns',
      });
    }
    // Decisions and revocations in force here but not stored yet (the database did not answer):
    // written as soon as it does; until then a restart of this instance would forget them.
    const unstored = { decisions: this.decisions.unstored(), revocations: this.revocations.unstored() };
    if (unstored.decisions.queued + unstored.revocations.queued > 0) {
      fallbacks.push({
        part: 'database',
        state: 'unstored',
        instead:
          'decisions and revocations in force here are queued and written when the database answers; a restart of this instance before then forgets them',
      });
    }
    const unavailable = !reachable && this.database.kind === 'embedded';
    const status: Readiness['status'] = this.lifecycle.draining
      ? 'draining'
      : unavailable
        ? 'unavailable'
        : fallbacks.length > 0
          ? 'degraded'
          : 'ready';
    if (status === 'draining' || status === 'unavailable') reply.status(503).header('Retry-After', '5');
    return {
      status,
      database: `${this.database.kind}:${reachable ? 'ok' : 'unreachable'}`,
      shared_store: this.redis ? `redis:${redisDown ? 'unreachable' : 'ok'}` : 'none',
      degraded: fallbacks.length > 0,
      fallbacks,
      unstored,
      route_classes: this.gateway.storeDownStates(),
      ...(upstream ? { upstream } : {}),
    };
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await Promise.race([
        this.database.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS).unref()),
      ]);
      return true;
    } catch {
      return false;
    }
  }
}
