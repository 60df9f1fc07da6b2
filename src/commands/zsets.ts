import type { CommandDef } from './table.js';
import type { Client } from './client.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { integerArg, parseDouble, parseLong } from './args.js';
import { parseScanCursor, scanContainer } from './scan.js';
import { readTyped, writeTyped } from './lookup.js';
import { numkeysKeys, parseMinMax, parseMpop } from './numkeys.js';
import { NOTIFY, notify, storeResult } from './notifications.js';
import { parseRandomCount, pickRandom, randomReplyLength, type RandomSource } from './random.js';
import { formatDouble } from '../engine/double-format.js';
import { RedisSet } from '../engine/set.js';
import { type LexRange, type ScoreRange, lexGteMin, lexLteMax } from '../engine/skiplist.js';
import { ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_OUT_ADDED, ZADD_OUT_NAN, ZADD_OUT_NOP, ZADD_OUT_UPDATED, ZADD_XX, ZSet } from '../engine/zset.js';

const ERR_NAN = 'ERR resulting score is not a number (NaN)';
const ERR_NOT_FLOAT_RANGE = 'ERR min or max is not a float';
const ERR_NOT_LEX_RANGE = 'ERR min or max not valid string range item';

// ---- lookups -----------------------------------------------------------------------------------

function readZSet(c: Client, key: string): ZSet | undefined {
  return readTyped(c.db, key, ZSet);
}

function writeZSet(c: Client, key: string): ZSet | undefined {
  return writeTyped(c.db, key, ZSet);
}

function replyScore(c: Client, score: number): void {
  c.reply.double(formatDouble(score));
}

// ---- argument parsing --------------------------------------------------------------------------

/**
 * A score as ZADD and WEIGHTS read it (getDoubleFromObject): strtod over the whole argument, no
 * leading space, no NaN, and no out-of-range result (strtod's ERANGE: overflow to ±inf from a
 * finite literal, or underflow to zero from a nonzero one).
 */
function parseScore(s: string): number | null {
  const v = parseDouble(s);
  if (v === null) return null;
  if ((v === Infinity || v === -Infinity) && !/inf/i.test(s)) return null;
  if (v === 0 && /[1-9]/.test(s.replace(/e.*$/i, '').replace(/^[+-]?0x/i, ''))) return null;
  return v;
}

function scoreArg(s: string, error: string = ERR.notFloat): number {
  const v = parseScore(s);
  if (v === null) throw new ReplyError(error);
  return v;
}

/**
 * zslParseRange's strtod: leading white space allowed, the empty string is 0, trailing bytes (up
 * to a NUL, where C stops reading) are an error, and so is NaN. Overflow gives ±inf.
 */
function parseBoundNumber(s: string): number | null {
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  return parseDouble(i === 0 ? s : s.slice(i));
}

function parseScoreRange(minArg: string, maxArg: string): ScoreRange {
  const r: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
  r.minex = minArg.charCodeAt(0) === 40; // '('
  r.maxex = maxArg.charCodeAt(0) === 40;
  const min = parseBoundNumber(r.minex ? minArg.slice(1) : minArg);
  const max = parseBoundNumber(r.maxex ? maxArg.slice(1) : maxArg);
  if (min === null || max === null) throw new ReplyError(ERR_NOT_FLOAT_RANGE);
  r.min = min;
  r.max = max;
  return r;
}

/** zslParseLexRangeItem: '[' inclusive, '(' exclusive, a lone '-' or '+' for the ends. */
function parseLexItem(s: string, r: LexRange, isMax: boolean): boolean {
  const c0 = s.charCodeAt(0);
  let value = '';
  let ex = false;
  let inf: -1 | 0 | 1 = 0;
  if (c0 === 43 || c0 === 45) {
    if (s.length > 1 && s.charCodeAt(1) !== 0) return false;
    ex = true;
    inf = c0 === 43 ? 1 : -1;
  } else if (c0 === 40 || c0 === 91) {
    ex = c0 === 40;
    value = s.slice(1);
  } else {
    return false;
  }
  if (isMax) {
    r.max = value;
    r.maxex = ex;
    r.maxInf = inf;
  } else {
    r.min = value;
    r.minex = ex;
    r.minInf = inf;
  }
  return true;
}

