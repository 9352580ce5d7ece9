import { Logger, type Provider } from '@nestjs/common';
import { type CounterStore, DetectionEngine, MemoryCounterStore } from '@bouncer/detection';
import { BatchingCounterStore, FallbackCounterStore, InstanceRoster, RedisCounterStore } from '@bouncer/store-redis';
import { DETECTION_OPTIONS, type DetectionOptions } from '../config/detection-options';
import { CLOCK, type Clock } from '../core/clock';
import { REDIS, type RedisHandle } from '../core/redis';
import { DecisionRecorder } from './decisions/decision-recorder';
import { describeError } from '../db/query-errors';

/** DI tokens: the engine, and the store it counts in (shared with @nestjs/throttler's storage). */
export const DETECTION_ENGINE = Symbol('DetectionEngine');
export const COUNTER_STORE = Symbol('CounterStore');
/** With Redis: which instances count in it (the store answers quiet counts locally while this one is alone). */
export const INSTANCE_ROSTER = Symbol('InstanceRoster');

export const engineProviders: Provider[] = [
  {
    provide: INSTANCE_ROSTER,
    inject: [{ token: REDIS, optional: true }],
    useFactory: async (redis?: RedisHandle | null): Promise<InstanceRoster | null> => {
      if (!redis) return null;
      const logger = new Logger('InstanceRoster');
      const roster = new InstanceRoster(redis.client, {
        prefix: redis.prefix,
        onError: (e) => logger.debug?.(`beat failed: ${describeError(e)}`),
      });
      roster.onChange((alone) =>
        logger.log(alone ? 'alone on the shared store: quiet counts are batched' : 'other instances count too: every count is shared'),
      );
      await roster.start();
      return roster;
    },
  },
  // Memory by default; with Redis, counts are shared by every instance and fall back to memory while it is down.
  {
    provide: COUNTER_STORE,
    inject: [DETECTION_OPTIONS, CLOCK, { token: REDIS, optional: true }, { token: INSTANCE_ROSTER, optional: true }],
    useFactory: (o: DetectionOptions, clock: Clock, redis?: RedisHandle | null, roster?: InstanceRoster | null): CounterStore => {
      const local = new MemoryCounterStore(o.maxTrackedClients * 4);
      if (!redis) return local;
      const logger = new Logger('CounterStore');
      const shared = new FallbackCounterStore(new RedisCounterStore(redis.client, { prefix: redis.prefix }), {
        health: redis,
        local,
        // ioredis gives up on a command after 1 s (core/redis.ts); this is only the backstop. Shorter
        // would time out healthy commands whenever a busy event loop delays reading their replies.
        timeoutMs: 1_500,
        clock: () => clock.now(),
        onError: (e) => logger.warn(`shared store: ${describeError(e)}`),
      });
      if (!roster) return shared;
      // An ordinary request's count waits for no round trip while this instance counts alone.
      const batching = new BatchingCounterStore(shared, {
        sole: () => roster.alone(),
        maxKeys: o.maxTrackedClients,
        clock: () => clock.now(),
        onError: (e) => logger.warn(`sending batched counts: ${describeError(e)}`),
      });
      // A peer appeared: what was counted here goes to the shared store at once.
      roster.onChange((alone) => {
        if (!alone) void batching.handOver();
      });
      return batching;
    },
  },
  {
    provide: DETECTION_ENGINE,
    inject: [DETECTION_OPTIONS, CLOCK, COUNTER_STORE, DecisionRecorder],
    useFactory: (o: DetectionOptions, clock: Clock, store: CounterStore, sink: DecisionRecorder) =>
      new DetectionEngine({
        rules: o.rules,
        store,
        clock,
        sink,
        mode: o.mode,
        observeRules: o.observeRules,
        ipv6Prefix: o.ipv6Prefix,
        maxTrackedClients: o.maxTrackedClients,
      }),
  },
];
