import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import { createCache, RedisStore, type Cache, type RedisClientLike, type Store } from '../src/cache/index.js';
import { waitUntil } from './support/process.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * The cache on servers: Redis 7.0 through ioredis and node-redis, and stickynote-server (the parts
 * that need Lua once it has EVAL; the store layer and tracking now).
 */

const closers: (() => Promise<unknown> | void)[] = [];
let redis: RunningServer;
let sticky: RunningServer;
let stickyHasLua = false;

before(async () => {
  [redis, sticky] = await Promise.all([startRedis(), startStickynoteProcess()]);
  const probe = new Redis({ port: sticky.port, host: '127.0.0.1', lazyConnect: true });
  await probe.connect();
  stickyHasLua = await probe.call('EVAL', 'return 1', '0').then(
    (r) => r === 1,
    () => false,
  );
  probe.disconnect();
});

after(async () => {
  for (const c of closers.reverse()) await c();
  await Promise.all([redis.stop(), sticky.stop()]);
});

function ioredis(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1' });
  closers.push(() => c.disconnect());
  return c;
}

async function nodeRedis(port: number): Promise<RedisClientLike> {
  const c = createClient({ socket: { port, host: '127.0.0.1' } });
  await c.connect();
  closers.push(() => c.destroy());
  return c;
}

function track(cache: Cache): Cache {
  closers.push(() => cache.close());
  return cache;
}

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

type Connect = () => Promise<RedisClientLike>;

let suites = 0;

