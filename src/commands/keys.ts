import type { CommandDef } from './table.js';
import type { Client } from './client.js';
import { ERR } from './errors.js';
import { INT64_MAX, INT64_MIN, isKeyword, parseInt64, parseLong } from './args.js';
import { ReplyError } from './reply.js';
import { parseScanCursor, parseScanOptions, replyScan } from './scan.js';
import type { Database } from '../engine/database.js';
import { stringMatch } from '../engine/glob.js';
import { objectEncoding } from '../engine/memory.js';
import { cloneValue, typeOf, type Value } from '../engine/values.js';
import { NOTIFY, notify, notifyIn } from './notifications.js';
import { flushWithTracking } from './tracking.js';

/**
 * Generic keyspace commands (Redis's db.c, expire.c and object.c): existence, type, iteration,
 * renaming, copying between databases, flushing, OBJECT introspection, and TTLs.
 *
 * Lookups follow Redis's flavours: `read` counts a hit/miss and touches the key, `readNoTouch`
 * counts without touching (EXISTS, TYPE, TTL, OBJECT), `write` touches without counting.
 */

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** Below this magnitude an expire argument cannot overflow int64 however scaled or offset. */
const EXPIRE_FAST_LIMIT = 2 ** 43;
/** Redis shares string objects for the integers 0..9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;
/** OBJECT REFCOUNT of a shared object (OBJ_SHARED_REFCOUNT). */
const SHARED_REFCOUNT = 2147483647;

const ERR_INT_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';
const ERR_NX_CONFLICT = 'ERR NX and XX, GT or LT options at the same time are not compatible';
const ERR_GT_LT_CONFLICT = 'ERR GT and LT options at the same time are not compatible';
const ERR_FREQ_NO_LFU =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const ERR_IDLETIME_LFU =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** Encoding Redis 7.0 reports for a container that does not say (its large-size encoding). */
// ---- shared helpers --------------------------------------------------------------------------

/** lookupKeyReadWithFlags(LOOKUP_NOTOUCH): counts a hit or miss, leaves the access time alone. */
function readNoTouch(c: Client, key: string): Value | undefined {
  const ks = c.server.keyspace;
  const saved = ks.noTouch;
  ks.noTouch = true;
  const v = c.db.read(key);
  ks.noTouch = saved;
  return v;
}

/** getIntFromObjectOrReply: an int64 that must also fit a C int. `msg` replaces both errors. */
function intArg(s: string, msg?: string): number {
  const v = parseLong(s);
  if (v === null) throw new ReplyError(msg ?? ERR.notInteger);
  if (v < INT_MIN || v > INT_MAX) throw new ReplyError(msg ?? ERR_INT_RANGE);
  return v;
}

/** The database numbered by argument `s` (selectDb's range check). */
function dbArg(c: Client, s: string): Database {
  const id = intArg(s);
  const dbs = c.server.keyspace.dbs;
  if (id < 0 || id >= dbs.length) throw new ReplyError(ERR.dbIndexOutOfRange);
  return dbs[id];
}

function isLfuPolicy(c: Client): boolean {
  return c.server.config.typed.maxmemoryPolicy.endsWith('-lfu');
}

// ---- existence, type, deletion -----------------------------------------------------------------

function del(c: Client, args: string[]): void {
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    if (!c.db.delete(args[i])) continue;
    notify(c, NOTIFY.generic, 'del', args[i]);
    n++;
  }
  c.reply.integer(n);
}

// ---- KEYS and SCAN -------------------------------------------------------------------------------

function keys(c: Client, args: string[]): void {
  const pattern = args[1];
  // Exactly "*" skips matching (and so, as in Redis, also returns the empty key).
  const all = pattern === '*';
  const out: string[] = [];
  for (const key of c.db.keys()) if (all || stringMatch(pattern, key)) out.push(key);
  c.reply.array(out.length);
  for (const key of out) c.reply.bulk(key);
}

