import type { EvictionPolicy } from './policy.js';

export interface Replay {
  hits: number;
  requests: number;
}

/**
 * Replays a key sequence through a policy as a cache of `capacity` (entries, or bytes when
 * `sizes` is given): a hit is an access; a miss inserts the key and evicts until the cache is
 * within capacity. Keys are dense ids, used directly as slots. `onRequest(i)` runs before each
 * request (the bench moves its virtual clock there). An object larger than the whole cache is
 * never inserted (counted as a miss), as libCacheSim does.
 */
export function simulate(
  policy: EvictionPolicy,
  keys: Int32Array,
  hashes: Uint32Array,
  sizes: Float64Array | null,
  capacity: number,
  onRequest?: (i: number) => void,
): Replay {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    onRequest?.(i);
    const id = keys[i];
    if (policy.has(id)) {
      hits++;
      policy.access(id);
      continue;
    }
    const w = sizes ? sizes[id] : 1;
    if (w > capacity) continue;
    policy.insert(id, hashes[id], w);
    while (policy.weight > capacity) if (policy.evict() === -1) break;
  }
  return { hits, requests: keys.length };
}
