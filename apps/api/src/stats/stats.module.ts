import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { ClientActivityController } from './client-activity.controller';
import { ClientActivityService } from './client-activity.service';
import { DashboardDataService } from './dashboard-data.service';
import { StatsController } from './stats.controller';

/** The dashboard's data (the overview, a client's activity). Reads detection (global DetectionModule) and healing; owns no state. */
@Module({
  imports: [HealingModule, GatewayModule],
  controllers: [ClientActivityController, StatsController],
  providers: [ClientActivityService, DashboardDataService],
})
export class StatsModule {}
