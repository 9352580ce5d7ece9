import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AdminStatsResponse, DashboardDataResponse } from '@bouncer/contracts';
import { Roles } from '../access/roles.decorator';
import { DashboardDataService } from './dashboard-data.service';

/** What the admin dashboard polls. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@Controller()
export class StatsController {
  constructor(private readonly data: DashboardDataService) {}

  @Get('dashboard-data')
  dashboardData(): Promise<DashboardDataResponse> {
    return this.data.dashboardData();
  }

  /** The original's shape. */
  @Get('admin/stats')
  stats(): AdminStatsResponse {
    return this.data.stats();
  }
}
