import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, type Provider, RequestMethod } from '@nestjs/common';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { AdminDetectionController } from './admin-detection.controller';
import { AUTH_THROTTLER, BoundedThrottlerStorage, ClientThrottlerGuard } from './auth-route-throttle';
import { ClientGateMiddleware } from './client-gate.middleware';
import { REDIS, type RedisHandle } from '../core/redis';
import { COUNTER_STORE, MemoryCounterStore } from './store/counter-store';
import { ResilientCounterStore } from './store/resilient-counter-store';
import { DecisionService } from './decisions/decision.service';
import { DETECTION_OPTIONS, type DetectionOptions, resolveOptions } from '../config/detection-options';
import { DetectionService } from './detection.service';
import { LoginDefenseService } from './login-defense.service';
import { TokenMisuseService } from './token-misuse.service';

export interface DetectionModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: unknown[];
  useFactory: (...args: never[]) => Partial<DetectionOptions> | Promise<Partial<DetectionOptions>>;
}

const services: Provider[] = [
  DecisionService,
  DetectionService,
  LoginDefenseService,
  TokenMisuseService,
  BoundedThrottlerStorage,
  ClientThrottlerGuard,
  // Memory by default; with a shared Redis, counts live there (falling back to memory while it is down).
  {
    provide: COUNTER_STORE,
    inject: [DETECTION_OPTIONS, { token: REDIS, optional: true }],
    useFactory: (o: DetectionOptions, redis?: RedisHandle | null) => {
      const local = new MemoryCounterStore(o.maxTrackedClients * 4);
      return redis ? new ResilientCounterStore(redis, local) : local;
    },
  },
];

/**
 * Anomaly detection for any NestJS API on Fastify or Express: the client gate (middleware on
 * every route), the sign-in and token rules, decisions, and the admin API. Needs CLOCK,
 * DATABASE and AuditService from the host (the app's CoreModule).
 */
@Module({})
export class DetectionModule implements NestModule {
  static forRoot(options: Partial<DetectionOptions> = {}): DynamicModule {
    return DetectionModule.build([{ provide: DETECTION_OPTIONS, useValue: resolveOptions(options) }], []);
  }

  static forRootAsync(opts: DetectionModuleAsyncOptions): DynamicModule {
    return DetectionModule.build(
      [
        {
          provide: DETECTION_OPTIONS,
          inject: (opts.inject ?? []) as never[],
          useFactory: async (...args: never[]) => resolveOptions(await opts.useFactory(...args)),
        },
      ],
      opts.imports ?? [],
    );
  }

  private static build(optionProviders: Provider[], imports: NonNullable<DynamicModule['imports']>): DynamicModule {
    return {
      module: DetectionModule,
      global: true,
      imports,
      controllers: [AdminDetectionController],
      providers: [
        ...optionProviders,
        ...services,
        // What @nestjs/throttler's guard injects: its options, and our bounded storage.
        {
          provide: getOptionsToken(),
          inject: [DETECTION_OPTIONS],
          useFactory: (o: DetectionOptions): ThrottlerModuleOptions => ({
            throttlers: [{ name: AUTH_THROTTLER, ttl: 60_000, limit: o.authRouteLimit }],
            setHeaders: false,
          }),
        },
        { provide: getStorageToken(), useExisting: BoundedThrottlerStorage },
      ],
      exports: [DETECTION_OPTIONS, COUNTER_STORE, DecisionService, DetectionService, LoginDefenseService, TokenMisuseService, ClientThrottlerGuard, getOptionsToken(), getStorageToken()],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ClientGateMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
