/**
 * Redis's sorted-set skiplist (t_zset.c zsl*) with spans, so rank lookups and range-by-rank are
 * O(log n) like score and lex lookups. Elements are ordered by score, then by member bytes
 * (latin1 strings compare like memcmp).
 *
 * Nodes live in parallel typed arrays indexed by node id rather than one object per node: each
 * node owns a block of `level` link slots (forward id + span) in two shared Int32Arrays. Node 0 is
 * the header (32 levels) and doubles as "no node", since nothing ever points forward or back to
 * the header.
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

export class Skiplist {
  length = 0;
  /** Highest level in use (1 when empty). */
  level = 1;
  tail = 0;

  score: Float64Array;
  member: string[] = [''];
  backward: Int32Array;
  private nodeLevel: Uint8Array;
  /** First link slot of each node; level i of node x is at base[x] + i. */
  private base: Int32Array;
  private fwd: Int32Array;
  private span: Int32Array;
  private linkTop = MAX_LEVEL;
  private nodeTop = 1;
  private freeNodes: number[] = [];
  /** Free link blocks by level (index level-1). */
  private freeLinks: number[][] = [];
  /** Scratch paths reused by every operation (no per-call allocation). */
  private readonly update = new Int32Array(MAX_LEVEL);
  private readonly rankAt = new Float64Array(MAX_LEVEL);

  constructor(capacity = 4) {
    const cap = Math.max(2, capacity + 1);
    this.score = new Float64Array(cap);
    this.backward = new Int32Array(cap);
    this.nodeLevel = new Uint8Array(cap);
    this.base = new Int32Array(cap);
    this.fwd = new Int32Array(MAX_LEVEL + cap * 2);
    this.span = new Int32Array(MAX_LEVEL + cap * 2);
    this.nodeLevel[0] = MAX_LEVEL;
  }

  // ---- navigation ----------------------------------------------------------------------------

  first(): number {
    return this.fwd[0];
  }

  next(x: number): number {
    return this.fwd[this.base[x]];
  }

  prev(x: number): number {
    return this.backward[x];
  }

  /** Node at 1-based rank, or 0. */
  byRank(rank: number): number {
    let x = 0;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = this.base[x] + i;
      while (this.fwd[link] !== 0 && traversed + this.span[link] <= rank) {
        traversed += this.span[link];
        x = this.fwd[link];
        link = this.base[x] + i;
      }
      if (traversed === rank) return x;
    }
    return 0;
  }

  /** 1-based rank of the element (score, member), or 0 if absent. */
  rank(score: number, member: string): number {
    let x = 0;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = this.base[x] + i;
      for (let y = this.fwd[link]; y !== 0; y = this.fwd[link]) {
        const s = this.score[y];
        if (s < score || (s === score && this.member[y] <= member)) {
          rank += this.span[link];
          x = y;
          link = this.base[x] + i;
        } else break;
      }
      if (x !== 0 && this.member[x] === member) return rank;
    }
    return 0;
  }

  /** First node with score in range, or 0. */
  firstInScore(r: ScoreRange): number {
    if (!this.scoreOverlaps(r)) return 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = this.fwd[this.base[x] + i]; y !== 0 && !scoreGteMin(this.score[y], r); y = this.fwd[this.base[x] + i]) x = y;
    }
    x = this.next(x);
    return x !== 0 && scoreLteMax(this.score[x], r) ? x : 0;
  }

  /** Last node with score in range, or 0. */
  lastInScore(r: ScoreRange): number {
    if (!this.scoreOverlaps(r)) return 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = this.fwd[this.base[x] + i]; y !== 0 && scoreLteMax(this.score[y], r); y = this.fwd[this.base[x] + i]) x = y;
    }
    return x !== 0 && scoreGteMin(this.score[x], r) ? x : 0;
  }

  firstInLex(r: LexRange): number {
    if (!this.lexOverlaps(r)) return 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = this.fwd[this.base[x] + i]; y !== 0 && !lexGteMin(this.member[y], r); y = this.fwd[this.base[x] + i]) x = y;
    }
    x = this.next(x);
    return x !== 0 && lexLteMax(this.member[x], r) ? x : 0;
  }

  lastInLex(r: LexRange): number {
    if (!this.lexOverlaps(r)) return 0;
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = this.fwd[this.base[x] + i]; y !== 0 && lexLteMax(this.member[y], r); y = this.fwd[this.base[x] + i]) x = y;
    }
    return x !== 0 && lexGteMin(this.member[x], r) ? x : 0;
  }

  private scoreOverlaps(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r) || this.length === 0) return false;
    return scoreGteMin(this.score[this.tail], r) && scoreLteMax(this.score[this.first()], r);
  }

  private lexOverlaps(r: LexRange): boolean {
    if (lexRangeEmpty(r) || this.length === 0) return false;
    return lexGteMin(this.member[this.tail], r) && lexLteMax(this.member[this.first()], r);
  }

  // ---- updates -------------------------------------------------------------------------------

  /** Inserts a new element (the caller knows the member is absent); returns its node id. */
  insert(score: number, member: string): number {
    const x = this.allocNode(randomLevel());
    this.score[x] = score;
    this.member[x] = member;
    this.link(x);
    return x;
  }

  /** Removes the node of (score, member); returns whether it was there. */
  delete(score: number, member: string): boolean {
    const x = this.findPath(score, member);
    if (x === 0 || this.score[x] !== score || this.member[x] !== member) return false;
    this.unlink(x);
    this.freeNode(x);
    return true;
  }

  /**
   * Changes the score of node x (zslUpdateScore). The node keeps its id, so maps pointing to it
   * stay valid: it is updated in place when its position does not change, else relinked.
   */
  updateScore(x: number, score: number): void {
    const prev = this.backward[x];
    const next = this.next(x);
    const member = this.member[x];
    if ((prev === 0 || this.score[prev] < score || (this.score[prev] === score && this.member[prev] < member)) &&
        (next === 0 || this.score[next] > score || (this.score[next] === score && this.member[next] > member))) {
      this.score[x] = score;
      return;
    }
    this.findPath(this.score[x], member);
    this.unlink(x);
    this.score[x] = score;
    this.link(x);
  }

  /**
   * Deletes the nodes from 1-based rank `start` to `end` inclusive, calling `removed` with each
   * member before its node is freed. Returns the count.
   */
  deleteRangeByRank(start: number, end: number, removed: (member: string) => void): number {
    let x = 0;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let link = this.base[x] + i;
      while (this.fwd[link] !== 0 && traversed + this.span[link] < start) {
        traversed += this.span[link];
        x = this.fwd[link];
        link = this.base[x] + i;
      }
      this.update[i] = x;
    }
    traversed++;
    x = this.next(x);
    let n = 0;
    while (x !== 0 && traversed <= end) {
      const next = this.next(x);
      this.unlink(x);
      removed(this.member[x]);
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
    this.findPath(this.score[from], this.member[from]);
    let x = from;
    let n = 0;
    while (x !== 0 && inRange(x)) {
      const next = this.next(x);
      this.unlink(x);
      removed(this.member[x]);
      this.freeNode(x);
      n++;
      x = next;
    }
    return n;
  }

  /** Deep copy: the arrays are copied wholesale, node ids stay the same. */
  clone(): Skiplist {
    const copy = new Skiplist(0);
    copy.length = this.length;
    copy.level = this.level;
    copy.tail = this.tail;
    copy.score = this.score.slice();
    copy.member = this.member.slice();
    copy.backward = this.backward.slice();
    copy.nodeLevel = this.nodeLevel.slice();
    copy.base = this.base.slice();
    copy.fwd = this.fwd.slice();
    copy.span = this.span.slice();
    copy.linkTop = this.linkTop;
    copy.nodeTop = this.nodeTop;
    copy.freeNodes = this.freeNodes.slice();
    copy.freeLinks = this.freeLinks.map((l) => l.slice());
    return copy;
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Fills `update` (the last node before (score, member) at each level) and `rankAt`, and returns
   * the node right after the path at level 0.
   */
  private findPath(score: number, member: string): number {
    let x = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      this.rankAt[i] = i === this.level - 1 ? 0 : this.rankAt[i + 1];
      let link = this.base[x] + i;
      for (let y = this.fwd[link]; y !== 0; y = this.fwd[link]) {
        const s = this.score[y];
        if (s < score || (s === score && this.member[y] < member)) {
          this.rankAt[i] += this.span[link];
          x = y;
          link = this.base[x] + i;
        } else break;
      }
      this.update[i] = x;
    }
    return this.next(x);
  }

  /** Links node x (score and member set) at its sorted position. */
  private link(x: number): void {
    this.findPath(this.score[x], this.member[x]);
    const level = this.nodeLevel[x];
    const update = this.update;
    const rankAt = this.rankAt;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = 0;
        this.span[i] = this.length;
      }
      this.level = level;
    }
    const bx = this.base[x];
    for (let i = 0; i < level; i++) {
      const ul = this.base[update[i]] + i;
      this.fwd[bx + i] = this.fwd[ul];
      this.fwd[ul] = x;
      this.span[bx + i] = this.span[ul] - (rankAt[0] - rankAt[i]);
      this.span[ul] = rankAt[0] - rankAt[i] + 1;
    }
    for (let i = level; i < this.level; i++) this.span[this.base[update[i]] + i]++;
    this.backward[x] = update[0];
    const next = this.fwd[bx];
    if (next !== 0) this.backward[next] = x;
    else this.tail = x;
    this.length++;
  }

  /** Unlinks node x using the path in `update` (zslDeleteNode). */
  private unlink(x: number): void {
    const bx = this.base[x];
    for (let i = 0; i < this.level; i++) {
      const ul = this.base[this.update[i]] + i;
      if (this.fwd[ul] === x) {
        this.span[ul] += this.span[bx + i] - 1;
        this.fwd[ul] = this.fwd[bx + i];
      } else {
        this.span[ul] -= 1;
      }
    }
    const next = this.fwd[bx];
    if (next !== 0) this.backward[next] = this.backward[x];
    else this.tail = this.backward[x];
    while (this.level > 1 && this.fwd[this.level - 1] === 0) this.level--;
    this.length--;
  }

  private allocNode(level: number): number {
    let x = this.freeNodes.pop();
    if (x === undefined) {
      x = this.nodeTop++;
      if (x >= this.score.length) this.growNodes();
    }
    this.nodeLevel[x] = level;
    const free = this.freeLinks[level - 1];
    let b = free !== undefined ? free.pop() : undefined;
    if (b === undefined) {
      b = this.linkTop;
      this.linkTop += level;
      if (this.linkTop > this.fwd.length) this.growLinks();
    }
    this.base[x] = b;
    for (let i = 0; i < level; i++) {
      this.fwd[b + i] = 0;
      this.span[b + i] = 0;
    }
    return x;
  }

  private freeNode(x: number): void {
    const level = this.nodeLevel[x];
    (this.freeLinks[level - 1] ??= []).push(this.base[x]);
    this.member[x] = '';
    this.freeNodes.push(x);
  }

  private growNodes(): void {
    const cap = this.score.length * 2;
    this.score = grow(this.score, new Float64Array(cap));
    this.backward = grow(this.backward, new Int32Array(cap));
    this.nodeLevel = grow(this.nodeLevel, new Uint8Array(cap));
    this.base = grow(this.base, new Int32Array(cap));
  }

  private growLinks(): void {
    const cap = Math.max(this.linkTop, this.fwd.length * 2);
    this.fwd = grow(this.fwd, new Int32Array(cap));
    this.span = grow(this.span, new Int32Array(cap));
  }
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}

/** zslRandomLevel: level k with probability P^(k-1)(1-P), capped at MAX_LEVEL. */
function randomLevel(): number {
  let level = 1;
  while (Math.random() < P && level < MAX_LEVEL) level++;
  return level;
}
