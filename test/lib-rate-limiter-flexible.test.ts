import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * rate-limiter-flexible's RateLimiterRedis (an ioredis client with its Lua INCR+TTL script, MULTI for
 * forced expiry) against stickynote-server, and against real Redis as a check of the test itself.
 */

/** What consume() rejects with once the points are used up. */
function rejection(e: unknown): RateLimiterRes {
  assert.ok(e instanceof RateLimiterRes, `expected a RateLimiterRes, got ${String(e)}`);
  return e;
}

for (const target of ['redis-server', 'stickynote-server'] as const) {
  describe(`rate-limiter-flexible on ${target}`, () => {
    let server: RunningServer;
    let client: Redis;

    before(async () => {
      server = target === 'redis-server' ? await startRedis() : await startStickynoteProcess();
      client = new Redis({ host: '127.0.0.1', port: server.port, enableOfflineQueue: false, lazyConnect: true });
      await client.connect();
    });

    after(async () => {
      client.disconnect();
      await server.stop();
    });

    test('consume until blocked: remaining points count down, then msBeforeNext is the window left', async () => {
      const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rl-basic', points: 3, duration: 5 });
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await limiter.consume('user-1');
        remaining.push(res.remainingPoints);
        assert.ok(res.msBeforeNext > 0 && res.msBeforeNext <= 5000, `msBeforeNext ${res.msBeforeNext}`);
      }
      assert.deepEqual(remaining, [2, 1, 0]);
      const blocked = rejection(await limiter.consume('user-1').then(() => null, (e: unknown) => e));
      assert.equal(blocked.remainingPoints, 0);
      assert.equal(blocked.consumedPoints, 4);
      assert.ok(blocked.msBeforeNext > 0 && blocked.msBeforeNext <= 5000, `msBeforeNext ${blocked.msBeforeNext}`);
      // Another key has its own budget; the key lives in Redis with the window as its TTL.
      assert.equal((await limiter.consume('user-2')).remainingPoints, 2);
      assert.equal(await client.get('rl-basic:user-1'), '4');
      const pttl = await client.pttl('rl-basic:user-1');
      assert.ok(pttl > 0 && pttl <= 5000, `pttl ${pttl}`);
    });

    test('get, penalty, reward and delete', async () => {
      const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rl-ops', points: 10, duration: 5 });
      assert.equal(await limiter.get('k'), null);
      await limiter.consume('k', 2);
      assert.equal((await limiter.get('k'))?.consumedPoints, 2);
      assert.equal((await limiter.penalty('k', 3)).consumedPoints, 5);
      assert.equal((await limiter.reward('k', 4)).consumedPoints, 1);
      assert.equal(await limiter.delete('k'), true);
      assert.equal(await limiter.get('k'), null);
    });

    test('blockDuration keeps a key blocked past its window (forced expiry through MULTI)', async () => {
      const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rl-block', points: 1, duration: 1, blockDuration: 30 });
      await limiter.consume('ip');
      const blocked = rejection(await limiter.consume('ip').then(() => null, (e: unknown) => e));
      assert.ok(blocked.msBeforeNext > 1000 && blocked.msBeforeNext <= 30000, `msBeforeNext ${blocked.msBeforeNext}`);
      const pttl = await client.pttl('rl-block:ip');
      assert.ok(pttl > 1000 && pttl <= 30000, `pttl ${pttl}`);
      const again = rejection(await limiter.consume('ip').then(() => null, (e: unknown) => e));
      assert.ok(again.msBeforeNext > 1000, `still blocked: ${again.msBeforeNext}`);
    });

    test('a key whose window passed starts a fresh budget', async () => {
      const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rl-window', points: 1, duration: 1 });
      await limiter.consume('w');
      const blocked = rejection(await limiter.consume('w').then(() => null, (e: unknown) => e));
      await new Promise((r) => setTimeout(r, blocked.msBeforeNext + 20));
      assert.equal((await limiter.consume('w')).remainingPoints, 0);
    });
  });
}
