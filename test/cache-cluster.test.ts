import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCluster } from '@redis/client';
import { Cluster, Redis } from 'ioredis';
import { createCache, hashSlot, RedisStore, type Cache, type RedisClientLike } from '../src/cache/index.js';
import { startCluster, type RunningCluster } from './support/cluster.js';
import { waitUntil } from './support/process.js';

/** The cache on a 3-master Redis Cluster through ioredis and node-redis. */

let cluster: RunningCluster;
const closers: (() => Promise<unknown> | void)[] = [];

before(async () => {
  cluster = await startCluster();
});

after(async () => {
  for (const c of closers.reverse()) await c();
  await cluster.stop();
});

function ioredisCluster(): RedisClientLike {
  const c = new Cluster(cluster.nodes);
  closers.push(() => c.disconnect());
  return c;
}

async function nodeRedisCluster(): Promise<RedisClientLike> {
  const c = createCluster({ rootNodes: cluster.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })) });
  await c.connect();
  closers.push(() => c.destroy());
  return c;
}

function keep(cache: Cache): Cache {
  closers.push(() => cache.close());
  return cache;
}

/** Which master holds each slot, from CLUSTER SLOTS. */
async function slotOwners(): Promise<(slot: number) => string> {
  const admin = new Redis({ port: cluster.nodes[0].port, host: '127.0.0.1' });
  const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  admin.disconnect();
  return (slot) => {
    const r = ranges.find(([a, b]) => slot >= a && slot <= b)!;
    return `${r[2][0]}:${r[2][1]}`;
  };
}

for (const [label, connect] of [
  ['ioredis Cluster', async () => ioredisCluster()],
  ['node-redis cluster', nodeRedisCluster],
] as const) {
  describe(`cache on a 3-master Redis Cluster (${label})`, () => {
    const prefix = label.startsWith('io') ? 'c1:' : 'c2:';

    test('getOrSet, lease across instances, set-after-invalidate', async () => {
      const a = keep(createCache({ store: await connect(), prefix }));
      const b = keep(createCache({ store: await connect(), prefix }));
      let calls = 0;
      const slow = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 30));
        return 0;
      };
      const all = await Promise.all([...Array.from({ length: 300 }, () => a.getOrSet('hot', slow)), ...Array.from({ length: 300 }, () => b.getOrSet('hot', slow))]);
      assert.ok(all.every((v) => v === 0));
      assert.equal(calls, 1);

      const db = { v: 'old' };
      let open!: () => void;
      const held = new Promise<void>((r) => (open = r));
      let hasRead!: () => void;
      const read = new Promise<void>((r) => (hasRead = r));
      const reading = a.getOrSet('user', async () => {
        const v = db.v;
        hasRead();
        await held;
        return v;
      });
      await read;
      db.v = 'new';
      await b.delete('user');
      open();
      assert.equal(await reading, 'old');
      assert.equal(await b.get('user'), undefined);
      assert.equal(await b.getOrSet('user', () => db.v), 'new');
    });

    test('deleteMatching and clear reach every master; tags', async () => {
      const cache = keep(createCache({ store: await connect(), prefix }));
      const owner = await slotOwners();
      const masters = new Set<string>();
      for (let i = 0; i < 200; i++) {
        await cache.set(`user:${i}`, i, { tags: i % 2 ? ['odd'] : ['even'] });
        masters.add(owner(hashSlot(`${prefix}{user:${i}}`)));
      }
      assert.equal(masters.size, 3, 'the keys are spread over all masters');
      await cache.set('keep', 1);
      await cache.invalidateTags(['odd']);
      assert.equal(await cache.get('user:1'), undefined);
      assert.equal(await cache.get('user:2'), 2);
      assert.equal(await cache.deleteMatching('user:*'), 200);
      for (const i of [0, 1, 2, 3, 99, 150]) assert.equal(await cache.get(`user:${i}`), undefined);
      assert.equal(await cache.get('keep'), 1);
      assert.ok((await cache.clear()) >= 1);
      assert.equal(await cache.get('keep'), undefined);
    });

    test('L1 kept coherent by tracking on every master', async () => {
      const a = keep(createCache({ store: await connect(), prefix: prefix + 'l1:', l1: true }));
      const b = keep(createCache({ store: await connect(), prefix: prefix + 'l1:', l1: true }));
      await Promise.all([a.ready(), b.ready()]);
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      for (const k of keys) await b.set(k, 'v1');
      for (const k of keys) assert.equal(await a.get(k), 'v1');
      for (const k of keys) assert.equal(await a.get(k), 'v1');
      assert.ok(a.stats().l1Hits >= keys.length);
      for (const k of keys) await b.set(k, 'v2');
      await waitUntil(async () => (await Promise.all(keys.map((k) => a.get(k)))).every((v) => v === 'v2'), 3000);
    });

    test('a client that has not connected yet: scans wait for the cluster to be known', async () => {
      const writer = keep(createCache({ store: await connect(), prefix: prefix + 'fresh:' }));
      for (let i = 0; i < 30; i++) await writer.set(`x:${i}`, i);
      const fresh = keep(createCache({ store: label.startsWith('io') ? ioredisCluster() : await connect(), prefix: prefix + 'fresh:' }));
      assert.equal(await fresh.deleteMatching('x:*'), 30);
    });

    test('store: SCAN visits every master, UNLINK splits by slot', async () => {
      const store = new RedisStore(await connect());
      const names = Array.from({ length: 100 }, (_, i) => `scan:${i}`);
      for (const n of names) await store.set(n, '1');
      const seen = new Set<string>();
      for await (const batch of store.scan('scan:*', 20)) for (const k of batch) seen.add(k);
      assert.equal(seen.size, 100);
      assert.equal(await store.unlink(names), 100);
      assert.deepEqual(await store.mget(['scan:1', 'scan:2']), [null, null]);
    });
  });
}
