/**
 * The lock's three atomic steps, as Lua for Redis-protocol servers and as JS twins for the embedded
 * engine (synchronous, so atomic as well). KEYS[1] is the lock; acquire also takes KEYS[2], the
 * fencing counter, which shares the lock's hash tag so both live in one cluster slot.
 */
import { defineScript, type StoreReply, type SyncCall } from '../stores/types.js';

/**
 * SET lock token NX PX ttl and, only if that took the lock, INCR the fencing counter, in one step:
 * the holder's fence is strictly greater than every earlier holder's. Returns {1, fence} or
 * {0, the current holder's remaining PTTL}. ARGV: token, ttlMs.
 */
export const acquireScript = defineScript(
  'lock:acquire',
  `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`,
  (call: SyncCall, keys: string[], argv: string[]): StoreReply => {
    if (call('SET', keys[0], argv[0], 'NX', 'PX', argv[1]) !== null) return [1, call('INCR', keys[1])];
    return [0, call('PTTL', keys[0])];
  },
);

/** Compare-and-delete: removes the lock only if it still holds our token. Returns 1 or 0. ARGV: token. */
export const releaseScript = defineScript(
  'lock:release',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
  (call: SyncCall, keys: string[], argv: string[]): StoreReply => (call('GET', keys[0]) === argv[0] ? call('DEL', keys[0]) : 0),
);

/** Compare-and-pexpire: a new TTL only if the lock still holds our token. Returns 1 or 0. ARGV: token, ttlMs. */
export const extendScript = defineScript(
  'lock:extend',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
  (call: SyncCall, keys: string[], argv: string[]): StoreReply => (call('GET', keys[0]) === argv[0] ? call('PEXPIRE', keys[0], argv[1]) : 0),
);
