/**
 * Eviction policies as standalone structures (src/engine/eviction/): eviction order on small
 * crafted sequences, exact LRU against a naive reference, Redis's LFU counter, volatile twins,
 * and W-TinyLFU's scan resistance. Random choices use seeded RNGs, time a manual clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExactLru, RandomPolicy, RedisLfu, S3Fifo, SampledLru, VolatileOnly, VolatileTtl, WTinyLfu, createPolicy, mixHash, seededRng, type EvictionPolicy } from '../src/engine/eviction/index.js';
import { simulate } from '../src/engine/eviction/simulate.js';

function fill(p: EvictionPolicy, slots: number[], weight = 1): void {
  for (const s of slots) p.insert(s, mixHash(s), weight);
}

function drain(p: EvictionPolicy): number[] {
  const out: number[] = [];
  for (let s = p.evict(); s !== -1; s = p.evict()) out.push(s);
  return out;
}

describe('exact LRU', () => {
  it('evicts least recently used first', () => {
    const p = new ExactLru();
    fill(p, [0, 1, 2, 3]);
    p.access(0);
    p.access(2);
    assert.deepEqual(drain(p), [1, 3, 0, 2]);
    assert.equal(p.count, 0);
  });

  it('remove is a no-op for untracked slots and keeps the order of the rest', () => {
    const p = new ExactLru();
    fill(p, [5, 6, 7]);
    p.remove(6);
    p.remove(6);
    p.remove(99);
    assert.deepEqual(drain(p), [5, 7]);
  });

  it('matches a naive array LRU on a random sequence (hits and evictions)', () => {
    const rng = seededRng(7);
    const p = new ExactLru();
    const naive: number[] = [];
    const cap = 50;
    let hits = 0;
    let naiveHits = 0;
    for (let i = 0; i < 20000; i++) {
      const k = Math.floor(rng() ** 2 * 200);
      const at = naive.indexOf(k);
      if (at >= 0) {
        naiveHits++;
        naive.splice(at, 1);
      } else if (naive.length === cap) naive.shift();
      naive.push(k);
      if (p.has(k)) {
        hits++;
        p.access(k);
      } else {
        p.insert(k, mixHash(k), 1);
        if (p.count > cap) p.evict();
      }
      if (i % 1000 === 0) assert.deepEqual(p.order(), naive);
    }
    assert.equal(hits, naiveHits);
  });

  it('evicts by weight until under a byte budget', () => {
    const p = new ExactLru();
    p.insert(0, 0, 100);
    p.insert(1, 1, 300);
    p.insert(2, 2, 50);
    const r = simulate(new ExactLru(), Int32Array.from([0, 1, 2, 0, 1]), new Uint32Array(3), Float64Array.from([100, 300, 50]), 400);
    assert.equal(r.hits, 0, '300+100 > 400 - 50: each insert pushes the oldest out');
    assert.equal(p.weight, 450);
  });
});

describe('Redis sampled LRU and eviction pool', () => {
  it('with 5 samples into a pool of 16, evicts the idlest keys first', () => {
    let now = 0;
    const p = new SampledLru(seededRng(1), () => now);
    for (let s = 0; s < 10; s++) {
      now = s * 1000;
      p.insert(s, s, 1);
    }
    now = 20000;
    // With 10 keys every one is eventually sampled; the oldest go first.
    const first = drain(p).slice(0, 3);
    assert.deepEqual(first.sort((a, b) => a - b), [0, 1, 2].filter((s) => first.includes(s)));
    assert.ok(first.includes(0));
  });

  it('stale pool entries (slot reused by a new key) are not evicted by mistake', () => {
    let now = 0;
    const p = new SampledLru(seededRng(3), () => now);
    fill(p, [0, 1]);
    now = 10000;
    p.remove(0);
    p.insert(0, 0, 1); // slot 0 reused: new key, fresh access time
    now = 11000;
    assert.equal(p.evict(), 1);
  });
});

describe('Redis LFU counter', () => {
  it('new keys start at LFU_INIT_VAL 5; the first increments are likely, later ones logarithmic', () => {
    const now = 0;
    const p = new RedisLfu(seededRng(42), () => now);
    p.insert(0, 0, 1);
    assert.equal(p.frequency(0), 5);
    p.access(0); // p = 1/(0*10+1) = 1
    assert.equal(p.frequency(0), 6);
    for (let i = 0; i < 100; i++) p.access(0);
    // From 6, each step needs ~ (c-5)*10+1 hits: 100 hits reach about 9-10.
    const f = p.frequency(0);
    assert.ok(f >= 8 && f <= 11, `counter ${f}`);
    for (let i = 0; i < 1_000_000; i++) p.access(0);
    assert.ok(p.frequency(0) > 100 && p.frequency(0) <= 255);
  });

  it('an RNG that never fires leaves counters above 5 unchanged', () => {
    const p = new RedisLfu(() => 0.999999, () => 0);
    p.insert(0, 0, 1);
    p.access(0); // p = 1 at 5
    for (let i = 0; i < 100; i++) p.access(0);
    assert.equal(p.frequency(0), 6);
  });

  it('decays one per lfu-decay-time minutes idle, down to 0', () => {
    let now = 0;
    const p = new RedisLfu(seededRng(1), () => now, { decayTime: 2 });
    p.insert(0, 0, 1);
    now = 3 * 60000;
    assert.equal(p.frequency(0), 4, '3 minutes / 2 = 1 period');
    now = 9 * 60000;
    assert.equal(p.frequency(0), 1);
    now = 60 * 60000;
    assert.equal(p.frequency(0), 0);
  });

  it('evicts the least frequently used (sampled, so on few keys exactly)', () => {
    const p = new RedisLfu(seededRng(5), () => 0);
    fill(p, [0, 1, 2]);
    for (let i = 0; i < 30; i++) p.access(0);
    for (let i = 0; i < 3; i++) p.access(2);
    assert.deepEqual(drain(p), [1, 2, 0]);
  });
});

describe('random and volatile policies', () => {
  it('allkeys-random evicts every key once, in an order fixed by the seed', () => {
    const a = new RandomPolicy(seededRng(9));
    const b = new RandomPolicy(seededRng(9));
    fill(a, [0, 1, 2, 3, 4]);
    fill(b, [0, 1, 2, 3, 4]);
    const order = drain(a);
    assert.deepEqual(order, drain(b));
    assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
  });

  it('volatile-ttl evicts the nearest expiry first and never keys without a TTL', () => {
    const p = new VolatileTtl(seededRng(2));
    fill(p, [0, 1, 2, 3]);
    p.setExpire(0, 5000);
    p.setExpire(2, 1000);
    p.setExpire(3, 3000);
    p.setExpire(3, 0); // PERSIST
    assert.deepEqual(drain(p), [2, 0]);
    assert.equal(p.count, 2);
  });

  it('volatile-lru only evicts keys with a TTL, in LRU order; none left means -1 (OOM)', () => {
    const p = new VolatileOnly(new ExactLru());
    assert.equal(p.name, 'volatile-lru');
    fill(p, [0, 1, 2, 3]);
    p.setExpire(3, 100);
    p.setExpire(1, 100);
    p.access(1);
    p.setExpire(0, 100);
    p.remove(0);
    assert.deepEqual(drain(p), [3, 1]);
    assert.equal(p.evict(), -1);
  });

  it('createPolicy builds every maxmemory-policy name', () => {
    for (const name of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'allkeys-wtinylfu', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'volatile-wtinylfu'] as const) {
      const p = createPolicy(name, { rng: seededRng(1), now: () => 0, maxWeight: 10, weighted: false });
      assert.equal(p.name, name);
    }
  });
});

describe('W-TinyLFU', () => {
  it('a one-time scan does not flush the hot keys', () => {
    const cap = 100;
    const p = new WTinyLfu(cap, seededRng(1));
    const lru = new ExactLru();
    const hot = Array.from({ length: 80 }, (_, i) => i);
    const keys: number[] = [];
    for (let r = 0; r < 20; r++) keys.push(...hot);
    for (let s = 1000; s < 1300; s++) keys.push(s); // the scan: 3 x the cache, each key seen once
    keys.push(...hot);
    const seq = Int32Array.from(keys);
    const hashes = Uint32Array.from({ length: 6000 }, (_, i) => mixHash(i));
    simulate(p, seq.subarray(0, seq.length - hot.length), hashes, null, cap);
    simulate(lru, seq.subarray(0, seq.length - hot.length), hashes, null, cap);
    const survivors = hot.filter((k) => p.has(k)).length;
    assert.ok(survivors >= 75, `W-TinyLFU kept ${survivors}/80 hot keys`);
    assert.equal(hot.filter((k) => lru.has(k)).length, 0, 'LRU lost them all');
  });

  it('admits a candidate only if more popular than the probation victim', () => {
    const p = new WTinyLfu(100, seededRng(1));
    const request = (k: number): number => {
      if (p.has(k)) {
        p.access(k);
        return -1;
      }
      p.insert(k, mixHash(k), 1);
      return p.count > 100 ? p.evict() : -1;
    };
    for (let r = 0; r < 3; r++) for (let i = 0; i < 100; i++) request(i);
    // The window holds 1 entry: each new key pushes the previous one out as the candidate.
    request(500);
    assert.equal(request(501), 500, 'seen once: loses against the victim');
    let evicted = 501;
    let tries = 0;
    for (; evicted === 501 || evicted === 502; tries++) {
      request(501);
      evicted = request(502);
    }
    // 501, seen again and again, became more popular than the victim: a resident key went instead.
    assert.ok(evicted < 100, `evicted ${evicted}`);
    assert.ok(tries >= 2);
    assert.ok(p.has(501));
  });

  it('by weight: a candidate heavier than the whole budget is rejected, the rest stays within it', () => {
    const sizes = Float64Array.from([10, 20, 30, 40, 1000]);
    const hashes = Uint32Array.from([0, 1, 2, 3, 4].map(mixHash));
    const p = new WTinyLfu(100, seededRng(1), { weighted: true });
    simulate(p, Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3, 4, 0, 1]), hashes, sizes, 100);
    assert.ok(p.weight <= 100);
    assert.ok(!p.has(4));
  });
});

describe('S3-FIFO', () => {
  it('a key read while in the small queue moves to main; one-hit keys leave first', () => {
    const p = new S3Fifo(10);
    fill(p, Array.from({ length: 10 }, (_, i) => i));
    p.access(0);
    const evicted = [p.evict(), p.evict()];
    assert.ok(!evicted.includes(0));
    assert.ok(p.has(0));
  });
});
