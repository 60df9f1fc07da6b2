import type { ContainerValue } from './values.js';
import type { Database } from './database.js';
import type { ExpiryHook, Keyspace } from './keyspace.js';
import { SlotMap } from './slot-map.js';
import { DICT, DICT_ENTRY, FIELD_TTL, LISTPACK_EMPTY, ROBJ, dictBuckets, listpackEntry, mallocSize, sdsSize } from './memory.js';

/** Redis's hash-max-listpack-* limits, read from the config by the command layer. */
export interface HashLimits {
  maxEntries: number;
  maxValue: number;
}

/**
 * A hash value. Small hashes keep their fields in an insertion-ordered Map, which behaves like
 * Redis's listpack encoding (HGETALL in insertion order, an update keeps the field's place, a
 * re-added field goes last); once a hash exceeds hash-max-listpack-entries or holds a field or
 * value longer than hash-max-listpack-value it moves, for good, to a SlotMap (Redis's
 * "hashtable": O(1) random field, cursor-stable HSCAN).
 *
 * Per-field expiry (Redis 7.4's HEXPIRE family) lives in `ttl`, created on first use.
 */
export class Hash implements ContainerValue {
  readonly type = 'hash' as const;
  private small: Map<string, string> | null = new Map();
  private big: SlotMap<string> | null = null;
  /** Per-field expiry; set once a field was ever given a TTL (Redis's listpackex stays so). */
  private ttl: ExpiryQueue | null = null;
  /** Memory counters for both encodings (engine/memory.ts): listpack entry bytes and dict entry bytes. */
  private lpBytes = 0;
  private htBytes = 0;

  get size(): number {
    return this.small !== null ? this.small.size : this.big!.size;
  }

  /** OBJECT ENCODING name, as Redis 7.4 reports it (7.0's names unless fields have TTLs). */
  encoding(): string {
    if (this.small === null) return 'hashtable';
    return this.ttl === null ? 'listpack' : 'listpackex';
  }

  get isListpack(): boolean {
    return this.small !== null;
  }

  get(field: string): string | undefined {
    return this.small !== null ? this.small.get(field) : this.big!.get(field);
  }

  has(field: string): boolean {
    return this.small !== null ? this.small.has(field) : this.big!.has(field);
  }

  /**
   * Sets a field, clearing any TTL it had (HSET semantics); returns true if the field is new.
   * Converts to a hashtable when the limits say so, as Redis's hashTypeSet does.
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    if (this.ttl !== null) this.ttl.remove(field);
    return this.setKeepTtl(field, value, limits);
  }

  /** Sets a field's value keeping its TTL (HINCRBY, HINCRBYFLOAT). */
  setKeepTtl(field: string, value: string, limits: HashLimits): boolean {
    const small = this.small;
    let old: string | undefined;
    if (small === null) old = this.big!.put(field, value);
    else if (field.length > limits.maxValue || value.length > limits.maxValue) {
      this.convert();
      old = this.big!.put(field, value);
    } else {
      old = small.get(field);
      small.set(field, value);
      if (old === undefined && small.size > limits.maxEntries) this.convert();
    }
    if (old === undefined) this.account(field, value, 1);
    else {
      this.lpBytes += listpackEntry(value) - listpackEntry(old);
      this.htBytes += sdsSize(value.length) - sdsSize(old.length);
    }
    return old === undefined;
  }

  /** Adds (sign 1) or removes (-1) a field's bytes from both encodings' counters. */
  private account(field: string, value: string, sign: number): void {
    this.lpBytes += sign * (listpackEntry(field) + listpackEntry(value));
    this.htBytes += sign * (sdsSize(field.length) + sdsSize(value.length) + DICT_ENTRY);
  }

  memoryUsage(): number {
    const ttls = this.ttl === null ? 0 : this.ttl.size * FIELD_TTL;
    if (this.small !== null) return ROBJ + mallocSize(LISTPACK_EMPTY + this.lpBytes) + ttls;
    return ROBJ + DICT + dictBuckets(this.big!.size) + this.htBytes + ttls;
  }

  memoryUsageFromScratch(): number {
    const h = new Hash();
    this.forEach((v, f) => h.account(f, v, 1));
    const ttls = this.ttl === null ? 0 : this.ttl.size * FIELD_TTL;
    if (this.small !== null) return ROBJ + mallocSize(LISTPACK_EMPTY + h.lpBytes) + ttls;
    return ROBJ + DICT + dictBuckets(this.big!.size) + h.htBytes + ttls;
  }

