import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { isKeyword, parseInt64, parseLong } from './args.js';
import { RedisSet } from '../engine/set.js';
import { parseScanCursor, scanContainer } from './scan.js';
import { readTyped, typed, writeTyped } from './lookup.js';
import { numkeysKeys } from './numkeys.js';
import { NOTIFY, notify, storeResult } from './notifications.js';
import { parseRandomCount, pickRandom, randomReplyLength } from './random.js';

// ---- lookups --------------------------------------------------------------------------------

function readSet(c: Client, key: string): RedisSet | undefined {
  return readTyped(c.db, key, RedisSet);
}

function writeSet(c: Client, key: string): RedisSet | undefined {
  return writeTyped(c.db, key, RedisSet);
}

function maxIntset(c: Client): number {
  return c.server.config.typed.setMaxIntsetEntries;
}

/** Replies with a set's members (an intset in numeric order), as a RESP3 set. */
function replyMembers(c: Client, s: RedisSet | undefined): void {
  const r = c.reply;
  if (s === undefined) {
    r.set(0);
    return;
  }
  r.set(s.size);
  s.forEach((m) => r.bulk(m));
}

// ---- single-set commands --------------------------------------------------------------------

function sadd(c: Client, args: string[]): void {
  const key = args[1];
  let s = writeSet(c, key);
  if (s === undefined) {
    s = RedisSet.forMember(args[2]);
    c.db.set(key, s);
  }
  const max = maxIntset(c);
  let added = 0;
  for (let i = 2; i < args.length; i++) if (s.add(args[i], max)) added++;
  if (added > 0) {
    c.db.modified(key);
    notify(c, NOTIFY.set, 'sadd', key);
  }
  c.reply.integer(added);
}

function srem(c: Client, args: string[]): void {
  const key = args[1];
  const s = writeSet(c, key);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < args.length; i++) {
    if (s.delete(args[i])) {
      removed++;
      if (s.size === 0) break;
    }
  }
  if (removed > 0) {
    c.db.modified(key);
    notify(c, NOTIFY.set, 'srem', key);
    if (s.size === 0) notify(c, NOTIFY.generic, 'del', key);
  }
  c.reply.integer(removed);
}

function sismember(c: Client, args: string[]): void {
  const s = readSet(c, args[1]);
  c.reply.integer(s !== undefined && s.has(args[2]) ? 1 : 0);
}

function smismember(c: Client, args: string[]): void {
  const s = readSet(c, args[1]);
  c.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) c.reply.integer(s !== undefined && s.has(args[i]) ? 1 : 0);
}

function scard(c: Client, args: string[]): void {
  c.reply.integer(readSet(c, args[1])?.size ?? 0);
}

function smembers(c: Client, args: string[]): void {
  replyMembers(c, readSet(c, args[1]));
}

function smove(c: Client, args: string[]): void {
  const [, src, dst, member] = args;
  const fromValue = c.db.write(src);
  const toValue = c.db.write(dst);
  if (fromValue === undefined) {
    c.reply.integer(0);
    return;
  }
  const fromSet = typed(fromValue, RedisSet)!;
  const toSet = typed(toValue, RedisSet);
  if (fromSet === toSet) {
    c.reply.integer(fromSet.has(member) ? 1 : 0);
    return;
  }
  if (!fromSet.delete(member)) {
    c.reply.integer(0);
    return;
  }
  c.db.modified(src);
  notify(c, NOTIFY.set, 'srem', src);
  if (fromSet.size === 0) notify(c, NOTIFY.generic, 'del', src);
  let target = toSet;
  if (target === undefined) {
    target = RedisSet.forMember(member);
    c.db.set(dst, target);
  }
  if (target.add(member, maxIntset(c))) {
    c.db.modified(dst);
    notify(c, NOTIFY.set, 'sadd', dst);
  }
  c.reply.integer(1);
}

// ---- random members -----------------------------------------------------------------------------

function spop(c: Client, args: string[]): void {
  if (args.length === 3) {
    spopCount(c, args);
    return;
  }
  if (args.length > 3) throw new ReplyError(ERR.syntax);
  const key = args[1];
  const s = writeSet(c, key);
  if (s === undefined) {
    c.reply.bulk(null);
    return;
  }
  const m = s.random();
  s.delete(m);
  c.db.modified(key);
  notifySpop(c, key, s);
  c.reply.bulk(m);
}

