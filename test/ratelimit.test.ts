import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RateLimiter, type RateLimiterOptions, type RateLimitResult } from '../src/cache/ratelimit/index.js';
import { hashSlot } from '../src/cache/stores/keys.js';
import { EmbeddedStore } from '../src/cache/stores/embedded.js';
import type { Store } from '../src/cache/stores/types.js';
import { ManualClock } from '../src/engine/clock.js';
import { run } from './support/process.js';
import { startRedis } from './support/servers.js';
import { startBackends, type Backends } from './support/toolkit-backends.js';

const WORKER = fileURLToPath(new URL('./support/toolkit-worker.js', import.meta.url));

let backends: Backends;
before(async () => {
  backends = await startBackends();
  console.log(`# backends: ${backends.list.map((b) => b.name).join(', ')}`);
});
after(async () => {
  await backends?.close();
});

let unique = 0;
/** A fresh prefix per limiter, so tests sharing a server never count into each other's keys. */
function prefix(name: string): string {
  return `rl:${name}:${process.pid}:${++unique}:`;
}

const brief = (r: RateLimitResult) => [r.allowed, r.remaining, r.reset, r.retryAfter];

/** A deterministic sequence of (time step, cost) pairs. */
function steps(n: number, seed: number): [number, number][] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, () => [next() % 170, 1 + (next() % 4 === 0 ? 1 : 0)]);
}

const clocked: RateLimiterOptions[] = [
  { algorithm: 'sliding-window', limit: 5, window: '1s' },
  { algorithm: 'token-bucket', capacity: 5, refillRate: 3, interval: '1s' },
  { algorithm: 'gcra', limit: 7, period: '1s', burst: 4 },
];

