import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { DashboardDataService } from './dashboard-data.service';
import { StatsController } from './stats.controller';
import { TrafficHistoryService } from './traffic-history.service';

/** The dashboard's data. Reads detection (global DetectionModule) and healing; owns only the bounded traffic history (memory). */
@Module({
  imports: [HealingModule, GatewayModule],
  controllers: [StatsController],
  providers: [DashboardDataService, TrafficHistoryService],
})
export class StatsModule {}
