import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { MetricsController } from './metrics.controller';

/** GET /metrics: this instance's Prometheus metrics (the counters live in core/metrics.ts). */
@Module({
  imports: [AccessModule],
  controllers: [MetricsController],
})
export class MetricsModule {}
