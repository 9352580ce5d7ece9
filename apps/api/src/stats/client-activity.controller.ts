import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { ClientActivity } from '@bouncer/contracts';
import { canonicalRange } from '@bouncer/detection';
import { Roles } from '../access/roles.decorator';
import { DetectionService } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';
import { ClientActivityQueryDto } from './client-activity-query.dto';
import { ClientActivityService } from './client-activity.service';

/** The client page's data beyond its decisions: timeline, targeted accounts, sign-ins and sessions seen. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
@Controller()
export class ClientActivityController {
  constructor(
    private readonly activity: ClientActivityService,
    private readonly detection: DetectionService,
  ) {}

  @Get('admin/clients/activity')
  @ApiJson(
    "One client's requests over a time range (per minute within the last hour, per hour up to 7 days back; default the last hour), the accounts it guessed at, and the sign-ins and sessions seen from it",
    'ClientActivity',
  )
  @ApiProblems(400, 503)
  read(@Query() q: ClientActivityQueryDto): Promise<ClientActivity> {
    const canonical = canonicalRange(q.client);
    if (!canonical) {
      throw new ProblemException(400, 'Bad Request', `${q.client} is not an IP address or CIDR.`, {
        errors: [{ field: 'client', message: 'must be an IP address or CIDR' }],
      });
    }
    // An address becomes its client key (IPv6 -> its /64), as every decision and event is stored.
    return this.activity.activity(canonical.includes('/') ? canonical : this.detection.identity.key(canonical), {
      range: q.range ?? (q.since === undefined && q.until === undefined ? '1h' : undefined),
      since: q.since,
      until: q.until,
    });
  }
}
