import { mixHash } from './policy.js';

/**
 * TinyLFU's popularity estimate: a count-min sketch of 4-bit counters (8 per Uint32 word), four
 * rows, as in Caffeine's FrequencySketch. Each increment bumps the key's counter in every row
 * (saturating at 15); the estimate is the minimum. After `sampleSize` = 10 x capacity
 * increments every counter is halved ("reset"), so old popularity ages out and the sketch tracks
 * the recent frequency of keys whether or not they are resident.
 */
export class FrequencySketch {
  private table = new Uint32Array(0);
  private rowMask = 0;
  private rowShift = 0;
  /** Increments since the last reset. */
  size = 0;
  sampleSize = 0;
  capacity = 0;

  /** Sizes the sketch for `capacity` entries (resets it if it grows, as Caffeine does). */
  ensureCapacity(capacity: number): void {
    const cap = Math.max(1, Math.min(capacity, 1 << 22));
    if (cap <= this.capacity) return;
    this.capacity = cap;
    // Counters per row: 4 x the next power of two (Caffeine: 16 counters per entry in total).
    let width = 16;
    while (width < cap * 4) width *= 2;
    this.rowShift = Math.log2(width);
    this.rowMask = width - 1;
    this.table = new Uint32Array((width * 4) >>> 3);
    this.sampleSize = 10 * cap;
    this.size = 0;
  }

  /** Counter index of `hash` in row `row` (double hashing from two mixes of the key's hash). */
  private index(h1: number, h2: number, row: number): number {
    return (row << this.rowShift) | ((h1 + Math.imul(row, h2)) & this.rowMask);
  }

  frequency(hash: number): number {
    const h2 = mixHash(hash ^ 0x9e3779b9) | 1;
    let min = 15;
    for (let row = 0; row < 4; row++) {
      const i = this.index(hash, h2, row);
      const c = (this.table[i >>> 3] >>> ((i & 7) << 2)) & 15;
      if (c < min) min = c;
    }
    return min;
  }

  increment(hash: number): void {
    const h2 = mixHash(hash ^ 0x9e3779b9) | 1;
    let added = false;
    for (let row = 0; row < 4; row++) {
      const i = this.index(hash, h2, row);
      const shift = (i & 7) << 2;
      const w = this.table[i >>> 3];
      if (((w >>> shift) & 15) !== 15) {
        this.table[i >>> 3] = w + (1 << shift);
        added = true;
      }
    }
    if (added && ++this.size >= this.sampleSize) this.reset();
  }

  /** Halves every counter (aging); `size` drops by the halving and by the truncated odd counts. */
  private reset(): void {
    let odd = 0;
    const t = this.table;
    for (let i = 0; i < t.length; i++) {
      odd += popcount(t[i] & 0x11111111);
      t[i] = (t[i] >>> 1) & 0x77777777;
    }
    this.size = (this.size - (odd >>> 2)) >>> 1;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
