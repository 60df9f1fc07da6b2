import { defineScript } from './types.js';

/*
 * The cache's atomic steps. Each has its Lua (Redis, Valkey, stickynote-server with EVAL) and a
 * JS twin for the embedded engine; keys of one call share a hash tag, so they fit a cluster slot.
 */

/** KEYS[1] lease, ARGV[1] token: delete the lease only if we still own it. 1 if released. */
export const releaseLease = defineScript(
  'sn-release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  (call, [lease], [token]) => (call('GET', lease) === token ? call('DEL', lease) : 0),
);

/**
 * KEYS[1] value, KEYS[2] lease; ARGV[1] token, ARGV[2] entry, ARGV[3] ttl ms. Stores the entry
 * only while the caller still owns the lease, and ends the lease. A delete in the meantime removed
 * the lease, so a value loaded before it can never be written back after it (memcache leases).
 */
export const commitWithLease = defineScript(
  'sn-commit',
  `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1`,
  (call, [value, lease], [token, entry, ttl]) => {
    if (call('GET', lease) !== token) return 0;
    call('SET', value, entry, 'PX', ttl);
    call('DEL', lease);
    return 1;
  },
);

/**
 * KEYS[1] value, KEYS[2] lease; ARGV[1] entry, ARGV[2] ttl ms. An explicit write: stores the entry
 * and cancels outstanding leases, so a reader that loaded before this write cannot overwrite it.
 */
export const writeAndRevoke = defineScript(
  'sn-write',
  `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1`,
  (call, [value, lease], [entry, ttl]) => {
    call('SET', value, entry, 'PX', ttl);
    call('DEL', lease);
    return 1;
  },
);
