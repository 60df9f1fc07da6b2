import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCluster } from '@redis/client';
import { Cluster } from 'ioredis';
import { Locks } from '../src/cache/locks/index.js';
import { RateLimiter } from '../src/cache/ratelimit/index.js';
import { hashSlot } from '../src/cache/stores/keys.js';
import { RedisStore } from '../src/cache/stores/redis.js';
import { startCluster, type RunningCluster } from './support/cluster.js';

let cluster: RunningCluster;
let client: Cluster;
before(async () => {
  cluster = await startCluster();
  client = new Cluster(cluster.nodes);
});
after(async () => {
  client?.disconnect();
  await cluster?.stop();
});

async function keysPerMaster(pattern: string): Promise<number[]> {
  return Promise.all(client.nodes('master').map(async (n) => (await n.keys(pattern)).length));
}

test('harness: 3 masters, cluster_state:ok, keys spread over all of them', async () => {
  for (let i = 0; i < 30; i++) await client.set(`harness:${i}`, String(i));
  const sizes = await keysPerMaster('harness:*');
  assert.equal(sizes.length, 3);
  assert.ok(sizes.every((s) => s > 0), `keys on every master: ${sizes}`);
  assert.equal(await client.get('harness:7'), '7');
});

test('rate limiters: ids spread over every master, each id exact, scripts reloaded after SCRIPT FLUSH', async () => {
  const store = new RedisStore(client);
  for (const algorithm of ['fixed-window', 'sliding-window', 'token-bucket', 'gcra'] as const) {
    const options =
      algorithm === 'token-bucket'
        ? ({ algorithm, capacity: 2, refillRate: 1, interval: '1h' } as const)
        : algorithm === 'gcra'
          ? ({ algorithm, limit: 2, period: '1h' } as const)
          : ({ algorithm, limit: 2, window: '1h' } as const);
    const rl = new RateLimiter(store, { ...options, prefix: `spread:${algorithm}:` });
    const ids = Array.from({ length: 40 }, (_, i) => `user:${i}`);
    // Every master forgets its scripts: EVALSHA gets NOSCRIPT on each node and falls back to EVAL.
    await Promise.all(client.nodes('master').map((n) => n.script('FLUSH')));
    const results = await Promise.all(ids.flatMap((id) => [rl.limit(id), rl.limit(id), rl.limit(id)]));
    for (let i = 0; i < ids.length; i++) {
      assert.deepEqual(results.slice(3 * i, 3 * i + 3).map((r) => r.allowed), [true, true, false], `${algorithm} ${ids[i]}`);
    }
    const sizes = await keysPerMaster(`spread:${algorithm}:*`);
    assert.ok(sizes.every((s) => s > 0), `${algorithm}: keys on every master: ${sizes}`);
  }
});

test('locks: lock and fencing counter in one slot for any name; fences per name on every master', async () => {
  const locks = new Locks(new RedisStore(client), { prefix: 'spread:lock:' });
  const names = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `odd{name}${i}` : `job:${i}`));
  for (const name of names) assert.equal(hashSlot(`${locks.key(name)}:fence`), hashSlot(locks.key(name)));
  for (let round = 1; round <= 2; round++) {
    const held = await Promise.all(names.map((n) => locks.acquire(n)));
    assert.deepEqual(held.map((l) => l.fence), names.map(() => round));
    assert.deepEqual(await Promise.all(held.map((l) => l.release())), names.map(() => true));
  }
  const sizes = await keysPerMaster('spread:lock:*');
  assert.ok(sizes.every((s) => s > 0), `fencing counters on every master: ${sizes}`);
});

test('node-redis cluster client: limiter and lock through the same store layer', async () => {
  const nr = createCluster({ rootNodes: cluster.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })) });
  await nr.connect();
  try {
    const store = new RedisStore(nr);
    const rl = new RateLimiter(store, { algorithm: 'gcra', limit: 3, period: '1m', prefix: 'nr:' });
    const got = await Promise.all(Array.from({ length: 5 }, () => rl.limit('x')));
    assert.equal(got.filter((r) => r.allowed).length, 3);
    const lock = await new Locks(store, { prefix: 'nr:lock:' }).acquire('y');
    assert.equal(lock.fence, 1);
    assert.equal(await lock.release(), true);
  } finally {
    nr.destroy();
  }
});
