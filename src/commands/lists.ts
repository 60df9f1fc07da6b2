import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { integerArg, isKeyword, parseLong } from './args.js';
import { List } from '../engine/list.js';
import { readTyped, writeTyped } from './lookup.js';
import { mpopKeys, parseMpop } from './numkeys.js';
import type { Database } from '../engine/database.js';
import { NOTIFY, notify, notifyIn } from './notifications.js';

// ---- lookups --------------------------------------------------------------------------------

function readList(c: Client, key: string): List | undefined {
  return readTyped(c.db, key, List);
}

export function writeList(db: Database, key: string): List | undefined {
  return writeTyped(db, key, List);
}

/** LEFT → true (head), RIGHT → false (tail), anything else a syntax error. */
export function parseEnd(arg: string): boolean {
  if (isKeyword(arg, 'left')) return true;
  if (isKeyword(arg, 'right')) return false;
  throw new ReplyError(ERR.syntax);
}

/** Pushes `value` onto `key` in `db`, creating the list if needed (Redis's lmoveHandlePush). */
function pushTo(db: Database, key: string, list: List | undefined, value: string, front: boolean): void {
  if (list === undefined) {
    list = new List();
    db.set(key, list);
  }
  list.push(value, front);
  db.modified(key);
}

/**
 * Pops up to `count` elements from one end of a non-empty list and replies [key, [elements]]
 * (LMPOP/BLMPOP). Deletes the key when the list empties.
 */
export function popRangeWithKey(c: Client, db: Database, key: string, list: List, front: boolean, count: number): void {
  const n = Math.min(count, list.size);
  const r = c.reply;
  r.array(2);
  r.bulk(key);
  r.array(n);
  for (let i = 0; i < n; i++) r.bulk(list.pop(front)!);
  db.modified(key);
  notifyPopped(c, db, key, list, front);
}

/** The pop event of a list command, and `del` if the pop emptied (and so deleted) the list. */
export function notifyPopped(c: Client, db: Database, key: string, list: List, front: boolean): void {
  notifyIn(c, db, NOTIFY.list, front ? 'lpop' : 'rpop', key);
  if (list.size === 0) notifyIn(c, db, NOTIFY.generic, 'del', key);
}

/**
 * The LMOVE step once both keys are checked: pops from `src`, pushes onto `dst` and replies
 * with the element. `dstList` is looked up before the pop, so moving within one list works.
 */
export function moveElement(c: Client, db: Database, src: string, srcList: List, dst: string, dstList: List | undefined, from: boolean, to: boolean): void {
  const value = srcList.pop(from)!;
  pushTo(db, dst, dstList, value, to);
  if (src !== dst) db.modified(src);
  notifyIn(c, db, NOTIFY.list, to ? 'lpush' : 'rpush', dst);
  notifyPopped(c, db, src, srcList, from);
  c.reply.bulk(value);
}

// ---- push -----------------------------------------------------------------------------------

function pushGeneric(c: Client, args: string[], front: boolean, onlyExisting: boolean): void {
  const key = args[1];
  let list = writeList(c.db, key);
  if (list === undefined) {
    if (onlyExisting) {
      c.reply.integer(0);
      return;
    }
    list = new List();
    c.db.set(key, list);
  }
  for (let i = 2; i < args.length; i++) list.push(args[i], front);
  c.db.modified(key);
  notify(c, NOTIFY.list, front ? 'lpush' : 'rpush', key);
  c.reply.integer(list.size);
}

// ---- pop ------------------------------------------------------------------------------------

function popGeneric(c: Client, args: string[], front: boolean): void {
  if (args.length > 3) throw new ReplyError(ERR.wrongArgs(args[0].toLowerCase()));
  const hasCount = args.length === 3;
  let count = 0;
  if (hasCount) {
    const n = parseLong(args[2]);
    if (n === null || n < 0) throw new ReplyError(ERR.positive('value'));
    count = n;
  }
  const key = args[1];
  const list = writeList(c.db, key);
  const r = c.reply;
  if (list === undefined) {
    if (hasCount) r.nullArray();
    else r.bulk(null);
    return;
  }
  if (!hasCount) {
    r.bulk(list.pop(front)!);
  } else {
    const n = Math.min(count, list.size);
    r.array(n);
    for (let i = 0; i < n; i++) r.bulk(list.pop(front)!);
    if (n === 0) return;
  }
  c.db.modified(key);
  notifyPopped(c, c.db, key, list, front);
}

