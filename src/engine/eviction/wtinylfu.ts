import { SlotTable } from './base.js';
import { FrequencySketch } from './frequency-sketch.js';
import type { EvictionPolicy, Rng } from './policy.js';
import { SlotLists } from './slot-lists.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;

/** Caffeine's tuning (BoundedLocalCache). */
const PERCENT_MAIN = 0.99;
const PERCENT_MAIN_PROTECTED = 0.8;
const HILL_CLIMBER_RESTART_THRESHOLD = 0.05;
const HILL_CLIMBER_STEP_PERCENT = 0.0625;
const HILL_CLIMBER_STEP_DECAY_RATE = 0.98;
/** A candidate this popular wins against a more popular victim 1 time in 128 (hash-flooding guard). */
const ADMIT_HASHDOS_THRESHOLD = 6;
const QUEUE_TRANSFER_THRESHOLD = 1000;
const DEFAULT_CLIMB_PERIOD = 3;

export interface WTinyLfuOptions {
  /**
   * Weights are bytes: the sketch is then sized from the number of entries as it grows (as
   * Caffeine does for weighted caches) instead of from the maximum weight.
   */
  weighted?: boolean;
  /**
   * Requests per hill-climbing sample, as a multiple of the capacity. Caffeine uses 10 (its
   * sketch's sample size); we default to 3, measured better on the four traces (docs/eviction.md).
   */
  climbPeriod?: number;
}

/**
 * Adaptive W-TinyLFU, after Caffeine (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient
 * Cache Admission Policy", and Caffeine's BoundedLocalCache):
 *
 * - A small LRU *window* (1% of the budget at first) takes every new key, so bursts of new keys
 *   and recency-driven workloads get a chance.
 * - The *main* region is a segmented LRU: *probation* (20%) and *protected* (80%). A hit in
 *   probation promotes to protected; protected overflow is demoted back to probation's MRU end.
 * - When the window overflows, its LRU entries become *candidates* for main. Each candidate is
 *   compared with probation's LRU entry (the *victim*) by their popularity in a count-min sketch
 *   (frequency-sketch.ts) that counts every access, resident or not, and halves periodically.
 *   The less popular of the two is evicted, so a one-time scan cannot flush popular keys.
 *   With weights (bytes), the candidate is compared against as many victims as it takes to
 *   fit, and a candidate heavier than the whole budget is rejected, as Caffeine's evictFromMain.
 * - *Hill climbing* resizes the window: every sampleSize requests, if the hit ratio improved the
 *   last step is repeated, else reversed, with a step of 6.25% of the budget decaying by 0.98 and
 *   restarting on a large change (a sample is 3 x capacity requests; Caffeine uses 10 x). Recency-biased traces grow the window (approaching LRU),
 *   frequency-biased ones shrink it (approaching LFU).
 *
 * All per-key state is in typed arrays by slot; the three regions share one prev/next pair.
 */
export class WTinyLfu extends SlotTable implements EvictionPolicy {
  readonly name: string = 'allkeys-wtinylfu';
  private lists = new SlotLists(3);
  sketch = new FrequencySketch();
  private maximum = 0;
  windowMaximum = 0;
  protectedMaximum = 0;
  private windowWeight = 0;
  private protectedWeight = 0;
  // Hill climber state.
  private hitsInSample = 0;
  private missesInSample = 0;
  private previousHitRate = 0;
  private stepSize = 0;
  private adjustment = 0;
  /** Sampling starts once the cache has been full (a cold cache's hit ratio says nothing). */
  private warm = false;
  // Eviction cursor: candidates moved from the window in the current round (since the last insert).
  private epoch = 0;
  private roundEpoch = -1;
  private candidate = -1;
  private candidateQueue = PROBATION;
  private candidatesLeft = 0;

  constructor(
    maxWeight: number,
    private readonly rng: Rng,
    private readonly options: WTinyLfuOptions = {},
  ) {
    super();
    this.resize(maxWeight);
  }

  override resize(maxWeight: number): void {
    const max = Math.max(1, Math.floor(maxWeight));
    this.maximum = max;
    this.windowMaximum = max - Math.floor(PERCENT_MAIN * max);
    this.protectedMaximum = Math.floor(PERCENT_MAIN_PROTECTED * (max - this.windowMaximum));
    this.stepSize = -HILL_CLIMBER_STEP_PERCENT * max;
    this.adjustment = 0;
    if (!this.options.weighted) this.sketch.ensureCapacity(max);
    // Keys admitted under the old budget stay admitted: they move to main now rather than all
    // becoming admission candidates at the next eviction (a CONFIG SET maxmemory on a full server).
    this.drainWindow();
    this.demoteFromProtected();
  }

