import { SlotTable } from './base.js';
import type { EvictionPolicy } from './policy.js';
import { SlotLists } from './slot-lists.js';

/**
 * Exact LRU: one doubly-linked list in typed arrays, oldest at the head. O(1) per operation.
 * (Redis approximates this by sampling; see sampled-lru.ts.)
 */
export class ExactLru extends SlotTable implements EvictionPolicy {
  readonly name = 'allkeys-lru';
  private list = new SlotLists(1);

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    this.track(slot, hash, weight, 1);
    this.list.ensure(slot);
    this.list.push(0, slot);
  }

  access(slot: number): void {
    if (this.has(slot)) this.list.move(0, 0, slot);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.list.unlink(0, slot);
    this.untrack(slot);
  }

  evict(): number {
    const slot = this.list.head[0];
    if (slot !== -1) this.remove(slot);
    return slot;
  }

  /** Slots from least to most recently used (tests and debugging). */
  order(): number[] {
    const out: number[] = [];
    for (let s = this.list.head[0]; s !== -1; s = this.list.next[s]) out.push(s);
    return out;
  }
}
