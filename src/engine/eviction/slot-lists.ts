import { grown } from './policy.js';

/**
 * Doubly-linked lists of slots in two typed arrays (prev/next), lru-cache style. A slot is in at
 * most one of the `lists` lists at a time; each list has a head (oldest) and a tail (newest).
 * -1 is the null link.
 */
export class SlotLists {
  prev = new Int32Array(16);
  next = new Int32Array(16);
  readonly head: Int32Array;
  readonly tail: Int32Array;

  constructor(lists: number) {
    this.head = new Int32Array(lists).fill(-1);
    this.tail = new Int32Array(lists).fill(-1);
  }

  ensure(slot: number): void {
    if (slot >= this.prev.length) {
      this.prev = grown(this.prev, slot + 1);
      this.next = grown(this.next, slot + 1);
    }
  }

  /** Appends `slot` at the tail (newest end) of list `l`. */
  push(l: number, slot: number): void {
    const t = this.tail[l];
    this.prev[slot] = t;
    this.next[slot] = -1;
    if (t === -1) this.head[l] = slot;
    else this.next[t] = slot;
    this.tail[l] = slot;
  }

  unlink(l: number, slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p === -1) this.head[l] = n;
    else this.next[p] = n;
    if (n === -1) this.tail[l] = p;
    else this.prev[n] = p;
  }

  /** Moves `slot` (already in list `from`) to the tail of list `to`. */
  move(from: number, to: number, slot: number): void {
    if (from === to && this.tail[to] === slot) return;
    this.unlink(from, slot);
    this.push(to, slot);
  }
}

/**
 * A dense array of slots with each slot's position, for O(1) add/remove and uniform random
 * picks (sampling policies, random eviction): the analogue of Redis's dictGetRandomKey.
 */
export class SlotSet {
  private items = new Int32Array(16);
  private pos = new Int32Array(16).fill(-1);
  size = 0;

  has(slot: number): boolean {
    return slot < this.pos.length && this.pos[slot] !== -1;
  }

  add(slot: number): void {
    if (slot >= this.pos.length) this.pos = grown(this.pos, slot + 1, -1);
    if (this.pos[slot] !== -1) return;
    this.items = grown(this.items, this.size + 1);
    this.items[this.size] = slot;
    this.pos[slot] = this.size++;
  }

  delete(slot: number): void {
    if (!this.has(slot)) return;
    const i = this.pos[slot];
    const last = this.items[--this.size];
    this.items[i] = last;
    this.pos[last] = i;
    this.pos[slot] = -1;
  }

  at(i: number): number {
    return this.items[i];
  }
}
