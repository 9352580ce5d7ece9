import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, type OnModuleInit, Optional, Req, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../access/public.decorator';
import { BEARER_AUTHENTICATOR, type BearerAuthenticator } from '../access/bearer-authenticator';
import type { AuthUser } from '../access/current-user.decorator';
import { RevocationService } from '../access/revocation.service';
import { ProblemException } from '../http/problem.exception';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CLOCK, type Clock } from '../core/clock';
import { Metrics, METRICS_CONTENT_TYPE } from '../core/metrics';
import { REDIS, type RedisHandle } from '../core/redis';

import { DecisionService, DetectionService } from '../detection';
import { ApiProblems, ApiRaw } from '../openapi/api-docs.decorators';

/** Shorter scrape tokens are refused at start-up: they could be guessed. */
const METRICS_TOKEN_MIN_LENGTH = 24;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Prometheus scrape endpoint. Public to the JWT guard (a scraper holds METRICS_TOKEN, not a
 * user's token) and skipped by the client gate like the probes; checked here instead: the
 * scrape token or an admin's access token, 401 otherwise.
 */
@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  /** SHA-256 of METRICS_TOKEN: compared in constant time whatever the presented length. */
  private readonly scrapeTokenDigest: Buffer | null;
  private authenticator?: BearerAuthenticator;

  constructor(
    private readonly metrics: Metrics,
    private readonly moduleRef: ModuleRef,
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly revocations: RevocationService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(REDIS) private readonly redis: RedisHandle | null,
  ) {
    const token = config.env['METRICS_TOKEN'];
    if (token !== undefined && token.length < METRICS_TOKEN_MIN_LENGTH) {
      throw new Error(`METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters`);
    }
    this.scrapeTokenDigest = token ? digest(token) : null;
  }

  onModuleInit(): void {
    this.metrics.setSources({
      decisionCounts: () => this.decisions.counts(this.clock.now()),
      // The connection's own state too, as readiness reads it: the counter store notices a loss
      // only when a request is counted, and scrapes are not counted.
      storeDegraded: () => this.detection.isDegraded() || (this.redis ? !this.redis.isUp() : false),
      trackedClients: () => this.detection.trackedClients(),
      unstored: () => ({ decisions: this.decisions.unstored().queued, revocations: this.revocations.unstored().queued }),
    });
  }

  @Get()
  @ApiBearerAuth('bearer')
  @ApiRaw(
    'Prometheus metrics of this instance (METRICS_TOKEN or an admin token)',
    ['text/plain'],
    'The Prometheus text exposition format (version 0.0.4)',
  )
  @ApiProblems(401)
  async scrape(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    await this.authorize(req);
    reply.header('content-type', METRICS_CONTENT_TYPE).header('cache-control', 'no-store');
    return this.metrics.render();
  }

  private async authorize(req: FastifyRequest): Promise<void> {
    const header = req.headers.authorization;
    const presented = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (presented && this.scrapeTokenDigest && timingSafeEqual(digest(presented), this.scrapeTokenDigest)) return;
    if (presented) {
      // Resolved on first use, as the JWT guard does: auth/ provides it.
      this.authenticator ??= this.moduleRef.get<BearerAuthenticator>(BEARER_AUTHENTICATOR, { strict: false });
      let user: AuthUser | null;
      try {
        user = await this.authenticator.authenticate(req);
      } catch {
        user = null;
      }
      if (user?.role === 'admin' && !user.mustChangePassword) return;
    }
    throw new ProblemException(401, 'Unauthorized', 'The metrics need METRICS_TOKEN or an admin access token as a bearer token.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="bouncer"' },
    });
  }
}
