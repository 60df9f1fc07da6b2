import type { ContainerValue } from './values.js';
import { LISTPACK_EMPTY, QUICKLIST, QUICKLIST_NODE, QUICKLIST_NODE_BYTES, ROBJ, listpackEntry, mallocSize } from './memory.js';

const MIN_CAPACITY = 8;

/**
 * A Redis list: a ring-buffer deque of latin1 strings with a power-of-two capacity, so pushes and
 * pops at either end are O(1) amortised and access by index is O(1) (LINDEX/LSET anywhere, not
 * only near the ends). Inserting or removing in the middle shifts the shorter side.
 *
 * Redis 7.0 stores every list as a quicklist (listpack-encoded lists came in 7.2), so that is
 * the encoding OBJECT ENCODING reports.
 */
export class List implements ContainerValue {
  readonly type = 'list' as const;
  private items: (string | undefined)[];
  private mask: number;
  private head = 0;
  private length = 0;
  /** Sum of the elements' listpack entry sizes (engine/memory.ts). */
  private lpBytes = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.items = new Array<string | undefined>(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return 'quicklist';
  }

  clone(): List {
    const l = new List(this.length);
    for (let i = 0; i < this.length; i++) l.items[i] = this.items[(this.head + i) & this.mask];
    l.length = this.length;
    l.lpBytes = this.lpBytes;
    return l;
  }

  /** A quicklist: its struct, then 8 KB listpack nodes (one exact allocation while it fits in one). */
  memoryUsage(): number {
    return usage(this.lpBytes);
  }

  memoryUsageFromScratch(): number {
    let lp = 0;
    for (let i = 0; i < this.length; i++) lp += listpackEntry(this.at(i));
    return usage(lp);
  }

  pushFront(s: string): void {
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = s;
    this.length++;
    this.lpBytes += listpackEntry(s);
  }

  pushBack(s: string): void {
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    this.items[(this.head + this.length) & this.mask] = s;
    this.length++;
    this.lpBytes += listpackEntry(s);
  }

  push(s: string, front: boolean): void {
    if (front) this.pushFront(s);
    else this.pushBack(s);
  }

  popFront(): string | undefined {
    if (this.length === 0) return undefined;
    const s = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.lpBytes -= listpackEntry(s!);
    this.maybeShrink();
    return s;
  }

  popBack(): string | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const s = this.items[i];
    this.items[i] = undefined;
    this.length--;
    this.lpBytes -= listpackEntry(s!);
    this.maybeShrink();
    return s;
  }

  pop(front: boolean): string | undefined {
    return front ? this.popFront() : this.popBack();
  }

  /** Element at index 0 ≤ i < size. */
  at(i: number): string {
    return this.items[(this.head + i) & this.mask]!;
  }

  /** Replaces the element at index 0 ≤ i < size. */
  setAt(i: number, s: string): void {
    const at = (this.head + i) & this.mask;
    this.lpBytes += listpackEntry(s) - listpackEntry(this.items[at]!);
    this.items[at] = s;
  }

  /** Inserts before index 0 ≤ i ≤ size, moving the shorter side by one. */
  insertAt(i: number, s: string): void {
    if (i === 0) return this.pushFront(s);
    if (i === this.length) return this.pushBack(s);
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    const m = this.mask;
    if (i < this.length - i) {
      this.head = (this.head - 1) & m;
      for (let k = 0; k < i; k++) this.items[(this.head + k) & m] = this.items[(this.head + k + 1) & m];
    } else {
      for (let k = this.length; k > i; k--) this.items[(this.head + k) & m] = this.items[(this.head + k - 1) & m];
    }
    this.items[(this.head + i) & m] = s;
    this.length++;
    this.lpBytes += listpackEntry(s);
  }

  /** Index of the first element equal to `s`, or -1. */
  indexOf(s: string): number {
    for (let i = 0; i < this.length; i++) if (this.items[(this.head + i) & this.mask] === s) return i;
    return -1;
  }

  /**
   * Removes up to `count` elements equal to `s` (all when count is 0), scanning from the tail
   * when `fromTail`. Compacts in one pass; returns the number removed.
   */
  remove(s: string, count: number, fromTail: boolean): number {
    const n = this.length;
    const m = this.mask;
    const items = this.items;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < n; r++) {
        const v = items[(this.head + r) & m]!;
        if (v === s && (count === 0 || removed < count)) removed++;
        else items[(this.head + w++) & m] = v;
      }
      for (let k = w; k < n; k++) items[(this.head + k) & m] = undefined;
    } else {
      let w = n - 1;
      for (let r = n - 1; r >= 0; r--) {
        const v = items[(this.head + r) & m]!;
        if (v === s && (count === 0 || removed < count)) removed++;
        else items[(this.head + w--) & m] = v;
      }
      for (let k = 0; k <= w; k++) items[(this.head + k) & m] = undefined;
      this.head = (this.head + removed) & m;
    }
    this.length = n - removed;
    this.lpBytes -= removed * listpackEntry(s);
    this.maybeShrink();
    return removed;
  }

  /** Keeps only indexes start..end (inclusive, already clamped to the list; start > end empties it). */
  trim(start: number, end: number): void {
    const keep = start > end ? 0 : end - start + 1;
    const m = this.mask;
    for (let k = 0; k < start && k < this.length; k++) this.dropAt((this.head + k) & m);
    for (let k = start + keep; k < this.length; k++) this.dropAt((this.head + k) & m);
    if (keep === 0) this.head = 0;
    else this.head = (this.head + start) & m;
    this.length = keep;
    this.maybeShrink();
  }

  /** Calls `fn` with each element from index `start` to `end` inclusive (both within the list). */
  forRange(start: number, end: number, fn: (s: string) => void): void {
    for (let i = start; i <= end; i++) fn(this.items[(this.head + i) & this.mask]!);
  }

  /** Elements from index `start` to `end` inclusive (both within the list). */
  slice(start: number, end: number): string[] {
    const out = new Array<string>(end - start + 1);
    for (let i = start; i <= end; i++) out[i - start] = this.items[(this.head + i) & this.mask]!;
    return out;
  }

  private dropAt(at: number): void {
    this.lpBytes -= listpackEntry(this.items[at]!);
    this.items[at] = undefined;
  }

  /** Halves the buffer when it is at most a quarter full, so a drained list gives its memory back. */
  private maybeShrink(): void {
    const cap = this.items.length;
    if (cap > MIN_CAPACITY && this.length <= cap >>> 2) this.resize(cap >>> 1);
  }

  private resize(cap: number): void {
    const next = new Array<string | undefined>(cap);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.mask = cap - 1;
    this.head = 0;
  }
}

function usage(lpBytes: number): number {
  if (lpBytes + LISTPACK_EMPTY <= QUICKLIST_NODE_BYTES) return ROBJ + QUICKLIST + QUICKLIST_NODE + mallocSize(LISTPACK_EMPTY + lpBytes);
  const nodes = Math.ceil(lpBytes / (QUICKLIST_NODE_BYTES - LISTPACK_EMPTY));
  return ROBJ + QUICKLIST + nodes * (QUICKLIST_NODE + LISTPACK_EMPTY) + lpBytes;
}