function scan(c: Client, args: string[]): void {
  const cursor = parseScanCursor(args[1]);
  const { count, pattern, type } = parseScanOptions(args, 2, true);
  const found: string[] = [];
  const stats = c.server.keyspace.stats;
  const next = c.db.scan(cursor, count, (key, value) => {
    if (pattern !== null && !stringMatch(pattern, key)) return;
    if (type !== null) {
      // Redis looks each candidate up to learn its type, which counts as a keyspace hit.
      stats.keyspaceHits++;
      if (typeOf(value) !== type) return;
    }
    found.push(key);
  });
  replyScan(c, next, found);
}

// ---- RENAME, COPY, MOVE ------------------------------------------------------------------------

function rename(c: Client, args: string[], nx: boolean): void {
  const db = c.db;
  const src = args[1];
  const dst = args[2];
  const value = db.write(src);
  if (value === undefined) throw new ReplyError(ERR.noSuchKey);
  if (src === dst) {
    if (nx) c.reply.integer(0);
    else c.reply.status('OK');
    return;
  }
  const expire = db.getExpire(src);
  const dstExists = db.write(dst) !== undefined;
  if (nx && dstExists) {
    c.reply.integer(0);
    return;
  }
  db.set(dst, value);
  if (expire !== -1) db.setExpire(dst, expire);
  db.delete(src);
  notify(c, NOTIFY.generic, 'rename_from', src);
  notify(c, NOTIFY.generic, 'rename_to', dst);
  if (nx) c.reply.integer(1);
  else c.reply.status('OK');
}

