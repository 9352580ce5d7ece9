export * from './lib/redis-counter-store';
export * from './lib/fallback-counter-store';
export { hashTaggedPrefix } from './lib/redis-key-prefix';
export * from './lib/batching-counter-store';
export * from './lib/instance-roster';
