import type { ContainerValue } from './values.js';
import type { Database } from './database.js';
import type { Keyspace } from './keyspace.js';
import { SlotMap } from './slot-map.js';

/** Redis's hash-max-listpack-* limits, read from the config by the command layer. */
export interface HashLimits {
  maxEntries: number;
  maxValue: number;
}

export const DEFAULT_HASH_LIMITS: HashLimits = { maxEntries: 512, maxValue: 64 };

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
  private ttl: FieldExpiry | null = null;

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
    if (small === null) return this.big!.set(field, value);
    if (field.length > limits.maxValue || value.length > limits.maxValue) {
      this.convert();
      return this.big!.set(field, value);
    }
    const added = !small.has(field);
    small.set(field, value);
    if (added && small.size > limits.maxEntries) this.convert();
    return added;
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
    return this.small !== null ? this.small.delete(field) : this.big!.delete(field);
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

  clone(): Hash {
    const h = new Hash();
    if (this.small !== null) h.small = new Map(this.small);
    else {
      h.small = null;
      h.big = this.big!.clone();
    }
    if (this.ttl !== null) h.ttl = this.ttl.clone();
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
    (this.ttl ??= new FieldExpiry()).set(field, when);
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
      if (this.small !== null) this.small.delete(field);
      else this.big!.delete(field);
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
 * Field → expiry time, plus a binary min-heap of (time, field) for finding due fields in
 * O(log n). Heap entries are not removed when a TTL changes; an entry is valid only while it
 * matches the map, and the heap is rebuilt when stale entries outnumber live ones.
 */
class FieldExpiry {
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

  /** Removes and returns a field whose time is < now, or undefined. */
  popDue(now: number): string | undefined {
    this.dropStale();
    if (this.heapTime.length === 0 || this.heapTime[0] >= now) return undefined;
    const field = this.heapField[0];
    this.pop();
    this.times.delete(field);
    return field;
  }

  clone(): FieldExpiry {
    const c = new FieldExpiry();
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

/** Keys (per database) whose hash has fields with a TTL: what the active sweep visits. */
const tracked = new WeakMap<Database, Set<string>>();

/**
 * Registers a key holding a hash with field TTLs for active expiry. Called by the HEXPIRE family;
 * commands that move a hash to another key (RENAME, MOVE, COPY) may call it for the new key, else
 * the new key is tracked again when a hash command next touches it.
 */
export function trackFieldExpiry(db: Database, key: string): void {
  let keys = tracked.get(db);
  if (keys === undefined) tracked.set(db, (keys = new Set()));
  keys.add(key);
}

/**
 * Active expiry of hash fields, for the server cron: visits tracked hashes and deletes due fields,
 * at most `maxFields` in all; a hash left empty is deleted. Keys that no longer hold a hash with
 * TTLs stop being tracked. Returns the number of fields deleted.
 */
export function activeExpireHashFields(keyspace: Keyspace, maxFields = 1000): number {
  const now = keyspace.now;
  let expired = 0;
  for (const db of keyspace.dbs) {
    const keys = tracked.get(db);
    if (keys === undefined || keys.size === 0) continue;
    for (const key of keys) {
      if (expired >= maxFields) return expired;
      const v = db.peek(key);
      if (!(v instanceof Hash) || !v.hasFieldTtls) {
        keys.delete(key);
        continue;
      }
      const n = v.expireFields(now, maxFields - expired);
      if (n > 0) {
        expired += n;
        db.modified(key);
      }
    }
  }
  return expired;
}