  private queue(slot: number): number {
    return this.state[slot] - 1;
  }

  insert(slot: number, hash: number, weight: number): void {
    this.remove(slot);
    this.track(slot, hash, weight, WINDOW + 1);
    this.lists.ensure(slot);
    this.lists.push(WINDOW, slot);
    this.windowWeight += weight;
    if (this.options.weighted && this.count > this.sketch.capacity) this.growSketch(this.count * 2);
    this.sketch.increment(hash);
    this.epoch++;
    if (this.warm) this.missesInSample++;
    this.climb();
  }

  access(slot: number): void {
    if (!this.has(slot)) return;
    this.sketch.increment(this.hashes[slot]);
    if (slot === this.candidate) this.candidate = -1;
    const q = this.queue(slot);
    if (q === WINDOW) this.lists.move(WINDOW, WINDOW, slot);
    else if (q === PROTECTED) this.lists.move(PROTECTED, PROTECTED, slot);
    else this.promote(slot);
    if (this.warm) this.hitsInSample++;
    this.climb();
  }

  /**
   * A larger sketch for a weighted cache whose entry count outgrew it. Caffeine starts the new
   * table empty; here the resident keys carry half their estimates over (halved as a reset would
   * age them), so growing does not make every resident key look new to admission. Measured on
   * cloudPhysicsIO (docs/eviction.md): half beats both starting empty and carrying all.
   */
  private growSketch(capacity: number): void {
    const old = this.sketch;
    const fresh = new FrequencySketch();
    fresh.ensureCapacity(capacity);
    for (let slot = 0; slot < this.state.length; slot++) {
      if (this.state[slot] === 0) continue;
      const h = this.hashes[slot];
      for (let n = old.frequency(h) >>> 1; n > 0; n--) fresh.increment(h);
    }
    this.sketch = fresh;
  }

  /** A probation hit moves to protected (unless heavier than all of it); overflow is demoted. */
  private promote(slot: number): void {
    const w = this.weights[slot];
    if (w > this.protectedMaximum) {
      this.lists.move(PROBATION, PROBATION, slot);
      return;
    }
    this.lists.move(PROBATION, PROTECTED, slot);
    this.state[slot] = PROTECTED + 1;
    this.protectedWeight += w;
    this.demoteFromProtected();
  }

