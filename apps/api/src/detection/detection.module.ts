import { type DynamicModule, type MiddlewareConsumer, Module, type ModuleMetadata, type NestModule, type Provider, RequestMethod } from '@nestjs/common';
import { DetectionAdminController } from './admin/detection-admin.controller';
import { AuthRouteThrottlerGuard, BoundedThrottlerStorage } from './auth-route-throttle';
import { ClientGateMiddleware } from './client-gate.middleware';
import { DecisionService } from './decision.service';
import { DETECTION_OPTIONS } from './detection.tokens';
import { type DetectionOptions, resolveDetectionOptions } from './detection-options';
import { DetectionService } from './detection.service';
import { LoginDefenseService } from './login-defense.service';
import { COUNTER_STORE } from './store/counter-store.interface';
import { MemoryCounterStore } from './store/memory-counter.store';
import { TokenMisuseService } from './token-misuse.service';

export interface DetectionModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (string | symbol | Function)[];
  useFactory: (...args: any[]) => Partial<DetectionOptions> | Promise<Partial<DetectionOptions>>;
  /** Another CounterStore (Redis); the memory store by default. */
  counterStore?: Provider;
}

/** Per tracked client: request-rate, probing, failed and successful logins, throttle keys. */
const KEYS_PER_CLIENT = 4;

/**
 * Anomaly detection for a NestJS API (Fastify or Express): the client gate (middleware on
 * every route), the sign-in and token rules, the standing decisions, and the admin API.
 * The host provides CLOCK, DATABASE, AuditService (and APP_CONFIG) from a global module.
 * Global, so the auth module can inject LoginDefenseService and use AuthRouteThrottle.
 */
@Module({})
export class DetectionModule implements NestModule {
  static forRoot(options: Partial<DetectionOptions> = {}, counterStore?: Provider): DynamicModule {
    const resolved = resolveDetectionOptions(options);
    return DetectionModule.build([{ provide: DETECTION_OPTIONS, useValue: resolved }], [], counterStore);
  }

  static forRootAsync(opts: DetectionModuleAsyncOptions): DynamicModule {
    return DetectionModule.build(
      [
        {
          provide: DETECTION_OPTIONS,
          inject: opts.inject ?? [],
          useFactory: async (...args: unknown[]) => resolveDetectionOptions(await opts.useFactory(...args)),
        },
      ],
      opts.imports ?? [],
      opts.counterStore,
    );
  }

  private static build(optionProviders: Provider[], imports: NonNullable<ModuleMetadata['imports']>, counterStore?: Provider): DynamicModule {
    return {
      module: DetectionModule,
      global: true,
      imports,
      controllers: [DetectionAdminController],
      providers: [
        ...optionProviders,
        counterStore ?? {
          provide: COUNTER_STORE,
          inject: [DETECTION_OPTIONS],
          useFactory: (o: DetectionOptions) => new MemoryCounterStore(o.maxTrackedClients * KEYS_PER_CLIENT),
        },
        DecisionService,
        DetectionService,
        LoginDefenseService,
        TokenMisuseService,
        BoundedThrottlerStorage,
        AuthRouteThrottlerGuard,
        ClientGateMiddleware,
      ],
      exports: [
        DETECTION_OPTIONS,
        COUNTER_STORE,
        DecisionService,
        DetectionService,
        LoginDefenseService,
        TokenMisuseService,
        BoundedThrottlerStorage,
        AuthRouteThrottlerGuard,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ClientGateMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
