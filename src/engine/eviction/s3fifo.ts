import { SlotTable } from './base.js';
import { grown, type EvictionPolicy } from './policy.js';
import { SlotLists } from './slot-lists.js';

const SMALL = 0;
const MAIN = 1;
const SMALL_RATIO = 0.1;

/**
 * S3-FIFO (Yang et al., SOSP'23), kept for comparison with W-TinyLFU: a small FIFO (10% of the
 * budget) takes new keys; a key read at least `promoteAt` times while there moves to the main FIFO
 * when it reaches the head, otherwise it is evicted and its hash remembered in a ghost FIFO (as
 * many hashes as main holds keys). A miss on a ghost hash goes straight to main. Main is a
 * FIFO with a 2-bit read counter per key: a key at the head with a non-zero counter is reinserted
 * with the counter decremented (CLOCK-like), else evicted.
 */
export class S3Fifo extends SlotTable implements EvictionPolicy {
  readonly name = 'allkeys-s3fifo';
  private lists = new SlotLists(2);
  private freq = new Uint8Array(16);
  private smallWeight = 0;
  private maximum = 0;
  // Ghost FIFO of hashes: a ring buffer plus a count per hash for membership.
  private ghostRing = new Uint32Array(16);
  private ghostHead = 0;
  private ghostSize = 0;
  private ghost = new Map<number, number>();

  constructor(
    maxWeight: number,
    private readonly promoteAt = 1,
  ) {
    super();
    this.resize(maxWeight);
  }

  override resize(maxWeight: number): void {
    this.maximum = maxWeight;
  }

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    const inGhost = this.ghost.has(hash);
    const q = inGhost ? MAIN : SMALL;
    this.track(slot, hash, weight, q + 1);
    this.lists.ensure(slot);
    this.freq = grown(this.freq, slot + 1);
    this.freq[slot] = 0;
    this.lists.push(q, slot);
    if (q === SMALL) this.smallWeight += weight;
  }

  access(slot: number): void {
    if (this.has(slot) && this.freq[slot] < 3) this.freq[slot]++;
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    const q = this.state[slot] - 1;
    this.lists.unlink(q, slot);
    if (q === SMALL) this.smallWeight -= this.weights[slot];
    this.untrack(slot);
  }

  evict(): number {
    for (;;) {
      const fromSmall = this.smallWeight > this.maximum * SMALL_RATIO || this.lists.head[MAIN] === -1;
      const victim = fromSmall ? this.evictSmall() : this.evictMain();
      if (victim !== -2) return victim;
    }
  }

  /** Small's head: promoted to main if it was read enough, else evicted (hash to the ghost). -2: moved, go on. */
  private evictSmall(): number {
    const s = this.lists.head[SMALL];
    if (s === -1) return -1;
    if (this.freq[s] >= this.promoteAt) {
      this.lists.move(SMALL, MAIN, s);
      this.state[s] = MAIN + 1;
      this.smallWeight -= this.weights[s];
      this.freq[s] = 0;
      return -2;
    }
    this.rememberGhost(this.hashes[s]);
    this.remove(s);
    return s;
  }

  private evictMain(): number {
    const s = this.lists.head[MAIN];
    if (s === -1) return -1;
    if (this.freq[s] > 0) {
      this.freq[s]--;
      this.lists.move(MAIN, MAIN, s);
      return -2;
    }
    this.remove(s);
    return s;
  }

  private rememberGhost(hash: number): void {
    const cap = Math.max(16, this.count);
    if (this.ghostRing.length < cap) {
      // Unroll the ring into a bigger one, oldest first.
      const bigger = new Uint32Array(grown(this.ghostRing, cap).length);
      for (let i = 0; i < this.ghostSize; i++) bigger[i] = this.ghostRing[(this.ghostHead + i) % this.ghostRing.length];
      this.ghostRing = bigger;
      this.ghostHead = 0;
    }
    while (this.ghostSize >= cap) this.forgetOldestGhost();
    this.ghostRing[(this.ghostHead + this.ghostSize) % this.ghostRing.length] = hash;
    this.ghostSize++;
    this.ghost.set(hash, (this.ghost.get(hash) ?? 0) + 1);
  }

  private forgetOldestGhost(): void {
    const h = this.ghostRing[this.ghostHead];
    this.ghostHead = (this.ghostHead + 1) % this.ghostRing.length;
    this.ghostSize--;
    const n = this.ghost.get(h)! - 1;
    if (n === 0) this.ghost.delete(h);
    else this.ghost.set(h, n);
  }
}
