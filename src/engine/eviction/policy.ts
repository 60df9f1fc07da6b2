/**
 * Eviction policies as standalone, index-based structures the keyspace drives by slot number
 * (Database gives each live key a stable integer slot; slots are reused after a key is freed).
 *
 * Every policy keeps its per-key state in typed arrays indexed by slot (prev/next links, counters,
 * clocks), in the style of lru-cache: no object per key. The keyspace reports events; the policy
 * answers which slot to evict:
 *
 *   insert(slot, hash, weight)  a new key took `slot` (weight = bytes, or 1 for entry counts)
 *   access(slot)                a key was read or written
 *   reweigh(slot, weight)       a key's value grew or shrank
 *   setExpire(slot, when)       a key gained (when > 0, ms) or lost (0) its TTL
 *   remove(slot)                a key was deleted or expired (a no-op if the slot is not tracked)
 *   evict()                     choose a victim, stop tracking it and return its slot (-1: none)
 *
 * The caller owns the budget: while its used memory (or entry count) is over the limit it calls
 * evict() and deletes the returned key, so "evict until under budget" is a loop in the caller.
 * `resize(maxWeight)` tells policies that size their regions from the budget (W-TinyLFU, S3-FIFO).
 */
export interface EvictionPolicy {
  readonly name: string;
  /** Number of tracked keys. */
  readonly count: number;
  /** Sum of the tracked keys' weights. */
  readonly weight: number;
  insert(slot: number, hash: number, weight: number): void;
  access(slot: number): void;
  reweigh(slot: number, weight: number): void;
  setExpire(slot: number, when: number): void;
  remove(slot: number): void;
  evict(): number;
  resize(maxWeight: number): void;
  has(slot: number): boolean;
  /** Applies changed tuning (maxmemory-samples, lfu-log-factor, lfu-decay-time) without losing state. */
  tune?(tuning: PolicyTuning): void;
}

/** The runtime-settable knobs of the sampled and LFU policies (Redis's config parameters). */
export interface PolicyTuning {
  /** maxmemory-samples. */
  samples: number;
  /** lfu-log-factor. */
  logFactor: number;
  /** lfu-decay-time (minutes; 0 = never decay). */
  decayTime: number;
}

/** Uniform random number in [0, 1): injectable so tests are deterministic. */
export type Rng = () => number;

/** Time in milliseconds: injectable (ManualClock in tests, a virtual clock in the bench). */
export type Now = () => number;

/** A small seeded PRNG (mulberry32) for tests and the bench. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finalizer: spreads an integer key into a well-mixed hash. */
export function mixHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a latin1 key, then mixed: the hash the keyspace passes to insert(). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return mixHash(h);
}

/** A typed array at least `n` long, keeping `a`'s contents (doubling, so growth is amortised). */
export function grown<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(a: T, n: number, fill = 0): T {
  if (n <= a.length) return a;
  let len = Math.max(16, a.length);
  while (len < n) len *= 2;
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
