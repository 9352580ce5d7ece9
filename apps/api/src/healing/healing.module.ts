import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HealingService } from './healing.service';

/**
 * The scheduled self-healing job (needs ScheduleModule.forRoot() in the app). It imports no
 * feature: each feature marks its own pruning with `@Prunable()` (core/prunable.ts).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [HealingService],
  exports: [HealingService],
})
export class HealingModule {}