function parseLexRange(minArg: string, maxArg: string): LexRange {
  const r: LexRange = { min: '', max: '', minex: false, maxex: false, minInf: 0, maxInf: 0 };
  if (!parseLexItem(minArg, r, false) || !parseLexItem(maxArg, r, true)) throw new ReplyError(ERR_NOT_LEX_RANGE);
  return r;
}

// ---- ZADD / ZINCRBY ----------------------------------------------------------------------------

/** zaddGenericCommand: ZADD, and ZINCRBY as ZADD with INCR. */
function zaddGeneric(c: Client, args: string[], baseFlags: number): void {
  let flags = baseFlags;
  let ch = false;
  let i = 2;
  for (; i < args.length; i++) {
    const opt = args[i].toLowerCase();
    if (opt === 'nx') flags |= ZADD_NX;
    else if (opt === 'xx') flags |= ZADD_XX;
    else if (opt === 'ch') ch = true;
    else if (opt === 'incr') flags |= ZADD_INCR;
    else if (opt === 'gt') flags |= ZADD_GT;
    else if (opt === 'lt') flags |= ZADD_LT;
    else break;
  }
  const elements = args.length - i;
  if (elements % 2 !== 0 || elements === 0) throw new ReplyError(ERR.syntax);
  const nx = (flags & ZADD_NX) !== 0;
  const incr = (flags & ZADD_INCR) !== 0;
  if (nx && flags & ZADD_XX) throw new ReplyError('ERR XX and NX options at the same time are not compatible');
  if ((flags & (ZADD_GT | ZADD_LT) && nx) || (flags & ZADD_GT && flags & ZADD_LT)) {
    throw new ReplyError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (incr && elements > 2) throw new ReplyError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = i; j < args.length; j += 2) scores.push(scoreArg(args[j]));

  const key = args[1];
  let z = writeZSet(c, key);
  const limits = c.server.config.typed;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let failed = false;
  if (z === undefined && !(flags & ZADD_XX)) {
    z = ZSet.create(limits, args[i + 1].length);
    c.db.set(key, z);
  }
  if (z !== undefined) {
    for (let j = 0; j < scores.length; j++) {
      const out = z.add(args[i + 1 + j * 2], scores[j], flags, limits);
      if (out & ZADD_OUT_NAN) {
        failed = true;
        break;
      }
      if (out & ZADD_OUT_ADDED) added++;
      if (out & ZADD_OUT_UPDATED) updated++;
      if (!(out & ZADD_OUT_NOP)) {
        processed++;
        score = z.newScore;
      }
    }
    if (added + updated > 0) {
      c.db.modified(key);
      notify(c, NOTIFY.zset, incr ? 'zincr' : 'zadd', key);
    }
  }
  if (failed) throw new ReplyError(ERR_NAN);
  if (!incr) c.reply.integer(ch ? added + updated : added);
  else if (processed > 0) replyScore(c, score);
  else c.reply.bulk(null);
}

// ---- single-member reads -------------------------------------------------------------------------

function zscore(c: Client, args: string[]): void {
  const score = readZSet(c, args[1])?.score(args[2]);
  if (score === undefined) c.reply.bulk(null);
  else replyScore(c, score);
}

function zmscore(c: Client, args: string[]): void {
  const z = readZSet(c, args[1]);
  c.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const score = z?.score(args[i]);
    if (score === undefined) c.reply.bulk(null);
    else replyScore(c, score);
  }
}

function zcard(c: Client, args: string[]): void {
  c.reply.integer(readZSet(c, args[1])?.size ?? 0);
}

function zrankGeneric(reverse: boolean) {
  return (c: Client, args: string[]): void => {
    const rank = readZSet(c, args[1])?.rank(args[2], reverse) ?? -1;
    if (rank === -1) c.reply.bulk(null);
    else c.reply.integer(rank);
  };
}

function zcount(c: Client, args: string[]): void {
  const r = parseScoreRange(args[2], args[3]);
  c.reply.integer(readZSet(c, args[1])?.countInScore(r) ?? 0);
}

function zlexcount(c: Client, args: string[]): void {
  const r = parseLexRange(args[2], args[3]);
  c.reply.integer(readZSet(c, args[1])?.countInLex(r) ?? 0);
}

// ---- ZRANGE family -------------------------------------------------------------------------------

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/** A stretch of a zset: `count` nodes from `start`, walking backwards when `reverse`. */
interface Span {
  start: number;
  count: number;
  reverse: boolean;
}