function cacheSuite(label: string, connect: () => Connect | null) {
  const tag = `s${suites++}t`;
  describe(`cache on ${label}`, () => {
    let client: Connect;
    let prefix = '';
    let n = 0;
    /** A cache on a connection of its own, as another process would have. */
    const open = async (opts: Parameters<typeof createCache>[0] = {}) => track(createCache({ store: await client(), prefix, ...opts }));

    test('setup', (t) => {
      const c = connect();
      if (c === null) return t.skip('no EVAL on this server yet');
      client = c;
    });

    test('getOrSet: falsy values, Buffers, 10,000 concurrent callers in one process → one load', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const cache = await open();
      for (const v of [0, '', false, null, { a: 'ü' }]) {
        let calls = 0;
        assert.deepEqual(await cache.getOrSet(`v${JSON.stringify(v)}`, () => (calls++, v)), v);
        assert.deepEqual(await cache.getOrSet(`v${JSON.stringify(v)}`, () => (calls++, v)), v);
        assert.equal(calls, 1);
      }
      await cache.set('buf', Buffer.from([0, 255, 10]));
      assert.deepEqual(await cache.get('buf'), Buffer.from([0, 255, 10]));
      let calls = 0;
      const slow = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 30));
        return 'hot';
      };
      const all = await Promise.all(Array.from({ length: 10_000 }, () => cache.getOrSet('hot', slow)));
      assert.ok(all.every((v) => v === 'hot'));
      assert.equal(calls, 1);

      // Callers arriving while the load runs join it without reading the store.
      const admin = ioredis(redisPortOf(label));
      const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(String(await admin.call('INFO', 'commandstats')))?.[1] ?? 0);
      let loading!: () => void;
      const started = new Promise<void>((r) => (loading = r));
      const first = cache.getOrSet('warm', async () => {
        loading();
        await new Promise((r) => setTimeout(r, 30));
        return 'w';
      });
      await started;
      const before = await gets();
      const joined = await Promise.all(Array.from({ length: 10_000 }, () => cache.getOrSet('warm', slow)));
      assert.ok(joined.every((v) => v === 'w'));
      assert.equal(await first, 'w');
      assert.ok((await gets()) - before <= 1, 'no GET per joining caller');
    });

    test('lease across instances: 5 caches × 200 callers → one load, waiters woken by the landing message', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const caches = await Promise.all(Array.from({ length: 5 }, () => open({ lease: { pollInterval: '10s' } })));
      await Promise.all(caches.map((c) => c.ready()));
      let calls = 0;
      const slow = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 50));
        return 42;
      };
      const started = Date.now();
      const all = await Promise.all(caches.flatMap((c) => Array.from({ length: 200 }, () => c.getOrSet('k', slow))));
      assert.ok(all.every((v) => v === 42));
      assert.equal(calls, 1);
      assert.ok(Date.now() - started < 5000, 'woken by pub/sub, not by the 10 s poll');
      assert.equal(caches.reduce((a, c) => a + c.stats().leaseWaits, 0), 4);
    });

    test('set-after-invalidate: the slow reader loses, naive cache-aside keeps the old value', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const reader = await open();
      const writer = await open();
      const naive: Store = new RedisStore(await client());
      const db = { user: 'old' };
      for (const kind of ['naive', 'ours'] as const) {
        db.user = 'old';
        const g = gate();
        const hasRead = gate();
        const load = async () => {
          const v = db.user;
          hasRead.open();
          await g.p;
          return v;
        };
        const key = `${prefix}user`;
        const reading =
          kind === 'naive'
            ? (async () => {
                const hit = await naive.get(key);
                if (hit !== null) return hit;
                const v = await load();
                await naive.set(key, v, { px: 60_000 });
                return v;
              })()
            : reader.getOrSet('user', load);
        await hasRead.p;
        db.user = 'new';
        if (kind === 'naive') await naive.unlink([key]);
        else await writer.delete('user');
        g.open();
        assert.equal(await reading, 'old');
        if (kind === 'naive') assert.equal(await naive.get(key), 'old', 'naive: stale value written back');
        else assert.equal(await writer.get('user'), undefined, 'ours: refused');
      }
      assert.equal(await reader.getOrSet('user', () => db.user), 'new');
    });

    test('tags, deleteMatching and clear', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const cache = await open();
      await cache.set('a', 1, { tags: ['x'] });
      await cache.set('b', 2, { tags: ['y'] });
      await cache.invalidateTags(['x']);
      assert.equal(await cache.get('a'), undefined);
      assert.equal(await cache.get('b'), 2);
      for (let i = 0; i < 300; i++) await cache.set(`user:${i}`, i);
      await cache.set('other', 1);
      assert.equal(await cache.deleteMatching('user:*'), 300);
      assert.equal(await cache.get('user:5'), undefined);
      assert.equal(await cache.get('other'), 1);
      assert.equal(await cache.clear(), 3, 'a, b and other (a is still stored, under an old tag version)');
      assert.equal(await cache.get('other'), undefined);
    });

    test('grace + stale-while-revalidate with real TTLs', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const cache = await open({ ttl: 50, jitter: false, grace: '1m', softTimeout: 0 });
      await cache.set('k', 'old');
      await new Promise((r) => setTimeout(r, 60));
      const g = gate();
      let calls = 0;
      assert.equal(
        await cache.getOrSet('k', async (ctx) => {
          calls++;
          ctx.setTtl('1m'); // the refreshed value stays fresh while we look
          await g.p;
          return 'new';
        }),
        'old',
      );
      g.open();
      await waitUntil(async () => (await cache.get('k')) === 'new', 2000);
      assert.equal(calls, 1);
    });

    test('L1: coherent across two instances (tracking), flushed and bypassed when tracking is lost', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      const a = await open({ l1: true });
      const b = await open({ l1: true });
      await Promise.all([a.ready(), b.ready()]);
      await b.set('k', 'v1');
      assert.equal(await a.get('k'), 'v1');
      assert.equal(await a.get('k'), 'v1');
      assert.ok(a.stats().l1Hits >= 1, 'served from L1');
      await b.set('k', 'v2');
      await waitUntil(async () => (await a.get('k')) === 'v2', 2000);
      // A write by anyone (not a cache) under the prefix also invalidates.
      const raw = new RedisStore(await client());
      await raw.set(`${prefix}{k}`, 'garbage');
      await waitUntil(async () => (await a.get('k')) === undefined, 2000);

      // Kill the tracking connections: the L1 is flushed and not trusted until tracking is back.
      await a.set('k', 'v3');
      assert.equal(await a.get('k'), 'v3');
      const admin = new Redis({ port: redisPortOf(label), host: '127.0.0.1' });
      closers.push(() => admin.disconnect());
      const flushes = a.stats().l1Flushes;
      const list = String(await admin.call('CLIENT', 'LIST'));
      for (const line of list.split('\n')) {
        const flags = /flags=(\S+)/.exec(line)?.[1] ?? '';
        const id = /id=(\d+)/.exec(line)?.[1];
        if (flags.includes('t') && id) await admin.call('CLIENT', 'KILL', 'ID', id);
      }
      await waitUntil(() => a.stats().l1Flushes > flushes, 2000);
      await raw.set(`${prefix}{k}`, 'direct'); // invalidations of this write may be lost: L1 must not answer
      assert.equal(await a.get('k'), undefined);
      // Tracking comes back (retried): invalidations flow again.
      await b.set('k2', 'x');
      await waitUntil(async () => {
        await a.get('k2');
        return a.stats().l1Size > 0;
      }, 5000);
      await b.set('k2', 'y');
      await waitUntil(async () => (await a.get('k2')) === 'y', 2000);
    });

    test('L1 over the pub/sub bus when the server has no tracking', async (t) => {
      if (!client) return t.skip();
      prefix = `${tag}${n++}:`;
      class NoTracking extends RedisStore {
        override async track() {
          return null;
        }
      }
      const a = track(createCache({ store: new NoTracking(await client()), prefix, l1: true }));
      const b = track(createCache({ store: new NoTracking(await client()), prefix, l1: true }));
      await Promise.all([a.ready(), b.ready()]);
      await a.set('k', 1);
      assert.equal(await a.get('k'), 1);
      await b.set('k', 2);
      await waitUntil(async () => (await a.get('k')) === 2, 2000);
      await b.deleteMatching('*');
      await waitUntil(async () => (await a.get('k')) === undefined, 2000);

      // The bus connection drops: messages may be lost, so the L1 is flushed and set up again.
      await a.set('k', 3);
      assert.equal(await a.get('k'), 3);
      const flushes = a.stats().l1Flushes;
      const admin = new Redis({ port: redisPortOf(label), host: '127.0.0.1' });
      closers.push(() => admin.disconnect());
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitUntil(() => a.stats().l1Flushes > flushes, 2000);
      await b.set('k', 4);
      await waitUntil(async () => (await a.get('k')) === 4, 3000);
    });
  });
}

