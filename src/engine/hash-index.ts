/** Per-process seed, so which keys collide cannot be known in advance (as Redis seeds siphash). */
const SEED = (Math.random() * 0x100000000) | 0;

/**
 * 32-bit hash of a latin1 key for the open-addressing indexes (database.ts, slot-map.ts): FNV-1a
 * over the chars from a random seed, then murmur3's finalizer so the low bits an index uses
 * depend on every char.
 */
export function hashKey(key: string): number {
  let h = SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
