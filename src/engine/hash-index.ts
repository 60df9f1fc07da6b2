/** Per-process seed, so which keys collide cannot be known in advance (as Redis seeds siphash). */
const SEED = (Math.random() * 0x100000000) | 0;

/**
 * 32-bit hash of a latin1 key for the open-addressing indexes (database.ts, slot-map.ts): FNV-1a
 * over the chars from a random seed, then murmur3's finalizer so the low bits an index uses
 * depend on every char.
 */
export function hashKey(key: string): number {
  let h = SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Open-addressing index from key hash to slot, shared by Database and SlotMap: bucket b is
 * table[2b] (the key's hash) and table[2b + 1] (slot + 1; 0 = empty). Linear probing, grown at
 * half full, shrunk below 1/8 (as Redis resizes a dict under 10% fill), deletion by shifting the
 * probe run back (no tombstones). Owners keep their own lookup loop, since comparing the key
 * needs their key storage: probe from `hash & mask` while table[2b + 1] !== 0.
 */
export class HashIndex {
  table: Int32Array;
  mask: number;
  count = 0;

  constructor(private readonly minBuckets: number) {
    this.table = new Int32Array(2 * minBuckets);
    this.mask = minBuckets - 1;
  }

  /** Adds `slot` under `hash`; the key must be absent. */
  add(hash: number, slot: number): void {
    if (2 * (this.count + 1) > this.mask + 1) this.rehash((this.mask + 1) * 2);
    const table = this.table;
    const mask = this.mask;
    let b = hash & mask;
    while (table[2 * b + 1] !== 0) b = (b + 1) & mask;
    table[2 * b] = hash;
    table[2 * b + 1] = slot + 1;
    this.count++;
  }

  /** Empties bucket b, shifting later entries of its probe run back. */
  removeBucket(b: number): void {
    const table = this.table;
    const mask = this.mask;
    let hole = b;
    for (let j = (b + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = table[2 * j] & mask;
      // The entry at j may fill the hole unless its home bucket lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      table[2 * hole] = table[2 * j];
      table[2 * hole + 1] = table[2 * j + 1];
      hole = j;
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
    this.count--;
    if (this.mask + 1 > this.minBuckets && this.count * 8 < this.mask + 1) this.rehash((this.mask + 1) / 2);
  }

  clear(): void {
    if (this.mask + 1 > this.minBuckets) this.table = new Int32Array(2 * this.minBuckets);
    else this.table.fill(0);
    this.mask = this.minBuckets - 1;
    this.count = 0;
  }

  clone(): HashIndex {
    const c = new HashIndex(this.minBuckets);
    c.table = this.table.slice();
    c.mask = this.mask;
    c.count = this.count;
    return c;
  }

  private rehash(buckets: number): void {
    const old = this.table;
    const table = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    for (let i = 0; i < old.length; i += 2) {
      const s = old[i + 1];
      if (s === 0) continue;
      let b = old[i] & mask;
      while (table[2 * b + 1] !== 0) b = (b + 1) & mask;
      table[2 * b] = old[i];
      table[2 * b + 1] = s;
    }
    this.table = table;
    this.mask = mask;
  }
}
