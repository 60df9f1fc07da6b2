import type { ContainerValue } from './values.js';
import { Skiplist, type LexRange, type ScoreRange, lexLteMax, scoreLteMax } from './skiplist.js';
import { SlotMap } from './slot-map.js';
import { DICT, DICT_ENTRY, LISTPACK_EMPTY, ROBJ, SKIPLIST_BASE, SKIPLIST_NODE, dictBuckets, listpackEntry, listpackScore, mallocSize, sdsSize } from './memory.js';

/** zset-max-listpack-entries / zset-max-listpack-value (the server's typed config fits as is). */
export interface ListpackLimits {
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
}

/** zsetAdd's input flags. */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;

/** zsetAdd's outcome. */
export const ZADD_OUT_NAN = 1;
export const ZADD_OUT_ADDED = 2;
export const ZADD_OUT_UPDATED = 4;
export const ZADD_OUT_NOP = 8;

/**
 * A sorted set: Redis's pair of a skiplist (order, rank) and a dict (member → node id, O(1)
 * score lookup; a SlotMap so ZSCAN keeps SCAN's guarantee).
 *
 * One structure serves both of Redis's encodings; `listpack` only records which one Redis would
 * be using (for OBJECT ENCODING and ZSCAN's reply shape): a zset starts as listpack and turns to
 * skiplist for good once it has more than zset-max-listpack-entries members or a member longer
 * than zset-max-listpack-value bytes, exactly when Redis converts.
 */
export class ZSet implements ContainerValue {
  readonly type = 'zset' as const;
  list: Skiplist;
  dict: SlotMap<number>;
  listpack: boolean;
  /** The score set by the last add() that did not return NOP (zsetAdd's newscore). */
  newScore = 0;
  /** Memory counters for both encodings (engine/memory.ts): listpack bytes, and sds + dict + node bytes. */
  private lpBytes = 0;
  private htBytes = 0;

  constructor(listpack = true, capacity = 4) {
    this.list = new Skiplist(capacity);
    this.dict = new SlotMap<number>();
    this.listpack = listpack;
  }

  /** An empty zset as Redis creates it for a first member of `memberLength` bytes. */
  static create(limits: ListpackLimits, memberLength: number): ZSet {
    return new ZSet(limits.zsetMaxListpackEntries !== 0 && memberLength <= limits.zsetMaxListpackValue);
  }

  get size(): number {
    return this.list.length;
  }

  encoding(): 'listpack' | 'skiplist' {
    return this.listpack ? 'listpack' : 'skiplist';
  }

  clone(): ZSet {
    const z = new ZSet(this.listpack, 0);
    z.list = this.list.clone();
    z.dict = this.dict.clone();
    z.lpBytes = this.lpBytes;
    z.htBytes = this.htBytes;
    return z;
  }

  memoryUsage(): number {
    return this.usage(this.lpBytes, this.htBytes);
  }

  memoryUsageFromScratch(): number {
    let lp = 0;
    let ht = 0;
    const list = this.list;
    for (let x = list.first(); x !== 0; x = list.next(x)) {
      const m = list.memberOf(x);
      lp += listpackEntry(m) + listpackScore(list.scoreOf(x));
      ht += sdsSize(m.length) + DICT_ENTRY + SKIPLIST_NODE;
    }
    return this.usage(lp, ht);
  }

  private usage(lp: number, ht: number): number {
    if (this.listpack) return ROBJ + mallocSize(LISTPACK_EMPTY + lp);
    return ROBJ + SKIPLIST_BASE + DICT + dictBuckets(this.list.length) + ht;
  }

  /** Adds (sign 1) or removes (-1) a member's bytes. */
  private account(member: string, score: number, sign: number): void {
    this.lpBytes += sign * (listpackEntry(member) + listpackScore(score));
    this.htBytes += sign * (sdsSize(member.length) + DICT_ENTRY + SKIPLIST_NODE);
  }

  score(member: string): number | undefined {
    const x = this.dict.get(member);
    return x === undefined ? undefined : this.list.scoreOf(x);
  }

  /** Inserts a member known to be absent, converting to skiplist first if Redis would. */
  insert(member: string, score: number, limits: ListpackLimits): void {
    if (this.listpack && (this.list.length + 1 > limits.zsetMaxListpackEntries || member.length > limits.zsetMaxListpackValue)) this.listpack = false;
    const stored = this.stored(score);
    this.dict.add(member, this.list.insert(stored, member));
    this.account(member, stored, 1);
  }

