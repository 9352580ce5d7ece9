import { type DynamicModule, Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock, systemClock } from './clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseHandle, openDatabase } from '../db/database';
import { defaultRedisPrefix, openRedis, REDIS, type RedisHandle } from './redis';
import { describeError } from '../db/query-errors';
import { Metrics } from './metrics';

/**
 * What every module may inject: the configuration, the clock, the database and the shared
 * Redis (null when REDIS_URL is unset), and this app's metrics. The audit log is AuditModule's.
 */
@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(REDIS) private readonly redis: RedisHandle | null,
  ) {}

  static forRoot(config: AppConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        Metrics,
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        {
          provide: DATABASE,
          useFactory: () =>
            openDatabase({
              databaseUrl: config.databaseUrl,
              dataDir: config.dataDir,
              onWait: (attempt, err, delayMs) =>
                new Logger('Database').warn(
                  `PostgreSQL unreachable (${describeError(err)}); attempt ${attempt} failed, next in ${delayMs / 1000} s`,
                ),
            }),
        },
        {
          provide: REDIS,
          inject: [DATABASE],
          useFactory: async (database: DatabaseHandle) =>
            config.redisUrl || config.env['REDIS_SENTINELS'] || config.env['REDIS_CLUSTER_NODES']
              ? openRedis(config.env, config.redisUrl, config.redisPrefix ?? defaultRedisPrefix(await database.deploymentId()))
              : null,
        },
      ],
      exports: [APP_CONFIG, CLOCK, DATABASE, REDIS, Metrics],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
    await this.database.close();
  }
}
