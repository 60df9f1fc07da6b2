import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Lock, LockLostError, Locks, LockTimeoutError } from '../src/cache/locks/index.js';
import { releaseScript, extendScript } from '../src/cache/locks/scripts.js';
import { hashSlot } from '../src/cache/stores/keys.js';
import { EmbeddedStore } from '../src/cache/stores/embedded.js';
import type { Store } from '../src/cache/stores/types.js';
import { run } from './support/process.js';
import { RawClient } from './support/raw-client.js';
import { startRedis } from './support/servers.js';
import { startBackends, type Backends } from './support/toolkit-backends.js';

const WORKER = fileURLToPath(new URL('./support/toolkit-worker.js', import.meta.url));

let backends: Backends;
before(async () => {
  backends = await startBackends({ nodeRedis: false });
  console.log(`# backends: ${backends.list.map((b) => b.name).join(', ')}`);
});
after(async () => {
  await backends?.close();
});

let unique = 0;
function prefix(): string {
  return `lock:${process.pid}:${++unique}:`;
}

async function pttl(store: Store, key: string): Promise<number> {
  return Number(await store.command(['PTTL', key], key));
}

describe('locks on every store', () => {
  test('only the owner releases or extends; others are refused atomically', async () => {
    assert.equal(backends.list.length, 5, backends.list.map((b) => b.name).join(', '));
    for (const b of backends.list) {
      const [s1, s2] = [await b.connect(), await b.connect()];
      const p = prefix();
      const [a, other] = [new Locks(s1, { prefix: p, ttl: '10s' }), new Locks(s2, { prefix: p })];
      const lock = await a.acquire('res');
      assert.equal(lock.fence, 1, b.name);
      assert.equal(await other.tryAcquire('res'), null, b.name);
      // Another process that knows the name but not the token can neither release nor extend.
      assert.equal(await s2.run(releaseScript, [lock.key], ['not-the-token']), 0, b.name);
      assert.equal(await s2.run(extendScript, [lock.key], ['not-the-token', 60_000]), 0, b.name);
      assert.equal(await s2.get(lock.key), lock.token, b.name);
      assert.ok((await pttl(s2, lock.key)) <= 10_000, b.name);
      assert.equal(await lock.extend('30s'), true, b.name);
      assert.ok((await pttl(s2, lock.key)) > 20_000, b.name);
      assert.equal(await lock.release(), true, b.name);
      assert.equal(await lock.release(), false, `${b.name}: a second release finds nothing`);
      const next = await other.acquire('res');
      assert.equal(next.fence, 2, `${b.name}: fencing token increases`);
      assert.equal(await lock.extend(), false, `${b.name}: the old owner cannot extend the new lock`);
      assert.equal(lock.signal.aborted, true, b.name);
      assert.equal(await next.release(), true, b.name);
    }
  });

  test('an expired lock is taken over; the late owner cannot release the new one', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const locks = new Locks(store, { prefix: prefix() });
      const first = await locks.acquire('res', { ttl: 30 });
      if (b.clock) b.clock.advance(31);
      else await sleep(40);
      const second = await locks.acquire('res', { ttl: '10s', wait: 0 });
      assert.ok(second.fence > first.fence, b.name);
      assert.equal(await first.release(), false, b.name);
      assert.equal(await store.get(second.key), second.token, `${b.name}: still held by the new owner`);
      await second.release();
    }
  });

  test('acquire waits, then times out; it succeeds once the holder releases', async () => {
    for (const b of backends.list) {
      const locks = new Locks(await b.connect(), { prefix: prefix(), retryDelay: 5 });
      const held = await locks.acquire('res');
      await assert.rejects(locks.acquire('res', { wait: 60 }), LockTimeoutError, b.name);
      const waiting = locks.acquire('res', { wait: '5s' });
      await sleep(20);
      await held.release();
      const got = await waiting;
      assert.equal(got.fence, held.fence + 1, b.name);
      await got.release();
      const aborted = new AbortController();
      const holder = await locks.acquire('res');
      const pending = locks.acquire('res', { wait: '5s', signal: aborted.signal });
      aborted.abort();
      await assert.rejects(pending, { name: 'AbortError' }, b.name);
      await holder.release();
    }
  });

  test('withLock keeps the lock past its TTL while work runs, then releases it', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const locks = new Locks(store, { prefix: prefix() });
      const rival = new Locks(await b.connect(), { prefix: locks.prefix });
      let key = '';
      const result = await locks.withLock(
        'job',
        async (lock) => {
          key = lock.key;
          for (let i = 1; i <= 4; i++) {
            await sleep(200);
            if (b.clock) b.clock.advance(200); // the engine's TTLs run on its manual clock
            assert.equal(await rival.tryAcquire('job'), null, `${b.name}: still held after ${i * 200} ms of a 500 ms TTL`);
          }
          return 'done';
        },
        { ttl: 500, extendEvery: 100 },
      );
      assert.equal(result, 'done');
      assert.equal(await store.get(key), null, `${b.name}: released`);
    }
  });

  test('withLock: a lock lost mid-work aborts the signal and rejects with LockLostError', async () => {
    for (const b of backends.list) {
      const store = await b.connect();
      const locks = new Locks(store, { prefix: prefix() });
      let seen: unknown;
      const run = locks.withLock(
        'job',
        async (lock) => {
          await store.unlink([lock.key]); // as if it had expired during a long pause
          await new Promise((resolve) => lock.signal.addEventListener('abort', resolve));
          seen = lock.signal.reason;
          return 'too late';
        },
        { ttl: '10s', extendEvery: 10 },
      );
      await assert.rejects(run, LockLostError, b.name);
      assert.ok(seen instanceof LockLostError, b.name);
    }
  });

  test('50 concurrent clients: mutual exclusion, every one served, fences strictly increasing', async () => {
    for (const b of backends.list) {
      const stores = await Promise.all(Array.from({ length: 50 }, () => b.connect()));
      const p = prefix();
      let inside = 0;
      let counter = 0;
      const fences: number[] = [];
      await Promise.all(
        stores.map((store) =>
          new Locks(store, { prefix: p, retryDelay: 3, wait: '20s' }).withLock('counter', async (lock: Lock) => {
            assert.equal(++inside, 1, `${b.name}: two holders at once`);
            fences.push(lock.fence);
            const read = counter;
            await sleep(1);
            counter = read + 1;
            inside--;
          }),
        ),
      );
      assert.equal(counter, 50, b.name);
      assert.deepEqual(fences, Array.from({ length: 50 }, (_, i) => i + 1), `${b.name}: fences in acquisition order`);
    }
  });
});

