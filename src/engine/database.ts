import { type Value } from './values.js';
import type { Keyspace } from './keyspace.js';

/**
 * One of the numbered databases: a slot table in the style of lru-cache's parallel arrays.
 *
 * A key maps (through one Map) to a slot number; per-slot facts live in parallel arrays:
 * key, value, expiry time (Float64Array, 0 = none) and last-access clock (Uint32Array, seconds).
 * Slots never move while their key lives, which is what gives SCAN its guarantee (the cursor is a
 * slot number, so a key present for the whole iteration is returned exactly once), and what
 * lets active expiry, RANDOMKEY and eviction sample keys at random in O(1).
 *
 * Keys with a TTL are also kept in a dense array (`volatile`), the analogue of Redis's `expires`
 * dict, so the expiry cycle and volatile-* policies sample only keys that can expire.
 */
export class Database {
  private index = new Map<string, number>();
  private keyAt: (string | undefined)[] = [];
  private valueAt: (Value | undefined)[] = [];
  private expireAt = new Float64Array(INITIAL_SLOTS);
  private accessAt = new Uint32Array(INITIAL_SLOTS);
  /** Slots below this have been used at least once. */
  private highWater = 0;
  private freeSlots: number[] = [];
  /** Dense list of slots that have a TTL, and each slot's position in it (-1 if none). */
  private volatile = new Int32Array(INITIAL_SLOTS);
  private volatilePos = new Int32Array(INITIAL_SLOTS).fill(-1);
  private volatileCount = 0;

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {}

  /** Number of keys (including expired ones not yet reclaimed, as Redis's DBSIZE). */
  get size(): number {
    return this.index.size;
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
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    const exp = this.expireAt[slot];
    if (exp !== 0 && exp <= this.keyspace.now) {
      this.expireSlot(slot);
      return undefined;
    }
    return this.valueAt[slot];
  }

  /** Lookup for a reading command: counts a keyspace hit or miss and updates the access clock. */
  read(key: string): Value | undefined {
    const slot = this.index.get(key);
    const ks = this.keyspace;
    if (slot !== undefined) {
      const exp = this.expireAt[slot];
      if (exp === 0 || exp > ks.now) {
        ks.stats.keyspaceHits++;
        if (!ks.noTouch) this.accessAt[slot] = ks.lruClock;
        return this.valueAt[slot];
      }
      this.expireSlot(slot);
    }
    ks.stats.keyspaceMisses++;
    return undefined;
  }

