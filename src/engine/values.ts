import type { Database } from './database.js';
import { sdsGrownAlloc, sdsNewAlloc } from './memory.js';

/**
 * The values a key can hold. Strings are latin1 JS strings (one char per byte, binary-safe and
 * compact); a string that is edited in place (SETRANGE, SETBIT, APPEND) becomes a RawString, a
 * growable byte buffer, as Redis turns such strings into its "raw" encoding.
 * Container types are classes with a `type` tag, each in its own module (hash.ts, list.ts,
 * set.ts, zset.ts, stream.ts).
 */

export type RedisType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';

/** A mutable byte string with amortised growth (Redis's sds with free space). */
export class RawString {
  readonly type = 'string' as const;
  /**
   * Redis keeps this value inline as an embstr although its text looks like an integer: an
   * INCRBYFLOAT result, which Redis does not int-encode. Never set on a string edited in place.
   */
  embstr = false;
  /**
   * The sds allocation Redis would hold for this string (its `alloc`), for the memory model:
   * made by sdsnewlen (a 1-31 byte string is an sdshdr5 with no room to spare) and grown by
   * sdsMakeRoomFor's greedy rule. `buf` may be larger; only `alloc` is accounted.
   */
  alloc: number;
  sdsType5: boolean;
  constructor(
    public buf: Buffer,
    public length: number,
  ) {
    this.sdsType5 = length > 0 && length < 32;
    this.alloc = sdsNewAlloc(length);
  }

  /** An INCRBYFLOAT result that looks like an integer: stored as Redis's embstr, not as an int. */
  static embedded(s: string): RawString {
    const r = RawString.from(s);
    r.embstr = true;
    return r;
  }

  static from(s: string | RawString, extra = 0): RawString {
    if (typeof s !== 'string') return s;
    const buf = Buffer.allocUnsafe(s.length + extra);
    buf.latin1Write(s, 0);
    return new RawString(buf, s.length);
  }

  /** Makes room for `size` bytes, zero-filling any new bytes up to `size` (sdsgrowzero). */
  grow(size: number): void {
    if (size <= this.length) return;
    if (size > this.alloc) {
      this.alloc = sdsGrownAlloc(this.length, size - this.length);
      this.sdsType5 = false;
    }
    if (size > this.buf.length) {
      const cap = Math.max(size, Math.min(this.buf.length * 2, size + 1024 * 1024));
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    this.buf.fill(0, this.length, size);
    this.length = size;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  toString(): string {
    return this.buf.latin1Slice(0, this.length);
  }
}

export type StringValue = string | RawString;

/** A non-string value: hashes, lists, sets and sorted sets implement this. */
export interface ContainerValue {
  readonly type: Exclude<RedisType, 'string'>;
  /** Number of elements; a container with 0 elements is deleted by the keyspace. */
  readonly size: number;
  /** Deep copy (COPY command). */
  clone(): ContainerValue;
  /**
   * Estimated bytes, as Redis's objectComputeSize would count them (engine/memory.ts), from
   * counters the container keeps current on every mutation: O(1).
   */
  memoryUsage(): number;
  /** The same estimate recomputed by walking the contents (checks the counters; tests, DEBUG). */
  memoryUsageFromScratch(): number;
  /** Redis's internal encoding name for OBJECT ENCODING ('listpack', 'intset', …), if it varies. */
  encoding?(): string;
  /**
   * Called by Database.set when the value is stored under a key (SET-like writes, RENAME, MOVE,
   * COPY): a value with bookkeeping of its own (a hash with field TTLs) registers it there.
   */
  storedAt?(db: Database, key: string): void;
}

export type Value = StringValue | ContainerValue;

export function typeOf(v: Value): RedisType {
  return typeof v === 'string' ? 'string' : v.type;
}

export function isString(v: Value): v is StringValue {
  return typeof v === 'string' || v instanceof RawString;
}

/** The bytes of a string value as a latin1 string. */
export function stringOf(v: StringValue): string {
  return typeof v === 'string' ? v : v.toString();
}

export function cloneValue(v: Value): Value {
  if (typeof v === 'string') return v;
  if (v instanceof RawString) {
    const buf = Buffer.allocUnsafe(v.length);
    v.buf.copy(buf, 0, 0, v.length);
    const copy = new RawString(buf, v.length);
    copy.embstr = v.embstr;
    return copy;
  }
  return v.clone();
}