const EMPTY_SPAN: Span = { start: 0, count: 0, reverse: false };

/** Rank-based range after Redis's index sanitizing (genericZrangebyrankCommand). */
function rankSpan(z: ZSet, start: number, end: number, reverse: boolean): Span {
  const llen = z.size;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return EMPTY_SPAN;
  if (end >= llen) end = llen - 1;
  const first = z.nodeAt(reverse ? llen - 1 - start : start);
  return { start: first, count: end - start + 1, reverse };
}

/**
 * The nodes from `first` to `last` (in walking order), after skipping `offset` and keeping at
 * most `limit` (negative: no limit); a negative offset yields nothing, as in Redis's loop.
 */
function limitedSpan(z: ZSet, first: number, last: number, reverse: boolean, offset: number, limit: number): Span {
  if (first === 0 || offset < 0) return EMPTY_SPAN;
  const r1 = z.rankOf(first);
  const r2 = z.rankOf(last);
  let count = Math.abs(r2 - r1) + 1 - offset;
  if (count <= 0) return EMPTY_SPAN;
  if (limit >= 0 && limit < count) count = limit;
  if (count === 0) return EMPTY_SPAN;
  const start = offset === 0 ? first : z.nodeAt(reverse ? r1 - offset : r1 + offset);
  return { start, count, reverse };
}

function scoreSpan(z: ZSet, r: ScoreRange, reverse: boolean, offset: number, limit: number): Span {
  const first = reverse ? z.list.lastInScore(r) : z.list.firstInScore(r);
  if (first === 0) return EMPTY_SPAN;
  const last = reverse ? z.list.firstInScore(r) : z.list.lastInScore(r);
  return limitedSpan(z, first, last, reverse, offset, limit);
}

/**
 * Lex ranges walk from the first member in range while members stay in range, as Redis does:
 * unlike ranks, that also holds when the scores are not all equal (where order is not lex order).
 */
function lexSpan(z: ZSet, r: LexRange, reverse: boolean, offset: number, limit: number): Span {
  const list = z.list;
  let x = reverse ? list.lastInLex(r) : list.firstInLex(r);
  if (offset < 0) return EMPTY_SPAN;
  for (; x !== 0 && offset > 0; offset--) x = reverse ? list.prev(x) : list.next(x);
  const start = x;
  let count = 0;
  while (x !== 0 && count !== limit && (reverse ? lexGteMin(list.memberOf(x), r) : lexLteMax(list.memberOf(x), r))) {
    count++;
    x = reverse ? list.prev(x) : list.next(x);
  }
  return count === 0 ? EMPTY_SPAN : { start, count, reverse };
}

/** Replies with a span's members, with scores flat (RESP2) or as [member, score] pairs (RESP3). */
function replySpan(c: Client, z: ZSet, span: Span, withScores: boolean): void {
  const nested = withScores && c.protocol === 3;
  c.reply.array(withScores && !nested ? span.count * 2 : span.count);
  const list = z.list;
  let x = span.start;
  for (let n = 0; n < span.count; n++) {
    if (nested) c.reply.array(2);
    c.reply.bulk(list.memberOf(x));
    if (withScores) replyScore(c, list.scoreOf(x));
    x = span.reverse ? list.prev(x) : list.next(x);
  }
}

function storeSpan(c: Client, dst: string, z: ZSet | undefined, span: Span): void {
  const limits = c.server.config.typed;
  const result = new ZSet(limits.zsetMaxListpackEntries !== 0, span.count);
  if (z !== undefined) {
    const list = z.list;
    let x = span.start;
    for (let n = 0; n < span.count; n++) {
      result.insert(list.memberOf(x), list.scoreOf(x), limits);
      x = span.reverse ? list.prev(x) : list.next(x);
    }
  }
  storeResult(c, dst, result, NOTIFY.zset, 'zrangestore');
}

