import { Module } from '@nestjs/common';
import { HealingService } from './healing.service';

/**
 * The scheduled self-healing job. Needs DetectionModule (global) and the host's CLOCK and
 * AuditService; registers its interval with @nestjs/schedule's registry when
 * ScheduleModule.forRoot() is imported, and runs on its own timer either way.
 */
@Module({
  providers: [HealingService],
  exports: [HealingService],
})
export class HealingModule {}
