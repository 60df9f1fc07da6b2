import { grown } from './policy.js';

/**
 * Per-slot bookkeeping shared by the policies: which slots are tracked, their weight and hash,
 * and the totals. `state[slot]` is 0 when untracked; policies store their queue number + 1 there.
 */
export abstract class SlotTable {
  protected state = new Uint8Array(16);
  protected weights = new Float64Array(16);
  protected hashes = new Uint32Array(16);
  count = 0;
  weight = 0;

  has(slot: number): boolean {
    return slot < this.state.length && this.state[slot] !== 0;
  }

  /** Starts tracking a slot (growing the arrays if needed); returns false if it already was. */
  protected track(slot: number, hash: number, weight: number, state: number): void {
    if (slot >= this.state.length) {
      this.state = grown(this.state, slot + 1);
      this.weights = grown(this.weights, slot + 1);
      this.hashes = grown(this.hashes, slot + 1);
    }
    this.state[slot] = state;
    this.weights[slot] = weight;
    this.hashes[slot] = hash;
    this.count++;
    this.weight += weight;
  }

  protected untrack(slot: number): void {
    this.state[slot] = 0;
    this.count--;
    this.weight -= this.weights[slot];
  }

  /** Weight change of a tracked slot (policies with weighted regions override to adjust them). */
  reweigh(slot: number, weight: number): void {
    if (!this.has(slot)) return;
    this.weight += weight - this.weights[slot];
    this.weights[slot] = weight;
  }

  setExpire(_slot: number, _when: number): void {}

  resize(_maxWeight: number): void {}
}
