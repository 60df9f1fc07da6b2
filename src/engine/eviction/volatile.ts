import { grown, type EvictionPolicy, type PolicyTuning } from './policy.js';

/**
 * The volatile-* twin of a policy: only keys with a TTL are handed to the inner policy, so it can
 * only choose among them (Redis's volatile-lru/lfu/random sample the `expires` dict instead).
 * Keys without a TTL are remembered (hash, weight) so they can join when they gain one.
 * evict() returns -1 when no key has a TTL: the caller answers OOM, as Redis does.
 */
export class VolatileOnly implements EvictionPolicy {
  readonly name: string;
  private present = new Uint8Array(16);
  private hashes = new Uint32Array(16);
  private weights = new Float64Array(16);

  constructor(readonly inner: EvictionPolicy) {
    this.name = inner.name.replace(/^allkeys-/, 'volatile-');
  }

  get count(): number {
    return this.inner.count;
  }

  get weight(): number {
    return this.inner.weight;
  }

  has(slot: number): boolean {
    return this.inner.has(slot);
  }

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    if (slot >= this.present.length) {
      this.present = grown(this.present, slot + 1);
      this.hashes = grown(this.hashes, slot + 1);
      this.weights = grown(this.weights, slot + 1);
    }
    this.present[slot] = 1;
    this.hashes[slot] = hash;
    this.weights[slot] = weight;
  }

  access(slot: number): void {
    this.inner.access(slot);
  }

  reweigh(slot: number, weight: number): void {
    if (slot < this.present.length && this.present[slot]) this.weights[slot] = weight;
    this.inner.reweigh(slot, weight);
  }

  setExpire(slot: number, when: number): void {
    if (slot >= this.present.length || !this.present[slot]) return;
    if (when > 0 && !this.inner.has(slot)) this.inner.insert(slot, this.hashes[slot], this.weights[slot]);
    else if (when === 0) this.inner.remove(slot);
    this.inner.setExpire(slot, when);
  }

  remove(slot: number): void {
    if (slot < this.present.length) this.present[slot] = 0;
    this.inner.remove(slot);
  }

  evict(): number {
    const slot = this.inner.evict();
    if (slot !== -1) this.present[slot] = 0;
    return slot;
  }

  tune(tuning: PolicyTuning): void {
    this.inner.tune?.(tuning);
  }

  resize(maxWeight: number): void {
    this.inner.resize(maxWeight);
  }
}
