/**
 * Redis's sorted-set skiplist (t_zset.c zsl*) with spans, so rank lookups and range-by-rank are
 * O(log n) like score and lex lookups. Elements are ordered by score, then by member bytes
 * (latin1 strings compare like memcmp).
 *
 * Nodes live in one typed-array heap rather than one object per node (see the layout below).
 * Node 0 is the header (32 levels) and doubles as "no node", since nothing ever points forward or
 * back to the header.
 */

export const MAX_LEVEL = 32;
const P = 0.25;

/** Score interval, bounds exclusive when `minex`/`maxex` (a '(' prefix). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Lex interval; `minInf`/`maxInf` mark the '-' / '+' bounds (-1 for '-', 1 for '+', else 0). */
export interface LexRange {
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  minInf: -1 | 0 | 1;
  maxInf: -1 | 0 | 1;
}

/** sdscmplex: compares a member with a lex bound, '-' below and '+' above everything. */
function cmpLex(value: string, bound: string, inf: number): number {
  if (inf !== 0) return -inf;
  return value < bound ? -1 : value > bound ? 1 : 0;
}

export function lexGteMin(value: string, r: LexRange): boolean {
  const c = cmpLex(value, r.min, r.minInf);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(value: string, r: LexRange): boolean {
  const c = cmpLex(value, r.max, r.maxInf);
  return r.maxex ? c < 0 : c <= 0;
}

export function scoreGteMin(value: number, r: ScoreRange): boolean {
  return r.minex ? value > r.min : value >= r.min;
}

export function scoreLteMax(value: number, r: ScoreRange): boolean {
  return r.maxex ? value < r.max : value <= r.max;
}

/** Whether a score range can contain anything at all. */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** Whether a lex range can contain anything at all (zslIsInLexRange's first test). */
export function lexRangeEmpty(r: LexRange): boolean {
  let c: number;
  if (r.minInf !== 0 || r.maxInf !== 0) c = r.minInf === r.maxInf ? 0 : r.minInf === 1 || r.maxInf === -1 ? 1 : -1;
  else c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}

/**
 * Node layout in 32-bit words, so that one node is one contiguous block (a descent step touches
 * one cache line, not one per array): score (a float64 over words 0-1), backward node, level,
 * member slot, padding, then a (forward, span) pair per level. A node id is its block's offset,
 * always even so the score is 8-byte aligned.
 */
const BACKWARD = 2;
const LEVEL = 3;
const MEMBER = 4;
const LINKS = 6;

function blockSize(level: number): number {
  return LINKS + 2 * level;
}

export class Skiplist {
  length = 0;
  /** Highest level in use (1 when empty). */
  level = 1;
  tail = 0;

  private words: Int32Array;
  private scores: Float64Array;
  /** Members by member slot (a node's MEMBER word). */
  private members: string[] = [];
  private freeMemberSlots: number[] = [];
  private top = blockSize(MAX_LEVEL);
  /** Free node blocks by level (index level-1). */
  private freeBlocks: number[][] = [];
  /** Scratch paths reused by every operation (no per-call allocation). */
  private readonly update = new Int32Array(MAX_LEVEL);
  private readonly rankAt = new Float64Array(MAX_LEVEL);

  constructor(capacity = 4) {
    const buf = new ArrayBuffer(4 * (blockSize(MAX_LEVEL) + capacity * blockSize(2)));
    this.words = new Int32Array(buf);
    this.scores = new Float64Array(buf);
    this.words[LEVEL] = MAX_LEVEL; // the header, node 0
  }

  // ---- navigation ----------------------------------------------------------------------------

  first(): number {
    return this.words[LINKS];
  }

  next(x: number): number {
    return this.words[x + LINKS];
  }

  prev(x: number): number {
    return this.words[x + BACKWARD];
  }

  scoreOf(x: number): number {
    return this.scores[x >> 1];
  }

  memberOf(x: number): string {
    return this.members[this.words[x + MEMBER]];
  }

  /** Node at 1-based rank, or 0. */
  byRank(rank: number): number {
    const w = this.words;
    let x = 0;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = x + LINKS + 2 * i;
      while (w[link] !== 0 && traversed + w[link + 1] <= rank) {
        traversed += w[link + 1];
        x = w[link];
        link = x + LINKS + 2 * i;
      }
      if (traversed === rank) return x;
    }
    return 0;
  }

  /** 1-based rank of the element (score, member), or 0 if absent. */
  rank(score: number, member: string): number {
    const w = this.words;
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = x + LINKS + 2 * i;
      for (let y = w[link]; y !== 0; y = w[link]) {
        const s = this.scores[y >> 1];
        if (s < score || (s === score && this.memberOf(y) <= member)) {
          rank += w[link + 1];
          x = y;
          link = x + LINKS + 2 * i;
        } else break;
      }
      if (x !== 0 && this.memberOf(x) === member) return rank;
    }
    return 0;
  }

  /** First node with score in range, or 0. */
  firstInScore(r: ScoreRange): number {
    if (!this.scoreOverlaps(r)) return 0;
    const w = this.words;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = w[x + LINKS + 2 * i]; y !== 0 && !scoreGteMin(this.scores[y >> 1], r); y = w[x + LINKS + 2 * i]) x = y;
    }
    x = this.next(x);
    return x !== 0 && scoreLteMax(this.scoreOf(x), r) ? x : 0;
  }

  /** Last node with score in range, or 0. */
  lastInScore(r: ScoreRange): number {
    if (!this.scoreOverlaps(r)) return 0;
    const w = this.words;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = w[x + LINKS + 2 * i]; y !== 0 && scoreLteMax(this.scores[y >> 1], r); y = w[x + LINKS + 2 * i]) x = y;
    }
    return x !== 0 && scoreGteMin(this.scoreOf(x), r) ? x : 0;
  }

  firstInLex(r: LexRange): number {
    if (!this.lexOverlaps(r)) return 0;
    const w = this.words;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = w[x + LINKS + 2 * i]; y !== 0 && !lexGteMin(this.memberOf(y), r); y = w[x + LINKS + 2 * i]) x = y;
    }
    x = this.next(x);
    return x !== 0 && lexLteMax(this.memberOf(x), r) ? x : 0;
  }

  lastInLex(r: LexRange): number {
    if (!this.lexOverlaps(r)) return 0;
    const w = this.words;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = w[x + LINKS + 2 * i]; y !== 0 && lexLteMax(this.memberOf(y), r); y = w[x + LINKS + 2 * i]) x = y;
    }
    return x !== 0 && lexGteMin(this.memberOf(x), r) ? x : 0;
  }

  private scoreOverlaps(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r) || this.length === 0) return false;
    return scoreGteMin(this.scoreOf(this.tail), r) && scoreLteMax(this.scoreOf(this.first()), r);
  }

  private lexOverlaps(r: LexRange): boolean {
    if (lexRangeEmpty(r) || this.length === 0) return false;
    return lexGteMin(this.memberOf(this.tail), r) && lexLteMax(this.memberOf(this.first()), r);
  }

  // ---- updates -------------------------------------------------------------------------------

  /** Inserts a new element (the caller knows the member is absent); returns its node id. */
  insert(score: number, member: string): number {
    const x = this.allocNode(randomLevel(), member);
    this.scores[x >> 1] = score;
    this.link(x);
    return x;
  }

  /** Removes the node of (score, member); returns whether it was there. */
  delete(score: number, member: string): boolean {
    const x = this.findPath(score, member);
    if (x === 0 || this.scoreOf(x) !== score || this.memberOf(x) !== member) return false;
    this.unlink(x);
    this.freeNode(x);
    return true;
  }

  /**
   * Changes the score of node x (zslUpdateScore). The node keeps its id, so maps pointing to it
   * stay valid: it is updated in place when its position does not change, else relinked.
   */
  updateScore(x: number, score: number): void {
    const prev = this.prev(x);
    const next = this.next(x);
    const member = this.memberOf(x);
    if ((prev === 0 || this.scoreOf(prev) < score || (this.scoreOf(prev) === score && this.memberOf(prev) < member)) &&
        (next === 0 || this.scoreOf(next) > score || (this.scoreOf(next) === score && this.memberOf(next) > member))) {
      this.scores[x >> 1] = score;
      return;
    }
    this.findPath(this.scoreOf(x), member);
    this.unlink(x);
    this.scores[x >> 1] = score;
    this.link(x);
  }

  /**
   * Deletes the nodes from 1-based rank `start` to `end` inclusive, calling `removed` with each
   * member before its node is freed. Returns the count.
   */
  deleteRangeByRank(start: number, end: number, removed: (member: string) => void): number {
    const w = this.words;
    let x = 0;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = x + LINKS + 2 * i;
      while (w[link] !== 0 && traversed + w[link + 1] < start) {
        traversed += w[link + 1];
        x = w[link];
        link = x + LINKS + 2 * i;
      }
      this.update[i] = x;
    }
    traversed++;
    x = this.next(x);
    let n = 0;
    while (x !== 0 && traversed <= end) {
      const next = this.next(x);
      this.unlink(x);
      removed(this.memberOf(x));
      this.freeNode(x);
      n++;
      traversed++;
      x = next;
    }
    return n;
  }

  /** Deletes every node from node `from` (inclusive) while `inRange` holds. */
  deleteFrom(from: number, inRange: (x: number) => boolean, removed: (member: string) => void): number {
    if (from === 0) return 0;
    this.findPath(this.scoreOf(from), this.memberOf(from));
    let x = from;
    let n = 0;
    while (x !== 0 && inRange(x)) {
      const next = this.next(x);
      this.unlink(x);
      removed(this.memberOf(x));
      this.freeNode(x);
      n++;
      x = next;
    }
    return n;
  }

  /** Deep copy: the memory is copied wholesale, node ids stay the same. */
  clone(): Skiplist {
    const copy = new Skiplist(0);
    copy.length = this.length;
    copy.level = this.level;
    copy.tail = this.tail;
    const buf = this.words.buffer.slice(0);
    copy.words = new Int32Array(buf);
    copy.scores = new Float64Array(buf);
    copy.members = this.members.slice();
    copy.freeMemberSlots = this.freeMemberSlots.slice();
    copy.top = this.top;
    copy.freeBlocks = this.freeBlocks.map((l) => l.slice());
    return copy;
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Fills `update` (the last node before (score, member) at each level) and `rankAt`, and returns
   * the node right after the path at level 0.
   */
  private findPath(score: number, member: string): number {
    const w = this.words;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      this.rankAt[i] = i === this.level - 1 ? 0 : this.rankAt[i + 1];
      let link = x + LINKS + 2 * i;
      for (let y = w[link]; y !== 0; y = w[link]) {
        const s = this.scores[y >> 1];
        if (s < score || (s === score && this.memberOf(y) < member)) {
          this.rankAt[i] += w[link + 1];
          x = y;
          link = x + LINKS + 2 * i;
        } else break;
      }
      this.update[i] = x;
    }
    return this.next(x);
  }

  /** Links node x (score and member set) at its sorted position. */
  private link(x: number): void {
    this.findPath(this.scoreOf(x), this.memberOf(x));
    const w = this.words;
    const level = w[x + LEVEL];
    const update = this.update;
    const rankAt = this.rankAt;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = 0;
        w[LINKS + 2 * i + 1] = this.length;
      }
      this.level = level;
    }
    for (let i = 0; i < level; i++) {
      const xl = x + LINKS + 2 * i;
      const ul = update[i] + LINKS + 2 * i;
      w[xl] = w[ul];
      w[ul] = x;
      w[xl + 1] = w[ul + 1] - (rankAt[0] - rankAt[i]);
      w[ul + 1] = rankAt[0] - rankAt[i] + 1;
    }
    for (let i = level; i < this.level; i++) w[update[i] + LINKS + 2 * i + 1]++;
    w[x + BACKWARD] = update[0];
    const next = w[x + LINKS];
    if (next !== 0) w[next + BACKWARD] = x;
    else this.tail = x;
    this.length++;
  }

  /** Unlinks node x using the path in `update` (zslDeleteNode). */
  private unlink(x: number): void {
    const w = this.words;
    for (let i = 0; i < this.level; i++) {
      const ul = this.update[i] + LINKS + 2 * i;
      if (w[ul] === x) {
        const xl = x + LINKS + 2 * i;
        w[ul + 1] += w[xl + 1] - 1;
        w[ul] = w[xl];
      } else {
        w[ul + 1] -= 1;
      }
    }
    const next = w[x + LINKS];
    if (next !== 0) w[next + BACKWARD] = w[x + BACKWARD];
    else this.tail = w[x + BACKWARD];
    while (this.level > 1 && w[LINKS + 2 * (this.level - 1)] === 0) this.level--;
    this.length--;
  }

  private allocNode(level: number, member: string): number {
    let x = this.freeBlocks[level - 1]?.pop();
    if (x === undefined) {
      x = this.top;
      this.top += blockSize(level);
      if (this.top > this.words.length) this.grow();
    }
    const w = this.words;
    w.fill(0, x, x + blockSize(level));
    w[x + LEVEL] = level;
    let slot = this.freeMemberSlots.pop();
    if (slot === undefined) slot = this.members.push(member) - 1;
    else this.members[slot] = member;
    w[x + MEMBER] = slot;
    return x;
  }

  private freeNode(x: number): void {
    const w = this.words;
    (this.freeBlocks[w[x + LEVEL] - 1] ??= []).push(x);
    const slot = w[x + MEMBER];
    this.members[slot] = '';
    this.freeMemberSlots.push(slot);
  }

  private grow(): void {
    const words = Math.max(this.top, this.words.length * 2);
    const buf = new ArrayBuffer(4 * (words + (words & 1)));
    const next = new Int32Array(buf);
    next.set(this.words);
    this.words = next;
    this.scores = new Float64Array(buf);
  }
}

/** zslRandomLevel: level k with probability P^(k-1)(1-P), capped at MAX_LEVEL. */
function randomLevel(): number {
  let level = 1;
  while (Math.random() < P && level < MAX_LEVEL) level++;
  return level;
}
