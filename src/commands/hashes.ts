import type { Client } from './client.js';
import type { CommandDef, ExtraSpec } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { integerArg, isKeyword, parseInt64, parseLong } from './args.js';
import { Hash, trackFieldExpiry, type HashLimits } from '../engine/hash.js';
import { stringMatch } from '../engine/glob.js';
import { addLongDouble, formatLongDouble, parseLongDouble, type LongDouble } from '../engine/long-double.js';

// ---- lookups --------------------------------------------------------------------------------

/** Limits read from the config for each write to a listpack hash (reused, not reallocated). */
const limits: HashLimits = { maxEntries: 0, maxValue: 0 };

function hashLimits(c: Client): HashLimits {
  const t = c.server.config.typed;
  limits.maxEntries = t.hashMaxListpackEntries;
  limits.maxValue = t.hashMaxListpackValue;
  return limits;
}

function asHash(v: unknown): Hash {
  if (!(v instanceof Hash)) throw new ReplyError(ERR.wrongType);
  return v;
}

/**
 * Lazy field expiry: deletes the hash's due fields before a command sees it. Returns the hash,
 * or undefined if its last field expired (the key is then gone, as in Redis 7.4).
 */
function live(c: Client, key: string, h: Hash): Hash | undefined {
  const now = c.server.keyspace.now;
  if (h.nextFieldExpire() >= now) return h;
  h.expireFields(now);
  c.db.modified(key);
  return h.size === 0 ? undefined : h;
}

/** The hash at `key` for a reading command, or undefined; WRONGTYPE for other types. */
function readHash(c: Client, key: string): Hash | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  const h = asHash(v);
  return h.hasFieldTtls ? live(c, key, h) : h;
}

/** The hash at `key` for a writing command, or undefined; WRONGTYPE for other types. */
function writeHash(c: Client, key: string): Hash | undefined {
  const v = c.db.write(key);
  if (v === undefined) return undefined;
  const h = asHash(v);
  return h.hasFieldTtls ? live(c, key, h) : h;
}

/** Redis's hashTypeLookupWriteOrCreate: the hash at `key`, created (empty, stored) if missing. */
function hashForWrite(c: Client, key: string): Hash {
  let h = writeHash(c, key);
  if (h === undefined) {
    h = new Hash();
    c.db.set(key, h);
  }
  return h;
}

// ---- SCAN helpers (shared with SSCAN and ZSCAN) ----------------------------------------------

/**
 * Redis's parseScanCursorOrReply: strtoul over the whole argument (optional sign, digits, the
 * empty string is 0; a negative value wraps), no leading space, no overflow.
 */
export function parseScanCursor(s: string): number {
  const m = /^[+-]?(\d*)$/.exec(s);
  if (m === null || (m[1] === '' && s.length > 0)) throw new ReplyError('ERR invalid cursor');
  const digits = m[1] === '' ? '0' : m[1];
  const v = BigInt(digits);
  if (v > 0xffffffffffffffffn) throw new ReplyError('ERR invalid cursor');
  if (s.charCodeAt(0) === 45 && v !== 0n) return Number(0x10000000000000000n - v);
  return Number(v);
}

export interface ScanOptions {
  count: number;
  /** null when there is no MATCH or it is exactly "*". */
  pattern: string | null;
}

