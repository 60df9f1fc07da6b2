import { EmbeddedClient } from '../../embedded.js';
import { EmbeddedStore } from './embedded.js';
import { RedisStore, type RedisClientLike } from './redis.js';
import type { Store } from './types.js';

export { EmbeddedStore, type EmbeddedStoreOptions } from './embedded.js';
export { RedisStore, type RedisStoreOptions, type RedisClientLike, type IoredisLike, type NodeRedisClientLike, type NodeRedisClusterLike } from './redis.js';
export { defineScript, type Script, type SetOptions, type Store, type StoreReply, type Subscription, type SyncCall, type Tracking, type TrackingListener } from './types.js';
export { hashSlot, taggedKey, untagKey, escapeGlob } from './keys.js';
export { releaseLease, commitWithLease, writeAndRevoke } from './scripts.js';

/**
 * A store from whatever the application has: nothing (a new embedded engine), an `Engine` or
 * engine session, an ioredis `Redis`/`Cluster`, a node-redis client or cluster, or a Store.
 */
export function createStore(backend?: Store | EmbeddedClient | RedisClientLike): Store {
  if (backend === undefined) return new EmbeddedStore();
  if (backend instanceof EmbeddedClient) return new EmbeddedStore(backend);
  if (isStore(backend)) return backend;
  return new RedisStore(backend);
}

function isStore(x: object): x is Store {
  return typeof (x as Store).run === 'function' && typeof (x as Store).scan === 'function' && typeof (x as Store).track === 'function';
}