const ports: Record<string, () => number> = {};
function redisPortOf(label: string): number {
  return ports[label]();
}

for (const [label, port, make] of [
  ['Redis 7.0 (ioredis)', () => redis.port, (p: number) => Promise.resolve(ioredis(p) as RedisClientLike)],
  ['Redis 7.0 (node-redis)', () => redis.port, (p: number) => nodeRedis(p)],
  ['stickynote-server (ioredis)', () => sticky.port, (p: number) => Promise.resolve(ioredis(p) as RedisClientLike)],
] as const) {
  ports[label] = port;
  cacheSuite(label, () => (label.startsWith('stickynote') && !stickyHasLua ? null : () => make(port())));
}

describe('store layer on stickynote-server (no Lua needed)', () => {
  test('get/set NX PX, scan, unlink, pub/sub, tracking invalidations', async () => {
    const store = new RedisStore(ioredis(sticky.port));
    closers.push(() => store.close());
    assert.equal(await store.set('s:{a}', 'é', { px: 10_000 }), true);
    assert.equal(await store.set('s:{a}', 'x', { nx: true }), false);
    assert.deepEqual(await store.mget(['s:{a}', 's:{none}']), ['é', null]);
    for (let i = 0; i < 50; i++) await store.set(`s:{k${i}}`, String(i));
    const seen = new Set<string>();
    for await (const batch of store.scan('s:{k*', 10)) for (const k of batch) seen.add(k);
    assert.equal(seen.size, 50);
    assert.equal(await store.unlink([...seen]), 50);
    const got: string[] = [];
    const sub = await store.subscribe('chan', (m) => got.push(m));
    await store.publish('chan', 'hello');
    await waitUntil(() => got.length === 1, 2000);
    await sub.close();
    const inv: (string[] | null)[] = [];
    const tracking = await store.track(['s:'], { invalidate: (k) => inv.push(k), lost: () => inv.push(['LOST']) });
    assert.ok(tracking);
    await store.set('s:{t}', '1');
    await store.command(['FLUSHALL']);
    await waitUntil(() => inv.some((k) => k === null) && inv.some((k) => k?.[0] === 's:{t}'), 2000);
    await tracking.close();

    const nr = new RedisStore(await nodeRedis(sticky.port));
    const inv2: (string[] | null)[] = [];
    const t2 = await nr.track(['n:'], { invalidate: (k) => inv2.push(k), lost: () => {} });
    await nr.set('n:1', 'x');
    await waitUntil(() => inv2.some((k) => k?.[0] === 'n:1'), 2000);
    await t2!.close();
  });
});

describe('store subscriptions across a reconnect (ioredis)', () => {
  for (const label of ['Redis 7.0', 'stickynote-server']) {
    test(`${label}: a killed subscriber comes back, and closing it as it reconnects leaves no unhandled rejection`, async () => {
      const port = label === 'Redis 7.0' ? redis.port : sticky.port;
      const client = ioredis(port);
      // Watch the connections the store opens from the user's client (its subscribers).
      const opened: Redis[] = [];
      const duplicate = client.duplicate.bind(client);
      client.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
        const d = duplicate(...args);
        opened.push(d);
        return d;
      }) as Redis['duplicate'];
      const store = new RedisStore(client);
      closers.push(() => store.close());
      const admin = ioredis(port);
      const channel = `reconnect:${label}`;
      const got: string[] = [];
      const first = await store.subscribe(channel, (m) => got.push(m));
      // The killed connection reconnects and subscribes again: messages flow once more.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitUntil(async () => {
        await store.publish(channel, 'again');
        return got.includes('again');
      }, 5000);
      await first.close();
      // Closed the moment its reconnect is ready, which is when ioredis's own re-subscribe would
      // be sent and then rejected with nobody listening: the test runner fails this file on any
      // unhandled rejection.
      const second = await store.subscribe(channel, () => {});
      const sub = opened[opened.length - 1];
      const closed = new Promise<void>((resolve) => sub.once('ready', () => void second.close().then(resolve)));
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await closed;
      await new Promise((r) => setTimeout(r, 50));
    });
  }
});
