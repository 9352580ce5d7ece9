import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { HealingModule } from '../healing/healing.module';
import { HealthController } from './health.controller';

/** Liveness and readiness probes (public). */
@Module({
  imports: [HealingModule, AccessModule],
  controllers: [HealthController],
})
export class HealthModule {}
