import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * ioredis pub/sub with patterns and keyspace events against the stickynote-server binary (its
 * own cron expires keys nobody touches), and against real Redis as a check of the test itself.
 * test/pubsub.test.ts and test/notifications.test.ts cover the same through the in-process server.
 */
for (const target of ['redis-server', 'stickynote-server'] as const) {
  describe(`ioredis pub/sub on ${target}`, () => {
    let server: RunningServer;
    const clients: Redis[] = [];

    before(async () => {
      server = target === 'redis-server' ? await startRedis() : await startStickynoteProcess();
    });

    after(async () => {
      for (const c of clients) c.disconnect();
      await server.stop();
    });

    async function connect(db = 0): Promise<Redis> {
      const c = new Redis({ host: '127.0.0.1', port: server.port, db, lazyConnect: true });
      clients.push(c);
      await c.connect();
      return c;
    }

    test('psubscribe to several patterns: pmessage per matching pattern, punsubscribe stops them', async () => {
      const sub = await connect();
      const pub = await connect();
      const got: string[] = [];
      let wanted = 3;
      let arrived: () => void = () => {};
      sub.on('pmessage', (pattern: string, channel: string, message: string) => {
        got.push(`${pattern} ${channel} ${message}`);
        if (got.length === wanted) arrived();
      });
      let all = new Promise<void>((resolve) => (arrived = resolve));
      assert.equal(await sub.psubscribe('orders:*', 'orders:eu:*'), 2);
      assert.equal(await pub.publish('orders:eu:1', 'created'), 2);
      assert.equal(await pub.publish('orders:us:2', 'paid'), 1);
      assert.equal(await pub.publish('users:1', 'ignored'), 0);
      await all;
      assert.deepEqual(got.sort(), ['orders:* orders:eu:1 created', 'orders:* orders:us:2 paid', 'orders:eu:* orders:eu:1 created']);

      got.length = 0;
      wanted = 1;
      all = new Promise<void>((resolve) => (arrived = resolve));
      assert.equal(await sub.punsubscribe('orders:*'), 1);
      assert.equal(await pub.publish('orders:eu:3', 'shipped'), 1);
      await all;
      assert.deepEqual(got, ['orders:eu:* orders:eu:3 shipped']);
      assert.equal(await pub.pubsub('NUMPAT'), 1);
    });

    test('keyspace events by pattern: expired arrives for untouched keys in two databases', async () => {
      const admin = await connect();
      const db1 = await connect(1);
      const sub = await connect();
      await admin.config('SET', 'notify-keyspace-events', 'KEx');
      const events: string[] = [];
      const three = new Promise<void>((resolve) => {
        sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
          events.push(`${channel} ${message}`);
          if (events.length === 3) resolve();
        });
      });
      await sub.psubscribe('__keyevent@*__:expired', '__keyspace@1__:*');
      await admin.set('ttl:a', '1', 'PX', 40);
      await db1.set('ttl:b', '1', 'PX', 60);
      await admin.set('ttl:kept', '1');
      await three;
      // Only the x class is on: no event for the SETs themselves.
      assert.deepEqual(events.sort(), ['__keyevent@0__:expired ttl:a', '__keyevent@1__:expired ttl:b', '__keyspace@1__:ttl:b expired']);
      assert.equal(await admin.exists('ttl:a', 'ttl:kept'), 1);
      await admin.config('SET', 'notify-keyspace-events', '');
    });
  });
}