/** Parses [MATCH pattern] [COUNT count] from args[from..], as scanGenericCommand. */
export function parseScanOptions(args: string[], from: number): ScanOptions {
  let count = 10;
  let pattern: string | null = null;
  for (let i = from; i < args.length; i += 2) {
    const more = args.length - i >= 2;
    if (more && isKeyword(args[i], 'count')) {
      count = integerArg(args[i + 1]);
      if (count < 1) throw new ReplyError(ERR.syntax);
    } else if (more && isKeyword(args[i], 'match')) {
      pattern = args[i + 1] === '*' ? null : args[i + 1];
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return { count, pattern };
}

/** Writes a SCAN reply: [cursor, [elements…]]. */
export function replyScan(c: Client, cursor: number, items: string[]): void {
  c.reply.array(2);
  c.reply.bulk(String(cursor));
  c.reply.array(items.length);
  for (const s of items) c.reply.bulk(s);
}

// ---- plain hash commands ------------------------------------------------------------------------

function hset(c: Client, args: string[]): void {
  if (args.length % 2 === 1) throw new ReplyError(ERR.wrongArgs(args[0].toLowerCase()));
  const key = args[1];
  const h = hashForWrite(c, key);
  const lim = hashLimits(c);
  h.tryConversion(args, 2, lim);
  let created = 0;
  for (let i = 2; i < args.length; i += 2) if (h.set(args[i], args[i + 1], lim)) created++;
  c.db.modified(key);
  // HSET replies with the number of new fields, HMSET (the same handler in Redis) with OK.
  if (args[0].length === 4) c.reply.integer(created);
  else c.reply.status('OK');
}

function hsetnx(c: Client, args: string[]): void {
  const key = args[1];
  const h = hashForWrite(c, key);
  const lim = hashLimits(c);
  h.tryConversion(args, 2, lim);
  if (h.has(args[2])) {
    c.reply.integer(0);
    return;
  }
  h.set(args[2], args[3], lim);
  c.db.modified(key);
  c.reply.integer(1);
}

function hget(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  c.reply.bulk(h === undefined ? null : (h.get(args[2]) ?? null));
}

function hmget(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  c.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) c.reply.bulk(h === undefined ? null : (h.get(args[i]) ?? null));
}

function hdel(c: Client, args: string[]): void {
  const key = args[1];
  const h = writeHash(c, key);
  if (h === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < args.length; i++) {
    if (h.delete(args[i])) {
      deleted++;
      if (h.size === 0) break;
    }
  }
  if (deleted > 0) c.db.modified(key);
  c.reply.integer(deleted);
}

function hlen(c: Client, args: string[]): void {
  c.reply.integer(readHash(c, args[1])?.size ?? 0);
}

function hstrlen(c: Client, args: string[]): void {
  c.reply.integer(readHash(c, args[1])?.get(args[2])?.length ?? 0);
}

function hexists(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  c.reply.integer(h !== undefined && h.has(args[2]) ? 1 : 0);
}

function hgetall(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  const r = c.reply;
  if (h === undefined) {
    r.map(0);
    return;
  }
  r.map(h.size);
  h.forEach((v, f) => {
    r.bulk(f);
    r.bulk(v);
  });
}

function hkeys(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  const r = c.reply;
  r.array(h?.size ?? 0);
  h?.forEach((_, f) => r.bulk(f));
}

function hvals(c: Client, args: string[]): void {
  const h = readHash(c, args[1]);
  const r = c.reply;
  r.array(h?.size ?? 0);
  h?.forEach((v) => r.bulk(v));
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function hincrby(c: Client, args: string[]): void {
  const incr = parseInt64(args[3]);
  if (incr === null) throw new ReplyError(ERR.notInteger);
  const key = args[1];
  const h = hashForWrite(c, key);
  const old = h.get(args[2]);
  let value = 0n;
  if (old !== undefined) {
    const parsed = parseInt64(old);
    if (parsed === null) throw new ReplyError('ERR hash value is not an integer');
    value = parsed;
  }
  const sum = value + incr;
  if (sum > INT64_MAX || sum < INT64_MIN) throw new ReplyError(ERR.overflow);
  h.setKeepTtl(args[2], sum.toString(), hashLimits(c));
  c.db.modified(key);
  c.reply.integer(sum);
}

function hincrbyfloat(c: Client, args: string[]): void {
  const incr = parseLongDouble(args[3]);
  if (incr === null) throw new ReplyError(ERR.notFloat);
  if (typeof incr === 'string') throw new ReplyError('ERR value is NaN or Infinity');
  const key = args[1];
  const h = hashForWrite(c, key);
  const old = h.get(args[2]);
  let value: LongDouble = ZERO;
  if (old !== undefined) {
    const parsed = parseLongDouble(old);
    if (parsed === null) throw new ReplyError('ERR hash value is not a float');
    if (typeof parsed === 'string') throw new ReplyError('ERR increment would produce NaN or Infinity');
    value = parsed;
  }
  const sum = addLongDouble(value, incr);
  if (sum === null) throw new ReplyError('ERR increment would produce NaN or Infinity');
  const text = formatLongDouble(sum);
  h.setKeepTtl(args[2], text, hashLimits(c));
  c.db.modified(key);
  c.reply.bulk(text);
}
const ZERO: LongDouble = { neg: false, m: 0n, e: 0 };

// ---- HRANDFIELD -----------------------------------------------------------------------------

function hrandfield(c: Client, args: string[]): void {
  if (args.length === 2) {
    const h = readHash(c, args[1]);
    c.reply.bulk(h === undefined ? null : h.randomEntry()[0]);
    return;
  }
  const l = rangeLong(args[2]);
  let withValues = false;
  if (args.length > 4 || (args.length === 4 && !isKeyword(args[3], 'withvalues'))) throw new ReplyError(ERR.syntax);
  if (args.length === 4) {
    withValues = true;
    // Twice the count must fit a long (RESP2 replies field and value).
    const big = BigInt(args[2]);
    if (big < -HALF_LONG_MAX || big > HALF_LONG_MAX) throw new ReplyError('ERR value is out of range');
  }
  const h = readHash(c, args[1]);
  const r = c.reply;
  if (h === undefined) {
    r.array(0);
    return;
  }
  const unique = l >= 0;
  const count = Math.abs(l);
  if (count === 0) {
    r.array(0);
    return;
  }
  const pairs = withValues && r.protocol === 3;
  const header = (n: number) => r.array(withValues && !pairs ? n * 2 : n);
  const emit = (f: string, v: string) => {
    if (pairs) r.array(2);
    r.bulk(f);
    if (withValues) r.bulk(v);
  };
  // Negative count (or 1): independent draws, repetitions allowed.
  if (!unique || count === 1) {
    header(count);
    for (let i = 0; i < count; i++) {
      const [f, v] = h.randomEntry();
      emit(f, v);
    }
    return;
  }
  // Count at least the size: the whole hash, in its iteration order.
  if (count >= h.size) {
    header(h.size);
    h.forEach((v, f) => emit(f, v));
    return;
  }
  header(count);
  for (const f of sampleFields(h, count)) emit(f, h.get(f)!);
}

/** `count` distinct random fields (count < size), as a set. */
function sampleFields(h: Hash, count: number): Set<string> {
  const picked = new Set<string>();
  if (count * 3 > h.size) {
    // Close to the whole hash: drop random fields from a copy of all of them (Redis's CASE 3).
    const all: string[] = [];
    h.forEach((_, f) => all.push(f));
    for (let i = all.length - 1; i > 0; i--) {
      const j = (Math.random() * (i + 1)) | 0;
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    for (let i = 0; i < count; i++) picked.add(all[i]);
    return picked;
  }
  while (picked.size < count) picked.add(h.randomEntry()[0]);
  return picked;
}

const LONG_MAX = 2n ** 63n - 1n;
const HALF_LONG_MAX = LONG_MAX / 2n;

/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) with Redis's default messages. */
export function rangeLong(s: string): number {
  const v = parseInt64(s);
  if (v === null) throw new ReplyError(ERR.notInteger);
  if (v < -LONG_MAX) throw new ReplyError(`ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`);
  return Number(v);
}

// ---- HSCAN ------------------------------------------------------------------------------------

function hscan(c: Client, args: string[]): void {
  const cursor = parseScanCursor(args[2]);
  const h = readHash(c, args[1]);
  if (h === undefined) {
    replyScan(c, 0, []);
    return;
  }
  const { count, pattern } = parseScanOptions(args, 3);
  const items: string[] = [];
  const next = h.scan(cursor, count, (f, v) => {
    if (pattern === null || stringMatch(pattern, f)) items.push(f, v);
  });
  replyScan(c, next, items);
}

// ---- per-field expiry (Redis 7.4) ---------------------------------------------------------------

/** Redis 7.4's HFE_MAX_ABS_TIME_MSEC: EB_EXPIRE_TIME_MAX ((1<<48)-1) >> 2. */
const HFE_MAX_ABS_TIME_MSEC = Math.floor((2 ** 48 - 1) / 4);

/** Parses `FIELDS numfields field…` at args[at-1..]; returns the index of the first field. */
function parseFields(args: string[], at: number, countError: string): number {
  if (!isKeyword(args[at - 1], 'fields')) {
    throw new ReplyError('ERR Mandatory argument FIELDS is missing or not at the right position');
  }
  const n = parseLong(args[at]);
  if (n === null || n < 1) throw new ReplyError(countError);
  if (n !== args.length - at - 1) throw new ReplyError('ERR The `numfields` parameter must match the number of arguments');
  return at + 1;
}

const NO_FIELD = -2;
/** HEXPIRE's family words the count error differently from HTTL's and HPERSIST's. */
const SET_COUNT_ERROR = 'ERR Parameter `numFields` should be greater than 0';
const GET_COUNT_ERROR = 'ERR Number of fields must be a positive integer';

/** HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT (t_hash.c hexpireGenericCommand). */
function hexpireGeneric(relative: boolean, seconds: boolean) {
  return (c: Client, args: string[]): void => {
    const key = args[1];
    const v = c.db.write(key);
    if (v !== undefined) asHash(v);
    let expire = integerArg(args[2]);
    const name = args[0].toLowerCase();
    if (expire < 0) throw new ReplyError('ERR invalid expire time, must be >= 0');
    if (seconds) {
      if (expire > HFE_MAX_ABS_TIME_MSEC / 1000) throw new ReplyError(ERR.invalidExpire(name));
      expire *= 1000;
    }
    const now = c.server.keyspace.now;
    const base = relative ? now : 0;
    if (expire > HFE_MAX_ABS_TIME_MSEC - base) throw new ReplyError(ERR.invalidExpire(name));
    expire += base;
    let at = 4;
    const cond = args[3].toLowerCase();
    const hasCond = cond === 'nx' || cond === 'xx' || cond === 'gt' || cond === 'lt';
    if (hasCond) at++;
    const first = parseFields(args, at, SET_COUNT_ERROR);
    const h = v === undefined ? undefined : live(c, key, v as Hash);
    const r = c.reply;
    r.array(args.length - first);
    if (h === undefined) {
      for (let i = first; i < args.length; i++) r.integer(NO_FIELD);
      return;
    }
    let changed = false;
    for (let i = first; i < args.length; i++) {
      const field = args[i];
      if (!h.has(field)) {
        r.integer(NO_FIELD);
        continue;
      }
      const prev = h.fieldExpire(field);
      if (hasCond && !conditionMet(cond, prev, expire)) {
        r.integer(0);
        continue;
      }
      changed = true;
      if (expire <= now) {
        h.delete(field);
        r.integer(2);
      } else {
        h.setFieldExpire(field, expire);
        r.integer(1);
      }
    }
    if (changed) {
      if (h.hasFieldTtls) trackFieldExpiry(c.db, key);
      c.db.modified(key);
    }
  };
}

/** NX/XX/GT/LT against the field's current expiry (-1 = none, which counts as infinite). */
function conditionMet(cond: string, prev: number, expire: number): boolean {
  if (prev === -1) return cond === 'nx' || cond === 'lt';
  if (cond === 'gt') return expire > prev;
  if (cond === 'lt') return expire < prev;
  return cond === 'xx';
}

type TtlUnit = 'ttl' | 'pttl' | 'expiretime' | 'pexpiretime';

/** HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME (t_hash.c httlGenericCommand). */
function httlGeneric(unit: TtlUnit) {
  return (c: Client, args: string[]): void => {
    const h = readHashRaw(c, args[1]);
    const first = parseFields(args, 3, GET_COUNT_ERROR);
    const r = c.reply;
    r.array(args.length - first);
    const now = c.server.keyspace.now;
    for (let i = first; i < args.length; i++) {
      const field = args[i];
      if (h === undefined || !h.has(field)) {
        r.integer(NO_FIELD);
        continue;
      }
      const when = h.fieldExpire(field);
      if (when === -1) r.integer(-1);
      else if (unit === 'ttl') r.integer(Math.floor((when + 999 - now) / 1000));
      else if (unit === 'pttl') r.integer(when - now);
      else if (unit === 'expiretime') r.integer(Math.floor((when + 999) / 1000));
      else r.integer(when);
    }
  };
}

/** Hash for a command that type-checks before parsing its arguments, with due fields expired. */
function readHashRaw(c: Client, key: string): Hash | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  return live(c, key, asHash(v));
}

function hpersist(c: Client, args: string[]): void {
  const key = args[1];
  const h = readHashRaw(c, key);
  const first = parseFields(args, 3, GET_COUNT_ERROR);
  const r = c.reply;
  r.array(args.length - first);
  let changed = false;
  for (let i = first; i < args.length; i++) {
    const field = args[i];
    if (h === undefined || !h.has(field)) r.integer(NO_FIELD);
    else if (h.persistField(field)) {
      changed = true;
      r.integer(1);
    } else r.integer(-1);
  }
  if (changed) c.db.modified(key);
}

function extra(arity: number, write: boolean, summary: string): ExtraSpec {
  return {
    arity,
    flags: [write ? 'write' : 'readonly', 'fast'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'hash',
    summary,
    since: '7.4.0',
    complexity: 'O(N) where N is the number of specified fields',
    aclCategories: [write ? '@write' : '@read', '@hash', '@fast'],
  };
}

/** Hash commands (t_hash.c), with Redis 7.4's per-field expiry. */
export const hashCommands: CommandDef[] = [
  { name: 'hset', handler: hset },
  { name: 'hmset', handler: hset },
  { name: 'hsetnx', handler: hsetnx },
  { name: 'hget', handler: hget },
  { name: 'hmget', handler: hmget },
  { name: 'hdel', handler: hdel },
  { name: 'hlen', handler: hlen },
  { name: 'hstrlen', handler: hstrlen },
  { name: 'hexists', handler: hexists },
  { name: 'hgetall', handler: hgetall },
  { name: 'hkeys', handler: hkeys },
  { name: 'hvals', handler: hvals },
  { name: 'hincrby', handler: hincrby },
  { name: 'hincrbyfloat', handler: hincrbyfloat },
  { name: 'hrandfield', handler: hrandfield },
  { name: 'hscan', handler: hscan },
  { name: 'hexpire', handler: hexpireGeneric(true, true), extra: extra(-6, true, 'Set expiry for hash field using relative time to expire (seconds)') },
  { name: 'hpexpire', handler: hexpireGeneric(true, false), extra: extra(-6, true, 'Set expiry for hash field using relative time to expire (milliseconds)') },
  { name: 'hexpireat', handler: hexpireGeneric(false, true), extra: extra(-6, true, 'Set expiry for hash field using an absolute Unix timestamp (seconds)') },
  { name: 'hpexpireat', handler: hexpireGeneric(false, false), extra: extra(-6, true, 'Set expiry for hash field using an absolute Unix timestamp (milliseconds)') },
  { name: 'httl', handler: httlGeneric('ttl'), extra: extra(-5, false, "Returns the TTL in seconds of a hash field.") },
  { name: 'hpttl', handler: httlGeneric('pttl'), extra: extra(-5, false, "Returns the TTL in milliseconds of a hash field.") },
  { name: 'hexpiretime', handler: httlGeneric('expiretime'), extra: extra(-5, false, 'Returns the expiration time of a hash field as a Unix timestamp, in seconds.') },
  { name: 'hpexpiretime', handler: httlGeneric('pexpiretime'), extra: extra(-5, false, 'Returns the expiration time of a hash field as a Unix timestamp, in msec.') },
  { name: 'hpersist', handler: hpersist, extra: extra(-5, true, 'Removes the expiration time for each specified field') },
];
