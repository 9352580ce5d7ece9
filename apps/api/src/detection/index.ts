export { AUTH_THROTTLER, AuthRouteThrottle, AuthRouteThrottlerGuard, BoundedThrottlerStorage, SkipThrottle } from './auth-route-throttle';
export { CidrList, canonicalRange, isAddressOrCidr } from './client/cidr';
export { ClientIdentity } from './client/client-identity';
export { CLIENT_KEY, clientKeyOf } from './client/client-key';
export { ClientGateMiddleware } from './client-gate.middleware';
export { type Decision, DecisionService, LOGIN_SCOPED_RULES } from './decision.service';
export { DetectionModule, type DetectionModuleAsyncOptions } from './detection.module';
export { DETECTION_OPTIONS } from './detection.tokens';
export {
  DEFAULT_DETECTION_OPTIONS,
  type DetectionOptions,
  detectionOptionsFromEnv,
  resolveDetectionOptions,
} from './detection-options';
export { DetectionService, type GateVerdict } from './detection.service';
export { LoginDefenseService } from './login-defense.service';
export {
  COUNTER_STORE,
  type CounterRecord,
  type CounterStore,
  isSyncCounterStore,
  type SyncCounterStore,
} from './store/counter-store.interface';
export { MemoryCounterStore } from './store/memory-counter.store';
export { TokenMisuseService } from './token-misuse.service';
