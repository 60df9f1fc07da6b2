import { SampledPolicy } from './eviction-pool.js';
import { grown } from './policy.js';

/**
 * volatile-ttl: evicts the key with the nearest expiry, by sampling keys that have a TTL into the
 * pool of 16 as Redis does (score = -expire time, so the soonest expiry wins). Keys without a
 * TTL are tracked but never evicted; with none left, evict() returns -1 (the caller answers OOM).
 */
export class VolatileTtl extends SampledPolicy {
  readonly name = 'volatile-ttl';
  private expireAt = new Float64Array(16);

  protected inserted(slot: number): void {
    this.expireAt = grown(this.expireAt, slot + 1);
    this.expireAt[slot] = 0;
  }

  access(_slot: number): void {}

  override setExpire(slot: number, when: number): void {
    if (!this.has(slot)) return;
    this.expireAt[slot] = when;
    if (when > 0) this.candidates.add(slot);
    else this.uncandidate(slot);
  }

  protected score(slot: number): number {
    return -this.expireAt[slot];
  }
}
