import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { GatewayModule } from '../gateway/gateway.module';
import { HealingModule } from '../healing/healing.module';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle';

/** Liveness and readiness probes (public), and the draining state they report. */
@Module({
  imports: [HealingModule, AccessModule, GatewayModule],
  controllers: [HealthController],
  providers: [Lifecycle],
  exports: [Lifecycle],
})
export class HealthModule {}