  private demoteFromProtected(): void {
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD && this.protectedWeight > this.protectedMaximum; i++) {
      const s = this.lists.head[PROTECTED];
      if (s === -1) break;
      this.lists.move(PROTECTED, PROBATION, s);
      this.state[s] = PROBATION + 1;
      this.protectedWeight -= this.weights[s];
    }
  }

  override reweigh(slot: number, weight: number): void {
    if (!this.has(slot)) return;
    const delta = weight - this.weights[slot];
    const q = this.queue(slot);
    if (q === WINDOW) this.windowWeight += delta;
    else if (q === PROTECTED) this.protectedWeight += delta;
    super.reweigh(slot, weight);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    const q = this.queue(slot);
    this.lists.unlink(q, slot);
    if (q === WINDOW) this.windowWeight -= this.weights[slot];
    else if (q === PROTECTED) this.protectedWeight -= this.weights[slot];
    if (slot === this.candidate) this.candidate = -1;
    this.untrack(slot);
  }

  /** Moves window overflow to probation's MRU end; returns how many became candidates. */
  private drainWindow(): number {
    let moved = 0;
    while (this.windowWeight > this.windowMaximum) {
      const s = this.lists.head[WINDOW];
      if (s === -1) break;
      this.lists.move(WINDOW, PROBATION, s);
      this.state[s] = PROBATION + 1;
      this.windowWeight -= this.weights[s];
      moved++;
    }
    return moved;
  }

  /**
   * One step of Caffeine's evictFromMain: the window's overflow goes to probation as candidates,
   * then the candidate (newest first) duels probation's LRU victim; the loser is evicted. The
   * cursor persists across calls of the same round so weighted evictions walk the candidates.
   */
  evict(): number {
    this.warm = true;
    const moved = this.drainWindow();
    if (this.roundEpoch !== this.epoch) {
      this.roundEpoch = this.epoch;
      this.candidatesLeft = 0;
      this.candidate = -1;
      this.candidateQueue = PROBATION;
    }
    if (moved > 0) {
      this.candidatesLeft += moved;
      this.candidate = this.lists.tail[PROBATION];
      this.candidateQueue = PROBATION;
    }
    if (this.candidatesLeft <= 0 && this.candidateQueue === PROBATION) {
      // Out of candidates: the window's own LRU entries compete next.
      this.candidate = this.lists.head[WINDOW];
      this.candidateQueue = WINDOW;
    }
    let victim = this.lists.head[PROBATION];
    const candidate = this.candidate;
    if (victim === -1 && candidate === -1) {
      victim = this.lists.head[PROTECTED] !== -1 ? this.lists.head[PROTECTED] : this.lists.head[WINDOW];
      if (victim === -1) return -1;
      return this.evictSlot(victim);
    }
    if (victim === -1) return this.evictCandidate(candidate, true);
    if (candidate === -1 || candidate === victim) return this.evictSlot(victim);
    if (this.weights[candidate] > this.maximum) return this.evictCandidate(candidate, false);
    this.candidatesLeft--;
    if (this.admit(this.hashes[candidate], this.hashes[victim])) {
      this.candidate = this.lists.prev[candidate];
      return this.evictSlot(victim);
    }
    return this.evictCandidate(candidate, false);
  }

  private evictCandidate(candidate: number, countIt: boolean): number {
    if (countIt) this.candidatesLeft--;
    this.candidate = this.candidatesLeft > 0 ? this.lists.prev[candidate] : this.lists.next[candidate];
    return this.evictSlot(candidate);
  }

  private evictSlot(slot: number): number {
    const keep = this.candidate;
    this.remove(slot);
    if (keep !== slot) this.candidate = keep;
    return slot;
  }

  /** TinyLFU admission: the candidate enters main only if more popular than the victim. */
  private admit(candidateHash: number, victimHash: number): boolean {
    const victimFreq = this.sketch.frequency(victimHash);
    const candidateFreq = this.sketch.frequency(candidateHash);
    if (candidateFreq > victimFreq) return true;
    if (candidateFreq >= ADMIT_HASHDOS_THRESHOLD) return (this.rng() * 128) < 1;
    return false;
  }

  // ---- hill climbing (Caffeine's climb/determineAdjustment/increaseWindow/decreaseWindow) -------

  private climb(): void {
    const requests = this.hitsInSample + this.missesInSample;
    if (requests < this.sketch.capacity * (this.options.climbPeriod ?? DEFAULT_CLIMB_PERIOD)) return;
    const hitRate = this.hitsInSample / requests;
    const change = hitRate - this.previousHitRate;
    const amount = change >= 0 ? this.stepSize : -this.stepSize;
    this.stepSize =
      Math.abs(change) >= HILL_CLIMBER_RESTART_THRESHOLD
        ? HILL_CLIMBER_STEP_PERCENT * this.maximum * (amount >= 0 ? 1 : -1)
        : HILL_CLIMBER_STEP_DECAY_RATE * amount;
    this.previousHitRate = hitRate;
    this.adjustment = Math.trunc(amount);
    this.hitsInSample = 0;
    this.missesInSample = 0;
    this.demoteFromProtected();
    if (this.adjustment > 0) this.increaseWindow();
    else if (this.adjustment < 0) this.decreaseWindow();
  }

  private increaseWindow(): void {
    if (this.protectedMaximum === 0) return;
    let quota = Math.min(this.adjustment, this.protectedMaximum);
    this.protectedMaximum -= quota;
    this.windowMaximum += quota;
    this.demoteFromProtected();
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      let s = this.lists.head[PROBATION];
      let from = PROBATION;
      if (s === -1 || quota < this.weights[s]) {
        s = this.lists.head[PROTECTED];
        from = PROTECTED;
      }
      if (s === -1 || quota < this.weights[s]) break;
      quota -= this.weights[s];
      if (from === PROTECTED) this.protectedWeight -= this.weights[s];
      this.lists.move(from, WINDOW, s);
      this.state[s] = WINDOW + 1;
      this.windowWeight += this.weights[s];
    }
    // Give back the quota that could not be moved.
    this.protectedMaximum += quota;
    this.windowMaximum -= quota;
    this.adjustment = quota;
  }

  private decreaseWindow(): void {
    if (this.windowMaximum <= 1) return;
    let quota = Math.min(-this.adjustment, Math.max(0, this.windowMaximum - 1));
    this.protectedMaximum += quota;
    this.windowMaximum -= quota;
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      const s = this.lists.head[WINDOW];
      if (s === -1 || quota < this.weights[s]) break;
      quota -= this.weights[s];
      this.windowWeight -= this.weights[s];
      this.lists.move(WINDOW, PROBATION, s);
      this.state[s] = PROBATION + 1;
    }
    this.protectedMaximum -= quota;
    this.windowMaximum += quota;
    this.adjustment = -quota;
  }
}
