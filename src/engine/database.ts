import { type Value } from './values.js';
import type { Keyspace } from './keyspace.js';
import { HashIndex, hashKey } from './hash-index.js';
import { EXPIRE_OVERHEAD, KEY_OVERHEAD, keyUsage, valueUsage, valueUsageFromScratch } from './memory.js';
import type { EvictionPolicy } from './eviction/policy.js';
import { RedisLfu } from './eviction/lfu.js';

/**
 * One of the numbered databases: a slot table in the style of lru-cache's parallel arrays, with
 * its own hash index.
 *
 * Each live key owns a slot number; per-slot facts live in flat arrays: key and value side by side
 * in `chunks` (one cache line for both), last-access clock (Uint32Array, seconds) and expiry time
 * (Float64Array, 0 = none). Slots never move while their key lives, which is what gives SCAN its
 * guarantee (the cursor is a slot number, so a key present for the whole iteration is returned
 * exactly once), and what lets active expiry, RANDOMKEY and eviction sample keys at random in O(1).
 *
 * The index from key to slot is an open-addressing hash table (linear probing) in one Int32Array
 * of (hash, slot + 1) pairs, not a JS Map: measured under redis-benchmark, Map lookups were the
 * largest single cost of GET/SET (a chain walk that compares whole strings, then a separate slot
 * array), while here a probe compares the stored hash first and touches one cache line. It also
 * costs 8 bytes per bucket instead of ~28 per Map entry and has no Map size limit (~16.7M).
 *
 * Keys with a TTL are also kept in a dense array (`volatile`), the analogue of Redis's `expires`
 * dict, so the expiry cycle and volatile-* policies sample only keys that can expire. The expiry
 * arrays are only allocated once a key gets a TTL, and lookups skip them while no key has one.
 *
 * Memory accounting (engine/memory.ts): each slot records the estimated size of its value
 * (`valueBytes`), refreshed by every write path (set, modified), so `bytes` (and the keyspace's
 * total) is the exact sum of what was recorded, whatever the order of operations. The eviction
 * policy, when one is selected, hears of every insert, access, resize, TTL change and removal.
 */
export class Database {
  /** Key hash → slot (engine/hash-index.ts). */
  private index = new HashIndex(MIN_BUCKETS);
  /**
   * Keys and values by slot, in fixed-size chunks (key of slot s at 2i of chunk s / CHUNK, value at
   * 2i + 1, i = s % CHUNK), so growing never copies, nor leaves a large array behind as garbage.
   */
  private chunks: Chunk[] = [];
  private accessAt = new Uint32Array(INITIAL_SLOTS);
  /** Expiry per slot (ms, 0 = none); empty until the first TTL is set. */
  private expireAt = NO_EXPIRES;
  /** Slots below this have been used at least once. */
  private highWater = 0;
  private freeSlots: number[] = [];
  /** Dense list of slots that have a TTL, and each slot's position in it (allocated with expireAt). */
  private volatile = NO_SLOTS;
  private volatilePos = NO_SLOTS;
  private volatileCount = 0;
  /**
   * Estimated bytes of each slot's value (engine/memory.ts valueUsage), 4 bytes a slot: a value
   * of 4 GiB or more records HUGE here and its size in `hugeValueBytes`.
   */
  private valueBytes = new Uint32Array(INITIAL_SLOTS);
  private hugeValueBytes = new Map<number, number>();
  /** Estimated bytes of this database: values, keys, per-key and expiry overhead. */
  bytes = 0;
  /** The maxmemory policy tracking this database's keys (null under noeviction). */
  policy: EvictionPolicy | null = null;

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {}

  /** Number of keys (including expired ones not yet reclaimed, as Redis's DBSIZE). */
  get size(): number {
    return this.index.count;
  }

  /** Number of keys with a TTL. */
  get expiresCount(): number {
    return this.volatileCount;
  }

  /** Number of slots ever used: the upper bound of a SCAN cursor. */
  get slotCount(): number {
    return this.highWater;
  }

  // ---- lookups ----------------------------------------------------------------------------

  /**
   * Value of a live key, expiring it first if its time has passed (lazy expiry), without touching
   * access time or statistics.
   */
  peek(key: string): Value | undefined {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return undefined;
    if (this.volatileCount !== 0 && this.expired(slot)) {
      this.expireSlot(slot);
      return undefined;
    }
    return this.valueAt(slot);
  }

