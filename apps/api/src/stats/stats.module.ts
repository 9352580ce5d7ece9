import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { ClientActivityController } from './client-activity.controller';
import { ClientActivityService } from './client-activity.service';
import { DashboardDataService } from './dashboard-data.service';
import { StatsController } from './stats.controller';
import { TrafficHistoryService } from './traffic-history.service';

/** The dashboard's data (the overview, a client's activity). Reads detection (global DetectionModule) and healing; owns only the bounded traffic history (memory). */
@Module({
  imports: [HealingModule, GatewayModule],
  controllers: [ClientActivityController, StatsController],
  providers: [ClientActivityService, DashboardDataService, TrafficHistoryService],
})
export class StatsModule {}
