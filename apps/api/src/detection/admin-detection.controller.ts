import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { DecisionView, ListEntry, Paged, SecurityEvent } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { CLOCK, type Clock } from '../core/clock';
import { ProblemException } from '../http/problem.exception';
import { BlockDto, ClientQueryDto, DecisionsQueryDto, EventsQueryDto, ListEntryDto, ListQueryDto } from './admin-detection.dto';
import { CidrList, canonicalRange, type DetectionEngine, parseRange, type RulesDocument, rulesDocumentOf } from '@bouncer/detection';
import { clientKeyOf } from './client-key';
import { DETECTION_ENGINE } from './engine.provider';
import { DecisionService, toView } from './decisions/decision.service';
import { DetectionService } from './detection.service';

/** What admins see of detection, and how they act on it. Every action is audited with their name. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@Controller()
export class AdminDetectionController {
  constructor(
    private readonly detection: DetectionService,
    private readonly decisions: DecisionService,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
  ) {}

  /** The rules in force, in the format RULES_FILE takes: save it, edit it, start from it. */
  @Get('admin/rules')
  rules(): RulesDocument {
    return rulesDocumentOf(this.engine.rules);
  }

  @Get('admin/decisions')
  list(@Query() q: DecisionsQueryDto): Paged<DecisionView> {
    const all = this.decisions.list(this.clock.now(), q.state).filter((d) => !q.id || d.id === q.id);
    const page = q.page ?? 1;
    const size = q.page_size ?? 50;
    return { items: all.slice((page - 1) * size, page * size), total: all.length, page, page_size: size };
  }

  @Post('admin/blocks')
  async block(@Body() body: BlockDto, @CurrentUser() admin: AuthUser, @Req() req: unknown): Promise<DecisionView> {
    const client = this.clientKey(body.client, 'client');
    this.assertNoLockout(client, 'client', clientKeyOf(req));
    const d = await this.decisions.block({ client, reason: body.reason, seconds: body.duration_seconds, by: `admin:${admin.username}` });
    return toView(d, this.clock.now());
  }

  @Delete('admin/blocks')
  @HttpCode(204)
  async unblock(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser): Promise<void> {
    const client = this.clientKey(q.client, 'client');
    if (!(await this.decisions.lift(client, 'blocked', `admin:${admin.username}`, 'unblocked'))) {
      throw new ProblemException(404, 'Not Found', `${client} is not blocked.`);
    }
  }

  @Delete('admin/suspicions')
  @HttpCode(204)
  async clearSuspicion(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser): Promise<void> {
    const client = this.clientKey(q.client, 'client');
    if (!(await this.decisions.lift(client, 'suspicious', `admin:${admin.username}`, 'cleared'))) {
      throw new ProblemException(404, 'Not Found', `${client} is not suspicious.`);
    }
  }

  @Get('admin/lists')
  lists(): ListEntry[] {
    return this.decisions.lists();
  }

  @Post('admin/lists')
  addToList(@Body() body: ListEntryDto, @CurrentUser() admin: AuthUser, @Req() req: unknown): Promise<ListEntry> {
    const range = this.clientKey(body.cidr, 'cidr');
    // A denylist entry refuses like a block: the same limits.
    if (body.kind === 'deny') this.assertNoLockout(range, 'cidr', clientKeyOf(req));
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

  /**
   * No admin action may lock out every admin: a range wider than MAX_BLOCK_RANGE_V4/_V6 is
   * refused (400), and so is one that covers the acting admin's own client as this server sees
   * it (409). The operator's way back from anything else is the command line (`bouncer unblock`).
   */
  private assertNoLockout(target: string, field: string, adminClient: string): void {
    const [network, bits] = parseRange(target);
    const v4 = network.kind() === 'ipv4';
    const max = v4 ? this.detection.options.maxBlockRangeV4 : this.detection.options.maxBlockRangeV6;
    if (bits < max) {
      throw new ProblemException(400, 'Bad Request', `${target} is wider than the widest range that may be blocked (/${max}).`, {
        errors: [{ field, message: `must be /${max} or narrower (${v4 ? 'MAX_BLOCK_RANGE_V4' : 'MAX_BLOCK_RANGE_V6'})` }],
      });
    }
    // An IPv6 client key is its /64: it is covered when the range holds its first address.
    const own = adminClient.includes('/') ? adminClient.slice(0, adminClient.indexOf('/')) : adminClient;
    if (target === adminClient || new CidrList([target]).match(own) !== null) {
      throw new ProblemException(
        409,
        'Conflict',
        `${target} covers your own address (${adminClient}); blocking it would lock you out. Block a narrower range, or act from elsewhere.`,
        { errors: [{ field, message: 'must not cover the acting admin' }] },
      );
    }
  }

  /** An address becomes its client key (IPv6 -> its /64); a CIDR stays a range. */
  private clientKey(raw: string, field: string): string {
    const canonical = canonicalRange(raw);
    if (!canonical) {
      throw new ProblemException(400, 'Bad Request', `${raw} is not an IP address or CIDR.`, {
        errors: [{ field, message: 'must be an IP address or CIDR' }],
      });
    }
    return canonical.includes('/') ? canonical : this.detection.identity.key(canonical);
  }
}
