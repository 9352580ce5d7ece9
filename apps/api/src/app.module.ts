import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module';
import type { Clock } from './core/clock';
import type { AppConfig } from './config/app-config';
import { CoreModule } from './core/core.module';
import { DetectionModule, detectionOptionsFromEnv } from './detection';
import { HealingModule } from './healing';
import { HealthController } from './health/health.controller';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, clock),
        // Before AuthModule: its middleware must see (and refuse) requests first.
        DetectionModule.forRoot(detectionOptionsFromEnv(config.env)),
        AuthModule,
        HealingModule,
        ScheduleModule.forRoot(),
      ],
      controllers: [HealthController],
    };
  }
}
