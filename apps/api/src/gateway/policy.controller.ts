import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type RoutePolicy, routePolicyDocumentOf } from '@bouncer/detection';
import { Roles } from '../access/roles.decorator';
import { ROUTE_POLICY } from './gateway.types';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';

/** The route policy in force, in the format POLICY_FILE takes (admins; a read, like GET /admin/rules). */
@ApiTags('gateway')
@ApiBearerAuth()
@Roles('admin')
@Controller()
export class PolicyController {
  constructor(@Inject(ROUTE_POLICY) private readonly policy: RoutePolicy) {}

  @Get('admin/policy')
  @ApiJson('The route policy in force (POLICY_FILE, or the built-in one)', 'RoutePolicy')
  @ApiProblems(401, 403)
  show(): { source: string; policy: Record<string, unknown> } {
    return { source: this.policy.source, policy: routePolicyDocumentOf(this.policy) };
  }
}
