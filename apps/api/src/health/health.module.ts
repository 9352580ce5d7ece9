import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { HealingModule } from '../healing/healing.module';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle';

/** Liveness and readiness probes (public), and the draining state they report. */
@Module({
  imports: [HealingModule, AccessModule],
  controllers: [HealthController],
  providers: [Lifecycle],
  exports: [Lifecycle],
})
export class HealthModule {}
