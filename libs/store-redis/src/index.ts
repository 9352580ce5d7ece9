export * from './lib/redis-counter-store';
export * from './lib/fallback-counter-store';
export { hashTaggedPrefix } from './lib/redis-key-prefix';
