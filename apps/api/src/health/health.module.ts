import { Module } from '@nestjs/common';
import { HealingModule } from '../healing/healing.module';
import { HealthController } from './health.controller';

/** Liveness and readiness probes (public). */
@Module({
  imports: [HealingModule],
  controllers: [HealthController],
})
export class HealthModule {}