function copy(c: Client, args: string[]): void {
  const src = c.db;
  let dst = c.db;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    if (isKeyword(args[i], 'replace')) {
      replace = true;
    } else if (isKeyword(args[i], 'db') && i + 1 < args.length) {
      dst = dbArg(c, args[++i]);
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const key = args[1];
  const newKey = args[2];
  if (src === dst && key === newKey) throw new ReplyError(ERR.sameObject);
  const value = src.read(key);
  if (value === undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.write(newKey) !== undefined && !replace) {
    c.reply.integer(0);
    return;
  }
  dst.set(newKey, cloneValue(value));
  if (expire !== -1) dst.setExpire(newKey, expire);
  notifyIn(c, dst, NOTIFY.generic, 'copy_to', newKey);
  c.reply.integer(1);
}

function move(c: Client, args: string[]): void {
  const src = c.db;
  const dst = dbArg(c, args[2]);
  if (src === dst) throw new ReplyError(ERR.sameObject);
  const key = args[1];
  const value = src.write(key);
  if (value === undefined || dst.write(key) !== undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  dst.set(key, value);
  if (expire !== -1) dst.setExpire(key, expire);
  src.delete(key);
  notifyIn(c, src, NOTIFY.generic, 'move_from', key);
  notifyIn(c, dst, NOTIFY.generic, 'move_to', key);
  c.reply.integer(1);
}

// ---- databases ---------------------------------------------------------------------------------

/** FLUSHDB/FLUSHALL take an optional ASYNC or SYNC (both flush at once here). */
function checkFlushArgs(args: string[]): void {
  if (args.length > 2 || (args.length === 2 && !isKeyword(args[1], 'sync') && !isKeyword(args[1], 'async'))) {
    throw new ReplyError(ERR.syntax);
  }
}

function swapdb(c: Client, args: string[]): void {
  const a = intArg(args[1], 'ERR invalid first DB index');
  const b = intArg(args[2], 'ERR invalid second DB index');
  const n = c.server.keyspace.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) throw new ReplyError(ERR.dbIndexOutOfRange);
  if (a !== b) c.server.keyspace.swap(a, b);
  c.reply.status('OK');
}

// ---- OBJECT ------------------------------------------------------------------------------------

/** Redis stores SET's small non-negative integers as shared objects, unless LRU/LFU eviction is on. */
function objectRefcount(c: Client, v: Value): number {
  if (typeof v !== 'string' || v.length > 4 || parseInt64(v) === null) return 1;
  const n = Number(v);
  if (n < 0 || n >= SHARED_INTEGERS) return 1;
  const { maxmemory, maxmemoryPolicy } = c.server.config.typed;
  const noSharing = maxmemory !== 0 && (maxmemoryPolicy.includes('lru') || maxmemoryPolicy.includes('lfu'));
  return noSharing ? 1 : SHARED_REFCOUNT;
}

/** The key's value for OBJECT subcommands, or undefined after replying null. */
function objectLookup(c: Client, key: string): Value | undefined {
  // OBJECT counts a miss but sends no keymiss event (LOOKUP_NONOTIFY).
  const ks = c.server.keyspace;
  ks.noMissEvent = true;
  const v = readNoTouch(c, key);
  ks.noMissEvent = false;
  if (v === undefined) c.reply.bulk(null);
  return v;
}

// ---- expiry ------------------------------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT after the time argument. */
function expireFlags(args: string[]): number {
  let flags = 0;
  for (let i = 3; i < args.length; i++) {
    const opt = args[i];
    if (isKeyword(opt, 'nx')) flags |= EXPIRE_NX;
    else if (isKeyword(opt, 'xx')) flags |= EXPIRE_XX;
    else if (isKeyword(opt, 'gt')) flags |= EXPIRE_GT;
    else if (isKeyword(opt, 'lt')) flags |= EXPIRE_LT;
    // Redis formats the option with %s, which stops at a NUL byte.
    else throw new ReplyError(`ERR Unsupported option ${opt.split('\0', 1)[0]}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) throw new ReplyError(ERR_NX_CONFLICT);
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) throw new ReplyError(ERR_GT_LT_CONFLICT);
  return flags;
}

/**
 * The absolute expiry time (ms) for argument `arg` in `unitMs` units added to `base`, rejecting
 * what would overflow int64 exactly as Redis does.
 */
function expireTime(arg: string, unitMs: 1 | 1000, base: number, command: string): number {
  const n = parseLong(arg);
  if (n === null) throw new ReplyError(ERR.notInteger);
  if (n > -EXPIRE_FAST_LIMIT && n < EXPIRE_FAST_LIMIT) return n * unitMs + base;
  let when = parseInt64(arg)!;
  const unit = BigInt(unitMs);
  if (when > INT64_MAX / unit || when < INT64_MIN / unit) throw new ReplyError(ERR.invalidExpire(command));
  when *= unit;
  const b = BigInt(base);
  if (when > INT64_MAX - b) throw new ReplyError(ERR.invalidExpire(command));
  return Number(when + b);
}

function expireGeneric(c: Client, args: string[], command: string, unitMs: 1 | 1000, relative: boolean): void {
  const flags = expireFlags(args);
  const now = c.server.keyspace.now;
  const when = expireTime(args[2], unitMs, relative ? now : 0, command);
  const db = c.db;
  const key = args[1];
  if (db.write(key) === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0 && !expireAllowed(flags, when, db.getExpire(key))) {
    c.reply.integer(0);
    return;
  }
  // A time already past deletes the key (no expired-key event: it is a plain delete).
  if (when <= now) {
    db.delete(key);
    notify(c, NOTIFY.generic, 'del', key);
  } else {
    db.setExpire(key, when);
    notify(c, NOTIFY.generic, 'expire', key);
  }
  c.reply.integer(1);
}

/** NX/XX/GT/LT against the current expiry (-1 = none, which GT and LT treat as infinite). */
function expireAllowed(flags: number, when: number, current: number): boolean {
  if (flags & EXPIRE_NX && current !== -1) return false;
  if (flags & EXPIRE_XX && current === -1) return false;
  if (flags & EXPIRE_GT && (current === -1 || when <= current)) return false;
  if (flags & EXPIRE_LT && current !== -1 && when >= current) return false;
  return true;
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 without key, -1 without TTL. */
function ttlGeneric(c: Client, key: string, ms: boolean, absolute: boolean): void {
  if (readNoTouch(c, key) === undefined) {
    c.reply.integer(-2);
    return;
  }
  const expire = c.db.getExpire(key);
  if (expire === -1) {
    c.reply.integer(-1);
    return;
  }
  const t = Math.max(0, absolute ? expire : expire - c.server.keyspace.now);
  c.reply.integer(ms ? t : Math.floor((t + 500) / 1000));
}

export const keyCommands: CommandDef[] = [
  { name: 'del', handler: del },
  { name: 'unlink', handler: del },
  {
    name: 'exists',
    handler(c, args) {
      let n = 0;
      for (let i = 1; i < args.length; i++) if (readNoTouch(c, args[i]) !== undefined) n++;
      c.reply.integer(n);
    },
  },
  {
    name: 'type',
    handler(c, args) {
      const v = readNoTouch(c, args[1]);
      c.reply.status(v === undefined ? 'none' : typeOf(v));
    },
  },
  {
    name: 'touch',
    handler(c, args) {
      let n = 0;
      for (let i = 1; i < args.length; i++) if (c.db.read(args[i]) !== undefined) n++;
      c.reply.integer(n);
    },
  },
  { name: 'keys', handler: keys },
  { name: 'scan', handler: scan },
  {
    name: 'randomkey',
    handler(c) {
      c.reply.bulk(c.db.randomKey() ?? null);
    },
  },
  { name: 'rename', handler: (c, args) => rename(c, args, false) },
  { name: 'renamenx', handler: (c, args) => rename(c, args, true) },
  { name: 'copy', handler: copy },
  { name: 'move', handler: move },
  { name: 'swapdb', handler: swapdb },
  { name: 'dbsize', handler: (c) => c.reply.integer(c.db.size) },
  {
    name: 'flushdb',
    handler(c, args) {
      checkFlushArgs(args);
      flushWithTracking(c.server, () => {
        c.db.clear();
        c.server.keyspace.databaseChanged(c.db);
      });
      c.reply.status('OK');
    },
  },
  {
    name: 'flushall',
    handler(c, args) {
      checkFlushArgs(args);
      flushWithTracking(c.server, () => c.server.keyspace.flushAll());
      c.reply.status('OK');
    },
  },
  {
    name: 'object|help',
    handler(c) {
      c.reply.array(OBJECT_HELP.length);
      for (const line of OBJECT_HELP) c.reply.status(line);
    },
  },
  {
    name: 'object|encoding',
    handler(c, args) {
      const v = objectLookup(c, args[2]);
      if (v !== undefined) c.reply.bulk(objectEncoding(v));
    },
  },
  {
    name: 'object|refcount',
    handler(c, args) {
      const v = objectLookup(c, args[2]);
      if (v !== undefined) c.reply.integer(objectRefcount(c, v));
    },
  },
  {
    name: 'object|idletime',
    handler(c, args) {
      if (objectLookup(c, args[2]) === undefined) return;
      if (isLfuPolicy(c)) throw new ReplyError(ERR_IDLETIME_LFU);
      c.reply.integer(c.db.idleSeconds(args[2]));
    },
  },
  {
    name: 'object|freq',
    handler(c, args) {
      if (objectLookup(c, args[2]) === undefined) return;
      if (!isLfuPolicy(c)) throw new ReplyError(ERR_FREQ_NO_LFU);
      // Both LFU policies count every key (engine/eviction/lfu.ts), so a live key has a counter.
      c.reply.integer(c.db.frequency(args[2]));
    },
  },
  { name: 'expire', handler: (c, args) => expireGeneric(c, args, 'expire', 1000, true) },
  { name: 'pexpire', handler: (c, args) => expireGeneric(c, args, 'pexpire', 1, true) },
  { name: 'expireat', handler: (c, args) => expireGeneric(c, args, 'expireat', 1000, false) },
  { name: 'pexpireat', handler: (c, args) => expireGeneric(c, args, 'pexpireat', 1, false) },
  { name: 'ttl', handler: (c, args) => ttlGeneric(c, args[1], false, false) },
  { name: 'pttl', handler: (c, args) => ttlGeneric(c, args[1], true, false) },
  { name: 'expiretime', handler: (c, args) => ttlGeneric(c, args[1], false, true) },
  { name: 'pexpiretime', handler: (c, args) => ttlGeneric(c, args[1], true, true) },
  {
    name: 'persist',
    handler(c, args) {
      const done = c.db.write(args[1]) !== undefined && c.db.persist(args[1]);
      if (done) notify(c, NOTIFY.generic, 'persist', args[1]);
      c.reply.integer(done ? 1 : 0);
    },
  },
];
