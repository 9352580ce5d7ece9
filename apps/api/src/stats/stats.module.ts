import { Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { DashboardDataService } from './dashboard-data.service';
import { StatsController } from './stats.controller';

/** The dashboard's data. Reads detection (global DetectionModule) and healing; owns no state. */
@Module({
  imports: [HealingModule, GatewayModule],
  controllers: [StatsController],
  providers: [DashboardDataService],
})
export class StatsModule {}
