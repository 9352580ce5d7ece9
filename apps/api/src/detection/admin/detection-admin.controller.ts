import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AdminStatsResponse, DashboardDataResponse, DecisionView, ListEntry, Paged, SecurityEvent } from '@bouncer/contracts';
import { AuditService } from '../../audit/audit.service';
import { type AuthUser, CurrentUser } from '../../auth/decorators/current-user.decorator';
import { Roles } from '../../auth/decorators/roles.decorator';
import { CLOCK, type Clock } from '../../common/clock';
import { ProblemException } from '../../common/problem.exception';
import { canonicalRange } from '../client/cidr';
import { DecisionService, toView } from '../decision.service';
import { DetectionService } from '../detection.service';
import { BlockDto, ClientQueryDto, DecisionsQueryDto, EventsQueryDto, ListEntryDto, ListQueryDto } from './admin.dto';

/** What admins see of detection, and how they act on it; every action is audited with their name. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@Controller()
export class DetectionAdminController {
  constructor(
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('dashboard-data')
  dashboardData(): DashboardDataResponse {
    return this.detection.dashboardData();
  }

  /** The original's shape. */
  @Get('admin/stats')
  stats(): AdminStatsResponse {
    return {
      total_ips: this.detection.monitor.trackedClients(),
      blocked_ips: this.decisions.counts(this.clock.now()).blocked,
      system_health: this.detection.isDegraded() ? 'degraded' : 'ok',
      active_threshold: this.detection.options.rateLimit,
    };
  }

  @Get('admin/decisions')
  list(@Query() q: DecisionsQueryDto): Paged<DecisionView> {
    const all = this.decisions.list(this.clock.now(), q.state);
    const page = q.page ?? 1;
    const size = q.page_size ?? 50;
    return { items: all.slice((page - 1) * size, page * size), total: all.length, page, page_size: size };
  }

  @Post('admin/blocks')
  block(@Body() body: BlockDto, @CurrentUser() admin: AuthUser): DecisionView {
    const client = this.clientKey(body.client);
    const by = `admin:${admin.username}`;
    const d = this.decisions.block({ client, rule: 'admin', reason: body.reason, seconds: body.duration_seconds, by });
    return toView(d, this.clock.now());
  }

  @Delete('admin/blocks')
  @HttpCode(204)
  unblock(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser): void {
    const client = this.clientKey(q.client);
    if (!this.decisions.lift(client, 'blocked', `admin:${admin.username}`, 'unblocked')) {
      throw new ProblemException(404, 'Not Found', `${client} is not blocked.`);
    }
  }

  @Delete('admin/suspicions')
  @HttpCode(204)
  clearSuspicion(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser): void {
    const client = this.clientKey(q.client);
    if (!this.decisions.lift(client, 'suspicious', `admin:${admin.username}`, 'cleared')) {
      throw new ProblemException(404, 'Not Found', `${client} is not suspicious.`);
    }
  }

  @Get('admin/lists')
  lists(): ListEntry[] {
    return this.decisions.lists();
  }

  @Post('admin/lists')
  addToList(@Body() body: ListEntryDto, @CurrentUser() admin: AuthUser): Promise<ListEntry> {
    return this.decisions.addListEntry(body.kind, body.cidr, body.note ?? '', `admin:${admin.username}`);
  }

  @Delete('admin/lists')
  @HttpCode(204)
  async removeFromList(@Query() q: ListQueryDto, @CurrentUser() admin: AuthUser): Promise<void> {
    if (!(await this.decisions.removeListEntry(q.kind, q.cidr, `admin:${admin.username}`))) {
      throw new ProblemException(404, 'Not Found', `${q.cidr} is not on the ${q.kind}list.`);
    }
  }

  @Get('admin/events')
  events(@Query() q: EventsQueryDto): Promise<SecurityEvent[]> {
    return this.audit.list(q.limit ?? 100);
  }

  /** An address becomes its client key (IPv6 → its prefix); a CIDR stays a range. */
  private clientKey(raw: string): string {
    const canonical = canonicalRange(raw);
    if (!canonical) {
      throw new ProblemException(400, 'Bad Request', `${raw} is not an IP address or CIDR.`, { errors: [{ field: 'client', message: 'must be an IP address or CIDR' }] });
    }
    // A CIDR stays a range (one the size of an IPv6 client prefix is that client's key).
    return canonical.includes('/') ? canonical : this.detection.identity.key(canonical);
  }
}