  /** Lookup for a reading command: counts a keyspace hit or miss and updates the access clock. */
  read(key: string): Value | undefined {
    const slot = this.find(key, hashKey(key));
    const ks = this.keyspace;
    if (slot !== -1) {
      if (this.volatileCount === 0 || !this.expired(slot)) {
        ks.stats.keyspaceHits++;
        if (!ks.noTouch) {
          this.accessAt[slot] = ks.lruClock;
          if (this.policy !== null) this.policy.access(slot);
        }
        return this.valueAt(slot);
      }
      this.expireSlot(slot);
    }
    ks.stats.keyspaceMisses++;
    if (!ks.noMissEvent) ks.keyMissed(this, key);
    return undefined;
  }

  /** Lookup for a writing command: updates the access clock, no statistics. */
  write(key: string): Value | undefined {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return undefined;
    if (this.volatileCount !== 0 && this.expired(slot)) {
      this.expireSlot(slot);
      return undefined;
    }
    this.accessAt[slot] = this.keyspace.lruClock;
    if (this.policy !== null) this.policy.access(slot);
    return this.valueAt(slot);
  }

  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Whether `key` is stored, even with a TTL that has passed; never expires it (WATCH's checks). */
  holds(key: string): boolean {
    return this.find(key, hashKey(key)) !== -1;
  }

  /** Whether `key` is stored with a TTL that has passed (Redis's keyIsExpired); never expires it. */
  isExpired(key: string): boolean {
    if (this.volatileCount === 0) return false;
    const slot = this.find(key, hashKey(key));
    return slot !== -1 && this.expired(slot);
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * Stores `value` under `key`. The TTL is removed unless `keepTtl`. Signals the modification
   * (WATCH, client tracking) unless `silent`.
   */
  set(key: string, value: Value, keepTtl = false): void {
    const hash = hashKey(key);
    let slot = this.find(key, hash);
    // A key whose TTL passed is removed first, as Redis's lookupKeyWrite does: `expired`, then `new`.
    if (slot !== -1 && this.volatileCount !== 0 && this.expired(slot)) {
      this.expireSlot(slot);
      slot = -1;
    }
    const size = valueUsage(value);
    let delta = size;
    const added = slot === -1;
    if (added) {
      slot = this.allocSlot();
      this.index.add(hash, slot);
      this.chunks[slot >>> CHUNK_BITS][2 * (slot & CHUNK_MASK)] = key;
      delta += keyUsage(key) + KEY_OVERHEAD;
      this.setValueBytes(slot, size);
      this.addBytes(delta);
      if (this.policy !== null) this.policy.insert(slot, hash, delta);
    } else {
      if (!keepTtl && this.volatileCount !== 0 && this.expireAt[slot] !== 0) this.clearExpire(slot);
      this.resized(slot, key, size);
    }
    this.chunks[slot >>> CHUNK_BITS][2 * (slot & CHUNK_MASK) + 1] = value;
    this.accessAt[slot] = this.keyspace.lruClock;
    if (typeof value !== 'string' && value.type !== 'string') value.storedAt?.(this, key);
    if (added) this.keyspace.keyAdded(this, key);
    this.keyspace.keyModified(this, key);
  }

  /** Deletes a key; returns whether it existed (and was not already expired). */
  delete(key: string): boolean {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return false;
    if (this.volatileCount !== 0 && this.expired(slot)) {
      this.expireSlot(slot);
      return false;
    }
    this.freeSlot(slot, key);
    this.keyspace.keyModified(this, key);
    return true;
  }

  /**
   * Marks a key as modified after its value was changed in place (a container mutated by a
   * command). Deletes the key if the container became empty, as Redis never keeps empty ones.
   */
  modified(key: string): void {
    const slot = this.find(key, hashKey(key));
    if (slot !== -1) {
      const v = this.valueAt(slot)!;
      if (typeof v !== 'string' && v.type !== 'string' && v.size === 0) this.freeSlot(slot, key);
      else this.resized(slot, key, valueUsage(v));
    }
    this.keyspace.keyModified(this, key);
  }

  // ---- expiry ------------------------------------------------------------------------------

  /** Absolute expiry time in ms, or -1 if the key has none (call on a live key). */
  getExpire(key: string): number {
    if (this.volatileCount === 0) return -1;
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return -1;
    const exp = this.expireAt[slot];
    return exp === 0 ? -1 : exp;
  }

  /** Sets the absolute expiry time (ms) of an existing key. */
  setExpire(key: string, when: number): void {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return;
    if (this.expireAt.length === 0) this.allocExpires();
    if (this.expireAt[slot] === 0) this.addVolatile(slot);
    // 0 means "no TTL" in the array; a TTL at the epoch itself is already in the past anyway.
    this.expireAt[slot] = when === 0 ? -1 : when;
    if (this.policy !== null) this.policy.setExpire(slot, Math.max(1, this.expireAt[slot]));
    this.keyspace.keyModified(this, key);
  }

  /** Removes the TTL; returns whether there was one. */
  persist(key: string): boolean {
    if (this.volatileCount === 0) return false;
    const slot = this.find(key, hashKey(key));
    if (slot === -1 || this.expireAt[slot] === 0) return false;
    this.clearExpire(slot);
    this.keyspace.keyModified(this, key);
    return true;
  }

  /**
   * One step of the active expiry cycle: samples up to `samples` random keys with a TTL and
   * expires those whose time has passed. Returns [sampled, expired].
   */
  expireSample(samples: number): [number, number] {
    const now = this.keyspace.now;
    let sampled = 0;
    let expired = 0;
    while (sampled < samples && this.volatileCount > 0) {
      const slot = this.volatile[(Math.random() * this.volatileCount) | 0];
      sampled++;
      const exp = this.expireAt[slot];
      if (exp <= now) {
        this.expireSlot(slot);
        expired++;
      }
    }
    return [sampled, expired];
  }

  // ---- iteration -----------------------------------------------------------------------------

  /**
   * Visits live keys in slots [cursor, …) until `count` keys were visited or 10×count slots were
   * looked at; returns the next cursor (0 when the table was walked to its end).
   */
  scan(cursor: number, count: number, visit: (key: string, value: Value) => void): number {
    const maxSlots = count * 10;
    let seen = 0;
    let looked = 0;
    let slot = cursor;
    while (slot < this.highWater && seen < count && looked < maxSlots) {
      const key = this.keyAt(slot);
      looked++;
      if (key !== undefined) {
        if (this.volatileCount !== 0 && this.expired(slot)) {
          this.expireSlot(slot);
        } else {
          seen++;
          visit(key, this.valueAt(slot)!);
        }
      }
      slot++;
    }
    return slot >= this.highWater ? 0 : slot;
  }

  /** All live keys (KEYS). Expired keys met on the way are reclaimed. */
  *keys(): IterableIterator<string> {
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = this.keyAt(slot);
      if (key === undefined) continue;
      if (this.volatileCount !== 0 && this.expired(slot)) {
        this.expireSlot(slot);
        continue;
      }
      yield key;
    }
  }

  /** A random live key, or undefined if the database is empty. */
  randomKey(): string | undefined {
    while (this.index.count > 0) {
      let slot = -1;
      for (let tries = 0; tries < 64; tries++) {
        const s = (Math.random() * this.highWater) | 0;
        if (this.keyAt(s) !== undefined) {
          slot = s;
          break;
        }
      }
      if (slot === -1) {
        // Sparse table: walk from a random point to the next live slot.
        const start = (Math.random() * this.highWater) | 0;
        for (let i = 0; i < this.highWater; i++) {
          const s = (start + i) % this.highWater;
          if (this.keyAt(s) !== undefined) {
            slot = s;
            break;
          }
        }
      }
      if (this.volatileCount !== 0 && this.expired(slot)) {
        this.expireSlot(slot);
        continue;
      }
      return this.keyAt(slot);
    }
    return undefined;
  }

  /** Seconds since the key was last accessed (OBJECT IDLETIME). */
  idleSeconds(key: string): number {
    const slot = this.find(key, hashKey(key));
    if (slot === -1) return 0;
    return Math.max(0, this.keyspace.lruClock - this.accessAt[slot]);
  }

  /** LFU counter of a key as OBJECT FREQ shows it, or -1 if the policy keeps none. */
  frequency(key: string): number {
    const slot = this.find(key, hashKey(key));
    const p = this.policy;
    return slot !== -1 && p instanceof RedisLfu && p.has(slot) ? p.frequency(slot) : -1;
  }

  /** MEMORY USAGE: the key's and its value's estimated bytes, as Redis counts them; -1 if absent. */
  memoryUsage(key: string): number {
    const slot = this.find(key, hashKey(key));
    return slot === -1 ? -1 : keyUsage(key) + this.valueBytesOf(slot);
  }

  /** This database's bytes recomputed from its contents (must equal `bytes`: tests, DEBUG). */
  bytesFromScratch(): number {
    let total = 0;
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = this.keyAt(slot);
      if (key === undefined) continue;
      total += keyUsage(key) + KEY_OVERHEAD + valueUsageFromScratch(this.valueAt(slot)!);
      if (this.volatileCount !== 0 && this.expireAt[slot] !== 0) total += EXPIRE_OVERHEAD;
    }
    return total;
  }

