import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { AccountAttacksController } from './account-attacks.controller';
import { AccountAttacksService } from './account-attacks.service';
import { ClientActivityController } from './client-activity.controller';
import { ClientActivityService } from './client-activity.service';
import { DashboardDataService } from './dashboard-data.service';
import { StatsController } from './stats.controller';
import { TrafficHistoryRepository } from './traffic-history.repository';
import { TrafficHistoryService } from './traffic-history.service';

/** The dashboard's data (the overview, a client's activity, accounts under attack). Reads detection (global DetectionModule) and healing; owns only the bounded traffic history (memory, persisted in traffic_buckets). */
@Module({
  imports: [HealingModule, GatewayModule],
  controllers: [AccountAttacksController, ClientActivityController, StatsController],
  providers: [AccountAttacksService, ClientActivityService, DashboardDataService, TrafficHistoryRepository, TrafficHistoryService],
})
export class StatsModule {}
