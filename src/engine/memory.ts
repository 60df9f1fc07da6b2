import { RawString, type Value } from './values.js';

/**
 * The memory model: what a key and its value would cost in Redis 7.0 (64-bit, jemalloc 5.3), so
 * `used_memory`, `MEMORY USAGE` and `maxmemory` mean what they mean in Redis and are in the same
 * ballpark. Sizes are estimates computed from lengths, never measured: V8's heap cannot be
 * attributed per object, and an estimate from lengths is deterministic (the live total can be
 * compared with a recomputation, and equal inputs cost the same on every run).
 *
 * Strings follow Redis exactly (int / embstr / raw sds, jemalloc size classes), so MEMORY USAGE
 * of a string key matches Redis byte for byte. Containers are modelled on Redis's encodings
 * (listpack, intset, quicklist, dict, skiplist) from counters their classes keep up to date.
 */

/** sizeof(robj). */
export const ROBJ = 16;
/** sizeof(dictEntry); MEMORY USAGE adds this per key. */
export const DICT_ENTRY = 24;
/** sizeof(dict) in 7.0. */
export const DICT = 56;
/** A dictEntry as jemalloc allocates it (the 24-byte struct takes the 32-byte class). */
export const DICT_ENTRY_ALLOC = 32;
/** Per key beyond MEMORY USAGE: the dictEntry's rounding and its bucket pointer (at load factor ~1). */
export const KEY_OVERHEAD = DICT_ENTRY_ALLOC - DICT_ENTRY + 8;
/** A key with a TTL: an entry in the expires dict and its bucket. */
export const EXPIRE_OVERHEAD = DICT_ENTRY_ALLOC + 8;
/** Redis 7.0's used_memory_startup on this build (MEMORY STATS startup.allocated). */
export const STARTUP_MEMORY = 876168;
/** A skiplist node with its average level (P = 1/4: 24 + 16 × 4/3 bytes, rounded up by jemalloc). */
export const SKIPLIST_NODE = 52;
/** sizeof(zset) + sizeof(zskiplist) + the 32-level header node (24 + 32 × 16 → 640). */
export const SKIPLIST_BASE = 16 + 32 + 640;
/** sizeof(quicklist) and sizeof(quicklistNode). */
export const QUICKLIST = 48;
export const QUICKLIST_NODE = 32;
/** list-max-listpack-size -2: 8 KB per quicklist node. */
export const QUICKLIST_NODE_BYTES = 8192;
/** A listpack's header (total bytes + count) and end byte. */
export const LISTPACK_EMPTY = 7;
/** A hash field with a TTL (Redis 7.4 keeps an expiry per field and a heap entry). */
export const FIELD_TTL = 16;

/** jemalloc's size class for an allocation of `n` bytes (quantum 16, 4 classes per doubling). */
export function mallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step;
}

/** Header bytes of an sds of `len` bytes created by sdsnewlen (sdshdr5 below 32 bytes). */
function sdsHeader(len: number, allowType5: boolean): number {
  if (len < 32 && allowType5 && len > 0) return 1;
  if (len < 256) return 3;
  if (len < 65536) return 5;
  if (len < 4294967296) return 9;
  return 17;
}

/** Header bytes and largest `alloc` of the sds type sdsReqType picks for `len` (type 5 aside). */
function sdsTypeFor(len: number): { hdr: number; max: number } {
  if (len < 256) return { hdr: 3, max: 255 };
  if (len < 65536) return { hdr: 5, max: 65535 };
  if (len < 4294967296) return { hdr: 9, max: 4294967295 };
  return { hdr: 17, max: Infinity };
}

/** Redis's SDS_MAX_PREALLOC: greedy growth doubles below it and adds it above. */
const SDS_MAX_PREALLOC = 1024 * 1024;

/** The `alloc` of sdsnewlen(len): the malloc size class less header and terminator (none spare for sdshdr5). */
export function sdsNewAlloc(len: number): number {
  if (len > 0 && len < 32) return len;
  const { hdr, max } = sdsTypeFor(len);
  return Math.min(mallocSize(hdr + len + 1) - hdr - 1, max);
}

/**
 * The `alloc` of a raw (over 44 bytes, not an integer) string value as SET stores it: made by
 * sdsnewlen, then trimmed to its length by tryObjectEncoding if more than 10% of it is free.
 */
export function sdsStoredRawAlloc(len: number): number {
  const alloc = sdsNewAlloc(len);
  return alloc - len > len / 10 ? len : alloc;
}

