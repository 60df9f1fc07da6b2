import type { ContainerValue } from './values.js';
import { SlotMap } from './slot-map.js';
import { DICT, DICT_ENTRY, ROBJ, dictBuckets, mallocSize, sdsSize } from './memory.js';

/**
 * A set value. Like Redis 7.0, a set whose members are all integers (in string2ll's canonical
 * form) and no more than set-max-intset-entries is an "intset": here a numerically sorted array
 * of the members' strings, searched by binary search, so SMEMBERS/SSCAN return them sorted as
 * Redis does. Any other set is a "hashtable": a SlotMap (O(1) add/has/random, cursor-stable SSCAN).
 * The conversion is one way.
 */
export class RedisSet implements ContainerValue {
  readonly type = 'set' as const;
  private ints: string[] | null = [];
  private table: SlotMap<true> | null = null;
  /** Bytes of the members as dict entries (sds + dictEntry), kept in both encodings. */
  private htBytes = 0;

  /** Redis's setTypeCreate: an intset if the first member is an integer, else a hashtable. */
  static forMember(member: string): RedisSet {
    const s = new RedisSet();
    if (!isInt64(member)) s.convert();
    return s;
  }

  get size(): number {
    return this.ints !== null ? this.ints.length : this.table!.size;
  }

  encoding(): string {
    return this.ints !== null ? 'intset' : 'hashtable';
  }

  has(member: string): boolean {
    if (this.ints === null) return this.table!.has(member);
    return isInt64(member) && search(this.ints, member) >= 0;
  }

  /** Adds a member; returns true if it was new. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    const added = this.insert(member, maxIntset);
    if (added) this.htBytes += sdsSize(member.length) + DICT_ENTRY;
    return added;
  }

  private insert(member: string, maxIntset: number): boolean {
    const ints = this.ints;
    if (ints === null) return this.table!.set(member, true);
    if (!isInt64(member)) {
      this.convert();
      return this.table!.set(member, true);
    }
    const pos = search(ints, member);
    if (pos >= 0) return false;
    ints.splice(-pos - 1, 0, member);
    if (ints.length > maxIntset) this.convert();
    return true;
  }

  delete(member: string): boolean {
    const removed = this.remove(member);
    if (removed) this.htBytes -= sdsSize(member.length) + DICT_ENTRY;
    return removed;
  }

  private remove(member: string): boolean {
    const ints = this.ints;
    if (ints === null) return this.table!.delete(member);
    if (!isInt64(member)) return false;
    const pos = search(ints, member);
    if (pos < 0) return false;
    ints.splice(pos, 1);
    return true;
  }

  /** An intset's bytes: header + members at the width its extremes need (int16/32/64). */
  memoryUsage(): number {
    const ints = this.ints;
    if (ints === null) return ROBJ + DICT + dictBuckets(this.table!.size) + this.htBytes;
    const n = ints.length;
    const width = n === 0 ? 2 : Math.max(intWidth(ints[0]), intWidth(ints[n - 1]));
    return ROBJ + mallocSize(8 + n * width);
  }

  memoryUsageFromScratch(): number {
    if (this.ints !== null) return this.memoryUsage();
    let ht = 0;
    this.table!.forEach((_, m) => (ht += sdsSize(m.length) + DICT_ENTRY));
    return ROBJ + DICT + dictBuckets(this.table!.size) + ht;
  }

  /** Visits members: numeric order for an intset, slot order for a hashtable. */
  forEach(visit: (member: string) => void): void {
    if (this.ints !== null) {
      for (const m of this.ints) visit(m);
    } else {
      this.table!.forEach((_, m) => visit(m));
    }
  }

  members(): string[] {
    if (this.ints !== null) return this.ints.slice();
    const out: string[] = [];
    this.table!.forEach((_, m) => out.push(m));
    return out;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    if (this.ints !== null) return this.ints[(Math.random() * this.ints.length) | 0];
    return this.table!.randomKey()!;
  }

  /** One SSCAN step: an intset is returned whole with cursor 0, as Redis does. */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    if (this.ints !== null) {
      for (const m of this.ints) visit(m);
      return 0;
    }
    return this.table!.scan(cursor, count, visit);
  }

  clone(): RedisSet {
    const s = new RedisSet();
    if (this.ints !== null) s.ints = this.ints.slice();
    else {
      s.ints = null;
      s.table = this.table!.clone();
    }
    s.htBytes = this.htBytes;
    return s;
  }

  private convert(): void {
    const table = new SlotMap<true>();
    for (const m of this.ints!) table.set(m, true);
    this.table = table;
    this.ints = null;
  }
}

/** Bytes per member of an intset holding this integer (INTSET_ENC_INT16/32/64). */
function intWidth(m: string): number {
  const v = Number(m);
  return v >= -32768 && v <= 32767 ? 2 : v >= -2147483648 && v <= 2147483647 ? 4 : 8;
}

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/** Redis's string2ll acceptance: canonical decimal int64 ("-0", "01", "+1" are not). */
export function isInt64(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1;
  if (first < 49 || first > 57) return false;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  const digits = n - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  const abs = i === 0 ? s : s.slice(1);
  return abs <= (i === 0 ? INT64_MAX : INT64_MIN_ABS);
}

/** Numeric comparison of two canonical integer strings, without parsing them. */
function compareInts(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let c: number;
  if (a.length !== b.length) c = a.length < b.length ? -1 : 1;
  else c = a < b ? -1 : a > b ? 1 : 0;
  return an ? -c : c;
}

/** Binary search in a sorted intset: index if found, else -(insertion point) - 1. */
function search(ints: string[], member: string): number {
  let lo = 0;
  let hi = ints.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareInts(ints[mid], member);
    if (c < 0) lo = mid + 1;
    else if (c > 0) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}
