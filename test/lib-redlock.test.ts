import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import Redlock from 'redlock';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * redlock v4 (SET NX PX to acquire, Lua scripts to extend and release only one's own lock) against
 * stickynote-server, and against real Redis as a check of the test itself.
 */
for (const target of ['redis-server', 'stickynote-server'] as const) {
  describe(`redlock on ${target}`, () => {
    let server: RunningServer;
    let client: Redis;
    let redlock: Redlock;

    before(async () => {
      server = target === 'redis-server' ? await startRedis() : await startStickynoteProcess();
      client = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
      await client.connect();
      redlock = new Redlock([client], { retryCount: 0, driftFactor: 0.01 });
      redlock.on('clientError', () => {});
    });

    after(async () => {
      client.disconnect();
      await server.stop();
    });

    test('acquire, a second acquirer fails, extend, release, then it can be taken again', async () => {
      const lock = await redlock.lock('locks:report', 2000);
      assert.equal(await client.get('locks:report'), lock.value);
      await assert.rejects(redlock.lock('locks:report', 2000), (e: Error) => e.name === 'LockError');

      const extended = await lock.extend(10000);
      const pttl = await client.pttl('locks:report');
      assert.ok(pttl > 2000 && pttl <= 10000, `pttl after extend ${pttl}`);
      assert.equal(extended.value, lock.value);

      await extended.unlock();
      assert.equal(await client.exists('locks:report'), 0);
      const again = await redlock.lock('locks:report', 1000);
      await again.unlock();
    });

    test("releasing or extending someone else's lock fails and leaves it in place", async () => {
      const lock = await redlock.lock('locks:owned', 5000);
      // The lock expired and another owner took it: our value no longer matches.
      await client.set('locks:owned', 'someone-else', 'PX', 5000);
      await assert.rejects(lock.extend(5000), (e: Error) => e.name === 'LockError');
      await assert.rejects(lock.unlock(), (e: Error) => e.name === 'LockError');
      assert.equal(await client.get('locks:owned'), 'someone-else');
    });

    test('a lock frees itself when its TTL passes', async () => {
      await redlock.lock('locks:short', 100);
      await new Promise((r) => setTimeout(r, 150));
      const lock = await redlock.lock('locks:short', 1000);
      await lock.unlock();
    });
  });
}
