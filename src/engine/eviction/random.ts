import { SlotTable } from './base.js';
import type { EvictionPolicy, Rng } from './policy.js';
import { SlotSet } from './slot-lists.js';

/** allkeys-random: a uniformly random tracked key (Redis's dictGetRandomKey). */
export class RandomPolicy extends SlotTable implements EvictionPolicy {
  readonly name = 'allkeys-random';
  private live = new SlotSet();

  constructor(private readonly rng: Rng) {
    super();
  }

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    this.track(slot, hash, weight, 1);
    this.live.add(slot);
  }

  access(_slot: number): void {}

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.live.delete(slot);
    this.untrack(slot);
  }

  evict(): number {
    if (this.live.size === 0) return -1;
    const slot = this.live.at((this.rng() * this.live.size) | 0);
    this.remove(slot);
    return slot;
  }
}