/** zrangeGenericCommand: every ZRANGE variant, reading options from args[argStart + 3]. */
function zrangeGeneric(c: Client, args: string[], argStart: number, dst: string | null, rangeType: RangeType, direction: Direction): void {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const opt = args[j].toLowerCase();
    if (dst === null && opt === 'withscores') {
      withScores = true;
    } else if (opt === 'limit' && left >= 2) {
      offset = integerArg(args[j + 1]);
      limit = integerArg(args[j + 2]);
      j += 2;
    } else if (direction === 'auto' && opt === 'rev') {
      direction = 'reverse';
    } else if (rangeType === 'auto' && opt === 'bylex') {
      rangeType = 'lex';
    } else if (rangeType === 'auto' && opt === 'byscore') {
      rangeType = 'score';
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const reverse = direction === 'reverse';
  if (rangeType === 'auto') rangeType = 'rank';
  if (limit !== -1 && rangeType === 'rank') {
    throw new ReplyError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && rangeType === 'lex') {
    throw new ReplyError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  // Score and lex ranges are given as max, min when reversed.
  let minArg = args[argStart + 1];
  let maxArg = args[argStart + 2];
  if (reverse && rangeType !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === 'rank') {
    start = integerArg(minArg);
    end = integerArg(maxArg);
  } else if (rangeType === 'score') {
    scoreRange = parseScoreRange(minArg, maxArg);
  } else {
    lexRange = parseLexRange(minArg, maxArg);
  }

  const z = readZSet(c, args[argStart]);
  let span = EMPTY_SPAN;
  if (z !== undefined) {
    if (scoreRange !== null) span = scoreSpan(z, scoreRange, reverse, offset, limit);
    else if (lexRange !== null) span = lexSpan(z, lexRange, reverse, offset, limit);
    else span = rankSpan(z, start, end, reverse);
  }
  if (dst !== null) storeSpan(c, dst, z, span);
  else if (z === undefined) c.reply.array(0);
  else replySpan(c, z, span, withScores);
}

function zrangeCommand(argStart: number, store: boolean, rangeType: RangeType, direction: Direction) {
  return (c: Client, args: string[]): void => zrangeGeneric(c, args, argStart, store ? args[1] : null, rangeType, direction);
}

// ---- removal -------------------------------------------------------------------------------------

function zrem(c: Client, args: string[]): void {
  const key = args[1];
  const z = writeZSet(c, key);
  let deleted = 0;
  if (z !== undefined) {
    for (let i = 2; i < args.length && z.size > 0; i++) if (z.remove(args[i])) deleted++;
    if (deleted > 0) {
      c.db.modified(key);
      notifyRemoved(c, key, z, 'zrem');
    }
  }
  c.reply.integer(deleted);
}

function zremrangeGeneric(rangeType: 'rank' | 'score' | 'lex') {
  return (c: Client, args: string[]): void => {
    let start = 0;
    let end = 0;
    let scoreRange: ScoreRange | null = null;
    let lexRange: LexRange | null = null;
    if (rangeType === 'rank') {
      start = integerArg(args[2]);
      end = integerArg(args[3]);
    } else if (rangeType === 'score') {
      scoreRange = parseScoreRange(args[2], args[3]);
    } else {
      lexRange = parseLexRange(args[2], args[3]);
    }
    const key = args[1];
    const z = writeZSet(c, key);
    let removed = 0;
    if (z !== undefined) {
      if (scoreRange !== null) {
        removed = z.removeScoreRange(scoreRange);
      } else if (lexRange !== null) {
        removed = z.removeLexRange(lexRange);
      } else {
        const llen = z.size;
        if (start < 0) start = llen + start;
        if (end < 0) end = llen + end;
        if (start < 0) start = 0;
        if (start <= end && start < llen) removed = z.removeRankRange(start, Math.min(end, llen - 1));
      }
      if (removed > 0) {
        c.db.modified(key);
        notifyRemoved(c, key, z, `zremrangeby${rangeType}`);
      }
    }
    c.reply.integer(removed);
  };
}

// ---- pops ----------------------------------------------------------------------------------------

/**
 * genericZpopCommand: pops up to `count` members from the first non-empty key of `keys`.
 * `emitKey` (ZMPOP) prefixes the key and always nests [member, score] pairs.
 */
function zpopGeneric(c: Client, keys: string[], max: boolean, count: number, emitKey: boolean, nested: boolean): void {
  let z: ZSet | undefined;
  let key = '';
  for (const k of keys) {
    z = writeZSet(c, k);
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  if (z === undefined) {
    if (emitKey) c.reply.nullArray();
    else c.reply.array(0);
    return;
  }
  if (count === 0) {
    c.reply.array(0);
    return;
  }
  const n = Math.min(count, z.size);
  if (emitKey) {
    c.reply.array(2);
    c.reply.bulk(key);
    c.reply.array(n);
  } else {
    c.reply.array(nested ? n : n * 2);
  }
  const list = z.list;
  for (let i = 0; i < n; i++) {
    const x = max ? list.tail : list.first();
    const member = list.memberOf(x);
    const score = list.scoreOf(x);
    z.remove(member);
    if (nested) c.reply.array(2);
    c.reply.bulk(member);
    replyScore(c, score);
  }
  c.db.modified(key);
  notifyRemoved(c, key, z, max ? 'zpopmax' : 'zpopmin');
}

/** The event of a command that removed members, and `del` if the sorted set emptied. */
function notifyRemoved(c: Client, key: string, z: ZSet, event: string): void {
  notify(c, NOTIFY.zset, event, key);
  if (z.size === 0) notify(c, NOTIFY.generic, 'del', key);
}

function zpopMinMax(max: boolean) {
  return (c: Client, args: string[]): void => {
    if (args.length > 3) throw new ReplyError(ERR.syntax);
    let count = -1;
    if (args.length === 3) {
      const n = parseLong(args[2]);
      if (n === null || n < 0) throw new ReplyError(ERR.positive('value'));
      count = n;
    }
    zpopGeneric(c, [args[1]], max, count === -1 ? 1 : count, false, c.protocol === 3 && count !== -1);
  };
}

function zmpop(c: Client, args: string[]): void {
  const spec = parseMpop(args, 1, parseMinMax);
  zpopGeneric(c, spec.keys, spec.front, spec.count, true, true);
}

// ---- ZUNION / ZINTER / ZDIFF ---------------------------------------------------------------------

/** An input of a set operation: a zset, a plain set (every score 1) or a missing key. */
interface Source {
  value: ZSet | RedisSet | undefined;
  weight: number;
}

function sourceSize(s: Source): number {
  return s.value?.size ?? 0;
}

/** Visits each member of a source with its (unweighted) score. */
function forEachMember(s: Source, visit: (member: string, score: number) => void): void {
  const v = s.value;
  if (v instanceof ZSet) {
    const list = v.list;
    for (let x = list.first(); x !== 0; x = list.next(x)) visit(list.memberOf(x), list.scoreOf(x));
  } else if (v !== undefined) {
    v.forEach((m) => visit(m, 1));
  }
}

function findScore(s: Source, member: string): number | undefined {
  const v = s.value;
  if (v instanceof ZSet) return v.score(member);
  return v !== undefined && v.has(member) ? 1 : undefined;
}

type Aggregate = 'sum' | 'min' | 'max';

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const sum = target + value;
    return sum !== sum ? 0 : sum; // inf + -inf counts as 0
  }
  if (how === 'min') return value < target ? value : target;
  return value > target ? value : target;
}

/** zunionInterDiffGenericCommand. `numkeysIdx` is where numkeys is; dst is null unless …STORE. */
function zsetOpGeneric(c: Client, args: string[], numkeysIdx: number, dst: string | null, op: 'union' | 'inter' | 'diff', cardinalityOnly: boolean): void {
  const setnum = integerArg(args[numkeysIdx]);
  if (setnum < 1) throw new ReplyError(`ERR at least 1 input key is needed for '${args[0].toLowerCase()}' command`);
  if (setnum > args.length - numkeysIdx - 1) throw new ReplyError(ERR.syntax);
  const sources: Source[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = c.db.read(args[j]);
    if (v !== undefined && !(v instanceof ZSet) && !(v instanceof RedisSet)) throw new ReplyError(ERR.wrongType);
    sources.push({ value: v, weight: 1 });
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = 0;
  while (j < args.length) {
    const remaining = args.length - j;
    const opt = args[j].toLowerCase();
    if (op !== 'diff' && !cardinalityOnly && remaining >= setnum + 1 && opt === 'weights') {
      j++;
      for (let i = 0; i < setnum; i++, j++) sources[i].weight = scoreArg(args[j], 'ERR weight value is not a float');
    } else if (op !== 'diff' && !cardinalityOnly && remaining >= 2 && opt === 'aggregate') {
      const a = args[j + 1].toLowerCase();
      if (a !== 'sum' && a !== 'min' && a !== 'max') throw new ReplyError(ERR.syntax);
      how = a;
      j += 2;
    } else if (dst === null && !cardinalityOnly && opt === 'withscores') {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && opt === 'limit') {
      const n = parseLong(args[j + 1]);
      if (n === null || n < 0) throw new ReplyError("ERR LIMIT can't be negative");
      limit = n;
      j += 2;
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  // Smallest inputs first, as Redis does (its sort is stable), which also fixes the order of sums.
  if (op !== 'diff') sources.sort((a, b) => sourceSize(a) - sourceSize(b));

  if (cardinalityOnly) {
    c.reply.integer(interCard(sources, limit));
    return;
  }
  const limits = c.server.config.typed;
  const result = new ZSet(false);
  if (op === 'inter') interInto(sources, how, result, limits);
  else if (op === 'union') unionInto(sources, how, result, limits);
  else diffInto(sources, result, limits);

  if (dst !== null) {
    result.convertToListpackIfNeeded(limits);
    storeResult(c, dst, result, NOTIFY.zset, `z${op}store`);
    return;
  }
  replySpan(c, result, { start: result.list.first(), count: result.size, reverse: false }, withScores);
}

type Limits = Client['server']['config']['typed'];

/** Calls `visit` with each member of sources[0] present in all others and its aggregated score. */
function forEachInter(sources: Source[], how: Aggregate, visit: (member: string, score: number) => boolean): void {
  if (sourceSize(sources[0]) === 0) return;
  const first = sources[0];
  let stop = false;
  forEachMember(first, (member, s0) => {
    if (stop) return;
    let score = first.weight * s0;
    if (score !== score) score = 0;
    for (let i = 1; i < sources.length; i++) {
      const s = findScore(sources[i], member);
      if (s === undefined) return;
      score = aggregate(score, s * sources[i].weight, how);
    }
    if (!visit(member, score)) stop = true;
  });
}

function interInto(sources: Source[], how: Aggregate, result: ZSet, limits: Limits): void {
  forEachInter(sources, how, (member, score) => {
    result.insert(member, score, limits);
    return true;
  });
}

function interCard(sources: Source[], limit: number): number {
  let n = 0;
  forEachInter(sources, 'sum', () => ++n !== limit);
  return n;
}

function unionInto(sources: Source[], how: Aggregate, result: ZSet, limits: Limits): void {
  const acc = new Map<string, number>();
  for (const src of sources) {
    forEachMember(src, (member, s) => {
      let score = src.weight * s;
      if (score !== score) score = 0;
      const cur = acc.get(member);
      acc.set(member, cur === undefined ? score : aggregate(cur, score, how));
    });
  }
  for (const [member, score] of acc) result.insert(member, score, limits);
}

function diffInto(sources: Source[], result: ZSet, limits: Limits): void {
  forEachMember(sources[0], (member, score) => {
    for (let i = 1; i < sources.length; i++) if (findScore(sources[i], member) !== undefined) return;
    result.insert(member, score, limits);
  });
}

function zsetOp(op: 'union' | 'inter' | 'diff', store: boolean) {
  return (c: Client, args: string[]): void => zsetOpGeneric(c, args, store ? 2 : 1, store ? args[1] : null, op, false);
}

// ---- ZRANDMEMBER, ZSCAN --------------------------------------------------------------------------

function zrandmember(c: Client, args: string[]): void {
  if (args.length === 2) {
    const z = readZSet(c, args[1]);
    if (z === undefined) c.reply.bulk(null);
    else c.reply.bulk(z.dict.keyOf(z.dict.randomSlot()));
    return;
  }
  const { count, withValues: withScores } = parseRandomCount(args, 'withscores');
  const z = readZSet(c, args[1]);
  if (z === undefined || count === 0) {
    c.reply.array(0);
    return;
  }
  if (count >= z.size) {
    // The whole set, highest score first (Redis's zuiNext walks a zset from its tail).
    replySpan(c, z, { start: z.list.tail, count: z.size, reverse: true }, withScores);
    return;
  }
  const nested = withScores && c.protocol === 3;
  const n = randomReplyLength(count, z.size);
  c.reply.array(withScores && !nested ? n * 2 : n);
  const { dict, list } = z;
  const nodes: RandomSource<number> = {
    size: z.size,
    random: () => dict.valueOf(dict.randomSlot()),
    all: () => {
      const all: number[] = [];
      dict.forEach((x) => all.push(x));
      return all;
    },
  };
  pickRandom(count, nodes, (x) => {
    if (nested) c.reply.array(2);
    c.reply.bulk(list.memberOf(x));
    if (withScores) replyScore(c, list.scoreOf(x));
  });
}

const HALF_LONG_MAX = Number((2n ** 63n - 1n) / 2n);

/**
 * A score as a listpack stores it (d2string): integers within ±LLONG_MAX/2 as integers, other
 * values as %.17g. ZSCAN returns these stored strings.
 */
function formatListpackScore(d: number): string {
  if (Number.isInteger(d) && d >= -HALF_LONG_MAX && d <= HALF_LONG_MAX) return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  return formatDouble(d);
}

function zscan(c: Client, args: string[]): void {
  const cursor = parseScanCursor(args[2]);
  const z = readZSet(c, args[1]);
  scanContainer(c, args, cursor, z && ((from, count, add) => scanZSet(z, from, count, add)));
}

/** One ZSCAN step: members with their scores as stored (a listpack is returned whole, cursor 0). */
function scanZSet(z: ZSet, cursor: number, count: number, add: (member: string, score: string) => void): number {
  const list = z.list;
  if (z.listpack) {
    for (let x = list.first(); x !== 0; x = list.next(x)) add(list.memberOf(x), formatListpackScore(list.scoreOf(x)));
    return 0;
  }
  return z.dict.scan(cursor, count, (member, x) => add(member, formatDouble(list.scoreOf(x))));
}

/** Sorted-set commands (t_zset.c). BZPOPMIN/BZPOPMAX/BZMPOP wait for the blocking layer. */
export const zsetCommands: CommandDef[] = [
  { name: 'zadd', handler: (c, args) => zaddGeneric(c, args, 0) },
  { name: 'zincrby', handler: (c, args) => zaddGeneric(c, args, ZADD_INCR) },
  { name: 'zscore', handler: zscore },
  { name: 'zmscore', handler: zmscore },
  { name: 'zcard', handler: zcard },
  { name: 'zcount', handler: zcount },
  { name: 'zlexcount', handler: zlexcount },
  { name: 'zrank', handler: zrankGeneric(false) },
  { name: 'zrevrank', handler: zrankGeneric(true) },
  { name: 'zrange', handler: zrangeCommand(1, false, 'auto', 'auto') },
  { name: 'zrangestore', handler: zrangeCommand(2, true, 'auto', 'auto') },
  { name: 'zrevrange', handler: zrangeCommand(1, false, 'rank', 'reverse') },
  { name: 'zrangebyscore', handler: zrangeCommand(1, false, 'score', 'forward') },
  { name: 'zrevrangebyscore', handler: zrangeCommand(1, false, 'score', 'reverse') },
  { name: 'zrangebylex', handler: zrangeCommand(1, false, 'lex', 'forward') },
  { name: 'zrevrangebylex', handler: zrangeCommand(1, false, 'lex', 'reverse') },
  { name: 'zrem', handler: zrem },
  { name: 'zremrangebyrank', handler: zremrangeGeneric('rank') },
  { name: 'zremrangebyscore', handler: zremrangeGeneric('score') },
  { name: 'zremrangebylex', handler: zremrangeGeneric('lex') },
  { name: 'zpopmin', handler: zpopMinMax(false) },
  { name: 'zpopmax', handler: zpopMinMax(true) },
  { name: 'zmpop', handler: zmpop, keys: numkeysKeys(1) },
  { name: 'zunion', handler: zsetOp('union', false), keys: numkeysKeys(1) },
  { name: 'zinter', handler: zsetOp('inter', false), keys: numkeysKeys(1) },
  { name: 'zdiff', handler: zsetOp('diff', false), keys: numkeysKeys(1) },
  { name: 'zunionstore', handler: zsetOp('union', true), keys: numkeysKeys(2, [1]) },
  { name: 'zinterstore', handler: zsetOp('inter', true), keys: numkeysKeys(2, [1]) },
  { name: 'zdiffstore', handler: zsetOp('diff', true), keys: numkeysKeys(2, [1]) },
  { name: 'zintercard', handler: (c, args) => zsetOpGeneric(c, args, 1, null, 'inter', true), keys: numkeysKeys(1) },
  { name: 'zrandmember', handler: zrandmember },
  { name: 'zscan', handler: zscan },
];
