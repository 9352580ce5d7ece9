import { type DynamicModule, Module, type NestModule, type Provider } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ClientGate, installClientGate } from './client-gate';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { DETECTION_OPTIONS, type DetectionOptions, type DetectionOptionsInput, resolveOptions } from '../config/detection-options';
import { CLOCK, type Clock } from '../core/clock';
import { AdminDetectionController } from './admin-detection.controller';
import { DecisionRepository } from './decisions/decision.repository';
import { DecisionService } from './decisions/decision.service';
import { DecisionSync } from './decisions/decision-sync';
import { DetectionService } from './detection.service';
import { LoginDefenseService } from './login-defense.service';
import { RefusalPacing } from './refusal-pacing';
import type { CounterStore } from '@bouncer/detection';
import { DecisionRecorder } from './decisions/decision-recorder';
import { COUNTER_STORE, DETECTION_ENGINE, engineProviders } from './engine.provider';
import { AUTH_THROTTLER, ClientThrottlerGuard } from './throttle/client-throttler.guard';
import { CounterThrottlerStorage } from './throttle/counter-throttler.storage';
import { TokenMisuseService } from './token-misuse.service';

export interface DetectionModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: unknown[];
  useFactory: (...args: never[]) => DetectionOptionsInput | Promise<DetectionOptionsInput>;
}

const services: Provider[] = [
  DecisionRepository,
  DecisionService,
  DecisionSync,
  DetectionService,
  LoginDefenseService,
  RefusalPacing,
  ClientGate,
  TokenMisuseService,
  ClientThrottlerGuard,
  DecisionRecorder,
  ...engineProviders,
];

/**
 * Anomaly detection for any NestJS API on Fastify: the client gate (Fastify hooks on every
 * route, installed when the app initialises), the sign-in and token rules, decisions, and the admin API. Needs CLOCK,
 * DATABASE (CoreModule) and AuditService (AuditModule) from the host.
 */
@Module({})
export class DetectionModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly gate: ClientGate,
  ) {}

  /** Nest's place for request wiring, run by app.init before the routes are declared. */
  configure(): void {
    installClientGate(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), this.gate);
  }

  static forRoot(options: DetectionOptionsInput = {}): DynamicModule {
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
      imports: [
        ...imports,
        // The auth-route limiter, through throttler's public API: its options, and its storage
        // on our bounded CounterStore (DETECTION_OPTIONS and COUNTER_STORE come from this
        // module, which is global).
        ThrottlerModule.forRootAsync({
          inject: [DETECTION_OPTIONS, COUNTER_STORE, CLOCK],
          useFactory: (o: DetectionOptions, store: CounterStore, clock: Clock): ThrottlerModuleOptions => ({
            throttlers: [{ name: AUTH_THROTTLER, ttl: 60_000, limit: o.authRouteLimit }],
            setHeaders: false,
            storage: new CounterThrottlerStorage(store, clock),
          }),
        }),
      ],
      controllers: [AdminDetectionController],
      providers: [...optionProviders, ...services],
      exports: [
        DETECTION_OPTIONS,
        COUNTER_STORE,
        DETECTION_ENGINE,
        DecisionService,
        DetectionService,
        LoginDefenseService,
        TokenMisuseService,
        ClientThrottlerGuard,
      ],
    };
  }
}
