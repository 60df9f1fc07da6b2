import type { CommandDef } from './table.js';
import type { Client } from './client.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { INT64_MAX, INT64_MIN, isKeyword, parseInt64, parseLong } from './args.js';
import { RawString, isString, type StringValue, type Value } from '../engine/values.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../engine/long-double.js';
import { bitpos, bitposInByte, bitsInByte, popcount } from '../engine/bits.js';
import { isIntString, objectEncoding, sdsStoredRawAlloc } from '../engine/memory.js';
import { NOTIFY, notify } from './notifications.js';

/** String and bitmap commands, as Redis 7.0's t_string.c and bitops.c. */

/** The writer keeps large Buffers by reference until the batch is flushed; copy those from mutable strings. */
const COPY_REPLY_FROM = 1024;

const E = {
  decrOverflow: 'ERR decrement would overflow',
  nanOrInf: 'ERR increment would produce NaN or Infinity',
  tooBig: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  offsetRange: 'ERR offset is out of range',
  bitOffset: 'ERR bit offset is not an integer or out of range',
  bitValue: 'ERR bit is not an integer or out of range',
  bitArg: 'ERR The bit argument must be 1 or 0.',
  bitopNot: 'ERR BITOP NOT must be called with a single source key.',
  lcsTypes: 'ERR The specified keys must contain string values',
  lcsLenIdx: 'ERR If you want both the length and indexes, please just use IDX.',
  lcsMemory: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
} as const;

// ---- value access ------------------------------------------------------------------------------

/** The string at `v`, or throws WRONGTYPE; undefined stays undefined. */
function asString(v: Value | undefined): StringValue | undefined {
  if (v !== undefined && !isString(v)) throw new ReplyError(ERR.wrongType);
  return v;
}

function replyString(c: Client, v: StringValue): void {
  if (typeof v === 'string') c.reply.bulk(v);
  else c.reply.bulk(v.length < COPY_REPLY_FROM ? v.bytes() : Buffer.from(v.bytes()));
}

/** getGenericCommand: replies with the value (or null); throws WRONGTYPE. Returns the value. */
function replyGet(c: Client, key: string): StringValue | undefined {
  const v = asString(c.db.read(key));
  if (v === undefined) c.reply.bulk(null);
  else replyString(c, v);
  return v;
}

/** The bytes [start, end] of a string value, without copying a RawString. */
function rangeBytes(v: StringValue, start: number, end: number): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v.substring(start, end + 1), 'latin1');
  return v.buf.subarray(start, end + 1);
}

function byteAt(v: StringValue, i: number): number {
  return typeof v === 'string' ? v.charCodeAt(i) : v.buf[i];
}

/**
 * dbUnshareStringValue, then sdsgrowzero to `size` bytes: the key's value as a mutable RawString
 * of at least `size` bytes, stored under the key (TTL kept) and accounted at its new size. A plain
 * string or an embstr becomes a raw string of its own first, as in Redis.
 */
function unshare(c: Client, key: string, v: StringValue, size: number): RawString {
  if (typeof v !== 'string' && !v.embstr) {
    v.grow(size);
    c.db.modified(key);
    return v;
  }
  const raw = RawString.from(typeof v === 'string' ? v : v.toString(), Math.max(0, size - v.length));
  // Redis edits a raw string value in place, with the room SET left it; others get a fresh sds.
  if (typeof v === 'string' && objectEncoding(v) === 'raw') raw.alloc = sdsStoredRawAlloc(v.length);
  raw.grow(size);
  c.db.set(key, raw, true);
  return raw;
}

/** checkStringLength: the result of growing a `size`-byte string by `append` must fit proto-max-bulk-len. */
function checkStringLength(c: Client, size: number, append: number): void {
  if (size + append > c.server.config.typed.protoMaxBulkLen) throw new ReplyError(E.tooBig);
}

/** string2ll as a number when it fits a double exactly, else as a bigint; null if not an integer. */
function parseInteger(s: string): number | bigint | null {
  return s.length < 16 ? parseLong(s) : parseInt64(s);
}

// ---- SET family ----------------------------------------------------------------------------------

const NX = 1 << 0;
const XX = 1 << 1;
const EX = 1 << 2;
const PX = 1 << 3;
const KEEPTTL = 1 << 4;
const GET = 1 << 5;
const EXAT = 1 << 6;
const PXAT = 1 << 7;
const PERSIST = 1 << 8;

interface StringOptions {
  flags: number;
  /** The EX/PX/EXAT/PXAT argument, if any. */
  expire: string | null;
}

