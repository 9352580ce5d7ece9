import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { BulkDecisionResult, DecisionView, ListEntry, Paged, SecurityEvent } from '@bouncer/contracts';
import { AuditService, type EventFilter, type StoredEvent } from '../audit/audit.service';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { CLOCK, type Clock } from '../core/clock';
import { ProblemException } from '../http/problem.exception';
import { normalizeUsername } from '../policy/username';
import {
  BlockDto,
  BULK_MAX,
  BulkExtendDto,
  BulkLiftDto,
  ClientQueryDto,
  DecisionsQueryDto,
  EventsExportQueryDto,
  EventsFilterDto,
  EventsQueryDto,
  ExtendDto,
  ListEntryDto,
  ListQueryDto,
} from './admin-detection.dto';
import {
  CidrList,
  canonicalRange,
  decisionRef,
  type DetectionEngine,
  parseRange,
  type RulesDocument,
  rulesDocumentOf,
  type StandingDecision,
} from '@bouncer/detection';
import { clientKeyOf } from './client-key';
import { DETECTION_ENGINE } from './engine.provider';
import { DecisionService, toView } from './decisions/decision.service';
import { queryDecisions } from './decisions/decision-query';
import { DetectionService } from './detection.service';
import { ApiJson, ApiNoContent, ApiProblems, ApiRaw } from '../openapi/api-docs.decorators';
import { RequestId } from '../http/request-id.decorator';

