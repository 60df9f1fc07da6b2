import { SlotTable } from './base.js';
import { grown, type EvictionPolicy, type PolicyTuning, type Rng } from './policy.js';
import { SlotSet } from './slot-lists.js';

/** Redis's EVPOOL_SIZE and default maxmemory-samples. */
export const POOL_SIZE = 16;
export const DEFAULT_SAMPLES = 5;

/**
 * Redis's eviction pool (evict.c evictionPoolPopulate + performEvictions), shared by the sampled
 * policies: each eviction samples `samples` random candidates, merges them into a pool of 16
 * kept sorted by score ascending (score = Redis's "idle": higher is evicted first), then evicts
 * the best pool entry whose key still exists. Entries carry the slot's insertion generation so
 * a slot freed and reused by another key is recognised as gone, as Redis's dictFind would.
 *
 * Subclasses define the score and which slots are candidates (`candidates`: all keys, or only
 * those with a TTL for volatile-ttl).
 */
export abstract class SampledPolicy extends SlotTable implements EvictionPolicy {
  abstract readonly name: string;
  protected candidates = new SlotSet();
  private gen = new Uint32Array(16);
  private nextGen = 1;
  private poolSlot = new Int32Array(POOL_SIZE);
  private poolGen = new Uint32Array(POOL_SIZE);
  private poolScore = new Float64Array(POOL_SIZE);
  private poolSize = 0;

  constructor(
    protected readonly rng: Rng,
    private samples = DEFAULT_SAMPLES,
  ) {
    super();
  }

  tune(tuning: PolicyTuning): void {
    this.samples = tuning.samples;
  }

  /** Higher = evicted first (Redis's idle / 255-freq / -expire). */
  protected abstract score(slot: number): number;

  abstract access(slot: number): void;

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    this.track(slot, hash, weight, 1);
    this.gen = grown(this.gen, slot + 1);
    this.gen[slot] = this.nextGen++;
    this.inserted(slot);
  }

  /**
   * A key stops being an eviction candidate (a volatile policy's key lost its TTL); a pool entry
   * for it goes stale too, as Redis's pool entry no longer found in the expires dict.
   */
  protected uncandidate(slot: number): void {
    this.candidates.delete(slot);
    this.gen[slot] = this.nextGen++;
  }

  /** Per-policy initialisation of a new key (access clock, LFU counter, candidate set). */
  protected abstract inserted(slot: number): void;

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.candidates.delete(slot);
    this.gen[slot] = 0;
    this.untrack(slot);
  }

  evict(): number {
    while (this.candidates.size > 0) {
      this.populate();
      // Take the best-scored entries first; stale ones (key gone) are dropped, as in Redis.
      while (this.poolSize > 0) {
        const k = --this.poolSize;
        const slot = this.poolSlot[k];
        if (this.gen[slot] === this.poolGen[k]) {
          this.remove(slot);
          return slot;
        }
      }
    }
    return -1;
  }

  /** evictionPoolPopulate: sample with replacement and insert by score, as Redis does. */
  private populate(): void {
    const n = this.candidates.size;
    for (let i = 0; i < this.samples; i++) {
      const slot = this.candidates.at((this.rng() * n) | 0);
      this.offer(slot, this.gen[slot], this.score(slot));
    }
  }

  private offer(slot: number, gen: number, score: number): void {
    const full = this.poolSize === POOL_SIZE;
    let k = 0;
    while (k < this.poolSize && this.poolScore[k] < score) k++;
    if (k === 0 && full) return; // worse than everything in a full pool
    if (!full) {
      // Shift right to make room at k.
      this.poolSlot.copyWithin(k + 1, k, this.poolSize);
      this.poolGen.copyWithin(k + 1, k, this.poolSize);
      this.poolScore.copyWithin(k + 1, k, this.poolSize);
      this.poolSize++;
    } else {
      // Full: drop the lowest-scored entry (index 0) and insert just before position k.
      k--;
      this.poolSlot.copyWithin(0, 1, k + 1);
      this.poolGen.copyWithin(0, 1, k + 1);
      this.poolScore.copyWithin(0, 1, k + 1);
    }
    this.poolSlot[k] = slot;
    this.poolGen[k] = gen;
    this.poolScore[k] = score;
  }
}