/**
 * parseExtendedStringArgumentsOrReply: SET takes NX XX GET KEEPTTL and one expiry; GETEX takes
 * PERSIST and one expiry. A conflicting or unknown option is a syntax error (repeating the same
 * option is allowed, as in Redis).
 */
function parseStringOptions(args: string[], from: number, forSet: boolean): StringOptions {
  let flags = 0;
  let expire: string | null = null;
  for (let j = from; j < args.length; j++) {
    const opt = args[j].length <= 7 ? args[j].toLowerCase() : '';
    const hasNext = j < args.length - 1;
    if (opt === 'nx' && forSet && !(flags & XX)) flags |= NX;
    else if (opt === 'xx' && forSet && !(flags & NX)) flags |= XX;
    else if (opt === 'get' && forSet) flags |= GET;
    else if (opt === 'keepttl' && forSet && !(flags & (PERSIST | EX | EXAT | PX | PXAT))) flags |= KEEPTTL;
    else if (opt === 'persist' && !forSet && !(flags & (EX | EXAT | PX | PXAT | KEEPTTL))) flags |= PERSIST;
    else if (opt === 'ex' && hasNext && !(flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT))) {
      flags |= EX;
      expire = args[++j];
    } else if (opt === 'px' && hasNext && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT))) {
      flags |= PX;
      expire = args[++j];
    } else if (opt === 'exat' && hasNext && !(flags & (KEEPTTL | PERSIST | EX | PX | PXAT))) {
      flags |= EXAT;
      expire = args[++j];
    } else if (opt === 'pxat' && hasNext && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PX))) {
      flags |= PXAT;
      expire = args[++j];
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return { flags, expire };
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry time in ms for an EX/PX/EXAT/PXAT argument.
 * Non-positive values, and values whose conversion to absolute ms overflows int64, are
 * "invalid expire time in '<cmd>' command".
 */
function expireTime(c: Client, arg: string, flags: number, cmd: string): number {
  const seconds = (flags & (EX | EXAT)) !== 0;
  const relative = (flags & (EX | PX)) !== 0;
  const now = c.server.keyspace.now;
  if (arg.length < 13) {
    // Below 10^12: every step stays an exact double and far from int64 overflow.
    const v = parseLong(arg);
    if (v === null) throw new ReplyError(ERR.notInteger);
    if (v <= 0) throw new ReplyError(ERR.invalidExpire(cmd));
    return (seconds ? v * 1000 : v) + (relative ? now : 0);
  }
  const v = parseInt64(arg);
  if (v === null) throw new ReplyError(ERR.notInteger);
  if (v <= 0n || (seconds && v > INT64_MAX / 1000n)) throw new ReplyError(ERR.invalidExpire(cmd));
  const ms = (seconds ? v * 1000n : v) + (relative ? BigInt(now) : 0n);
  if (ms > INT64_MAX) throw new ReplyError(ERR.invalidExpire(cmd));
  return Number(ms);
}

/**
 * setGenericCommand. With GET it replies with the old value; otherwise the caller replies
 * according to the returned outcome (true: set, false: NX/XX condition not met).
 */
function setGeneric(c: Client, key: string, value: string, flags: number, expire: string | null, cmd: string): boolean {
  const when = expire === null ? 0 : expireTime(c, expire, flags, cmd);
  if (flags & GET) replyGet(c, key);
  const found = c.db.write(key) !== undefined;
  if ((flags & NX && found) || (flags & XX && !found)) return false;
  c.db.set(key, value, (flags & KEEPTTL) !== 0 || expire !== null);
  notify(c, NOTIFY.string, 'set', key);
  if (expire !== null) {
    c.db.setExpire(key, when);
    notify(c, NOTIFY.generic, 'expire', key);
  }
  return true;
}

function setCommand(c: Client, args: string[]): void {
  if (args.length === 3) {
    c.db.set(args[1], args[2]);
    notify(c, NOTIFY.string, 'set', args[1]);
    c.reply.status('OK');
    return;
  }
  const { flags, expire } = parseStringOptions(args, 3, true);
  const done = setGeneric(c, args[1], args[2], flags, expire, 'set');
  if (flags & GET) return;
  if (done) c.reply.status('OK');
  else c.reply.bulk(null);
}

function getexCommand(c: Client, args: string[]): void {
  const { flags, expire } = parseStringOptions(args, 2, false);
  const key = args[1];
  const v = asString(c.db.read(key));
  if (v === undefined) {
    c.reply.bulk(null);
    return;
  }
  const when = expire === null ? 0 : expireTime(c, expire, flags, 'getex');
  replyString(c, v);
  if (flags & (EXAT | PXAT) && when <= c.server.keyspace.now) {
    c.db.delete(key);
    notify(c, NOTIFY.generic, 'del', key);
  } else if (expire !== null) {
    c.db.setExpire(key, when);
    notify(c, NOTIFY.generic, 'expire', key);
  } else if (flags & PERSIST && c.db.persist(key)) {
    notify(c, NOTIFY.generic, 'persist', key);
  }
}

function msetGeneric(c: Client, args: string[], nx: boolean): void {
  if (args.length % 2 === 0) throw new ReplyError(ERR.wrongArgs(nx ? 'msetnx' : 'mset'));
  if (nx) {
    for (let j = 1; j < args.length; j += 2) {
      if (c.db.write(args[j]) !== undefined) {
        c.reply.integer(0);
        return;
      }
    }
  }
  for (let j = 1; j < args.length; j += 2) {
    c.db.set(args[j], args[j + 1]);
    notify(c, NOTIFY.string, 'set', args[j]);
  }
  if (nx) c.reply.integer(1);
  else c.reply.status('OK');
}

// ---- counters ---------------------------------------------------------------------------------

/** incrDecrCommand: exact over all of int64; plain double arithmetic while it stays exact. */
function incrDecr(c: Client, key: string, incr: number | bigint): void {
  const v = asString(c.db.write(key));
  let current: number | bigint = 0;
  if (v !== undefined) {
    const parsed = v.length > 20 ? null : parseInteger(typeof v === 'string' ? v : v.toString());
    if (parsed === null) throw new ReplyError(ERR.notInteger);
    current = parsed;
  }
  if (typeof current === 'number' && typeof incr === 'number') {
    const sum = current + incr;
    if (Number.isSafeInteger(sum)) {
      c.db.set(key, String(sum), true);
      notify(c, NOTIFY.string, 'incrby', key);
      c.reply.integer(sum);
      return;
    }
  }
  const sum = BigInt(current) + BigInt(incr);
  if (sum > INT64_MAX || sum < INT64_MIN) throw new ReplyError(ERR.overflow);
  c.db.set(key, sum.toString(), true);
  notify(c, NOTIFY.string, 'incrby', key);
  c.reply.integer(sum);
}

function incrementArg(s: string): number | bigint {
  const n = parseInteger(s);
  if (n === null) throw new ReplyError(ERR.notInteger);
  return n;
}

function decrbyCommand(c: Client, args: string[]): void {
  const n = incrementArg(args[2]);
  if (n === INT64_MIN) throw new ReplyError(E.decrOverflow);
  incrDecr(c, args[1], -n);
}

/** Redis's MAX_LONG_DOUBLE_CHARS: a longer value cannot be a float. */
const MAX_FLOAT_CHARS = 5 * 1024;

/** incrbyfloatCommand: long double arithmetic (see engine/long-double.ts), TTL kept. */
function incrbyfloatCommand(c: Client, args: string[]): void {
  const key = args[1];
  const v = asString(c.db.write(key));
  if (v !== undefined && v.length >= MAX_FLOAT_CHARS) throw new ReplyError(ERR.notFloat);
  const current = v === undefined ? '0' : typeof v === 'string' ? v : v.toString();
  const text = integerSum(current, args[2]) ?? floatSum(current, args[2]);
  // Redis stores the result as an embstr (createStringObjectFromLongDouble), even "11": no int encoding.
  c.db.set(key, isIntString(text) ? RawString.embedded(text) : text, true);
  notify(c, NOTIFY.string, 'incrbyfloat', key);
  c.reply.bulk(text);
}

/** Fast path: two small integers add exactly in a double and print the same as a long double. */
function integerSum(a: string, b: string): string | null {
  if (a.length >= 16 || b.length >= 16) return null;
  const x = parseLong(a);
  const y = x === null ? null : parseLong(b);
  return y === null ? null : String(x! + y);
}

function floatSum(a: string, b: string): string {
  const x = parseLongDouble(a);
  if (x === null) throw new ReplyError(ERR.notFloat);
  const y = parseLongDouble(b);
  if (y === null) throw new ReplyError(ERR.notFloat);
  // An infinite operand makes the sum infinite or NaN.
  if (typeof x === 'string' || typeof y === 'string') throw new ReplyError(E.nanOrInf);
  const sum = addLongDouble(x, y);
  if (sum === null) throw new ReplyError(E.nanOrInf);
  return formatLongDouble(sum);
}

// ---- editing in place -------------------------------------------------------------------------

function appendCommand(c: Client, args: string[]): void {
  const key = args[1];
  const add = args[2];
  const v = asString(c.db.write(key));
  if (v === undefined) {
    c.db.set(key, add);
    notify(c, NOTIFY.string, 'append', key);
    c.reply.integer(add.length);
    return;
  }
  checkStringLength(c, v.length, add.length);
  const at = v.length;
  const raw = unshare(c, key, v, at + add.length);
  raw.buf.latin1Write(add, at);
  notify(c, NOTIFY.string, 'append', key);
  c.reply.integer(raw.length);
}

function setrangeCommand(c: Client, args: string[]): void {
  const key = args[1];
  const offset = parseLong(args[2]);
  if (offset === null) throw new ReplyError(ERR.notInteger);
  if (offset < 0) throw new ReplyError(E.offsetRange);
  const value = args[3];
  const v = asString(c.db.write(key));
  if (value.length === 0) {
    c.reply.integer(v === undefined ? 0 : v.length);
    return;
  }
  checkStringLength(c, offset, value.length);
  const size = offset + value.length;
  let raw: RawString;
  if (v === undefined) {
    raw = new RawString(Buffer.alloc(size), size);
    c.db.set(key, raw);
  } else {
    raw = unshare(c, key, v, size);
  }
  raw.buf.latin1Write(value, offset);
  notify(c, NOTIFY.string, 'setrange', key);
  c.reply.integer(raw.length);
}

function getrangeCommand(c: Client, args: string[]): void {
  let start = parseLong(args[2]);
  if (start === null) throw new ReplyError(ERR.notInteger);
  let end = parseLong(args[3]);
  if (end === null) throw new ReplyError(ERR.notInteger);
  const v = asString(c.db.read(args[1]));
  if (v === undefined) {
    c.reply.bulk('');
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.reply.bulk('');
    return;
  }
  if (start < 0) start = Math.max(0, len + start);
  if (end < 0) end = Math.max(0, len + end);
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulk('');
  else if (typeof v === 'string') c.reply.bulk(v.substring(start, end + 1));
  else c.reply.bulk(Buffer.from(v.buf.subarray(start, end + 1)));
}

// ---- bitmaps --------------------------------------------------------------------------------

/** getBitOffsetFromArgument: a bit offset whose byte lies within proto-max-bulk-len. */
function bitOffsetArg(c: Client, arg: string): number {
  const offset = parseLong(arg);
  if (offset === null || offset < 0 || Math.floor(offset / 8) >= c.server.config.typed.protoMaxBulkLen) {
    throw new ReplyError(E.bitOffset);
  }
  return offset;
}

function setbitCommand(c: Client, args: string[]): void {
  const key = args[1];
  const offset = bitOffsetArg(c, args[2]);
  const on = parseLong(args[3]);
  if (on !== 0 && on !== 1) throw new ReplyError(E.bitValue);
  const raw = growForBits(c, key, offset);
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  const old = raw.buf[byte] & mask;
  raw.buf[byte] = on ? raw.buf[byte] | mask : raw.buf[byte] & ~mask;
  notify(c, NOTIFY.string, 'setbit', key);
  c.reply.integer(old ? 1 : 0);
}

function getbitCommand(c: Client, args: string[]): void {
  const offset = bitOffsetArg(c, args[2]);
  const v = asString(c.db.read(args[1]));
  const byte = Math.floor(offset / 8);
  if (v === undefined || byte >= v.length) {
    c.reply.integer(0);
    return;
  }
  c.reply.integer((byteAt(v, byte) >> (7 - (offset % 8))) & 1);
}

/** A BYTE|BIT range argument; anything else is a syntax error. */
function isBitUnit(arg: string): boolean {
  if (isKeyword(arg, 'bit')) return true;
  if (isKeyword(arg, 'byte')) return false;
  throw new ReplyError(ERR.syntax);
}

/**
 * The byte range [start, end] a BITCOUNT/BITPOS range selects (negative indexes from the end,
 * clamped), with masks of the bits outside a BIT range in its first and last byte.
 */
interface BitRange {
  start: number;
  end: number;
  firstMask: number;
  lastMask: number;
}

function bitRange(start: number, end: number, len: number, isBit: boolean): BitRange {
  const total = isBit ? len * 8 : len;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isBit && start <= end) {
    firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
    lastMask = (1 << (7 - (end % 8))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  return { start, end, firstMask, lastMask };
}

function bitcountCommand(c: Client, args: string[]): void {
  const v = asString(c.db.read(args[1]));
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  const len = v.length;
  let range: BitRange;
  if (args.length === 4 || args.length === 5) {
    const start = parseLong(args[2]);
    if (start === null) throw new ReplyError(ERR.notInteger);
    const end = parseLong(args[3]);
    if (end === null) throw new ReplyError(ERR.notInteger);
    if (start < 0 && end < 0 && start > end) {
      c.reply.integer(0);
      return;
    }
    range = bitRange(start, end, len, args.length === 5 && isBitUnit(args[4]));
  } else if (args.length === 2) {
    range = { start: 0, end: len - 1, firstMask: 0, lastMask: 0 };
  } else {
    throw new ReplyError(ERR.syntax);
  }
  const { start, end, firstMask, lastMask } = range;
  if (start > end) {
    c.reply.integer(0);
    return;
  }
  const bytes = rangeBytes(v, start, end);
  let count = popcount(bytes, 0, bytes.length);
  // Bits of the edge bytes that lie outside a BIT range were counted: take them out.
  count -= bitsInByte(bytes[0] & firstMask) + bitsInByte(bytes[bytes.length - 1] & lastMask);
  c.reply.integer(count);
}

function bitposCommand(c: Client, args: string[]): void {
  const bitArg = parseLong(args[2]);
  if (bitArg === null) throw new ReplyError(ERR.notInteger);
  if (bitArg !== 0 && bitArg !== 1) throw new ReplyError(E.bitArg);
  const bit = bitArg;
  const v = asString(c.db.read(args[1]));
  // A missing key is an infinite run of zero bits.
  if (v === undefined) {
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  const len = v.length;
  let range: BitRange;
  let endGiven = false;
  const argc = args.length;
  if (argc >= 4 && argc <= 6) {
    const start = parseLong(args[3]);
    if (start === null) throw new ReplyError(ERR.notInteger);
    const isBit = argc === 6 && isBitUnit(args[5]);
    let end: number;
    if (argc >= 5) {
      const e = parseLong(args[4]);
      if (e === null) throw new ReplyError(ERR.notInteger);
      end = e;
      endGiven = true;
    } else {
      end = isBit ? len * 8 + 7 : len - 1;
    }
    range = bitRange(start, end, len, isBit);
  } else if (argc === 3) {
    range = { start: 0, end: len - 1, firstMask: 0, lastMask: 0 };
  } else {
    throw new ReplyError(ERR.syntax);
  }
  if (range.start > range.end) {
    c.reply.integer(-1);
    return;
  }
  c.reply.integer(bitposInRange(rangeBytes(v, range.start, range.end), range, bit, endGiven));
}

/** The search of bitposCommand over the selected bytes (bytes[0] is byte `range.start`). */
function bitposInRange(p: Uint8Array, range: BitRange, bit: 0 | 1, endGiven: boolean): number {
  const { firstMask, lastMask } = range;
  let start = range.start;
  let at = 0;
  let bytes = p.length;
  let pos: number;
  search: {
    if (firstMask) {
      let b = bit ? p[0] & ~firstMask : p[0] | firstMask;
      if (lastMask && bytes === 1) b = bit ? b & ~lastMask : b | lastMask;
      pos = bitposInByte(b, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break search;
      start++;
      at++;
      bytes--;
    }
    const whole = bytes - (lastMask ? 1 : 0);
    if (whole > 0) {
      pos = bitpos(p, at, whole, bit);
      if (bytes === whole || (pos !== -1 && pos !== whole * 8)) break search;
      start += whole;
      at += whole;
      bytes -= whole;
    }
    const b = bit ? p[p.length - 1] & ~lastMask : p[p.length - 1] | lastMask;
    pos = bitposInByte(b, bit);
  }
  // With an explicit end, zero bits past the range do not count as found.
  if (endGiven && bit === 0 && pos === bytes * 8) return -1;
  return pos === -1 ? -1 : pos + start * 8;
}

function bitopCommand(c: Client, args: string[]): void {
  const op = args[1].toLowerCase();
  if (op !== 'and' && op !== 'or' && op !== 'xor' && op !== 'not') throw new ReplyError(ERR.syntax);
  if (op === 'not' && args.length !== 4) throw new ReplyError(E.bitopNot);
  const sources: Uint8Array[] = [];
  let maxLen = 0;
  for (let j = 3; j < args.length; j++) {
    const v = asString(c.db.read(args[j]));
    const bytes = v === undefined || v.length === 0 ? EMPTY : rangeBytes(v, 0, v.length - 1);
    sources.push(bytes);
    if (bytes.length > maxLen) maxLen = bytes.length;
  }
  const target = args[2];
  if (maxLen === 0) {
    if (c.db.delete(target)) notify(c, NOTIFY.generic, 'del', target);
    c.reply.integer(0);
    return;
  }
  const res = Buffer.alloc(maxLen);
  const first = sources[0];
  res.set(first);
  if (op === 'not') {
    for (let i = 0; i < maxLen; i++) res[i] = ~res[i];
  } else {
    for (let k = 1; k < sources.length; k++) {
      const src = sources[k];
      const n = src.length;
      if (op === 'and') {
        for (let i = 0; i < n; i++) res[i] &= src[i];
        res.fill(0, n);
      } else if (op === 'or') {
        for (let i = 0; i < n; i++) res[i] |= src[i];
      } else {
        for (let i = 0; i < n; i++) res[i] ^= src[i];
      }
    }
  }
  c.db.set(target, new RawString(res, maxLen));
  notify(c, NOTIFY.string, 'set', target);
  c.reply.integer(maxLen);
}
const EMPTY = new Uint8Array(0);

// ---- BITFIELD ------------------------------------------------------------------------------

const BITFIELD_TYPE_ERROR = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
type Overflow = 'wrap' | 'sat' | 'fail';

interface BitfieldOp {
  kind: 'get' | 'set' | 'incrby';
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

/** getBitfieldTypeFromArgument: i1..i64 or u1..u63 (the sign letter is case-sensitive). */
function bitfieldType(arg: string): { signed: boolean; bits: number } {
  const sign = arg.charCodeAt(0);
  const bits = sign === 105 || sign === 117 ? parseLong(arg.slice(1)) : null; // 'i' | 'u'
  if (bits === null || bits < 1 || bits > (sign === 105 ? 64 : 63)) throw new ReplyError(BITFIELD_TYPE_ERROR);
  return { signed: sign === 105, bits };
}

/** A BITFIELD offset: a bit offset, or "#n" for n times the type width. */
function bitfieldOffset(c: Client, arg: string, bits: number): number {
  if (arg.charCodeAt(0) !== 35) return bitOffsetArg(c, arg); // '#'
  const n = parseLong(arg.slice(1));
  if (n === null) throw new ReplyError(E.bitOffset);
  return bitOffsetArg(c, String(n * bits));
}

function parseBitfield(c: Client, args: string[]): BitfieldOp[] {
  const ops: BitfieldOp[] = [];
  let overflow: Overflow = 'wrap';
  for (let j = 2; j < args.length; j++) {
    const rest = args.length - j - 1;
    const name = args[j].toLowerCase();
    if (name === 'overflow' && rest >= 1) {
      const o = args[++j].toLowerCase();
      if (o !== 'wrap' && o !== 'sat' && o !== 'fail') throw new ReplyError('ERR Invalid OVERFLOW type specified');
      overflow = o;
      continue;
    }
    if (!((name === 'get' && rest >= 2) || ((name === 'set' || name === 'incrby') && rest >= 3))) throw new ReplyError(ERR.syntax);
    const { signed, bits } = bitfieldType(args[j + 1]);
    const offset = bitfieldOffset(c, args[j + 2], bits);
    let value = 0n;
    if (name !== 'get') {
      const v = parseInt64(args[j + 3]);
      if (v === null) throw new ReplyError(ERR.notInteger);
      value = v;
    }
    ops.push({ kind: name, signed, bits, offset, value, overflow });
    j += name === 'get' ? 2 : 3;
  }
  return ops;
}

/** The `bits`-bit field at bit `offset` (most significant bit first), zero past the end. */
function readField(v: StringValue | undefined, offset: number, bits: number, signed: boolean): bigint {
  let x = 0n;
  const len = v === undefined ? 0 : v.length;
  for (let i = 0; i < bits; i++, offset++) {
    const byte = Math.floor(offset / 8);
    const bit = byte < len ? (byteAt(v!, byte) >> (7 - (offset % 8))) & 1 : 0;
    x = (x << 1n) | BigInt(bit);
  }
  return signed ? BigInt.asIntN(bits, x) : x;
}

function writeField(raw: RawString, offset: number, bits: number, value: bigint): void {
  const buf = raw.buf;
  for (let i = bits - 1; i >= 0; i--, offset++) {
    const byte = Math.floor(offset / 8);
    const mask = 1 << (7 - (offset % 8));
    if ((value >> BigInt(i)) & 1n) buf[byte] |= mask;
    else buf[byte] &= ~mask;
  }
}

/**
 * check(Un)signedBitfieldOverflow on exact sums: null when `sum` fits, else the wrapped or
 * saturated value, or 'fail'. An unsigned SET of a negative number counts as too big (C reads it
 * as a huge uint64), which saturates to the maximum.
 */
function fitField(sum: bigint, op: BitfieldOp): bigint | null | 'fail' {
  const { bits, signed } = op;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -max - 1n : 0n;
  const tooBig = sum > max || (!signed && op.kind === 'set' && sum < 0n);
  if (!tooBig && sum >= min) return null;
  if (op.overflow === 'fail') return 'fail';
  if (op.overflow === 'sat') return tooBig ? max : min;
  return signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum);
}

function bitfieldGeneric(c: Client, args: string[], readOnly: boolean): void {
  const key = args[1];
  const ops = parseBitfield(c, args);
  let writes = false;
  let highest = 0;
  for (const op of ops) {
    if (op.kind === 'get') continue;
    writes = true;
    highest = Math.max(highest, op.offset + op.bits - 1);
  }
  let v: StringValue | undefined;
  let raw: RawString | null = null;
  if (!writes) {
    v = asString(c.db.read(key));
  } else {
    if (readOnly) throw new ReplyError('ERR BITFIELD_RO only supports the GET subcommand');
    raw = growForBits(c, key, highest);
    v = raw;
  }
  c.reply.array(ops.length);
  let changes = 0;
  for (const op of ops) {
    const old = readField(v, op.offset, op.bits, op.signed);
    if (op.kind === 'get') {
      c.reply.integer(old);
      continue;
    }
    const target = op.kind === 'set' ? op.value : old + op.value;
    const fitted = fitField(target, op);
    if (fitted === 'fail') {
      c.reply.bulk(null);
      continue;
    }
    const next = fitted ?? target;
    writeField(raw!, op.offset, op.bits, next);
    changes++;
    c.reply.integer(op.kind === 'set' ? old : next);
  }
  if (changes > 0) notify(c, NOTIFY.string, 'setbit', key);
}

/** lookupStringForBitCommand: the key's string as a RawString long enough to hold bit `maxBit`. */
function growForBits(c: Client, key: string, maxBit: number): RawString {
  const v = asString(c.db.write(key));
  const size = Math.floor(maxBit / 8) + 1;
  if (v === undefined) {
    const raw = new RawString(Buffer.alloc(size), size);
    c.db.set(key, raw);
    return raw;
  }
  return unshare(c, key, v, size);
}

// ---- LCS --------------------------------------------------------------------------------------

function lcsCommand(c: Client, args: string[]): void {
  const va = c.db.read(args[1]);
  const vb = c.db.read(args[2]);
  if ((va !== undefined && !isString(va)) || (vb !== undefined && !isString(vb))) throw new ReplyError(E.lcsTypes);
  const a = va === undefined ? '' : typeof va === 'string' ? va : va.toString();
  const b = vb === undefined ? '' : typeof vb === 'string' ? vb : vb.toString();
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j];
    if (isKeyword(opt, 'idx')) getIdx = true;
    else if (isKeyword(opt, 'len')) getLen = true;
    else if (isKeyword(opt, 'withmatchlen')) withMatchLen = true;
    else if (isKeyword(opt, 'minmatchlen') && j < args.length - 1) {
      const n = parseLong(args[++j]);
      if (n === null) throw new ReplyError(ERR.notInteger);
      minMatchLen = Math.max(0, n);
    } else throw new ReplyError(ERR.syntax);
  }
  if (getLen && getIdx) throw new ReplyError(E.lcsLenIdx);
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > c.server.config.typed.protoMaxBulkLen) throw new ReplyError(E.lcsMemory);
  const table = lcsTable(a, b);
  const width = blen + 1;
  const total = table[alen * width + blen];
  if (getLen) {
    c.reply.integer(total);
    return;
  }
  const { text, matches } = lcsWalk(a, b, table, total, minMatchLen);
  if (!getIdx) {
    c.reply.bulk(text);
    return;
  }
  c.reply.map(2);
  c.reply.bulk('matches');
  c.reply.array(matches.length / 4);
  for (let k = 0; k < matches.length; k += 4) {
    c.reply.array(withMatchLen ? 3 : 2);
    c.reply.array(2);
    c.reply.integer(matches[k]);
    c.reply.integer(matches[k + 1]);
    c.reply.array(2);
    c.reply.integer(matches[k + 2]);
    c.reply.integer(matches[k + 3]);
    if (withMatchLen) c.reply.integer(matches[k + 1] - matches[k] + 1);
  }
  c.reply.bulk('len');
  c.reply.integer(total);
}

/** The dynamic-programming table: LCS length of a[0, i) and b[0, j) at i*(blen+1)+j. */
function lcsTable(a: string, b: string): Uint32Array {
  const alen = a.length;
  const width = b.length + 1;
  const t = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const prev = row - width;
    for (let j = 1; j < width; j++) {
      if (ca === b.charCodeAt(j - 1)) t[row + j] = t[prev + j - 1] + 1;
      else {
        const up = t[prev + j];
        const left = t[row + j - 1];
        t[row + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

/**
 * Walks the table back from the end as Redis does, building the LCS string and the matching
 * ranges (aStart, aEnd, bStart, bEnd flattened), longest-last-first, filtered by `minMatchLen`.
 */
function lcsWalk(a: string, b: string, t: Uint32Array, total: number, minMatchLen: number): { text: string; matches: number[] } {
  const width = b.length + 1;
  const out = new Array<string>(total);
  const matches: number[] = [];
  const alen = a.length;
  let idx = total;
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = b.length;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      out[--idx] = a[i - 1];
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (t[(i - 1) * width + j] > t[i * width + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      if (minMatchLen === 0 || aEnd - aStart + 1 >= minMatchLen) matches.push(aStart, aEnd, bStart, bEnd);
      aStart = alen;
    }
  }
  return { text: out.join(''), matches };
}

// ---- table ----------------------------------------------------------------------------------

export const stringCommands: CommandDef[] = [
  { name: 'get', handler: (c, args) => void replyGet(c, args[1]) },
  { name: 'set', handler: setCommand },
  {
    name: 'setnx',
    handler: (c, args) => c.reply.integer(setGeneric(c, args[1], args[2], NX, null, 'setnx') ? 1 : 0),
  },
  {
    name: 'setex',
    handler(c, args) {
      setGeneric(c, args[1], args[3], EX, args[2], 'setex');
      c.reply.status('OK');
    },
  },
  {
    name: 'psetex',
    handler(c, args) {
      setGeneric(c, args[1], args[3], PX, args[2], 'psetex');
      c.reply.status('OK');
    },
  },
  { name: 'getex', handler: getexCommand },
  {
    name: 'getdel',
    handler(c, args) {
      if (replyGet(c, args[1]) !== undefined) {
        c.db.delete(args[1]);
        notify(c, NOTIFY.generic, 'del', args[1]);
      }
    },
  },
  {
    name: 'getset',
    handler(c, args) {
      replyGet(c, args[1]);
      c.db.set(args[1], args[2]);
      notify(c, NOTIFY.string, 'set', args[1]);
    },
  },
  {
    name: 'mget',
    handler(c, args) {
      c.reply.array(args.length - 1);
      for (let j = 1; j < args.length; j++) {
        const v = c.db.read(args[j]);
        if (v === undefined || !isString(v)) c.reply.bulk(null);
        else replyString(c, v);
      }
    },
  },
  { name: 'mset', handler: (c, args) => msetGeneric(c, args, false) },
  { name: 'msetnx', handler: (c, args) => msetGeneric(c, args, true) },
  { name: 'append', handler: appendCommand },
  {
    name: 'strlen',
    handler(c, args) {
      const v = asString(c.db.read(args[1]));
      c.reply.integer(v === undefined ? 0 : v.length);
    },
  },
  { name: 'getrange', handler: getrangeCommand },
  { name: 'substr', handler: getrangeCommand },
  { name: 'setrange', handler: setrangeCommand },
  { name: 'incr', handler: (c, args) => incrDecr(c, args[1], 1) },
  { name: 'decr', handler: (c, args) => incrDecr(c, args[1], -1) },
  { name: 'incrby', handler: (c, args) => incrDecr(c, args[1], incrementArg(args[2])) },
  { name: 'decrby', handler: decrbyCommand },
  { name: 'incrbyfloat', handler: incrbyfloatCommand },
  { name: 'lcs', handler: lcsCommand },
  { name: 'setbit', handler: setbitCommand },
  { name: 'getbit', handler: getbitCommand },
  { name: 'bitcount', handler: bitcountCommand },
  { name: 'bitpos', handler: bitposCommand },
  { name: 'bitop', handler: bitopCommand },
  { name: 'bitfield', handler: (c, args) => bitfieldGeneric(c, args, false) },
  { name: 'bitfield_ro', handler: (c, args) => bitfieldGeneric(c, args, true) },
];