  /**
   * Redis's hashTypeTryConversion: converts before a write if any argument in
   * args[from..] is longer than hash-max-listpack-value (even arguments that end up unused).
   */
  tryConversion(args: readonly string[], from: number, limits: HashLimits): void {
    if (this.small === null) return;
    for (let i = from; i < args.length; i++) {
      if (args[i].length > limits.maxValue) {
        this.convert();
        return;
      }
    }
  }

  delete(field: string): boolean {
    if (this.ttl !== null) this.ttl.remove(field);
    return this.drop(field);
  }

  /** Removes a field from the map (not from the TTL queue) and its bytes from the counters. */
  private drop(field: string): boolean {
    let old: string | undefined;
    if (this.small !== null) {
      old = this.small.get(field);
      if (old !== undefined) this.small.delete(field);
    } else old = this.big!.take(field);
    if (old === undefined) return false;
    this.account(field, old, -1);
    return true;
  }

  /** Visits fields: insertion order while listpack, slot order once a hashtable. */
  forEach(visit: (value: string, field: string) => void): void {
    if (this.small !== null) this.small.forEach(visit);
    else this.big!.forEach(visit);
  }

  /** A uniformly random [field, value] (the hash must not be empty). */
  randomEntry(): [string, string] {
    if (this.big !== null) return this.big.randomEntry()!;
    let i = (Math.random() * this.small!.size) | 0;
    for (const entry of this.small!) if (i-- === 0) return entry;
    throw new Error('randomEntry on an empty hash');
  }

  /** All entries as a flat [field, value, …] array, in iteration order. */
  entries(): string[] {
    const out: string[] = [];
    this.forEach((v, f) => out.push(f, v));
    return out;
  }

  /**
   * One HSCAN step. A listpack hash is returned whole with cursor 0 (Redis ignores COUNT there);
   * a hashtable is walked by slot so fields present throughout are returned at least once.
   */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    if (this.small !== null) {
      for (const [f, v] of this.small) visit(f, v);
      return 0;
    }
    return this.big!.scan(cursor, count, visit);
  }

  /** Stored under a key (HSET creating it, RENAME, MOVE, COPY): field TTLs need the active sweep. */
  storedAt(db: Database, key: string): void {
    if (this.hasFieldTtls) trackFieldExpiry(db, key, this);
  }

  clone(): Hash {
    const h = new Hash();
    if (this.small !== null) h.small = new Map(this.small);
    else {
      h.small = null;
      h.big = this.big!.clone();
    }
    if (this.ttl !== null) h.ttl = this.ttl.clone();
    h.lpBytes = this.lpBytes;
    h.htBytes = this.htBytes;
    return h;
  }

  // ---- per-field expiry (Redis 7.4) ----------------------------------------------------------

  /** True if some field has (or had) a TTL: only then is there expiry work to do. */
  get hasFieldTtls(): boolean {
    return this.ttl !== null && this.ttl.size > 0;
  }

  /** Absolute expiry time (ms) of a field, or -1 if it has none. */
  fieldExpire(field: string): number {
    return this.ttl === null ? -1 : this.ttl.get(field);
  }

  setFieldExpire(field: string, when: number): void {
    (this.ttl ??= new ExpiryQueue()).set(field, when);
  }

  /** Removes a field's TTL; returns whether it had one. */
  persistField(field: string): boolean {
    return this.ttl !== null && this.ttl.remove(field);
  }

  /**
   * Deletes fields whose time has passed (a field lives while its time is >= now, as in
   * Redis 7.4), at most `max` of them. Returns how many were deleted.
   */
  expireFields(now: number, max = Infinity): number {
    const ttl = this.ttl;
    if (ttl === null) return 0;
    let n = 0;
    while (n < max) {
      const field = ttl.popDue(now);
      if (field === undefined) break;
      this.drop(field);
      n++;
    }
    return n;
  }

  /** Earliest field expiry time, or Infinity. */
  nextFieldExpire(): number {
    return this.ttl === null ? Infinity : this.ttl.min();
  }

  private convert(): void {
    const big = new SlotMap<string>();
    for (const [f, v] of this.small!) big.set(f, v);
    this.big = big;
    this.small = null;
  }
}

/**
 * Name → expiry time, plus a binary min-heap of (time, name) for finding due names in O(log n):
 * a hash's fields, or the hashes of a database that have fields with TTLs. Heap entries are not
 * removed when a time changes; an entry is valid only while it matches the map, and the heap is
 * rebuilt when stale entries outnumber live ones.
 */
