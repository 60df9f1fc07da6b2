import type { Client } from './client.js';
import type { CommandDef, ExtraSpec } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { INT64_MAX, INT64_MIN, integerArg, isKeyword, parseInt64, parseLong } from './args.js';
import { parseScanCursor, scanContainer } from './scan.js';
import { readTyped, writeTyped } from './lookup.js';
import { NOTIFY, notify } from './notifications.js';
import { parseRandomCount, pickRandom, randomReplyLength, type RandomSource } from './random.js';
import { Hash, trackFieldExpiry, type HashLimits } from '../engine/hash.js';
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
  const h = readTyped(c.db, key, Hash);
  return h !== undefined && h.hasFieldTtls ? live(c, key, h) : h;
}

/** The hash at `key` for a writing command, or undefined; WRONGTYPE for other types. */
function writeHash(c: Client, key: string): Hash | undefined {
  const h = writeTyped(c.db, key, Hash);
  return h !== undefined && h.hasFieldTtls ? live(c, key, h) : h;
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
  notify(c, NOTIFY.hash, 'hset', key);
  // HSET replies with the number of new fields, HMSET (the same handler in Redis) with OK.
  if (args[0].length === 4) c.reply.integer(created);
  else c.reply.status('OK');
}

function hsetnx(c: Client, args: string[]): void {
  const key = args[1];
  const h = hashForWrite(c, key);
  if (h.has(args[2])) {
    c.reply.integer(0);
    return;
  }
  // Redis checks the lengths only when it is about to add the field.
  const lim = hashLimits(c);
  h.tryConversion(args, 2, lim);
  h.set(args[2], args[3], lim);
  c.db.modified(key);
  notify(c, NOTIFY.hash, 'hset', key);
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
  if (deleted > 0) {
    c.db.modified(key);
    notify(c, NOTIFY.hash, 'hdel', key);
    if (h.size === 0) notify(c, NOTIFY.generic, 'del', key);
  }
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
  notify(c, NOTIFY.hash, 'hincrby', key);
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
  notify(c, NOTIFY.hash, 'hincrbyfloat', key);
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
  const { count, withValues } = parseRandomCount(args, 'withvalues');
  const h = readHash(c, args[1]);
  const r = c.reply;
  if (h === undefined || count === 0) {
    r.array(0);
    return;
  }
  const pairs = withValues && r.protocol === 3;
  const n = randomReplyLength(count, h.size);
  r.array(withValues && !pairs ? n * 2 : n);
  const emit = (v: string, f: string) => {
    if (pairs) r.array(2);
    r.bulk(f);
    if (withValues) r.bulk(v);
  };
  // Count at least the size: the whole hash, in its iteration order.
  if (count >= h.size) h.forEach(emit);
  else pickRandom(count, fieldSource(h), (f) => emit(h.get(f)!, f));
}

function fieldSource(h: Hash): RandomSource<string> {
  return {
    size: h.size,
    random: () => h.randomEntry()[0],
    all: () => {
      const fields: string[] = [];
      h.forEach((_, f) => fields.push(f));
      return fields;
    },
  };
}

// ---- HSCAN ------------------------------------------------------------------------------------

function hscan(c: Client, args: string[]): void {
  const cursor = parseScanCursor(args[2]);
  const h = readHash(c, args[1]);
  scanContainer(c, args, cursor, h && ((from, count, add) => h.scan(from, count, add)));
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
    const v = writeTyped(c.db, key, Hash);
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
    const h = v === undefined ? undefined : live(c, key, v);
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
      if (h.hasFieldTtls) trackFieldExpiry(c.db, key, h);
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
  const h = readTyped(c.db, key, Hash);
  return h === undefined ? undefined : live(c, key, h);
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