function lmpop(c: Client, args: string[]): void {
  const spec = parseMpop(args, 1, parseEnd);
  for (let i = 0; i < spec.keys.length; i++) {
    const key = spec.keys[i];
    const list = writeList(c.db, key);
    if (list !== undefined) {
      popRangeWithKey(c, c.db, key, list, spec.front, spec.count);
      return;
    }
  }
  c.reply.nullArray();
}

// ---- reads ----------------------------------------------------------------------------------

function llen(c: Client, args: string[]): void {
  const list = readList(c, args[1]);
  c.reply.integer(list === undefined ? 0 : list.size);
}

function lindex(c: Client, args: string[]): void {
  // Redis looks the key up first: a missing key or wrong type beats a bad index.
  const list = readList(c, args[1]);
  if (list === undefined) {
    c.reply.bulk(null);
    return;
  }
  const index = integerArg(args[2]);
  const i = index < 0 ? list.size + index : index;
  c.reply.bulk(i >= 0 && i < list.size ? list.at(i) : null);
}

function lrange(c: Client, args: string[]): void {
  let start = integerArg(args[2]);
  let end = integerArg(args[3]);
  const list = readList(c, args[1]);
  const r = c.reply;
  if (list === undefined) {
    r.array(0);
    return;
  }
  const n = list.size;
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) {
    r.array(0);
    return;
  }
  if (end >= n) end = n - 1;
  r.array(end - start + 1);
  for (let i = start; i <= end; i++) r.bulk(list.at(i));
}

const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const LLONG_MIN = '-9223372036854775808';

function lpos(c: Client, args: string[]): void {
  let rank = 1;
  let wrapped = false;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j];
    const more = j + 1 < args.length;
    if (more && isKeyword(opt, 'rank')) {
      rank = integerArg(args[++j]);
      if (rank === 0) throw new ReplyError(RANK_ZERO);
      wrapped = args[j] === LLONG_MIN;
    } else if (more && isKeyword(opt, 'count')) {
      count = nonNegative(args[++j], "ERR COUNT can't be negative");
    } else if (more && isKeyword(opt, 'maxlen')) {
      maxlen = nonNegative(args[++j], "ERR MAXLEN can't be negative");
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const list = readList(c, args[1]);
  const r = c.reply;
  if (list === undefined) {
    if (count !== -1) r.array(0);
    else r.bulk(null);
    return;
  }
  const matches = findMatches(list, args[2], rank, wrapped, count === -1 ? 1 : count, maxlen);
  if (count === -1) {
    if (matches.length === 0) r.bulk(null);
    else r.integer(matches[0]);
  } else {
    r.array(matches.length);
    for (const m of matches) r.integer(m);
  }
}

/**
 * Indexes of matches of `value` as LPOS finds them: skip |rank|-1 matches, scanning from the tail
 * for a negative rank, stop after `count` (0 = all) or after `maxlen` elements (0 = all).
 * Redis negates the rank in C, so RANK LLONG_MIN (`wrapped`) stays negative: it scans from the tail, skips
 * nothing and its count check overflows, returning every match.
 */
function findMatches(list: List, value: string, rank: number, wrapped: boolean, count: number, maxlen: number): number[] {
  const n = list.size;
  const fromTail = rank < 0;
  const skip = wrapped ? 0 : Math.abs(rank) - 1;
  const limit = wrapped || count === 0 ? Infinity : count;
  const out: number[] = [];
  let seen = 0;
  for (let k = 0; k < n && (maxlen === 0 || k < maxlen); k++) {
    const i = fromTail ? n - 1 - k : k;
    if (list.at(i) !== value) continue;
    if (++seen <= skip) continue;
    out.push(i);
    if (out.length >= limit) break;
  }
  return out;
}

function nonNegative(arg: string, message: string): number {
  const n = parseLong(arg);
  if (n === null || n < 0) throw new ReplyError(message);
  return n;
}