test('keys: the lock and its fencing counter share one hash tag (one cluster slot)', () => {
  const locks = new Locks(new EmbeddedStore());
  assert.equal(locks.key('invoice:42'), 'lock:{invoice:42}');
  assert.equal(hashSlot(`${locks.key('a}b')}:fence`), hashSlot(locks.key('a}b')));
  assert.throws(() => new Locks(new EmbeddedStore(), { ttl: 0 }), RangeError);
});

test('4 processes on one Redis: mutual exclusion (no lost update) and fences increasing across processes', async () => {
  const redis = await startRedis();
  try {
    const prefix = `xproc:${process.pid}:`;
    const outs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, [WORKER, String(redis.port), 'lock', prefix, '10'], { timeoutMs: 60_000 })));
    for (const o of outs) assert.equal(o.code, 0, o.stderr);
    const fences = outs.flatMap((o) => JSON.parse(o.stdout) as number[]);
    assert.deepEqual([...fences].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1), 'every acquisition got a distinct fence');
    for (const o of outs) {
      const own = JSON.parse(o.stdout) as number[];
      assert.deepEqual(own, [...own].sort((a, b) => a - b), 'each process saw its fences increase');
    }
    const c = await RawClient.connect(redis.port);
    assert.deepEqual((await c.send('GET', `${prefix}value`)).reply, { t: 'bulk', v: '40' });
    c.close();
  } finally {
    await redis.stop();
  }
});
