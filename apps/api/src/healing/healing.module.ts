import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { HealingService } from './healing.service';

/** The scheduled self-healing job (needs ScheduleModule.forRoot() in the app). */
@Module({
  imports: [AuthModule],
  providers: [HealingService],
  exports: [HealingService],
})
export class HealingModule {}
