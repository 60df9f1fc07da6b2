import { HashIndex, hashKey } from './hash-index.js';

/**
 * A string-keyed map for large containers (hash, set and sorted-set members), built like the
 * keyspace's slot table (database.ts): an open-addressing hash index from key to slot number, and
 * parallel arrays for the key and value of each slot, with freed slots reused.
 *
 * The index is one Int32Array of (hash, slot + 1) pairs with linear probing, as in database.ts:
 * a probe compares the stored hash before the key string and touches one cache line, where a JS
 * Map with ~100k string keys was the largest cost of ZADD/SADD/HSET (cache misses).
 *
 * Slots never move while their member lives. That gives:
 * - SCAN with Redis's guarantee: the cursor is a slot number, so a member present for the whole
 *   iteration is returned exactly once, whatever is added or removed meanwhile (members added
 *   during the iteration may or may not be returned);
 * - a random member in O(1): a dense array of live slots (`live`, with each slot's position in
 *   `livePos`) lets us pick uniformly without probing empty slots.
 *
 * The slot arrays shrink only when the map becomes empty, as moving slots would break cursors.
 */
export class SlotMap<V> {
  /** Key hash → slot (engine/hash-index.ts). */
  private index = new HashIndex(MIN_BUCKETS);
  private keyAt: (string | undefined)[] = [];
  private valueAt: (V | undefined)[] = [];
  /** Slots below this have been used at least once: the upper bound of a SCAN cursor. */
  private highWater = 0;
  private freeSlots: number[] = [];
  private live = new Int32Array(INITIAL_SLOTS);
  private livePos = new Int32Array(INITIAL_SLOTS);

  get size(): number {
    return this.index.count;
  }

  /** Number of slots ever used (the cursor space a full SCAN walks). */
  get slotCount(): number {
    return this.highWater;
  }

  get(key: string): V | undefined {
    const slot = this.find(key, hashKey(key));
    return slot === -1 ? undefined : this.valueAt[slot];
  }

  has(key: string): boolean {
    return this.find(key, hashKey(key)) !== -1;
  }

  /** Inserts or updates; returns true if the key is new. An update keeps the key's slot. */
  set(key: string, value: V): boolean {
    const hash = hashKey(key);
    const slot = this.find(key, hash);
    if (slot !== -1) {
      this.valueAt[slot] = value;
      return false;
    }
    this.insert(key, hash, value);
    return true;
  }

  /** Inserts or updates; returns the previous value (undefined if the key is new). One lookup. */
  put(key: string, value: V): V | undefined {
    const hash = hashKey(key);
    const slot = this.find(key, hash);
    if (slot !== -1) {
      const old = this.valueAt[slot];
      this.valueAt[slot] = value;
      return old;
    }
    this.insert(key, hash, value);
    return undefined;
  }

  /** Inserts a key the caller knows is absent (after a get() that missed), without looking it up again. */
  add(key: string, value: V): void {
    this.insert(key, hashKey(key), value);
  }

  /** Removes a key; returns whether it was present. */
  delete(key: string): boolean {
    return this.take(key) !== undefined;
  }

  /** Removes a key; returns its value, or undefined if it was absent. */
  take(key: string): V | undefined {
    const hash = hashKey(key);
    const b = this.bucketOf(key, hash);
    if (b === -1) return undefined;
    const slot = this.index.table[2 * b + 1] - 1;
    const value = this.valueAt[slot];
    this.index.removeBucket(b);
    if (this.index.count === 0) {
      this.reset();
      return value;
    }
    this.keyAt[slot] = undefined;
    this.valueAt[slot] = undefined;
    this.freeSlots.push(slot);
    // Swap-remove from the dense list of live slots.
    const pos = this.livePos[slot];
    const last = this.live[this.index.count];
    this.live[pos] = last;
    this.livePos[last] = pos;
    return value;
  }

  clear(): void {
    this.reset();
  }

  /** Visits every entry, in slot order (Map.forEach's argument order, so both fit one interface). */
  forEach(visit: (value: V, key: string) => void): void {
    const keys = this.keyAt;
    const values = this.valueAt;
    for (let s = 0; s < this.highWater; s++) {
      const k = keys[s];
      if (k !== undefined) visit(values[s]!, k);
    }
  }

  *keys(): IterableIterator<string> {
    for (let s = 0; s < this.highWater; s++) {
      const k = this.keyAt[s];
      if (k !== undefined) yield k;
    }
  }