  /** Lookup for a writing command: updates the access clock, no statistics. */
  write(key: string): Value | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    const exp = this.expireAt[slot];
    if (exp !== 0 && exp <= this.keyspace.now) {
      this.expireSlot(slot);
      return undefined;
    }
    this.accessAt[slot] = this.keyspace.lruClock;
    return this.valueAt[slot];
  }

  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * Stores `value` under `key`. The TTL is removed unless `keepTtl`. Signals the modification
   * (WATCH, client tracking) unless `silent`.
   */
  set(key: string, value: Value, keepTtl = false): void {
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.allocSlot();
      this.index.set(key, slot);
      this.keyAt[slot] = key;
    } else if (!keepTtl && this.expireAt[slot] !== 0) {
      this.clearExpire(slot);
    }
    this.valueAt[slot] = value;
    this.accessAt[slot] = this.keyspace.lruClock;
    if (typeof value !== 'string' && value.type !== 'string') value.storedAt?.(this, key);
    this.keyspace.keyModified(this, key);
  }

  /** Deletes a key; returns whether it existed (and was not already expired). */
  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    const exp = this.expireAt[slot];
    if (exp !== 0 && exp <= this.keyspace.now) {
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
    const slot = this.index.get(key);
    if (slot !== undefined) {
      const v = this.valueAt[slot]!;
      if (typeof v !== 'string' && v.type !== 'string' && v.size === 0) this.freeSlot(slot, key);
    }
    this.keyspace.keyModified(this, key);
  }

  // ---- expiry ------------------------------------------------------------------------------

  /** Absolute expiry time in ms, or -1 if the key has none (call on a live key). */
  getExpire(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) return -1;
    const exp = this.expireAt[slot];
    return exp === 0 ? -1 : exp;
  }

  /** Sets the absolute expiry time (ms) of an existing key. */
  setExpire(key: string, when: number): void {
    const slot = this.index.get(key);
    if (slot === undefined) return;
    if (this.expireAt[slot] === 0) this.addVolatile(slot);
    // 0 means "no TTL" in the array; a TTL at the epoch itself is already in the past anyway.
    this.expireAt[slot] = when === 0 ? -1 : when;
    this.keyspace.keyModified(this, key);
  }

  /** Removes the TTL; returns whether there was one. */
  persist(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined || this.expireAt[slot] === 0) return false;
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
    const now = this.keyspace.now;
    while (slot < this.highWater && seen < count && looked < maxSlots) {
      const key = this.keyAt[slot];
      looked++;
      if (key !== undefined) {
        const exp = this.expireAt[slot];
        if (exp !== 0 && exp <= now) {
          this.expireSlot(slot);
        } else {
          seen++;
          visit(key, this.valueAt[slot]!);
        }
      }
      slot++;
    }
    return slot >= this.highWater ? 0 : slot;
  }

  /** All live keys (KEYS). Expired keys met on the way are reclaimed. */
  *keys(): IterableIterator<string> {
    const now = this.keyspace.now;
    for (let slot = 0; slot < this.highWater; slot++) {
      const key = this.keyAt[slot];
      if (key === undefined) continue;
      const exp = this.expireAt[slot];
      if (exp !== 0 && exp <= now) {
        this.expireSlot(slot);
        continue;
      }
      yield key;
    }
  }

  /** A random live key, or undefined if the database is empty. */
  randomKey(): string | undefined {
    while (this.index.size > 0) {
      let slot = -1;
      for (let tries = 0; tries < 64; tries++) {
        const s = (Math.random() * this.highWater) | 0;
        if (this.keyAt[s] !== undefined) {
          slot = s;
          break;
        }
      }
      if (slot === -1) {
        // Sparse table: walk from a random point to the next live slot.
        const start = (Math.random() * this.highWater) | 0;
        for (let i = 0; i < this.highWater; i++) {
          const s = (start + i) % this.highWater;
          if (this.keyAt[s] !== undefined) {
            slot = s;
            break;
          }
        }
      }
      const exp = this.expireAt[slot];
      if (exp !== 0 && exp <= this.keyspace.now) {
        this.expireSlot(slot);
        continue;
      }
      return this.keyAt[slot];
    }
    return undefined;
  }

  /** Seconds since the key was last accessed (OBJECT IDLETIME). */
  idleSeconds(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) return 0;
    return Math.max(0, this.keyspace.lruClock - this.accessAt[slot]);
  }

  /** Removes every key. Returns the number removed. */
  clear(): number {
    const n = this.index.size;
    const keys = n > 0 && this.keyspace.hasKeyListeners ? [...this.index.keys()] : [];
    this.reset();
    for (const key of keys) this.keyspace.keyModified(this, key);
    return n;
  }

  /** Exchanges all contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    const fields = ['index', 'keyAt', 'valueAt', 'expireAt', 'accessAt', 'highWater', 'freeSlots', 'volatile', 'volatilePos', 'volatileCount'] as const;
    for (const f of fields) {
      const tmp = this[f];
      (this as unknown as Record<string, unknown>)[f] = other[f];
      (other as unknown as Record<string, unknown>)[f] = tmp;
    }
  }

  private reset(): void {
    this.index = new Map();
    this.keyAt = [];
    this.valueAt = [];
    this.expireAt = new Float64Array(INITIAL_SLOTS);
    this.accessAt = new Uint32Array(INITIAL_SLOTS);
    this.highWater = 0;
    this.freeSlots = [];
    this.volatile = new Int32Array(INITIAL_SLOTS);
    this.volatilePos = new Int32Array(INITIAL_SLOTS).fill(-1);
    this.volatileCount = 0;
  }

  // ---- slot management ----------------------------------------------------------------------

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.highWater++;
    if (slot >= this.expireAt.length) this.growArrays();
    return slot;
  }

  private growArrays(): void {
    const cap = this.expireAt.length * 2;
    const exp = new Float64Array(cap);
    exp.set(this.expireAt);
    this.expireAt = exp;
    const acc = new Uint32Array(cap);
    acc.set(this.accessAt);
    this.accessAt = acc;
    const vol = new Int32Array(cap);
    vol.set(this.volatile);
    this.volatile = vol;
    const pos = new Int32Array(cap).fill(-1);
    pos.set(this.volatilePos);
    this.volatilePos = pos;
  }

  private freeSlot(slot: number, key: string): void {
    this.index.delete(key);
    this.keyAt[slot] = undefined;
    this.valueAt[slot] = undefined;
    if (this.expireAt[slot] !== 0) this.clearExpire(slot);
    this.freeSlots.push(slot);
  }

  /** Deletes a key whose TTL has passed: counts it and notifies listeners. */
  private expireSlot(slot: number): void {
    const key = this.keyAt[slot]!;
    this.freeSlot(slot, key);
    this.keyspace.keyExpired(this, key);
  }

  private addVolatile(slot: number): void {
    this.volatilePos[slot] = this.volatileCount;
    this.volatile[this.volatileCount++] = slot;
  }

  private clearExpire(slot: number): void {
    this.expireAt[slot] = 0;
    const pos = this.volatilePos[slot];
    const last = this.volatile[--this.volatileCount];
    this.volatile[pos] = last;
    this.volatilePos[last] = pos;
    this.volatilePos[slot] = -1;
  }
}

const INITIAL_SLOTS = 64;
