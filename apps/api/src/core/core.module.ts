import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock, systemClock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseHandle, openDatabase } from '../db/database';

/** What every module may inject: the configuration, the clock, the database, the audit log. */
@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  static forRoot(config: AppConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: DATABASE, useFactory: () => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }) },
        AuditService,
      ],
      exports: [APP_CONFIG, CLOCK, DATABASE, AuditService],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