  *entries(): IterableIterator<[string, V]> {
    for (let s = 0; s < this.highWater; s++) {
      const k = this.keyAt[s];
      if (k !== undefined) yield [k, this.valueAt[s]!];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** Slot of a uniformly random entry, or -1 if empty. Read it with keyOf/valueOf. */
  randomSlot(): number {
    const n = this.index.count;
    return n === 0 ? -1 : this.live[(Math.random() * n) | 0];
  }

  /** A uniformly random key, or undefined if empty. O(1). */
  randomKey(): string | undefined {
    const slot = this.randomSlot();
    return slot === -1 ? undefined : this.keyAt[slot];
  }

  /** A uniformly random [key, value], or undefined if empty. O(1). */
  randomEntry(): [string, V] | undefined {
    const slot = this.randomSlot();
    return slot === -1 ? undefined : [this.keyAt[slot]!, this.valueAt[slot]!];
  }

  keyOf(slot: number): string {
    return this.keyAt[slot]!;
  }

  valueOf(slot: number): V {
    return this.valueAt[slot]!;
  }

  /**
   * Visits live entries in slots [cursor, …) until `count` were visited or 10×count slots were
   * looked at (Redis's bound on empty buckets per SCAN call); returns the next cursor, 0 at the end.
   * `visit` may delete the entry it is given (the cursor does not depend on it).
   */
  scan(cursor: number, count: number, visit: (key: string, value: V) => void): number {
    const maxSlots = Math.max(count, 1) * 10;
    let seen = 0;
    let looked = 0;
    let slot = cursor;
    while (slot < this.highWater && seen < count && looked < maxSlots) {
      const key = this.keyAt[slot];
      looked++;
      if (key !== undefined) {
        seen++;
        visit(key, this.valueAt[slot]!);
      }
      slot++;
    }
    return slot >= this.highWater ? 0 : slot;
  }

  /** A copy with the same slots (so a copied container's cursors behave the same). */
  clone(copyValue: (v: V) => V = identity): SlotMap<V> {
    const m = new SlotMap<V>();
    m.index = this.index.clone();
    m.keyAt = this.keyAt.slice();
    m.valueAt = copyValue === identity ? this.valueAt.slice() : this.valueAt.map((v) => (v === undefined ? v : copyValue(v)));
    m.highWater = this.highWater;
    m.freeSlots = this.freeSlots.slice();
    m.live = this.live.slice();
    m.livePos = this.livePos.slice();
    return m;
  }

  // ---- hash index lookups -----------------------------------------------------

  /** Slot of `key` (whose hash is `hash`), or -1. Compares hashes before strings. */
  private find(key: string, hash: number): number {
    const b = this.bucketOf(key, hash);
    return b === -1 ? -1 : this.index.table[2 * b + 1] - 1;
  }

  /** Bucket holding `key`, or -1. */
  private bucketOf(key: string, hash: number): number {
    const { table, mask } = this.index;
    let b = hash & mask;
    for (;;) {
      const s = table[2 * b + 1];
      if (s === 0) return -1;
      if (table[2 * b] === hash && this.keyAt[s - 1] === key) return b;
      b = (b + 1) & mask;
    }
  }

  /** Adds an absent key in a new slot. */
  private insert(key: string, hash: number, value: V): void {
    const slot = this.allocSlot();
    this.keyAt[slot] = key;
    this.valueAt[slot] = value;
    this.index.add(hash, slot);
  }

  // ---- slots --------------------------------------------------------------------------------

  private allocSlot(): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.highWater++;
      if (slot >= this.live.length) this.grow();
    }
    const pos = this.index.count; // the caller has not inserted the key yet
    this.live[pos] = slot;
    this.livePos[slot] = pos;
    return slot;
  }

  private grow(): void {
    const cap = this.live.length * 2;
    const live = new Int32Array(cap);
    live.set(this.live);
    this.live = live;
    const pos = new Int32Array(cap);
    pos.set(this.livePos);
    this.livePos = pos;
  }

  private reset(): void {
    this.index.clear();
    this.keyAt = [];
    this.valueAt = [];
    this.highWater = 0;
    this.freeSlots = [];
    if (this.live.length > INITIAL_SLOTS) {
      this.live = new Int32Array(INITIAL_SLOTS);
      this.livePos = new Int32Array(INITIAL_SLOTS);
    }
  }
}

const INITIAL_SLOTS = 16;
/** Smallest hash index; it grows at half full and shrinks below 1/8. */
const MIN_BUCKETS = 8;

function identity<V>(v: V): V {
  return v;
}