function spopCount(c: Client, args: string[]): void {
  const v = parseInt64(args[2]);
  if (v === null || v < 0n) throw new ReplyError(ERR.positive('value'));
  const key = args[1];
  const s = writeSet(c, key);
  const r = c.reply;
  if (s === undefined || v === 0n) {
    r.set(0);
    return;
  }
  const count = Number(v);
  const size = s.size;
  // The whole set: reply with it (through a union copy, as Redis, which may reorder a
  // hashtable of integers) and delete the key.
  if (count >= size) {
    replyMembers(c, unionOrDiff(c, [s], false));
    c.db.delete(key);
    notify(c, NOTIFY.set, 'spop', key);
    notify(c, NOTIFY.generic, 'del', key);
    return;
  }
  const remaining = size - count;
  r.set(count);
  if (remaining * 5 > count) {
    // Few to pop: pop them one by one.
    for (let i = 0; i < count; i++) {
      const m = s.random();
      s.delete(m);
      r.bulk(m);
    }
  } else {
    // Most of the set goes: move the few survivors to a new set (created as Redis's
    // setTypeCreate would, so the survivors may become an intset again) and reply with the rest.
    const max = maxIntset(c);
    let kept: RedisSet | undefined;
    for (let i = 0; i < remaining; i++) {
      const m = s.random();
      kept ??= RedisSet.forMember(m);
      kept.add(m, max);
      s.delete(m);
    }
    s.forEach((m) => r.bulk(m));
    c.db.set(key, kept!, true);
  }
  c.db.modified(key);
  notify(c, NOTIFY.set, 'spop', key);
}

function notifySpop(c: Client, key: string, s: RedisSet): void {
  notify(c, NOTIFY.set, 'spop', key);
  if (s.size === 0) notify(c, NOTIFY.generic, 'del', key);
}

function srandmember(c: Client, args: string[]): void {
  if (args.length === 2) {
    const s = readSet(c, args[1]);
    c.reply.bulk(s === undefined ? null : s.random());
    return;
  }
  const { count } = parseRandomCount(args, null);
  const s = readSet(c, args[1]);
  const r = c.reply;
  if (s === undefined || count === 0) {
    r.array(0);
    return;
  }
  r.array(randomReplyLength(count, s.size));
  // Count at least the size: the whole set in its order.
  if (count >= s.size) s.forEach((m) => r.bulk(m));
  else pickRandom<string>(count, { size: s.size, random: () => s.random(), all: () => s.members() }, (m) => r.bulk(m));
}

// ---- multi-set operations --------------------------------------------------------------------

/** Looks up sets for SINTER/SUNION/SDIFF: missing keys are null; WRONGTYPE stops at the first. */
function lookupSets(c: Client, keys: string[], from: number, to: number): (RedisSet | null)[] {
  const sets: (RedisSet | null)[] = [];
  for (let i = from; i < to; i++) {
    sets.push(readTyped(c.db, keys[i], RedisSet) ?? null);
  }
  return sets;
}

/**
 * Members of the intersection, visiting the smallest set's members in its order (as Redis does,
 * so an intset source gives a sorted reply). Stops after `limit` members if limit > 0.
 */
function intersect(sets: RedisSet[], limit: number, visit: (m: string) => void): number {
  const sorted = sets.slice().sort((a, b) => a.size - b.size);
  const first = sorted[0];
  let n = 0;
  let done = false;
  first.forEach((m) => {
    if (done) return;
    for (let j = 1; j < sorted.length; j++) if (sorted[j] !== first && !sorted[j].has(m)) return;
    n++;
    visit(m);
    if (limit > 0 && n >= limit) done = true;
  });
  return n;
}

function sinter(c: Client, args: string[]): void {
  const sets = lookupSets(c, args, 1, args.length);
  if (sets.includes(null)) {
    c.reply.set(0);
    return;
  }
  const out: string[] = [];
  intersect(sets as RedisSet[], 0, (m) => out.push(m));
  c.reply.set(out.length);
  for (const m of out) c.reply.bulk(m);
}