/** What admins see of detection, and how they act on it. Every action is audited with their name. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
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
  @ApiJson('The detection rules in force, in the format RULES_FILE takes', 'RulesDocument')
  rules(): RulesDocument {
    return rulesDocumentOf(this.engine.rules);
  }

  @Get('admin/decisions')
  @ApiJson('Standing decisions (blocked and suspicious clients), filtered, one page', 'DecisionPage')
  @ApiProblems(400)
  list(@Query() q: DecisionsQueryDto): Paged<DecisionView> {
    const client = q.client === undefined ? undefined : this.clientKey(q.client, 'client');
    const within = q.q === undefined ? undefined : this.clientKey(q.q, 'q');
    // Filtered and sorted before paging: total and pages count what matches.
    const all = queryDecisions(this.decisions.list(this.clock.now()), {
      state: q.state,
      id: q.id,
      rule: q.rule,
      decidedBy: q.decided_by,
      within,
      sort: q.sort,
      order: q.order,
      onePerClient: q.one_per_client === 'true',
      expiresWithin: q.expires_within,
      expiresBeyond: q.expires_beyond,
    }).filter((d) => !client || d.client === client);
    const page = q.page ?? 1;
    const size = q.page_size ?? 50;
    return { items: all.slice((page - 1) * size, page * size), total: all.length, page, page_size: size };
  }

  @Post('admin/blocks')
  @ApiJson('Block a client (an address or CIDR) for a while', 'DecisionView', { status: 201, description: 'The decision made' })
  @ApiProblems(400, [409, 'The range covers the acting admin'], 413, 415, 503)
  async block(
    @Body() body: BlockDto,
    @CurrentUser() admin: AuthUser,
    @Req() req: unknown,
    @RequestId() requestId?: string,
  ): Promise<DecisionView> {
    const client = this.clientKey(body.client, 'client');
    this.assertNoLockout(client, 'client', clientKeyOf(req));
    const d = await this.decisions.block({
      client,
      reason: body.reason,
      seconds: body.duration_seconds,
      by: `admin:${admin.username}`,
      requestId,
    });
    return toView(d, this.clock.now());
  }

  /** Lengthens a standing decision (its rule, reason and reference stay); audited `decision.extended`. */
  @Post('admin/decisions/extend')
  @ApiJson('Extend a standing decision by some time (its reason and reference stay)', 'DecisionView')
  @ApiProblems(400, [404, 'No such decision stands'], 413, 415, 503)
  @HttpCode(200)
  async extend(@Body() body: ExtendDto, @CurrentUser() admin: AuthUser): Promise<DecisionView> {
    const client = this.clientKey(body.client, 'client');
    const d = await this.decisions.extend(client, body.state, body.seconds, `admin:${admin.username}`);
    if (!d) throw new ProblemException(404, 'Not Found', `${client} is not ${body.state}.`);
    return toView(d, this.clock.now());
  }

  /**
   * Lifts many decisions, named by reference, in one call (the Decisions page's bulk action,
   * one confirmation). Each is lifted, stored and audited as `DELETE /admin/blocks` or
   * `/admin/suspicions` would, one audit record per decision.
   */
  @Post('admin/decisions/bulk-lift')
  @ApiJson(`Lift up to ${BULK_MAX} standing decisions by reference; one audit record each`, 'BulkDecisionResult')
  @ApiProblems(400, 413, 415)
  @HttpCode(200)
  bulkLift(@Body() body: BulkLiftDto, @CurrentUser() admin: AuthUser): Promise<BulkDecisionResult> {
    const by = `admin:${admin.username}`;
    return this.forEachDecision(body.ids, 'lifted', (d) =>
      this.decisions.lift(d.client, d.state, by, d.state === 'blocked' ? 'unblocked' : 'cleared'),
    );
  }

  /** Extends many decisions, named by reference, by the same time, as `POST /admin/decisions/extend` does each. */
  @Post('admin/decisions/bulk-extend')
  @ApiJson(`Extend up to ${BULK_MAX} standing decisions by reference by the same time; one audit record each`, 'BulkDecisionResult')
  @ApiProblems(400, 413, 415)
  @HttpCode(200)
  bulkExtend(@Body() body: BulkExtendDto, @CurrentUser() admin: AuthUser): Promise<BulkDecisionResult> {
    const by = `admin:${admin.username}`;
    return this.forEachDecision(
      body.ids,
      'extended',
      async (d) => (await this.decisions.extend(d.client, d.state, body.seconds, by)) !== null,
    );
  }

  /**
   * Runs `act` once per standing decision the references name (once for a client and state,
   * however many of its references are given), in order. Once a change cannot be stored (the
   * database is down) the rest are not tried: each is reported `failed` with the reason, and
   * what was done before stays done and audited.
   */
  private async forEachDecision(
    ids: string[],
    done: 'lifted' | 'extended',
    act: (d: StandingDecision) => Promise<boolean>,
  ): Promise<BulkDecisionResult> {
    const standing = new Map(this.engine.book.list(this.clock.now()).map((d) => [decisionRef(d), d]));
    const outcomes = new Map<string, BulkDecisionResult['results'][number]['outcome']>();
    let failure: string | null = null;
    const results: BulkDecisionResult['results'] = [];
    for (const id of new Set(ids)) {
      const d = standing.get(id);
      if (!d) {
        results.push({ id, outcome: 'not_found' });
        continue;
      }
      const key = `${d.state} ${d.client}`;
      let outcome = outcomes.get(key);
      if (!outcome && failure === null) {
        try {
          outcome = (await act(d)) ? done : 'not_found';
        } catch (err) {
          if (!(err instanceof ProblemException) || err.getStatus() !== 503) throw err;
          failure = err.detail;
        }
        if (outcome) outcomes.set(key, outcome);
      }
      results.push({ id, client: d.client, state: d.state, outcome: outcome ?? 'failed', ...(outcome ? {} : { detail: failure ?? '' }) });
    }
    return { results };
  }

  @Delete('admin/blocks')
  @ApiNoContent('Lift the block of a client')
  @ApiProblems(400, [404, 'The client is not blocked'], 503)
  @HttpCode(204)
  async unblock(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser, @RequestId() requestId?: string): Promise<void> {
    const client = this.clientKey(q.client, 'client');
    if (!(await this.decisions.lift(client, 'blocked', `admin:${admin.username}`, 'unblocked', requestId))) {
      throw new ProblemException(404, 'Not Found', `${client} is not blocked.`);
    }
  }

  @Delete('admin/suspicions')
  @ApiNoContent('Clear the suspicion on a client')
  @ApiProblems(400, [404, 'The client is not suspicious'], 503)
  @HttpCode(204)
  async clearSuspicion(@Query() q: ClientQueryDto, @CurrentUser() admin: AuthUser, @RequestId() requestId?: string): Promise<void> {
    const client = this.clientKey(q.client, 'client');
    if (!(await this.decisions.lift(client, 'suspicious', `admin:${admin.username}`, 'cleared', requestId))) {
      throw new ProblemException(404, 'Not Found', `${client} is not suspicious.`);
    }
  }

  /**
   * Unlocks an account under attack: the account rule forgets its failed sign-ins and its
   * spacing, on every instance (the counters live in the shared store). Works for names that
   * are no account too (attackers guess those). Client decisions stay; audited.
   */
  @Post('admin/accounts/:username/unlock')
  @ApiNoContent("Unlock an account: forget its failed sign-ins (the account rule's count and spacing)")
  @ApiProblems(400, 503)
  @HttpCode(204)
  async unlockAccount(@Param('username') raw: string, @CurrentUser() admin: AuthUser, @Req() req: unknown): Promise<void> {
    const account = normalizeUsername(raw);
    if (account.length === 0 || account.length > 256) {
      throw new ProblemException(400, 'Bad Request', 'Give the account name to unlock.', {
        errors: [{ field: 'username', message: 'must be 1 to 256 characters' }],
      });
    }
    await this.engine.unlockAccount(account);
    await this.audit.record({
      type: 'account.unlocked',
      actor: `admin:${admin.username}`,
      client: clientKeyOf(req),
      detail: `account ${account} unlocked by ${admin.username}: its failed sign-ins are forgotten`,
    });
  }

  @Get('admin/lists')
  @ApiJson('The allowlist and denylist entries', ['ListEntry'])
  lists(): ListEntry[] {
    return this.decisions.lists();
  }

  @Post('admin/lists')
  @ApiJson('Add an address or CIDR to the allowlist or denylist', 'ListEntry', { status: 201, description: 'The entry added' })
  @ApiProblems(400, [409, 'A denylist range covers the acting admin'], 413, 415, 503)
  addToList(@Body() body: ListEntryDto, @CurrentUser() admin: AuthUser, @Req() req: unknown): Promise<ListEntry> {
    const range = this.clientKey(body.cidr, 'cidr');
    // A denylist entry refuses like a block: the same limits.
    if (body.kind === 'deny') this.assertNoLockout(range, 'cidr', clientKeyOf(req));
    return this.decisions.addListEntry(body.kind, body.cidr, body.note ?? '', `admin:${admin.username}`, body.duration_seconds);
  }

  @Delete('admin/lists')
  @ApiNoContent('Remove an address or CIDR from a list')
  @ApiProblems(400, [404, 'Not on that list'], 503)
  @HttpCode(204)
  async removeFromList(@Query() q: ListQueryDto, @CurrentUser() admin: AuthUser): Promise<void> {
    if (!(await this.decisions.removeListEntry(q.kind, q.cidr, `admin:${admin.username}`))) {
      throw new ProblemException(404, 'Not Found', `${q.cidr} is not on the ${q.kind}list.`);
    }
  }

  /**
   * The audit log, newest first: still a plain array (the shape every client reads). When more
   * events match than `limit` (at most 1000), the page says so: `X-Next-Cursor` holds the opaque
   * cursor of the next page, also given as a `Link: <...>; rel="next"`. No header: the last page.
   */
  @Get('admin/events')
  @ApiJson('The audit log, newest first, one page (follow X-Next-Cursor for the next)', ['SecurityEvent'], {
    headers: {
      'X-Next-Cursor': { description: 'The cursor of the next page; absent on the last page.', schema: { type: 'string' } },
      Link: { description: '`</admin/events?...>; rel="next"`; absent on the last page.', schema: { type: 'string' } },
    },
  })
  @ApiProblems(400, 503)
  async events(@Query() q: EventsQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<SecurityEvent[]> {
    const filter = { ...this.eventFilter(q), before: q.cursor === undefined ? undefined : decodeCursor(q.cursor) };
    const limit = q.limit ?? 100;
    const { items, nextBefore } = await this.audit.page(filter, limit);
    if (nextBefore !== null) {
      const cursor = encodeCursor(nextBefore);
      const next = new URLSearchParams(Object.entries({ ...q, limit, cursor }).map(([k, v]) => [k, String(v)]));
      reply.header('x-next-cursor', cursor);
      reply.header('link', `</admin/events?${next.toString()}>; rel="next"`);
    }
    return items.map(({ id: _id, ...event }) => event);
  }

  /**
   * Every matching event, oldest first, streamed as JSON lines or CSV while it is read from the
   * database a page at a time: no cap, whatever the size of the log.
   */
  @Get('admin/events/export')
  @ApiRaw(
    'Every matching audit event, oldest first, streamed (no cap)',
    ['application/x-ndjson', 'text/csv'],
    'JSON lines, or CSV with a header row',
  )
  @ApiProblems(400, 503)
  async exportEvents(@Query() q: EventsExportQueryDto, @CurrentUser() admin: AuthUser): Promise<StreamableFile> {
    const filter = this.eventFilter(q);
    const format = q.format ?? 'jsonl';
    // Recorded before the first page is read: the export holds the event that says it was taken.
    await this.audit.record({ type: 'audit.exported', actor: `admin:${admin.username}`, detail: `audit log exported as ${format}` });
    const rows = this.audit.export(filter);
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield 'id,at,type,client,actor,detail\r\n';
      for await (const e of rows) yield format === 'csv' ? csvLine(e) : `${JSON.stringify(e)}\n`;
    }
    return new StreamableFile(Readable.from(lines()), {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="bouncer-audit.${format}"`,
    });
  }

  private eventFilter(q: EventsFilterDto): EventFilter {
    const since = q.since === undefined ? undefined : new Date(q.since);
    const until = q.until === undefined ? undefined : new Date(q.until);
    if (since && until && since > until) {
      throw new ProblemException(400, 'Bad Request', 'since is after until.', {
        errors: [{ field: 'since', message: 'must not be after until' }],
      });
    }
    return { since, until, type: q.type, actor: q.actor, client: q.client === undefined ? undefined : this.clientKey(q.client, 'client') };
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

const CURSOR_PREFIX = 'e1.';

/** Opaque to clients: a position in the log, so they do not build one. */
function encodeCursor(beforeId: number): string {
  return CURSOR_PREFIX + Buffer.from(String(beforeId)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = cursor.startsWith(CURSOR_PREFIX) ? Number(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString()) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new ProblemException(400, 'Bad Request', 'cursor is not one this server gave.', {
      errors: [{ field: 'cursor', message: 'must be the X-Next-Cursor of a previous page' }],
    });
  }
  return id;
}

/** RFC 4180: quoted when needed; a leading formula character is neutralised (spreadsheets run them). */
function csvLine(e: StoredEvent): string {
  const cell = (v: string | number | null) => {
    let s = v === null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [e.id, e.at, e.type, e.client, e.actor, e.detail].map(cell).join(',') + '\r\n';
}
