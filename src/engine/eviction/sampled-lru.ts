import { SampledPolicy } from './eviction-pool.js';
import { grown, type Now, type Rng } from './policy.js';

/** Redis's LRU_CLOCK_MAX (24-bit clock) and LRU_CLOCK_RESOLUTION (ms). */
const LRU_CLOCK_MAX = (1 << 24) - 1;
export const LRU_CLOCK_RESOLUTION = 1000;

/**
 * Redis's approximated LRU (allkeys-lru as Redis 7.0 runs it): a 24-bit access clock per key
 * with 1 s resolution, and eviction by sampling 5 keys into the pool of 16 (eviction-pool.ts).
 * Kept as the reference for what Redis does; ExactLru is what we run.
 */
export class SampledLru extends SampledPolicy {
  readonly name = 'redis-lru';
  private clockAt = new Uint32Array(16);

  constructor(
    rng: Rng,
    private readonly now: Now,
    samples?: number,
    private readonly resolution = LRU_CLOCK_RESOLUTION,
  ) {
    super(rng, samples);
  }

  private lruClock(): number {
    return Math.floor(this.now() / this.resolution) & LRU_CLOCK_MAX;
  }

  protected inserted(slot: number): void {
    this.clockAt = grown(this.clockAt, slot + 1);
    this.clockAt[slot] = this.lruClock();
    this.candidates.add(slot);
  }

  access(slot: number): void {
    if (this.has(slot)) this.clockAt[slot] = this.lruClock();
  }

  /** estimateObjectIdleTime, in ms (the clock wraps every ~194 days). */
  protected score(slot: number): number {
    const clock = this.lruClock();
    const at = this.clockAt[slot];
    const ticks = clock >= at ? clock - at : LRU_CLOCK_MAX - at + clock;
    return ticks * this.resolution;
  }
}
