import { ExactLru } from './lru.js';
import { RedisLfu, VolatileLfu, type LfuOptions } from './lfu.js';
import type { EvictionPolicy, Now, Rng } from './policy.js';
import { RandomPolicy } from './random.js';
import { S3Fifo } from './s3fifo.js';
import { VolatileOnly } from './volatile.js';
import { VolatileTtl } from './volatile-ttl.js';
import { WTinyLfu } from './wtinylfu.js';

export type { EvictionPolicy, Now, PolicyTuning, Rng } from './policy.js';
export { hashKey, mixHash, seededRng } from './policy.js';

/** maxmemory-policy names with a policy object (noeviction has none). */
export const POLICY_NAMES = [
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'allkeys-wtinylfu',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'volatile-wtinylfu',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicyOptions {
  rng: Rng;
  now: Now;
  /** Budget (bytes, or entries with unit weights): W-TinyLFU sizes its regions from it. */
  maxWeight: number;
  /** Weights are bytes rather than 1 per key. */
  weighted: boolean;
  lfu?: LfuOptions;
  /** maxmemory-samples for the sampled policies (Redis's default 5). */
  samples?: number;
}

/** The policy object for a maxmemory-policy name (the keyspace will hold one per database). */
export function createPolicy(name: PolicyName, o: PolicyOptions): EvictionPolicy {
  switch (name) {
    case 'allkeys-lru':
      return new ExactLru();
    case 'allkeys-lfu':
      return new RedisLfu(o.rng, o.now, o.lfu);
    case 'allkeys-random':
      return new RandomPolicy(o.rng);
    case 'allkeys-wtinylfu':
      return new WTinyLfu(o.maxWeight, o.rng, { weighted: o.weighted });
    case 'volatile-lru':
      return new VolatileOnly(new ExactLru());
    case 'volatile-lfu':
      return new VolatileLfu(o.rng, o.now, o.lfu);
    case 'volatile-random':
      return new VolatileOnly(new RandomPolicy(o.rng));
    case 'volatile-ttl':
      return new VolatileTtl(o.rng, o.samples);
    case 'volatile-wtinylfu':
      return new VolatileOnly(new WTinyLfu(o.maxWeight, o.rng, { weighted: o.weighted }));
  }
}

export { ExactLru, RandomPolicy, RedisLfu, S3Fifo, VolatileLfu, VolatileOnly, VolatileTtl, WTinyLfu };
export { SampledLru } from './sampled-lru.js';