// ---- in-place edits -------------------------------------------------------------------------

function lset(c: Client, args: string[]): void {
  const key = args[1];
  const list = writeList(c.db, key);
  if (list === undefined) throw new ReplyError(ERR.noSuchKey);
  const index = integerArg(args[2]);
  const i = index < 0 ? list.size + index : index;
  if (i < 0 || i >= list.size) throw new ReplyError(ERR.outOfRange);
  list.setAt(i, args[3]);
  c.db.modified(key);
  notify(c, NOTIFY.list, 'lset', key);
  c.reply.status('OK');
}

function linsert(c: Client, args: string[]): void {
  let after: boolean;
  if (isKeyword(args[2], 'after')) after = true;
  else if (isKeyword(args[2], 'before')) after = false;
  else throw new ReplyError(ERR.syntax);
  const key = args[1];
  const list = writeList(c.db, key);
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const i = list.indexOf(args[3]);
  if (i === -1) {
    c.reply.integer(-1);
    return;
  }
  list.insertAt(after ? i + 1 : i, args[4]);
  c.db.modified(key);
  notify(c, NOTIFY.list, 'linsert', key);
  c.reply.integer(list.size);
}

function lrem(c: Client, args: string[]): void {
  const count = integerArg(args[2]);
  const key = args[1];
  const list = writeList(c.db, key);
  if (list === undefined) {
    c.reply.integer(0);
    return;
  }
  const removed = list.remove(args[3], Math.abs(count), count < 0);
  if (removed > 0) {
    c.db.modified(key);
    notify(c, NOTIFY.list, 'lrem', key);
    if (list.size === 0) notify(c, NOTIFY.generic, 'del', key);
  }
  c.reply.integer(removed);
}

function ltrim(c: Client, args: string[]): void {
  let start = integerArg(args[2]);
  let end = integerArg(args[3]);
  const key = args[1];
  const list = writeList(c.db, key);
  if (list === undefined) {
    c.reply.status('OK');
    return;
  }
  const n = list.size;
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) list.trim(1, 0);
  else list.trim(start, Math.min(end, n - 1));
  if (list.size !== n) c.db.modified(key);
  notify(c, NOTIFY.list, 'ltrim', key);
  if (list.size === 0) notify(c, NOTIFY.generic, 'del', key);
  c.reply.status('OK');
}

// ---- moves ----------------------------------------------------------------------------------

function lmoveGeneric(c: Client, src: string, dst: string, from: boolean, to: boolean): void {
  const srcList = writeList(c.db, src);
  if (srcList === undefined) {
    c.reply.bulk(null);
    return;
  }
  const dstList = writeList(c.db, dst);
  moveElement(c, c.db, src, srcList, dst, dstList, from, to);
}

function lmove(c: Client, args: string[]): void {
  const from = parseEnd(args[3]);
  const to = parseEnd(args[4]);
  lmoveGeneric(c, args[1], args[2], from, to);
}

function rpoplpush(c: Client, args: string[]): void {
  lmoveGeneric(c, args[1], args[2], false, true);
}

export const listCommands: CommandDef[] = [
  { name: 'lpush', handler: (c, a) => pushGeneric(c, a, true, false) },
  { name: 'rpush', handler: (c, a) => pushGeneric(c, a, false, false) },
  { name: 'lpushx', handler: (c, a) => pushGeneric(c, a, true, true) },
  { name: 'rpushx', handler: (c, a) => pushGeneric(c, a, false, true) },
  { name: 'lpop', handler: (c, a) => popGeneric(c, a, true) },
  { name: 'rpop', handler: (c, a) => popGeneric(c, a, false) },
  { name: 'lmpop', handler: lmpop, keys: mpopKeys(1) },
  { name: 'llen', handler: llen },
  { name: 'lindex', handler: lindex },
  { name: 'lrange', handler: lrange },
  { name: 'lpos', handler: lpos },
  { name: 'lset', handler: lset },
  { name: 'linsert', handler: linsert },
  { name: 'lrem', handler: lrem },
  { name: 'ltrim', handler: ltrim },
  { name: 'lmove', handler: lmove },
  { name: 'rpoplpush', handler: rpoplpush },
];