  /**
   * Makes `policy` track every key of this database (a maxmemory-policy switch), or none (null).
   * Keys join in slot order, as if just written: history does not carry across policies.
   */
  attachPolicy(policy: EvictionPolicy | null): void {
    this.policy = policy;
    if (policy === null) return;
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = this.keyAt(slot);
      if (key === undefined) continue;
      policy.insert(slot, hashKey(key), this.valueBytesOf(slot) + keyUsage(key) + KEY_OVERHEAD);
      if (this.volatileCount !== 0 && this.expireAt[slot] !== 0) policy.setExpire(slot, Math.max(1, this.expireAt[slot]));
    }
  }

  /**
   * Evicts one key chosen by the policy through the normal delete path (WATCH, tracking and the
   * `evicted` event hear of it); returns the bytes freed, or -1 if the policy has no candidate.
   */
  evictOne(): number {
    if (this.policy === null) return -1;
    const slot = this.policy.evict();
    if (slot === -1) return -1;
    const key = this.keyAt(slot)!;
    const before = this.bytes;
    this.freeSlot(slot, key);
    this.keyspace.keyEvicted(this, key);
    return before - this.bytes;
  }

  /** Removes every key. Returns the number removed. */
  clear(): number {
    const n = this.index.count;
    const keys: string[] = [];
    if (n > 0 && this.keyspace.hasKeyListeners) {
      for (let slot = 0; slot < this.highWater; slot++) {
        const key = this.keyAt(slot);
        if (key !== undefined) keys.push(key);
      }
    }
    this.reset();
    for (const key of keys) this.keyspace.keyModified(this, key);
    return n;
  }

  /** Exchanges all contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    const fields = ['index', 'chunks', 'accessAt', 'expireAt', 'highWater', 'freeSlots', 'volatile', 'volatilePos', 'volatileCount', 'valueBytes', 'hugeValueBytes', 'bytes', 'policy'] as const;
    for (const f of fields) {
      const tmp = this[f];
      (this as unknown as Record<string, unknown>)[f] = other[f];
      (other as unknown as Record<string, unknown>)[f] = tmp;
    }
  }

  private reset(): void {
    this.addBytes(-this.bytes);
    this.valueBytes = new Uint32Array(INITIAL_SLOTS);
    this.hugeValueBytes = new Map();
    if (this.policy !== null) this.policy = this.keyspace.createPolicy();
    this.index = new HashIndex(MIN_BUCKETS);
    this.chunks = [];
    this.accessAt = new Uint32Array(INITIAL_SLOTS);
    this.expireAt = NO_EXPIRES;
    this.highWater = 0;
    this.freeSlots = [];
    this.volatile = NO_SLOTS;
    this.volatilePos = NO_SLOTS;
    this.volatileCount = 0;
  }

  // ---- hash index ---------------------------------------------------------------------------

  /** Slot of `key` (whose hash is `hash`), or -1. Compares hashes before strings. */
  private find(key: string, hash: number): number {
    const { table, mask } = this.index;
    let b = hash & mask;
    for (;;) {
      const s = table[2 * b + 1];
      if (s === 0) return -1;
      if (table[2 * b] === hash && this.keyAt(s - 1) === key) return s - 1;
      b = (b + 1) & mask;
    }
  }

  /** Removes a present key from the index. */
  private remove(key: string): void {
    const { table, mask } = this.index;
    const hash = hashKey(key);
    let b = hash & mask;
    while (!(table[2 * b] === hash && this.keyAt(table[2 * b + 1] - 1) === key)) b = (b + 1) & mask;
    this.index.removeBucket(b);
  }

  // ---- slot management ----------------------------------------------------------------------

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.highWater++;
    if (slot >= this.accessAt.length) this.growArrays();
    if ((slot & CHUNK_MASK) === 0) this.chunks.push(new Array<string | Value | undefined>(2 * CHUNK).fill(undefined));
    return slot;
  }

  private keyAt(slot: number): string | undefined {
    return this.chunks[slot >>> CHUNK_BITS][2 * (slot & CHUNK_MASK)] as string | undefined;
  }

  private valueAt(slot: number): Value | undefined {
    return this.chunks[slot >>> CHUNK_BITS][2 * (slot & CHUNK_MASK) + 1] as Value | undefined;
  }

  private growArrays(): void {
    const cap = this.accessAt.length * 2;
    this.accessAt = grown(this.accessAt, new Uint32Array(cap));
    this.valueBytes = grown(this.valueBytes, new Uint32Array(cap));
    if (this.expireAt.length !== 0) {
      this.expireAt = grown(this.expireAt, new Float64Array(cap));
      this.volatile = grown(this.volatile, new Int32Array(cap));
      this.volatilePos = grown(this.volatilePos, new Int32Array(cap).fill(-1));
    }
  }

  /** The first TTL in this database: allocate the expiry arrays for all slots. */
  private allocExpires(): void {
    const cap = this.accessAt.length;
    this.expireAt = new Float64Array(cap);
    this.volatile = new Int32Array(cap);
    this.volatilePos = new Int32Array(cap).fill(-1);
  }

  private expired(slot: number): boolean {
    const exp = this.expireAt[slot];
    return exp !== 0 && exp <= this.keyspace.now;
  }

  private addBytes(delta: number): void {
    this.bytes += delta;
    this.keyspace.usedBytes += delta;
  }

  private valueBytesOf(slot: number): number {
    const n = this.valueBytes[slot];
    return n === HUGE ? this.hugeValueBytes.get(slot)! : n;
  }

  private setValueBytes(slot: number, size: number): void {
    if (size >= HUGE) {
      this.valueBytes[slot] = HUGE;
      this.hugeValueBytes.set(slot, size);
    } else {
      this.valueBytes[slot] = size;
      if (this.hugeValueBytes.size !== 0) this.hugeValueBytes.delete(slot);
    }
  }

  /** A live key's value now has `size` bytes. */
  private resized(slot: number, key: string, size: number): void {
    const delta = size - this.valueBytesOf(slot);
    if (delta === 0) return;
    this.setValueBytes(slot, size);
    this.addBytes(delta);
    if (this.policy !== null) this.policy.reweigh(slot, size + keyUsage(key) + KEY_OVERHEAD);
  }

  private freeSlot(slot: number, key: string): void {
    this.addBytes(-(this.valueBytesOf(slot) + keyUsage(key) + KEY_OVERHEAD));
    this.remove(key);
    const chunk = this.chunks[slot >>> CHUNK_BITS];
    chunk[2 * (slot & CHUNK_MASK)] = undefined;
    chunk[2 * (slot & CHUNK_MASK) + 1] = undefined;
    if (this.volatileCount !== 0 && this.expireAt[slot] !== 0) this.clearExpire(slot);
    if (this.policy !== null) this.policy.remove(slot);
    this.freeSlots.push(slot);
  }

  /** Deletes a key whose TTL has passed: counts it and notifies listeners. */
  private expireSlot(slot: number): void {
    const key = this.keyAt(slot)!;
    this.freeSlot(slot, key);
    this.keyspace.keyExpired(this, key);
  }

  private addVolatile(slot: number): void {
    this.addBytes(EXPIRE_OVERHEAD);
    this.volatilePos[slot] = this.volatileCount;
    this.volatile[this.volatileCount++] = slot;
  }

  private clearExpire(slot: number): void {
    this.addBytes(-EXPIRE_OVERHEAD);
    if (this.policy !== null) this.policy.setExpire(slot, 0);
    this.expireAt[slot] = 0;
    const pos = this.volatilePos[slot];
    const last = this.volatile[--this.volatileCount];
    this.volatile[pos] = last;
    this.volatilePos[last] = pos;
    this.volatilePos[slot] = -1;
  }
}

type Chunk = (string | Value | undefined)[];

const INITIAL_SLOTS = 64;
/** Slots per chunk of `chunks` (16 KB each). */
const CHUNK_BITS = 10;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Smallest hash index; it grows at half full and shrinks below 1/8. */
const MIN_BUCKETS = 64;
const NO_EXPIRES = new Float64Array(0);
/** valueBytes' marker for a size that does not fit in 32 bits. */
const HUGE = 0xffffffff;
const NO_SLOTS = new Int32Array(0);

function grown<T extends Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