/** The `alloc` after sdsMakeRoomFor(s, add) (greedy) on an sds holding `len` bytes with no room. */
export function sdsGrownAlloc(len: number, add: number): number {
  let newlen = len + add;
  newlen = newlen < SDS_MAX_PREALLOC ? newlen * 2 : newlen + SDS_MAX_PREALLOC;
  const { hdr, max } = sdsTypeFor(newlen);
  return Math.min(mallocSize(hdr + newlen + 1) - hdr - 1, max);
}

/** sdsZmallocSize of a freshly made sds (keys, dict fields and members). */
export function sdsSize(len: number): number {
  return mallocSize(sdsHeader(len, true) + len + 1);
}

/** A key's own cost in MEMORY USAGE: its sds and its dictEntry. */
export function keyUsage(key: string): number {
  return sdsSize(key.length) + DICT_ENTRY;
}

/** Whether Redis would store this string as an integer (string2ll-able, at most 20 chars). */
export function isIntString(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let c = s.charCodeAt(0);
  let i = 0;
  if (c === 45) {
    if (n === 1) return false;
    c = s.charCodeAt(++i);
  }
  if (c === 48) return n === i + 1 && i === 0;
  if (c < 49 || c > 57) return false;
  for (let j = i + 1; j < n; j++) {
    c = s.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  if (n - i < 19) return true;
  const v = BigInt(s);
  return v >= -(2n ** 63n) && v < 2n ** 63n;
}

/** Longest string Redis stores as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_LIMIT = 44;
const CONTAINER_ENCODING = { hash: 'hashtable', list: 'quicklist', set: 'hashtable', zset: 'skiplist', stream: 'stream' } as const;

/** Redis's object encoding as OBJECT ENCODING and DEBUG OBJECT name it. */
export function objectEncoding(v: Value): string {
  if (typeof v === 'string') return isIntString(v) ? 'int' : v.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
  if (v instanceof RawString) return v.embstr ? 'embstr' : 'raw';
  return v.encoding?.() ?? CONTAINER_ENCODING[v.type];
}

/** objectComputeSize of a string value: int (robj only), embstr (one block), or raw (robj + sds). */
export function stringValueSize(v: string | RawString): number {
  if (typeof v === 'string') {
    const n = v.length;
    // A short value starting with neither a digit nor '-' cannot be an integer: the common case.
    if (n <= 20) {
      const c = v.charCodeAt(0);
      if ((c === 45 || (c >= 48 && c <= 57)) && isIntString(v)) return ROBJ;
    }
    if (n <= EMBSTR_LIMIT) return mallocSize(ROBJ + 3 + n + 1);
    return ROBJ + mallocSize(sdsHeader(n, false) + n + 1);
  }
  if (v.embstr) return mallocSize(ROBJ + 3 + v.length + 1);
  if (v.sdsType5) return ROBJ + mallocSize(1 + v.alloc + 1);
  return ROBJ + mallocSize(sdsTypeFor(v.alloc).hdr + v.alloc + 1);
}

/** Bytes of one listpack entry holding `s` (integers are stored in 1 to 9 bytes, strings with a length prefix). */
export function listpackEntry(s: string): number {
  const n = s.length;
  let size: number;
  if (n <= 20 && isIntString(s)) size = listpackIntBytes(Number(s));
  else size = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return size + backlenBytes(size);
}

/** Encoding + payload bytes of an integer listpack entry. */
function listpackIntBytes(v: number): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function backlenBytes(size: number): number {
  return size < 128 ? 1 : size < 16384 ? 2 : size < 2097152 ? 3 : size < 268435456 ? 4 : 5;
}

/**
 * A sorted-set score as a listpack entry: Redis writes it as text (d2string) and listpack stores
 * integral scores as integers. Other scores are counted as the typical 17-digit text.
 */
export function listpackScore(score: number): number {
  if (Number.isInteger(score) && Math.abs(score) < 2 ** 53) {
    const size = listpackIntBytes(score);
    return size + 1;
  }
  return 21;
}

/** dictSlots × sizeof(pointer): a dict's bucket array (a power of two ≥ size, at least 4). */
export function dictBuckets(size: number): number {
  let slots = 4;
  while (slots < size) slots *= 2;
  return 8 * slots;
}

/** The value's cost (Redis's objectComputeSize). O(1): containers keep their counters current. */
export function valueUsage(v: Value): number {
  if (typeof v === 'string' || v instanceof RawString) return stringValueSize(v);
  return v.memoryUsage();
}

/** The value's cost recomputed from its contents (the debug path that checks the counters). */
export function valueUsageFromScratch(v: Value): number {
  if (typeof v === 'string' || v instanceof RawString) return stringValueSize(v);
  return v.memoryUsageFromScratch();
}
