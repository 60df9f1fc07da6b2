import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { differentialServers, type Pair } from './support/differential.js';
import { Engine } from '../src/embedded.js';
import { ErrorReply } from '../src/commands/reply.js';

const servers = differentialServers();

/** Reads the next message each server sent the subscriber pair and compares the bytes. */
async function nextPush(sub: Pair): Promise<string> {
  const [r, o] = await Promise.all([sub.redis.read(), sub.ours.read()]);
  assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'), 'pushed message');
  return r.raw.toString('latin1');
}

/** Polls `check` on our server until it passes (for state that changes when a socket closes). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('condition not reached');
}

describe('pub/sub', () => {
  test('SUBSCRIBE, PUBLISH and UNSUBSCRIBE in RESP2, byte for byte', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sub.do('SUBSCRIBE', 'news');
    await sub.do('SUBSCRIBE', 'news'); // already subscribed: same confirmation, same count
    await pub.do('PUBLISH', 'news', 'hello');
    assert.equal(await nextPush(sub), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n');
    await pub.do('PUBLISH', 'other', 'x');
    await pub.do('PUBLISH', 'news', Buffer.from([0, 255, 13, 10]));
    await nextPush(sub);
    await sub.do('SUBSCRIBE', 'a', 'b');
    await nextPush(sub);
    await pub.do('PUBSUB', 'NUMSUB', 'news', 'a', 'nothing');
    await sub.do('UNSUBSCRIBE', 'a', 'never');
    await nextPush(sub);
    await sub.do('UNSUBSCRIBE', 'news');
    await sub.do('UNSUBSCRIBE', 'b');
    await sub.do('UNSUBSCRIBE'); // none left: one confirmation with a null channel
    await sub.do('PUNSUBSCRIBE');
    await sub.do('SUNSUBSCRIBE');
    await sub.do('GET', 'k'); // back to normal mode
    sub.close();
    pub.close();
  });

  test('PSUBSCRIBE delivers pmessage, PUBLISH counts channel and pattern receivers', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sub.do('PSUBSCRIBE', 'user:*');
    await sub.do('SUBSCRIBE', 'user:1');
    await sub.do('PSUBSCRIBE', 'h?llo', 'x[ab]');
    await nextPush(sub);
    await pub.do('PUBSUB', 'NUMPAT');
    await pub.do('PUBLISH', 'user:1', 'both'); // channel first, then the pattern
    await nextPush(sub);
    assert.equal(await nextPush(sub), '*4\r\n$8\r\npmessage\r\n$6\r\nuser:*\r\n$6\r\nuser:1\r\n$4\r\nboth\r\n');
    await pub.do('PUBLISH', 'hallo', 'p');
    await nextPush(sub);
    await pub.do('PUBLISH', 'xc', 'none');
    await pub.unordered('PUBSUB', 'CHANNELS');
    await pub.unordered('PUBSUB', 'CHANNELS', 'user*');
    await pub.do('PUBSUB', 'CHANNELS', 'nomatch*');
    await sub.do('PUNSUBSCRIBE', 'user:*');
    await sub.do('PUNSUBSCRIBE', 'h?llo');
    await sub.do('PUNSUBSCRIBE', 'x[ab]');
    await sub.do('PUNSUBSCRIBE', 'x[ab]');
    await pub.do('PUBSUB', 'NUMPAT');
    await sub.do('UNSUBSCRIBE');
    sub.close();
    pub.close();
  });

  test('shard channels: SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE, PUBSUB SHARDCHANNELS|SHARDNUMSUB', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sub.do('SSUBSCRIBE', 'orders');
    await sub.do('PSUBSCRIBE', 'ord*'); // patterns never see shard messages
    await pub.do('SPUBLISH', 'orders', 'o1');
    assert.equal(await nextPush(sub), '*3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$2\r\no1\r\n');
    await pub.do('PUBLISH', 'orders', 'global');
    await nextPush(sub);
    await pub.do('PUBSUB', 'SHARDCHANNELS');
    await pub.do('PUBSUB', 'SHARDCHANNELS', 'o*');
    await pub.do('PUBSUB', 'SHARDNUMSUB', 'orders', 'x');
    await pub.do('PUBSUB', 'SHARDNUMSUB');
    await pub.do('PUBSUB', 'NUMSUB');
    await sub.do('SUNSUBSCRIBE', 'orders');
    await sub.do('SUNSUBSCRIBE');
    await sub.do('PUNSUBSCRIBE');
    sub.close();
    pub.close();
  });

  test('RESP2 subscribed mode: only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET', async () => {
    const sub = await servers.pair();
    await sub.do('SUBSCRIBE', 'c');
    await sub.error('GET', 'k');
    await sub.error('CLIENT', 'ID');
    await sub.error('PUBLISH', 'c', 'm');
    await sub.error('NOSUCHCOMMAND'); // the lookup error comes first
    await sub.error('SUBSCRIBE'); // and the arity error
    await sub.do('PING');
    await sub.do('PING', 'hi');
    await sub.do('RESET');
    await sub.do('GET', 'k');
    await sub.do('SSUBSCRIBE', 's');
    await sub.error('SET', 'k', 'v');
    await sub.do('QUIT');
    await Promise.all([sub.redis.waitClose(), sub.ours.waitClose()]);
  });

  test('RESP3: confirmations and messages are pushes, and any command runs', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sub.both('HELLO', '3');
    await sub.do('SUBSCRIBE', 'r3');
    await sub.do('PSUBSCRIBE', 'r*');
    await sub.do('GET', 'nokey');
    await sub.do('PING');
    await pub.do('PUBLISH', 'r3', 'm');
    assert.equal(await nextPush(sub), '>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n');
    assert.equal(await nextPush(sub), '>4\r\n$8\r\npmessage\r\n$2\r\nr*\r\n$2\r\nr3\r\n$1\r\nm\r\n');
    // Publishing to itself: the message arrives before the reply, as in Redis.
    await sub.do('PUBLISH', 'r3', 'self');
    await nextPush(sub);
    await nextPush(sub);
    await sub.do('UNSUBSCRIBE');
    await sub.do('PUNSUBSCRIBE');
    await sub.do('UNSUBSCRIBE');
    sub.close();
    pub.close();
  });

  test('argument errors and PUBSUB HELP', async () => {
    const t = await servers.pair();
    await t.error('SUBSCRIBE');
    await t.error('PSUBSCRIBE');
    await t.error('SSUBSCRIBE');
    await t.error('PUBLISH', 'c');
    await t.error('PUBLISH', 'c', 'm', 'x');
    await t.error('SPUBLISH', 'c');
    await t.error('PUBSUB');
    await t.error('PUBSUB', 'NOPE');
    await t.error('PUBSUB', 'CHANNELS', 'a', 'b');
    await t.error('PUBSUB', 'SHARDCHANNELS', 'a', 'b');
    await t.error('PUBSUB', 'NUMPAT', 'x');
    await t.do('PUBSUB', 'HELP');
    await t.do('PUBSUB', 'help');
    t.close();
  });

  test('RESET and disconnect drop subscriptions; CLIENT LIST shows sub/psub/ssub', async () => {
    const sub = await servers.pair();
    const pub = await servers.pair();
    await sub.both('HELLO', '3');
    await sub.do('SUBSCRIBE', 'gone1', 'gone2');
    await nextPush(sub);
    await sub.do('PSUBSCRIBE', 'gone*');
    await sub.do('SSUBSCRIBE', 'gone3');
    await sub.check(['CLIENT', 'INFO'], (r) => {
      assert.match(String((r as { v: unknown }).v), /flags=P .*sub=2 psub=1 ssub=1 /);
    });
    await pub.check(['CLIENT', 'LIST', 'TYPE', 'pubsub'], (r) => {
      assert.match(String((r as { v: unknown }).v), /sub=2 psub=1 ssub=1/);
    });
    await sub.do('RESET');
    await pub.do('PUBSUB', 'NUMSUB', 'gone1', 'gone2');
    await pub.do('PUBSUB', 'NUMPAT');
    await pub.do('PUBSUB', 'SHARDNUMSUB', 'gone3');
    await sub.do('SUBSCRIBE', 'gone1');
    sub.close();
    for (const c of [pub.redis, pub.ours]) {
      await eventually(async () => {
        const r = (await c.send('PUBSUB', 'NUMSUB', 'gone1')).raw.toString('latin1');
        return r.endsWith(':0\r\n');
      });
    }
    pub.close();
  });

  test('a slow subscriber over client-output-buffer-limit pubsub is disconnected', async () => {
    const pub = await servers.pair();
    await pub.do('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 256kb 60');
    const sub = await servers.pair();
    await sub.do('SUBSCRIBE', 'firehose');
    // The subscriber stops reading; the publisher keeps sending 64 KB messages.
    sub.redis.socket.pause();
    sub.ours.socket.pause();
    const big = 'x'.repeat(64 * 1024);
    for (const [c, which] of [
      [pub.redis, sub.redis],
      [pub.ours, sub.ours],
    ] as const) {
      let sent = 0;
      while (!which.closed && sent < 2000) {
        await c.send('PUBLISH', 'firehose', big);
        sent++;
        if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 5));
        const n = (await c.send('PUBSUB', 'NUMSUB', 'firehose')).raw.toString('latin1');
        if (n.endsWith(':0\r\n')) break;
      }
      assert.ok(sent < 2000, 'the slow subscriber was disconnected');
    }
    await pub.do('PUBSUB', 'NUMSUB', 'firehose');
    await pub.do('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
    pub.close();
    sub.close();
  });

  test('ioredis: psubscribe receives pmessage', async () => {
    const subscriber = new Redis({ port: servers.ours.port, host: '127.0.0.1', lazyConnect: true });
    const publisher = new Redis({ port: servers.ours.port, host: '127.0.0.1', lazyConnect: true });
    try {
      await subscriber.connect();
      await publisher.connect();
      const got: [string, string, string][] = [];
      const all = new Promise<void>((resolve) => {
        subscriber.on('pmessage', (pattern: string, channel: string, message: string) => {
          got.push([pattern, channel, message]);
          if (got.length === 2) resolve();
        });
      });
      assert.equal(await subscriber.psubscribe('cache:*'), 1);
      assert.equal(await publisher.publish('cache:users', 'evict 1'), 1);
      assert.equal(await publisher.publish('other', 'x'), 0);
      assert.equal(await publisher.publish('cache:posts', 'evict 2'), 1);
      await all;
      assert.deepEqual(got, [
        ['cache:*', 'cache:users', 'evict 1'],
        ['cache:*', 'cache:posts', 'evict 2'],
      ]);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });

  test('embedded: PUBLISH works, subscribing is refused', () => {
    const engine = new Engine();
    assert.equal(engine.call('PUBLISH', 'c', 'm'), 0);
    assert.throws(() => engine.call('SUBSCRIBE', 'c'), (e: unknown) => e instanceof ErrorReply && /SUBSCRIBE isn't allowed/.test(e.message));
    assert.throws(() => engine.call('PSUBSCRIBE', 'c*'), ErrorReply);
    assert.deepEqual(engine.call('PUBSUB', 'NUMSUB', 'c'), ['c', 0]);
  });
});