class ExpiryQueue {
  private times = new Map<string, number>();
  private heapTime: number[] = [];
  private heapField: string[] = [];

  get size(): number {
    return this.times.size;
  }

  get(field: string): number {
    return this.times.get(field) ?? -1;
  }

  set(field: string, when: number): void {
    this.times.set(field, when);
    this.push(when, field);
    if (this.heapTime.length > 2 * this.times.size + 16) this.rebuild();
  }

  remove(field: string): boolean {
    return this.times.delete(field);
  }

  /** Earliest live expiry time, or Infinity. */
  min(): number {
    this.dropStale();
    return this.heapTime.length === 0 ? Infinity : this.heapTime[0];
  }

  /** Removes and returns a name whose time is < now, or undefined. */
  popDue(now: number): string | undefined {
    this.dropStale();
    if (this.heapTime.length === 0 || this.heapTime[0] >= now) return undefined;
    const field = this.heapField[0];
    this.pop();
    this.times.delete(field);
    return field;
  }

  clone(): ExpiryQueue {
    const c = new ExpiryQueue();
    c.times = new Map(this.times);
    c.heapTime = this.heapTime.slice();
    c.heapField = this.heapField.slice();
    return c;
  }

  private dropStale(): void {
    while (this.heapTime.length > 0 && this.times.get(this.heapField[0]) !== this.heapTime[0]) this.pop();
  }

  private rebuild(): void {
    this.heapTime = [];
    this.heapField = [];
    for (const [f, t] of this.times) this.push(t, f);
  }

  private push(t: number, f: string): void {
    const ht = this.heapTime;
    const hf = this.heapField;
    let i = ht.length;
    ht.push(t);
    hf.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ht[p] <= t) break;
      ht[i] = ht[p];
      hf[i] = hf[p];
      i = p;
    }
    ht[i] = t;
    hf[i] = f;
  }

  private pop(): void {
    const ht = this.heapTime;
    const hf = this.heapField;
    const t = ht.pop()!;
    const f = hf.pop()!;
    const n = ht.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && ht[c + 1] < ht[c]) c++;
      if (ht[c] >= t) break;
      ht[i] = ht[c];
      hf[i] = hf[c];
      i = c;
    }
    ht[i] = t;
    hf[i] = f;
  }
}

// ---- active field expiry ------------------------------------------------------------------------

/**
 * Per database, the keys whose hash has fields with TTLs, by their earliest field expiry: what the
 * active sweep visits. An entry may be stale (the key deleted, renamed, flushed, or its TTLs
 * changed); the sweep drops or re-files it when it comes due.
 */
const tracked = new WeakMap<Database, ExpiryQueue>();

/**
 * Files `key`, holding hash `h` with field TTLs, for active expiry at its earliest field expiry.
 * The HEXPIRE family calls it; `Hash.storedAt` does when a hash is stored under a key.
 */
export function trackFieldExpiry(db: Database, key: string, h: Hash): void {
  let queue = tracked.get(db);
  if (queue === undefined) tracked.set(db, (queue = new ExpiryQueue()));
  queue.set(key, h.nextFieldExpire());
}

/**
 * Active expiry of hash fields: deletes due fields of tracked hashes, at most `maxFields` in all;
 * a hash left empty is deleted. Returns the number of fields deleted.
 */
export function activeExpireHashFields(keyspace: Keyspace, maxFields = 1000): number {
  const now = keyspace.now;
  let expired = 0;
  for (const db of keyspace.dbs) {
    const queue = tracked.get(db);
    if (queue === undefined) continue;
    while (expired < maxFields) {
      const key = queue.popDue(now);
      if (key === undefined) break;
      const v = db.peek(key);
      if (!(v instanceof Hash) || !v.hasFieldTtls) continue;
      const n = v.expireFields(now, maxFields - expired);
      expired += n;
      if (n > 0) db.modified(key);
      if (v.size > 0 && v.hasFieldTtls) queue.set(key, v.nextFieldExpire());
    }
  }
  return expired;
}

/** The keyspace's hook for hash fields: the active sweep, and tracking that follows SWAPDB. */
export const hashFieldExpiry: ExpiryHook = {
  activeExpire: activeExpireHashFields,
  databasesSwapped(a, b) {
    const qa = tracked.get(a);
    const qb = tracked.get(b);
    tracked.delete(a);
    tracked.delete(b);
    if (qa !== undefined) tracked.set(b, qa);
    if (qb !== undefined) tracked.set(a, qb);
  },
};