describe('rate limiters on every store', () => {
  // The backends are only known after before(): one test per backend iterates them.
  test('GCRA: a burst, then one request per interval (caller clock)', async () => {
    assert.equal(backends.list.length, 6, backends.list.map((b) => b.name).join(', '));
    for (const b of backends.list) {
      const store = await b.connect();
      const clock = new ManualClock(1_700_000_000_000);
      const rl = new RateLimiter(store, { algorithm: 'gcra', limit: 5, period: 1000, prefix: prefix('gcra'), clock });
      const got = [];
      for (let i = 0; i < 6; i++) got.push(brief(await rl.limit('u')));
      assert.deepEqual(
        got,
        [
          [true, 4, 200, 0],
          [true, 3, 400, 0],
          [true, 2, 600, 0],
          [true, 1, 800, 0],
          [true, 0, 1000, 0],
          [false, 0, 1000, 200],
        ],
        b.name,
      );
      clock.advance(200);
      assert.deepEqual(brief(await rl.limit('u')), [true, 0, 1000, 0], b.name);
      clock.advance(1000);
      assert.deepEqual(brief(await rl.limit('u', { cost: 5 })), [true, 0, 1000, 0], b.name);
      await assert.rejects(rl.limit('u', { cost: 6 }), RangeError);
    }
  });

  test('token bucket: capacity, refill, refusals take nothing (caller clock)', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const clock = new ManualClock(1_700_000_000_000);
      const rl = new RateLimiter(store, { algorithm: 'token-bucket', capacity: 3, refillRate: 1, interval: '100ms', prefix: prefix('bucket'), clock });
      assert.deepEqual(brief(await rl.limit('u', { cost: 2 })), [true, 1, 200, 0], b.name);
      assert.deepEqual(brief(await rl.limit('u', { cost: 2 })), [false, 1, 200, 100], b.name);
      clock.advance(50);
      assert.deepEqual(brief(await rl.limit('u', { cost: 2 })), [false, 1, 150, 50], b.name); // 1.5 tokens
      clock.advance(50);
      assert.deepEqual(brief(await rl.limit('u', { cost: 2 })), [true, 0, 300, 0], b.name);
      clock.advance(10_000); // refilled to capacity, not beyond
      assert.deepEqual(brief(await rl.limit('u', { cost: 3 })), [true, 0, 300, 0], b.name);
    }
  });

  test('sliding window: exactly `limit` in any window (caller clock)', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const clock = new ManualClock(1_700_000_000_000);
      const rl = new RateLimiter(store, { algorithm: 'sliding-window', limit: 3, window: 1000, prefix: prefix('sliding'), clock });
      const at = async (t: number, cost = 1) => {
        clock.set(1_700_000_000_000 + t);
        return brief(await rl.limit('u', { cost }));
      };
      assert.deepEqual(await at(0), [true, 2, 1000, 0], b.name);
      assert.deepEqual(await at(100), [true, 1, 1000, 0], b.name);
      assert.deepEqual(await at(200), [true, 0, 1000, 0], b.name);
      assert.deepEqual(await at(300), [false, 0, 900, 700], b.name);
      assert.deepEqual(await at(999), [false, 0, 201, 1], b.name);
      assert.deepEqual(await at(1000), [true, 0, 1000, 0], b.name); // the request at 0 left the window
      assert.deepEqual(await at(1050, 2), [false, 0, 950, 150], b.name); // needs the ones at 100 and 200 gone
      assert.deepEqual(await at(1200, 2), [true, 0, 1000, 0], b.name);
    }
  });

  test('fixed window: the seed\'s limit, atomic, with a TTL on the counter', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const rl = new RateLimiter(store, { algorithm: 'fixed-window', limit: 3, window: '1m', prefix: prefix('fixed') });
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await rl.limit('u'));
      assert.deepEqual(got.map((r) => [r.allowed, r.remaining]), [[true, 2], [true, 1], [true, 0]], b.name);
      const refused = await rl.limit('u');
      assert.equal(refused.allowed, false, b.name);
      assert.ok(refused.retryAfter > 55_000 && refused.retryAfter <= 60_000, `${b.name}: retryAfter ${refused.retryAfter}`);
      assert.equal(refused.reset, refused.retryAfter);
      const ttl = Number(await store.command(['PTTL', rl.key('u')], rl.key('u')));
      assert.ok(ttl > 55_000 && ttl <= 60_000, `${b.name}: PTTL ${ttl}`);
      await rl.reset('u');
      assert.equal((await rl.limit('u')).remaining, 2, b.name);
      // The seed's INCR-then-EXPIRE leaves a counter without TTL if the process dies in between:
      // the limiter gives it the window's TTL instead of limiting that id forever.
      await store.command(['SET', rl.key('stuck'), '3'], rl.key('stuck'));
      assert.equal((await rl.limit('stuck')).allowed, false, b.name);
      const healed = Number(await store.command(['PTTL', rl.key('stuck')], rl.key('stuck')));
      assert.ok(healed > 55_000 && healed <= 60_000, `${b.name}: PTTL ${healed}`);
    }
  });

  test('fixed window on the embedded engine follows the engine clock', async () => {
    const b = backends.list.find((x) => x.clock)!;
    const rl = new RateLimiter(await b.connect(), { algorithm: 'fixed-window', limit: 2, window: 1000, prefix: prefix('fixed') });
    assert.deepEqual(brief(await rl.limit('u')), [true, 1, 1000, 0]);
    b.clock!.advance(400);
    assert.deepEqual(brief(await rl.limit('u')), [true, 0, 600, 0]);
    assert.deepEqual(brief(await rl.limit('u')), [false, 0, 600, 600]);
    b.clock!.advance(600);
    assert.deepEqual(brief(await rl.limit('u')), [true, 1, 1000, 0]);
  });

  test('Lua and the embedded twins decide identically over a long sequence (caller clock)', async () => {
    const embedded = backends.list.find((x) => x.clock)!;
    for (const options of clocked) {
      const reference: unknown[] = [];
      for (const b of backends.list) {
        const clock = new ManualClock(1_700_000_000_000);
        const rl = new RateLimiter(await b.connect(), { ...options, prefix: prefix('diff'), clock });
        const got = [];
        for (const [dt, cost] of steps(120, 7)) {
          clock.advance(dt);
          got.push(brief(await rl.limit('u', { cost })));
        }
        if (b === embedded) reference.push(...got);
        else assert.deepEqual(got, reference, `${options.algorithm} on ${b.name}`);
        assert.ok(got.some((r) => r[0] === false) && got.some((r) => r[0] === true), 'the sequence exercises both outcomes');
      }
    }
  });

  test('the store\'s own clock (TIME inside the script): GCRA and sliding window', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      for (const options of [
        { algorithm: 'gcra', limit: 3, period: '1m' },
        { algorithm: 'sliding-window', limit: 3, window: '1m' },
        { algorithm: 'token-bucket', capacity: 3, refillRate: 3, interval: '1m' },
      ] as RateLimiterOptions[]) {
        const rl = new RateLimiter(store, { ...options, prefix: prefix('time') });
        const got = [];
        for (let i = 0; i < 4; i++) got.push(await rl.limit('u'));
        assert.deepEqual(got.map((r) => [r.allowed, r.remaining]), [[true, 2], [true, 1], [true, 0], [false, 0]], `${options.algorithm} on ${b.name}`);
        const wait = got[3].retryAfter;
        const expected = options.algorithm === 'sliding-window' ? 60_000 : 20_000;
        assert.ok(wait > expected - 5000 && wait <= expected, `${options.algorithm} on ${b.name}: retryAfter ${wait}`);
        const ttl = Number(await store.command(['PTTL', rl.key('u')], rl.key('u')));
        assert.ok(ttl > 0 && ttl <= 60_000, `${options.algorithm} on ${b.name}: key TTL ${ttl}`);
      }
    }
  });

  test('50 concurrent clients never get more than the limit', async () => {
    for (const b of backends.list) {
      const stores: Store[] = await Promise.all(Array.from({ length: 50 }, () => b.connect()));
      for (const options of [
        { algorithm: 'fixed-window', limit: 20, window: '1m' },
        { algorithm: 'sliding-window', limit: 20, window: '1m' },
        { algorithm: 'token-bucket', capacity: 20, refillRate: 1, interval: '1h' },
        { algorithm: 'gcra', limit: 20, period: '1h' },
      ] as RateLimiterOptions[]) {
        const p = prefix('race');
        const results = await Promise.all(
          stores.flatMap((store) => Array.from({ length: 6 }, () => new RateLimiter(store, { ...options, prefix: p }).limit('hot'))),
        );
        const admitted = results.filter((r) => r.allowed).length;
        assert.equal(admitted, 20, `${options.algorithm} on ${b.name}: ${admitted} of 300 admitted`);
        // Every admitted request saw a distinct remaining count: no two read the same state.
        assert.deepEqual(
          results.filter((r) => r.allowed).map((r) => r.remaining).sort((x, y) => x - y),
          Array.from({ length: 20 }, (_, i) => i),
          `${options.algorithm} on ${b.name}`,
        );
      }
    }
  });
});

test('keys: one hash-tagged key per id, the id as the tag (one cluster slot)', () => {
  const rl = new RateLimiter(new EmbeddedStore(), { algorithm: 'gcra', limit: 1, period: 1000 });
  assert.equal(rl.key('user:42'), 'rl:gcra:{user:42}');
  assert.equal(hashSlot(rl.key('user:42')), hashSlot('user:42'));
  assert.throws(() => new RateLimiter(new EmbeddedStore(), { algorithm: 'gcra', limit: 0, period: 1000 }), RangeError);
  assert.throws(() => new RateLimiter(new EmbeddedStore(), { algorithm: 'sliding-window', limit: 1, window: 'soon' }), TypeError);
});

test('4 processes x 50 concurrent decisions on one Redis id: exactly the limit admitted', async () => {
  const redis = await startRedis();
  try {
    const prefix = `xproc:${process.pid}:`;
    const outs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, [WORKER, String(redis.port), 'limit', prefix, '50'], { timeoutMs: 60_000 })));
    for (const o of outs) assert.equal(o.code, 0, o.stderr);
    assert.equal(outs.reduce((sum, o) => sum + Number(o.stdout), 0), 25);
  } finally {
    await redis.stop();
  }
});