function sintercard(c: Client, args: string[]): void {
  const numkeys = parseLong(args[1]);
  if (numkeys === null || numkeys < 1) throw new ReplyError('ERR numkeys should be greater than 0');
  if (numkeys > args.length - 2) throw new ReplyError("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numkeys; i < args.length; i++) {
    if (isKeyword(args[i], 'limit') && i < args.length - 1) {
      const l = parseLong(args[++i]);
      if (l === null || l < 0) throw new ReplyError("ERR LIMIT can't be negative");
      limit = l;
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const sets = lookupSets(c, args, 2, 2 + numkeys);
  if (sets.includes(null)) {
    c.reply.integer(0);
    return;
  }
  c.reply.integer(intersect(sets as RedisSet[], limit, () => {}));
}

function sinterstore(c: Client, args: string[]): void {
  const sets = lookupSets(c, args, 2, args.length);
  const result = new RedisSet();
  if (!sets.includes(null)) {
    const max = maxIntset(c);
    intersect(sets as RedisSet[], 0, (m) => result.add(m, max));
  }
  storeResult(c, args[1], result, NOTIFY.set, 'sinterstore');
}

/** SUNION/SDIFF's result set, built as Redis builds it (an intset while it can be one). */
function unionOrDiff(c: Client, sets: (RedisSet | null)[], diff: boolean): RedisSet {
  const result = new RedisSet();
  const max = maxIntset(c);
  if (!diff) {
    for (const s of sets) s?.forEach((m) => result.add(m, max));
    return result;
  }
  const first = sets[0];
  if (first === null || sets.some((s, i) => i > 0 && s === first)) return result;
  // Redis picks the cheaper of its two SDIFF algorithms; the choice shows in the result's
  // encoding (algorithm 2 first copies the whole first set), so follow it.
  let oneWork = 0;
  let twoWork = 0;
  for (const s of sets) {
    if (s === null) continue;
    oneWork += first.size;
    twoWork += s.size;
  }
  if (Math.floor(oneWork / 2) <= twoWork) {
    first.forEach((m) => {
      for (let j = 1; j < sets.length; j++) if (sets[j]?.has(m)) return;
      result.add(m, max);
    });
    return result;
  }
  first.forEach((m) => result.add(m, max));
  for (let j = 1; j < sets.length && result.size > 0; j++) sets[j]?.forEach((m) => result.delete(m));
  return result;
}

function sunionDiff(diff: boolean) {
  return (c: Client, args: string[]): void => {
    replyMembers(c, unionOrDiff(c, lookupSets(c, args, 1, args.length), diff));
  };
}

function sunionDiffStore(diff: boolean) {
  return (c: Client, args: string[]): void => {
    storeResult(c, args[1], unionOrDiff(c, lookupSets(c, args, 2, args.length), diff), NOTIFY.set, diff ? 'sdiffstore' : 'sunionstore');
  };
}

// ---- SSCAN ------------------------------------------------------------------------------------

function sscan(c: Client, args: string[]): void {
  const cursor = parseScanCursor(args[2]);
  const s = readSet(c, args[1]);
  scanContainer(c, args, cursor, s && ((from, count, add) => s.scan(from, count, (m) => add(m))));
}

/** Set commands (t_set.c). */
export const setCommands: CommandDef[] = [
  { name: 'sadd', handler: sadd },
  { name: 'srem', handler: srem },
  { name: 'sismember', handler: sismember },
  { name: 'smismember', handler: smismember },
  { name: 'scard', handler: scard },
  { name: 'smembers', handler: smembers },
  { name: 'smove', handler: smove },
  { name: 'spop', handler: spop },
  { name: 'srandmember', handler: srandmember },
  { name: 'sinter', handler: sinter },
  { name: 'sintercard', handler: sintercard, keys: numkeysKeys(1) },
  { name: 'sinterstore', handler: sinterstore },
  { name: 'sunion', handler: sunionDiff(false) },
  { name: 'sunionstore', handler: sunionDiffStore(false) },
  { name: 'sdiff', handler: sunionDiff(true) },
  { name: 'sdiffstore', handler: sunionDiffStore(true) },
  { name: 'sscan', handler: sscan },
];
