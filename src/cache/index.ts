export * from './stores/index.js';
export {
  Cache,
  CacheTimeoutError,
  createCache,
  type CacheEvents,
  type CacheOptions,
  type CacheStats,
  type EntryOptions,
  type GetOrSetOptions,
  type Loader,
  type LoaderContext,
  type SetOptions as CacheSetOptions,
} from './cache.js';
export { type Duration, toMs } from './duration.js';
export { jsonSerializer, type Serializer } from './entry.js';
export * from './ratelimit/index.js';
export * from './locks/index.js';
export * from './metrics/index.js';
