import { Controller, Get, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AdminStatsResponse, DashboardDataResponse, TrafficHistoryResponse } from '@bouncer/contracts';
import { Roles } from '../access/roles.decorator';
import { clientKeyOf } from '../detection';
import { DashboardDataService } from './dashboard-data.service';
import { TrafficHistoryService } from './traffic-history.service';
import { TrafficQueryDto } from './traffic-query.dto';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';

/** What the admin dashboard polls. */
@ApiTags('detection')
@ApiBearerAuth()
@Roles('admin')
@ApiProblems(401, 403)
@Controller()
export class StatsController {
  constructor(
    private readonly data: DashboardDataService,
    private readonly traffic: TrafficHistoryService,
  ) {}

  @Get('dashboard-data')
  @ApiJson('Everything the admin dashboard shows, in one answer', 'DashboardData')
  @ApiProblems(503)
  dashboardData(@Req() req: FastifyRequest): Promise<DashboardDataResponse> {
    return this.data.dashboardData(clientKeyOf(req));
  }

  /** The overview's charts over a chosen range: 10-s buckets for 15 minutes, minutes for 24 h, hours for 7 days. */
  @Get('admin/traffic')
  @ApiJson('Requests, 4xx answers and blocks per bucket over a time range', 'TrafficHistory')
  @ApiProblems(400)
  trafficHistory(@Query() q: TrafficQueryDto): Promise<TrafficHistoryResponse> {
    return this.traffic.series(q);
  }

  /** The original's shape. */
  @Get('admin/stats')
  @ApiJson('Counts of tracked and blocked clients (the original shape)', 'AdminStats')
  stats(): AdminStatsResponse {
    return this.data.stats();
  }
}
