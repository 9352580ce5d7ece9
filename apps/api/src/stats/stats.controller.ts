import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AdminStatsResponse, DashboardDataResponse } from '@bouncer/contracts';
import { Roles } from '../access/roles.decorator';
import { DashboardDataService } from './dashboard-data.service';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';

/** What the admin dashboard polls. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
@Controller()
export class StatsController {
  constructor(private readonly data: DashboardDataService) {}

  @Get('dashboard-data')
  @ApiJson('Everything the admin dashboard shows, in one answer', 'DashboardData')
  @ApiProblems(503)
  dashboardData(): Promise<DashboardDataResponse> {
    return this.data.dashboardData();
  }

  /** The original's shape. */
  @Get('admin/stats')
  @ApiJson('Counts of tracked and blocked clients (the original shape)', 'AdminStats')
  stats(): AdminStatsResponse {
    return this.data.stats();
  }
}