  /**
   * A listpack keeps scores as text that reads back as integers when it can, so -0 comes back
   * as 0; a skiplist keeps the double as is.
   */
  private stored(score: number): number {
    return this.listpack && score === 0 ? 0 : score;
  }

  /** zsetAdd: adds or updates one member under ZADD's flags; returns ZADD_OUT_* bits. */
  add(member: string, score: number, flags: number, limits: ListpackLimits): number {
    if (score !== score) return ZADD_OUT_NAN;
    const x = this.dict.get(member);
    if (x !== undefined) {
      if (flags & ZADD_NX) return ZADD_OUT_NOP;
      const cur = this.list.scoreOf(x);
      if (flags & ZADD_INCR) {
        score += cur;
        if (score !== score) return ZADD_OUT_NAN;
      }
      if ((flags & ZADD_LT && score >= cur) || (flags & ZADD_GT && score <= cur)) return ZADD_OUT_NOP;
      this.newScore = score;
      if (score !== cur) {
        const stored = this.stored(score);
        this.lpBytes += listpackScore(stored) - listpackScore(cur);
        this.list.updateScore(x, stored);
        return ZADD_OUT_UPDATED;
      }
      return 0;
    }
    if (flags & ZADD_XX) return ZADD_OUT_NOP;
    this.insert(member, score, limits);
    this.newScore = score;
    return ZADD_OUT_ADDED;
  }

  remove(member: string): boolean {
    const x = this.dict.get(member);
    if (x === undefined) return false;
    const score = this.list.scoreOf(x);
    this.account(member, score, -1);
    this.list.delete(score, member);
    this.dict.delete(member);
    return true;
  }

  /** 0-based rank of a member (from the highest score when `reverse`), or -1. */
  rank(member: string, reverse: boolean): number {
    const x = this.dict.get(member);
    if (x === undefined) return -1;
    const r = this.list.rank(this.list.scoreOf(x), member) - 1;
    return reverse ? this.list.length - 1 - r : r;
  }

  /** Node at 0-based rank, or 0. */
  nodeAt(rank: number): number {
    return this.list.byRank(rank + 1);
  }

  /** 0-based rank of a node. */
  rankOf(x: number): number {
    return this.list.rank(this.list.scoreOf(x), this.list.memberOf(x)) - 1;
  }

  /** Number of members with score in range. */
  countInScore(r: ScoreRange): number {
    const first = this.list.firstInScore(r);
    if (first === 0) return 0;
    return this.rankOf(this.list.lastInScore(r)) - this.rankOf(first) + 1;
  }

  /**
   * Number of members in a lex range. As in Redis, a listpack counts by walking from the first
   * member in range and a skiplist by ranks (the two differ only if scores are not all equal).
   */
  countInLex(r: LexRange): number {
    const list = this.list;
    const first = list.firstInLex(r);
    if (first === 0) return 0;
    if (!this.listpack) return this.rankOf(list.lastInLex(r)) - this.rankOf(first) + 1;
    let n = 0;
    for (let x = first; x !== 0 && lexLteMax(list.memberOf(x), r); x = list.next(x)) n++;
    return n;
  }

  /** Removes members at 0-based ranks start..end inclusive; returns the count. */
  removeRankRange(start: number, end: number): number {
    return this.list.deleteRangeByRank(start + 1, end + 1, this.dropMember);
  }

  removeScoreRange(r: ScoreRange): number {
    const list = this.list;
    return list.deleteFrom(list.firstInScore(r), (x) => scoreLteMax(list.scoreOf(x), r), this.dropMember);
  }

  removeLexRange(r: LexRange): number {
    const list = this.list;
    return list.deleteFrom(list.firstInLex(r), (x) => lexLteMax(list.memberOf(x), r), this.dropMember);
  }

  /**
   * After building a zset as a skiplist (ZUNIONSTORE…), Redis turns it back into a listpack if
   * it is small enough (zsetConvertToListpackIfNeeded).
   */
  convertToListpackIfNeeded(limits: ListpackLimits): void {
    if (this.listpack || this.list.length > limits.zsetMaxListpackEntries) return;
    const list = this.list;
    for (let x = list.first(); x !== 0; x = list.next(x)) if (list.memberOf(x).length > limits.zsetMaxListpackValue) return;
    this.listpack = true;
    for (let x = list.first(); x !== 0; x = list.next(x)) if (list.scoreOf(x) === 0) list.updateScore(x, 0);
  }

  /** Called by the skiplist before it frees the member's node, so its score is still readable. */
  private readonly dropMember = (member: string): void => {
    this.account(member, this.list.scoreOf(this.dict.take(member)!), -1);
  };
}
