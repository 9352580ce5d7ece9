import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AccountClientPage, AccountPage } from '@bouncer/contracts';
import { CLOCK, type Clock } from '../core/clock';
import { Roles } from '../access/roles.decorator';
import { ProblemException } from '../http/problem.exception';
import { rangeBounds } from './time-range';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';
import { normalizeUsername } from '../policy/username';
import { AccountAttacksService, DEFAULT_WINDOW_MS } from './account-attacks.service';
import { AccountClientsQueryDto, AccountsQueryDto } from './accounts-query.dto';

/** The Accounts page: accounts under attack and the clients that guessed at one, paged by the database. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
@Controller()
export class AccountAttacksController {
  constructor(
    private readonly attacks: AccountAttacksService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('admin/accounts')
  @ApiJson(
    'Accounts with failed sign-ins in a window (default: the last 24 hours), most failures first, one page; total counts them all',
    'AccountPage',
  )
  @ApiProblems(400, 503)
  accounts(@Query() q: AccountsQueryDto): Promise<AccountPage> {
    // Names are stored normalized (NFKC, lower case): so is the part looked for, so ＩＶＡＮ finds ivan.
    const part = q.q === undefined ? undefined : normalizeUsername(q.q) || undefined;
    return this.attacks.accounts({ ...this.window(q), q: part, page: q.page ?? 1, pageSize: q.page_size ?? 50 });
  }

  @Get('admin/accounts/:username/clients')
  @ApiJson(
    'The clients whose sign-ins at one account failed in a window (default: the last 24 hours), most first, one page',
    'AccountClientPage',
  )
  @ApiProblems(400, 503)
  clients(@Param('username') raw: string, @Query() q: AccountClientsQueryDto): Promise<AccountClientPage> {
    const account = normalizeUsername(raw);
    if (account.length === 0 || account.length > 256) {
      throw new ProblemException(400, 'Bad Request', 'Give the account name.', {
        errors: [{ field: 'username', message: 'must be 1 to 256 characters' }],
      });
    }
    return this.attacks.clients(account, { ...this.window(q), page: q.page ?? 1, pageSize: q.page_size ?? 50 });
  }

  /** The window asked for (the last 24 hours by default), checked as every console range is. */
  private window(q: { since?: string; until?: string }): { since: Date; until?: Date } {
    const now = this.clock.now();
    const since = q.since ?? new Date(now - DEFAULT_WINDOW_MS).toISOString();
    const { from, to } = rangeBounds({ since, until: q.until }, now, Infinity);
    return { since: new Date(from), ...(q.until === undefined ? {} : { until: new Date(to) }) };
  }
}
