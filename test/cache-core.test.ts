import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CacheTimeoutError, createCache, EmbeddedStore, type Store } from '../src/cache/index.js';
import { Engine } from '../src/embedded.js';
import { ManualClock } from '../src/engine/clock.js';
import { waitUntil } from './support/process.js';

/** The cache on an embedded engine with a ManualClock: TTLs, grace and XFetch without sleeping. */
function setup(options: Parameters<typeof createCache>[0] = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const engine = new Engine({ clock });
  const cache = createCache({ store: engine, ...options });
  return { clock, engine, cache };
}

/** A promise with its resolve, to hold a loader at a chosen point. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('cache on the embedded engine', () => {
  test('createCache() needs no server; falsy values are values, not misses', async () => {
    const cache = createCache();
    for (const [key, value] of [['zero', 0], ['empty', ''], ['false', false], ['null', null]] as const) {
      let calls = 0;
      const load = () => (calls++, value);
      assert.equal(await cache.getOrSet(key, load), value);
      assert.equal(await cache.getOrSet(key, load), value);
      assert.equal(calls, 1, key);
      assert.equal(await cache.get(key), value);
      assert.equal(await cache.has(key), true);
    }
    assert.equal(await cache.get('absent'), undefined);
    assert.equal(await cache.has('absent'), false);
    await cache.close();
  });

  test('the engine createCache() makes expires entries nobody reads again (active expiry)', async () => {
    const cache = createCache({ ttl: 30 });
    const engine = (cache.store as EmbeddedStore).client;
    for (let i = 0; i < 100; i++) await cache.set(`k${i}`, i);
    assert.equal(engine.call('DBSIZE'), 100);
    await waitUntil(() => engine.call('DBSIZE') === 0, 3000);
    await cache.close();
  });

  test('values: JSON round trip, Buffers, UTF-8, keys with braces and percent signs', async () => {
    const { cache, engine } = setup();
    const obj = { name: 'Zoë', list: [1, 2, { deep: true }], emoji: '🗒️' };
    await cache.set('obj', obj);
    assert.deepEqual(await cache.get('obj'), obj);
    const buf = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    await cache.set('buf', buf);
    assert.deepEqual(await cache.get('buf'), buf);
    for (const key of ['a}b', '%7D', 'x{y}z', '}', 'é']) {
      await cache.set(key, key);
      assert.equal(await cache.get(key), key);
    }
    assert.equal(await cache.get('%257D'), undefined); // escaping is one-to-one
    await assert.rejects(cache.get(''), TypeError);
    // Stored as UTF-8 bytes in the engine: another client reads the same bytes.
    const raw = engine.call('GET', 'sn:{obj}') as string;
    assert.ok(Buffer.from(raw, 'latin1').toString('utf8').includes('Zoë'));
  });

  test('custom serializer', async () => {
    const { cache, engine } = setup({ serializer: { serialize: (v) => `<${String(v)}>`, deserialize: (t) => t.slice(1, -1) } });
    await cache.set('k', 'v');
    assert.equal(await cache.get('k'), 'v');
    assert.match(String(engine.call('GET', 'sn:{k}')), /\n<v>$/);
  });

  test('TTL: ms or strings, jitter on by default and only ever shortening', async () => {
    const { cache, engine } = setup();
    const pttls: number[] = [];
    for (let i = 0; i < 200; i++) {
      await cache.set(`j${i}`, i, { ttl: '10s' });
      pttls.push(engine.call('PTTL', `sn:{j${i}}`) as number);
    }
    assert.ok(pttls.every((t) => t > 8900 && t <= 10000), String(pttls));
    assert.ok(new Set(pttls).size > 50, 'jittered TTLs differ');
    await cache.set('exact', 1, { ttl: '5m', jitter: false });
    assert.equal(engine.call('PTTL', 'sn:{exact}'), 300000);
    await cache.set('wide', 1, { ttl: 1000, jitter: 0.5 });
    const t = engine.call('PTTL', 'sn:{wide}') as number;
    assert.ok(t >= 500 && t <= 1000);
    assert.throws(() => createCache({ ttl: '5 parsecs' }), TypeError);
    assert.throws(() => createCache({ ttl: Infinity }), TypeError, 'every entry has a TTL');
    assert.throws(() => createCache({ jitter: 1.5 }), TypeError);
    assert.throws(() => createCache({ earlyRefresh: 0 }), TypeError);
  });

  test('expiry follows the TTL (and the grace period keeps the stale copy)', async () => {
    const { cache, clock, engine } = setup({ jitter: false });
    await cache.set('a', 1, { ttl: 1000 });
    clock.advance(999);
    assert.equal(await cache.get('a'), 1);
    clock.advance(1);
    assert.equal(await cache.get('a'), undefined);
    await cache.set('g', 1, { ttl: 1000, grace: '1m' });
    assert.equal(engine.call('PTTL', 'sn:{g}'), 61000);
    clock.advance(5000);
    assert.equal(await cache.get('g'), undefined);
    assert.equal(await cache.get('g', { allowStale: true }), 1);
    assert.equal(await cache.has('g'), false);
  });

  test('negative caching: absence is cached only with negativeTtl, for that long', async () => {
    const { cache, clock } = setup({ jitter: false });
    let calls = 0;
    const nothing = () => (calls++, undefined);
    assert.equal(await cache.getOrSet('n1', nothing), undefined);
    assert.equal(await cache.getOrSet('n1', nothing), undefined);
    assert.equal(calls, 2, 'not cached by default');
    calls = 0;
    assert.equal(await cache.getOrSet('n2', nothing, { negativeTtl: '30s', ttl: '1h' }), undefined);
    assert.equal(await cache.getOrSet('n2', nothing, { negativeTtl: '30s' }), undefined);
    assert.equal(calls, 1);
    assert.equal(await cache.has('n2'), false, 'a cached absence is not a value');
    clock.advance(30_000);
    await cache.getOrSet('n2', nothing, { negativeTtl: '30s' });
    assert.equal(calls, 2, 'reloaded after the negative TTL');
  });

  test('adaptive TTL and skip() from the loader context', async () => {
    const { cache, engine } = setup({ jitter: false });
    await cache.getOrSet('short', (ctx) => {
      ctx.setTtl('2s');
      return 'x';
    });
    assert.equal(engine.call('PTTL', 'sn:{short}'), 2000);
    await cache.getOrSet('ms', (ctx) => {
      ctx.ttl = 1234;
      return 'x';
    });
    assert.equal(engine.call('PTTL', 'sn:{ms}'), 1234);
    let calls = 0;
    const skipped = (ctx: { skip(): void }) => {
      calls++;
      ctx.skip();
      return 'partial';
    };
    assert.equal(await cache.getOrSet('skip', skipped), 'partial');
    assert.equal(await cache.getOrSet('skip', skipped), 'partial');
    assert.equal(calls, 2);
    assert.equal(engine.call('EXISTS', 'sn:{skip}', 'sn:{skip}:lease'), 0, 'lease released');
  });

  test('single-flight: 10,000 concurrent getOrSet on a cold key → exactly 1 loader call', async () => {
    const { cache } = setup();
    let calls = 0;
    const slow = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { big: 'value' };
    };
    const results = await Promise.all(Array.from({ length: 10_000 }, () => cache.getOrSet('hot', slow)));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.big === 'value'));
    const s = cache.stats();
    assert.equal(s.loads, 1);
    assert.equal(s.misses, 10_000);
  });

  test('lease across caches on one engine: the second waits for the landing message, no second load', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const engine = new Engine({ clock });
    const a = createCache({ store: engine });
    const b = createCache({ store: engine.session() });
    let calls = 0;
    const g = gate();
    const loader = async () => {
      calls++;
      await g.p;
      return 'v';
    };
    const pa = a.getOrSet('k', loader);
    await tick();
    const pb = b.getOrSet('k', loader);
    await tick();
    assert.equal(b.stats().leaseWaits, 1);
    g.open();
    assert.deepEqual(await Promise.all([pa, pb]), ['v', 'v']);
    assert.equal(calls, 1);
  });

  test('a dead lease holder blocks others only until the lease expires', async () => {
    const engine = new Engine(); // real time: the lease must run out
    const cache = createCache({ store: engine, lease: { ttl: '10s', pollInterval: 10 } });
    // Another process took the lease and died.
    engine.call('SET', 'sn:{k}:lease', 'someone', 'PX', 60);
    let calls = 0;
    assert.equal(await cache.getOrSet('k', () => (calls++, 'mine')), 'mine');
    assert.equal(calls, 1);
    assert.equal(cache.stats().leaseWaits, 1);
  });

  test('loader errors: thrown to every waiter, not cached, lease released', async () => {
    const { cache, engine } = setup();
    let calls = 0;
    const boom = async () => {
      calls++;
      await tick();
      throw new Error('db down');
    };
    const all = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrSet('e', boom)));
    assert.ok(all.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'db down'));
    assert.equal(calls, 1);
    assert.equal(engine.call('EXISTS', 'sn:{e}', 'sn:{e}:lease'), 0);
    assert.equal(await cache.getOrSet('e', () => 'ok'), 'ok');
    assert.equal(cache.stats().loadErrors, 1);
  });

  test('an unserializable value fails its callers and releases the lease at once', async () => {
    const { cache, engine } = setup();
    await assert.rejects(cache.getOrSet('big', () => ({ n: 1n })), TypeError);
    assert.equal(engine.call('EXISTS', 'sn:{big}:lease'), 0);
    assert.deepEqual(await cache.getOrSet('big', () => ({ n: 1 })), { n: 1 });
    assert.deepEqual(await cache.get('big'), { n: 1 });
  });

  test('grace: stale served on loader error (serveStaleOnError), error thrown without grace', async () => {
    const { cache, clock } = setup({ jitter: false, ttl: 1000 });
    await cache.getOrSet('g', () => 'v1', { grace: '1m' });
    clock.advance(2000);
    const events: string[] = [];
    cache.on('stale', (e) => events.push(e.reason));
    assert.equal(
      await cache.getOrSet(
        'g',
        () => {
          throw new Error('down');
        },
        { grace: '1m' },
      ),
      'v1',
    );
    assert.deepEqual(events, ['error']);
    assert.equal(cache.stats().staleServed, 1);
    await assert.rejects(
      cache.getOrSet(
        'g',
        () => {
          throw new Error('down');
        },
        { grace: '1m', serveStaleOnError: false },
      ),
      /down/,
    );
    await cache.set('h', 'v1');
    clock.advance(2000);
    await assert.rejects(
      cache.getOrSet('h', () => {
        throw new Error('down');
      }),
      /down/,
    );
  });

  test('stale-while-revalidate (softTimeout 0): stale at once, one refresh in the background', async () => {
    const { cache, clock } = setup({ jitter: false, ttl: 1000, grace: '1h', softTimeout: 0 });
    await cache.set('k', 'old');
    clock.advance(1500);
    let calls = 0;
    const g = gate();
    const loader = async () => {
      calls++;
      await g.p;
      return 'new';
    };
    const served = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet('k', loader)));
    assert.ok(served.every((v) => v === 'old'));
    assert.equal(calls, 1);
    g.open();
    await waitUntil(async () => (await cache.get('k')) === 'new', 3000);
    assert.equal(await cache.getOrSet('k', loader), 'new');
    assert.equal(calls, 1);
    assert.equal(cache.stats().staleServed, 100);
  });

  test('grace: the caller that refreshes waits for the new value, the others get the old one at once', async () => {
    const { cache, clock } = setup({ jitter: false, ttl: 1000, grace: '1h' });
    await cache.set('k', 'old');
    clock.advance(1500);
    const g = gate();
    const started = gate();
    const first = cache.getOrSet('k', async () => {
      started.open();
      await g.p;
      return 'new';
    });
    await started.p;
    const others = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k', () => 'never called')));
    assert.ok(others.every((v) => v === 'old'));
    g.open();
    assert.equal(await first, 'new');
    assert.equal(await cache.getOrSet('k', () => 'never called'), 'new');
    const s = cache.stats();
    assert.deepEqual([s.loads, s.staleServed], [1, 50]);
  });

  test('soft timeout serves stale and keeps loading; hard timeout aborts the loader', async () => {
    const { cache, clock, engine } = setup({ jitter: false, ttl: 1000, grace: '1h' });
    await cache.set('k', 'old');
    clock.advance(1500);
    const g = gate();
    const loading = async () => {
      await g.p;
      return 'new';
    };
    assert.equal(await cache.getOrSet('k', loading, { softTimeout: 20 }), 'old');
    g.open();
    await waitUntil(async () => (await cache.get('k')) === 'new', 3000); // the load went on in the background

    let signal: AbortSignal | undefined;
    const never = (ctx: { signal: AbortSignal }) => {
      signal = ctx.signal;
      return new Promise<string>(() => {});
    };
    await assert.rejects(cache.getOrSet('cold', never, { hardTimeout: 20 }), CacheTimeoutError);
    await waitUntil(() => signal?.aborted === true, 1000); // the loader's own timer, started with the load
    clock.advance(1500);
    assert.equal(await cache.getOrSet('k', never, { hardTimeout: 20 }), 'new', 'stale on hard timeout');

    // The hard timeout also bounds waiting for another process's lease.
    engine.call('SET', 'sn:{held}:lease', 'another-process', 'PX', 60_000);
    let calls = 0;
    await assert.rejects(
      cache.getOrSet('held', () => (calls++, 'x'), { hardTimeout: 30 }),
      CacheTimeoutError,
    );
    assert.equal(calls, 0);
  });

  test('XFetch early refresh: near expiry a hit refreshes in the background; far from it, never', async () => {
    const { cache, clock } = setup({ jitter: false, ttl: 10_000 });
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return calls;
    };
    assert.equal(await cache.getOrSet('x', loader, { earlyRefresh: 1 }), 1);
    for (let i = 0; i < 50; i++) await cache.getOrSet('x', loader, { earlyRefresh: 1 });
    assert.equal(calls, 1, 'delta ~5 ms is negligible against 10 s of freshness');
    clock.advance(9_999);
    assert.equal(await cache.getOrSet('x', loader, { earlyRefresh: 1e9 }), 1, 'served while refreshing');
    await waitUntil(async () => calls === 2 && (await cache.get('x')) === 2, 3000);
  });

  test('set-after-invalidate: a slow reader cannot write an old value back (naive cache-aside does)', async () => {
    const { cache, engine } = setup();
    const store: Store = cache.store;

    // Naive cache-aside, as in the seed: GET, load on miss, SET.
    async function naiveGetOrSet(key: string, load: () => Promise<string>): Promise<string> {
      const cached = await store.get(key);
      if (cached !== null) return cached;
      const v = await load();
      await store.set(key, v, { px: 300_000 });
      return v;
    }

    async function race(read: (load: () => Promise<string>) => Promise<string>, invalidate: () => Promise<void>) {
      const db = { user: 'old' };
      const g = gate();
      const hasRead = gate();
      // 1. A reader misses and reads the database (old), then stalls.
      const reader = read(async () => {
        const v = db.user;
        hasRead.open();
        await g.p;
        return v;
      });
      await hasRead.p;
      // 2. A writer updates the database and invalidates the cache.
      db.user = 'new';
      await invalidate();
      // 3. The reader resumes and writes what it read.
      g.open();
      assert.equal(await reader, 'old', 'the reader itself returns what it read');
    }

    await race(
      (load) => naiveGetOrSet('naive', load),
      async () => void (await store.unlink(['naive'])),
    );
    assert.equal(await store.get('naive'), 'old', 'naive cache-aside keeps the stale value: the bug');

    await race(
      (load) => cache.getOrSet('user', load),
      async () => void (await cache.delete('user')),
    );
    assert.equal(await cache.get('user'), undefined, 'our delete revoked the lease: nothing stale stored');
    assert.equal(await cache.getOrSet('user', async () => 'new'), 'new');
    assert.equal(cache.stats().refusedWrites, 1);

    // Write-through: set() after the database write also wins over the slow reader.
    await cache.delete('user');
    await race(
      (load) => cache.getOrSet('user', load),
      () => cache.set('user', 'new'),
    );
    assert.equal(await cache.get('user'), 'new');

    // Tags: the reader recorded the tag version before loading; the invalidation bumped it.
    await race(
      (load) => cache.getOrSet('tagged', load, { tags: ['users'] }),
      () => cache.invalidateTags(['users']),
    );
    assert.equal(await cache.get('tagged'), undefined);
    assert.equal(engine.call('EXISTS', 'sn:{tagged}'), 1, 'written, but under an outdated tag version');

    // deleteMatching revokes leases too.
    await race(
      (load) => cache.getOrSet('user:7', load),
      async () => void (await cache.deleteMatching('user:*')),
    );
    assert.equal(await cache.get('user:7'), undefined);
  });

  test('tags: invalidateTags drops every tagged entry, across namespaces of the tag only', async () => {
    const { cache, engine } = setup();
    await cache.set('p1', 1, { tags: ['products', 'cat:1'] });
    await cache.set('p2', 2, { tags: ['products'] });
    await cache.set('c1', 3, { tags: ['cat:1'] });
    await cache.set('plain', 4);
    await cache.invalidateTags(['cat:1']);
    assert.deepEqual(await Promise.all(['p1', 'p2', 'c1', 'plain'].map((k) => cache.get(k))), [undefined, 2, undefined, 4]);
    let calls = 0;
    assert.equal(await cache.getOrSet('p1', () => (calls++, 10), { tags: ['products', 'cat:1'] }), 10);
    assert.equal(await cache.getOrSet('p1', () => (calls++, 11), { tags: ['products', 'cat:1'] }), 10);
    assert.equal(calls, 1);
    // A tag version lost (evicted) reads as invalidated, never as "still valid".
    engine.call('DEL', 'sn:#tag{products}');
    assert.equal(await cache.get('p2'), undefined);
  });

  test('deleteMatching: SCAN + UNLINK in batches, only matching entries of this namespace', async () => {
    class Counting extends EmbeddedStore {
      unlinkCalls = 0;
      override unlink(keys: string[]) {
        this.unlinkCalls++;
        return super.unlink(keys);
      }
    }
    const store = new Counting(new Engine());
    const cache = createCache({ store });
    for (let i = 0; i < 2500; i++) await cache.set(`user:${i}`, i);
    await cache.set('users', 'x');
    await cache.set('post:1', 'y');
    const admins = cache.namespace('admin');
    await admins.set('user:1', 'admin');
    assert.equal(await cache.deleteMatching('user:*'), 2500);
    assert.ok(store.unlinkCalls >= 3, `batched: ${store.unlinkCalls} UNLINK calls`);
    assert.equal(await cache.get('user:1'), undefined);
    assert.equal(await cache.get('users'), 'x');
    assert.equal(await cache.get('post:1'), 'y');
    assert.equal(await admins.get('user:1'), 'admin');
    assert.equal(await cache.deleteMatching('p?st:[0-9]'), 1);
    assert.equal(await cache.get('post:1'), undefined);
  });

  test('namespaces and clear(namespace)', async () => {
    const { cache } = setup();
    const users = cache.namespace('users');
    const posts = cache.namespace('posts', { ttl: '1h' });
    await users.set('1', 'ada');
    await posts.set('1', 'hello');
    await cache.set('1', 'root');
    assert.equal(await users.get('1'), 'ada');
    assert.equal(await cache.clear('users'), 1);
    assert.equal(await users.get('1'), undefined);
    assert.equal(await posts.get('1'), 'hello');
    await posts.clear();
    assert.equal(await posts.get('1'), undefined);
    assert.equal(await cache.get('1'), 'root');
    assert.equal(await cache.clear(), 1);
    assert.equal(await cache.get('1'), undefined);
  });

  test('stats and events', async () => {
    const { cache } = setup();
    const seen: string[] = [];
    for (const e of ['hit', 'miss', 'load', 'loaded', 'loadError', 'invalidate'] as const) cache.on(e, () => seen.push(e));
    await cache.getOrSet('a', () => 1);
    await cache.getOrSet('a', () => 1);
    await cache.delete('a');
    await cache
      .getOrSet('b', () => {
        throw new Error('x');
      })
      .catch(() => {});
    assert.deepEqual(seen, ['miss', 'load', 'loaded', 'hit', 'invalidate', 'miss', 'load', 'loadError']);
    const s = cache.stats();
    assert.deepEqual([s.hits, s.misses, s.loads, s.loadErrors], [1, 2, 2, 1]);
  });

  test('L1: two caches on one engine stay coherent (keyspace events), also with the pub/sub bus', async () => {
    const engine = new Engine();
    const a = createCache({ store: engine, l1: true });
    const b = createCache({ store: engine.session(), l1: true });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 'v1');
    assert.equal(await a.get('k'), 'v1');
    assert.equal(await a.get('k'), 'v1');
    assert.ok(a.stats().l1Hits >= 1);
    await b.set('k', 'v2');
    assert.equal(await a.get('k'), 'v2', 'synchronous invalidation on the embedded engine');
    engine.call('SET', 'sn:{k}', 'garbage'); // a write by anyone, not only by a cache
    assert.equal(await a.get('k'), undefined);
    engine.call('FLUSHALL');
    assert.ok(a.stats().l1Flushes >= 1);

    // Without tracking: the bus.
    class NoTracking extends EmbeddedStore {
      override async track() {
        return null;
      }
    }
    const c = createCache({ store: new NoTracking(engine), l1: { maxEntries: 100 } });
    const d = createCache({ store: new NoTracking(engine.session()), l1: { maxEntries: 100 } });
    await Promise.all([c.ready(), d.ready()]);
    await c.set('x', 1);
    assert.equal(await c.get('x'), 1);
    await d.set('x', 2);
    assert.equal(await c.get('x'), 2);
    await d.invalidateTags(['t']);
    await d.delete('x');
    assert.equal(await c.get('x'), undefined);
    for (let i = 0; i < 300; i++) await c.set(`many${i}`, i);
    for (let i = 0; i < 300; i++) await c.get(`many${i}`);
    assert.ok(c.stats().l1Size <= 100, 'L1 is bounded');
    assert.ok(c.stats().l1Evictions >= 200);
    // A writer without an L1 of its own announces its writes only when asked to.
    await c.set('y', 1);
    assert.equal(await c.get('y'), 1);
    const quiet = createCache({ store: new NoTracking(engine.session()) });
    const loud = createCache({ store: new NoTracking(engine.session()), announceWrites: true });
    await quiet.set('y', 2);
    assert.equal(await c.get('y'), 1, 'not announced: the bus cannot know');
    await loud.set('y', 3);
    assert.equal(await c.get('y'), 3);
    await Promise.all([a.close(), b.close(), c.close(), d.close()]);
  });
});

describe('the same Lua as on Redis, run by the embedded engine', () => {
  test('lease scripts: Lua through EVALSHA/EVAL and the JS twins give the same replies and state', async () => {
    const { commitWithLease, releaseLease, writeAndRevoke } = await import('../src/cache/index.js');
    const engine = new Engine({ clock: new ManualClock(1_700_000_000_000) }); // PTTLs compared exactly
    const lua = new EmbeddedStore(engine, { scripts: 'lua' });
    const js = new EmbeddedStore(engine.session());
    const cases: [typeof commitWithLease, string[], string[]][] = [
      [commitWithLease, ['v{k}', 'l{k}'], ['tok', 'entry', '5000']],
      [releaseLease, ['l{k}'], ['tok']],
      [writeAndRevoke, ['v{k}', 'l{k}'], ['entry2', '5000']],
    ];
    for (const leaseHolder of [null, 'tok', 'other']) {
      for (const [script, keys, args] of cases) {
        const results: unknown[] = [];
        for (const store of [lua, js]) {
          engine.call('FLUSHALL');
          if (leaseHolder !== null) engine.call('SET', 'l{k}', leaseHolder);
          results.push([await store.run(script, keys, args), engine.call('GET', 'v{k}'), engine.call('GET', 'l{k}'), engine.call('PTTL', 'v{k}')]);
        }
        assert.deepEqual(results[0], results[1], `${script.name} with lease ${leaseHolder}`);
      }
    }
  });

  test('the cache over Lua scripts: one load, and a revoked lease refuses the late write', async () => {
    const cache = createCache({ store: new EmbeddedStore(new Engine(), { scripts: 'lua' }) });
    let calls = 0;
    await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet('k', () => (calls++, 'v'))));
    assert.equal(calls, 1);
    const g = gate();
    const hasRead = gate();
    const reading = cache.getOrSet('u', async () => {
      hasRead.open();
      await g.p;
      return 'old';
    });
    await hasRead.p;
    await cache.delete('u');
    g.open();
    assert.equal(await reading, 'old');
    assert.equal(await cache.get('u'), undefined);
    assert.equal(cache.stats().refusedWrites, 1);
  });
});
