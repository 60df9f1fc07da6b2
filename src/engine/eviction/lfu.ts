import { SampledPolicy } from './eviction-pool.js';
import { grown, type Now, type PolicyTuning, type Rng } from './policy.js';

/** Redis's LFU_INIT_VAL: new keys start here so they are not evicted before they can be used. */
export const LFU_INIT_VAL = 5;

export interface LfuOptions {
  /** lfu-log-factor (Redis default 10). */
  logFactor?: number;
  /** lfu-decay-time in minutes (Redis default 1; 0 = never decay). */
  decayTime?: number;
  samples?: number;
}

/**
 * Redis's LFU (allkeys-lfu): per key an 8-bit logarithmic counter and the 16-bit minute of its
 * last decrement (Redis packs both in the object's 24 lru bits; here two typed arrays).
 *
 * - Access: decay first (one per lfu-decay-time minutes elapsed), then increment with
 *   probability 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1) (LFULogIncr), using the
 *   injected RNG. With factor 10 the counter reaches 255 after about a million hits.
 * - Eviction: like Redis, by sampling 5 keys into the pool of 16 with score 255 - decayed counter
 *   (not an exact minimum), so its hit ratio is Redis's, sampling noise included.
 */
export class RedisLfu extends SampledPolicy {
  readonly name: string = 'allkeys-lfu';
  private counter = new Uint8Array(16);
  private decrTime = new Uint16Array(16);
  private logFactor: number;
  private decayTime: number;

  constructor(
    rng: Rng,
    private readonly now: Now,
    options: LfuOptions = {},
  ) {
    super(rng, options.samples);
    this.logFactor = options.logFactor ?? 10;
    this.decayTime = options.decayTime ?? 1;
  }

  override tune(tuning: PolicyTuning): void {
    super.tune(tuning);
    this.logFactor = tuning.logFactor;
    this.decayTime = tuning.decayTime;
  }

  /** LFUGetTimeInMinutes. */
  private minutes(): number {
    return Math.floor(this.now() / 60000) & 65535;
  }

  protected inserted(slot: number): void {
    if (slot >= this.counter.length) {
      this.counter = grown(this.counter, slot + 1);
      const t = new Uint16Array(this.counter.length);
      t.set(this.decrTime);
      this.decrTime = t;
    }
    this.counter[slot] = LFU_INIT_VAL;
    this.decrTime[slot] = this.minutes();
    this.candidates.add(slot);
  }

  access(slot: number): void {
    if (!this.has(slot)) return;
    this.counter[slot] = this.logIncr(this.frequency(slot));
    this.decrTime[slot] = this.minutes();
  }

  /** LFUDecrAndReturn: the counter after decay, without storing it (OBJECT FREQ shows this). */
  frequency(slot: number): number {
    const counter = this.counter[slot];
    if (this.decayTime === 0) return counter;
    const now = this.minutes();
    const ldt = this.decrTime[slot];
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    const periods = Math.floor(elapsed / this.decayTime);
    return periods > counter ? 0 : counter - periods;
  }

  /** LFULogIncr. */
  private logIncr(counter: number): number {
    if (counter === 255) return 255;
    const base = Math.max(0, counter - LFU_INIT_VAL);
    return this.rng() < 1 / (base * this.logFactor + 1) ? counter + 1 : counter;
  }

  protected score(slot: number): number {
    return 255 - this.frequency(slot);
  }
}

/**
 * volatile-lfu: Redis keeps an LFU counter in every object whatever its TTL (OBJECT FREQ shows
 * it), but evicts only keys with a TTL. So every key is counted here, and only keys with a TTL
 * are eviction candidates (VolatileOnly would not count keys without one).
 */
export class VolatileLfu extends RedisLfu {
  override readonly name = 'volatile-lfu';

  protected override inserted(slot: number): void {
    super.inserted(slot);
    this.candidates.delete(slot);
  }

  override setExpire(slot: number, when: number): void {
    if (!this.has(slot)) return;
    if (when > 0) this.candidates.add(slot);
    else this.uncandidate(slot);
  }
}
