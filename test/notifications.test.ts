import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { differentialServers } from './support/differential.js';
import type { RawClient } from './support/raw-client.js';

const servers = differentialServers();

type Arg = string | number;

/**
 * Runs `commands` on both servers (replies compared) while a subscriber listens to every keyspace
 * and keyevent channel, then compares the whole stream of notifications, byte for byte.
 * ['sleep', ms] waits instead of sending a command; a name starting with '~' (random replies:
 * SPOP) has its reply not compared.
 */
async function compareEvents(flags: string, commands: Arg[][]): Promise<string[]> {
  const t = await servers.pair();
  const sub = await servers.pair();
  await t.do('FLUSHALL');
  await t.do('CONFIG', 'SET', 'notify-keyspace-events', flags);
  await sub.do('PSUBSCRIBE', '__key*__:*');
  await sub.do('SUBSCRIBE', 'done');
  for (const cmd of commands) {
    if (cmd[0] === 'sleep') await new Promise((r) => setTimeout(r, Number(cmd[1])));
    else if (String(cmd[0]).startsWith('~')) await t.both(String(cmd[0]).slice(1), ...cmd.slice(1));
    else await t.do(...cmd);
  }
  await t.do('PUBLISH', 'done', 'x');
  const [redis, ours] = await Promise.all([collect(sub.redis), collect(sub.ours)]);
  await t.do('CONFIG', 'SET', 'notify-keyspace-events', '');
  t.close();
  sub.close();
  assert.deepEqual(ours, redis);
  return redis;
}

/** Messages received until the one on the `done` channel. */
async function collect(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const raw = (await c.read()).raw.toString('latin1');
    if (raw.includes('$4\r\ndone\r\n')) return out;
    out.push(raw.replace(/\r\n/g, ' '));
  }
}

/** Command sequences whose event streams are compared (also with the n class added). */
const STRING_AND_GENERIC: Arg[][] = [
  ['SET', 's', '1'],
  ['SET', 's', '2', 'EX', 100],
  ['SET', 's', '3', 'KEEPTTL'],
  ['SET', 's', '4', 'NX'],
  ['SETEX', 's2', 100, 'v'],
  ['PSETEX', 's3', 100000, 'v'],
  ['SETNX', 's4', 'v'],
  ['SETNX', 's4', 'v'],
  ['GETSET', 's4', 'w'],
  ['MSET', 'm1', 'a', 'm2', 'b'],
  ['MSETNX', 'm3', 'a', 'm4', 'b'],
  ['INCR', 'n'],
  ['INCRBY', 'n', 5],
  ['DECR', 'n'],
  ['DECRBY', 'n', 2],
  ['INCRBYFLOAT', 'n', '1.5'],
  ['APPEND', 'ap', 'x'],
  ['APPEND', 'ap', 'y'],
  ['SETRANGE', 'sr', 2, 'abc'],
  ['SETRANGE', 'sr', 0, ''],
  ['SETBIT', 'b', 7, 1],
  ['BITFIELD', 'bf', 'SET', 'u8', 0, 255, 'GET', 'u8', 0],
  ['BITFIELD', 'bf', 'GET', 'u8', 0],
  ['BITOP', 'OR', 'bo', 'b', 'bf'],
  ['BITOP', 'OR', 'bo', 'nokey'],
  ['GETEX', 'm1', 'EX', 100],
  ['GETEX', 'm1', 'PERSIST'],
  ['GETEX', 'm1', 'PERSIST'],
  ['GETDEL', 'm2'],
  ['GETDEL', 'm2'],
  ['EXPIRE', 's', 100],
  ['PEXPIRE', 's', 100000],
  ['EXPIREAT', 's', 2000000000],
  ['PERSIST', 's'],
  ['PERSIST', 's'],
  ['EXPIRE', 's4', -1],
  ['RENAME', 's', 'renamed'],
  ['RENAMENX', 'renamed', 's2'],
  ['COPY', 'renamed', 'copied'],
  ['COPY', 'renamed', 'copied', 'DB', 1],
  ['MOVE', 'copied', 2],
  ['DEL', 'renamed', 'nokey', 'ap'],
  ['UNLINK', 'sr'],
];

const LISTS: Arg[][] = [
  ['LPUSH', 'l', 'a', 'b', 'c'],
  ['RPUSH', 'l', 'd'],
  ['LPUSHX', 'l', 'e'],
  ['RPUSHX', 'nol', 'e'],
  ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
  ['LINSERT', 'l', 'BEFORE', 'nothere', 'x'],
  ['LSET', 'l', 0, 'y'],
  ['LPOP', 'l'],
  ['RPOP', 'l', 2],
  ['LREM', 'l', 0, 'zz'],
  ['LREM', 'l', 0, 'b'],
  ['LTRIM', 'l', 0, -1],
  ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', 'l', 'l2'],
  ['LMPOP', 2, 'nol', 'l2', 'LEFT', 'COUNT', 5],
  ['RPUSH', 'l3', 'a', 'b'],
  ['LTRIM', 'l3', 5, 10],
  ['RPUSH', 'l4', 'a'],
  ['BLPOP', 'l4', 0],
  ['RPUSH', 'l5', 'a'],
  ['BLMOVE', 'l5', 'l6', 'LEFT', 'LEFT', 0],
  ['RPUSH', 'sortme', 3, 1, 2],
  ['SORT', 'sortme', 'STORE', 'sorted'],
  ['SORT', 'nol', 'STORE', 'sorted'],
];

const HASHES_SETS_ZSETS: Arg[][] = [
  ['HSET', 'h', 'a', 1, 'b', 2],
  ['HMSET', 'h', 'c', 3],
  ['HSETNX', 'h', 'a', 9],
  ['HSETNX', 'h', 'd', 9],
  ['HINCRBY', 'h', 'a', 1],
  ['HINCRBYFLOAT', 'h', 'a', '0.5'],
  ['HDEL', 'h', 'zz'],
  ['HDEL', 'h', 'a', 'b'],
  ['HDEL', 'h', 'c', 'd'],
  ['SADD', 's', 1, 2, 3, 4, 5],
  ['SADD', 's', 1],
  ['SREM', 's', 9],
  ['SREM', 's', 1],
  ['SMOVE', 's', 's2', 2],
  ['SMOVE', 's', 's2', 99],
  ['~SPOP', 's'],
  ['~SPOP', 's', 1],
  ['SPOP', 's', 0],
  ['~SPOP', 's', 10],
  ['SADD', 'a', 1, 2],
  ['SADD', 'b', 2, 3],
  ['SINTERSTORE', 'dst', 'a', 'b'],
  ['SUNIONSTORE', 'dst', 'a', 'b'],
  ['SDIFFSTORE', 'dst', 'a', 'a'],
  ['SINTERSTORE', 'dst', 'a', 'nokey'],
  ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd'],
  ['ZADD', 'z', 'NX', 1, 'a'],
  ['ZADD', 'z', 'INCR', 1, 'a'],
  ['ZINCRBY', 'z', 1, 'b'],
  ['ZREM', 'z', 'nothere'],
  ['ZREM', 'z', 'a'],
  ['ZREMRANGEBYSCORE', 'z', 100, 200],
  ['ZREMRANGEBYRANK', 'z', 0, 0],
  ['ZREMRANGEBYLEX', 'z', '-', '+'],
  ['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c', 4, 'd'],
  ['ZPOPMIN', 'z'],
  ['ZPOPMAX', 'z', 1],
  ['ZMPOP', 1, 'z', 'MIN', 'COUNT', 5],
  ['ZADD', 'z1', 1, 'a', 2, 'b'],
  ['ZADD', 'z2', 3, 'b'],
  ['ZUNIONSTORE', 'zd', 2, 'z1', 'z2'],
  ['ZINTERSTORE', 'zd', 2, 'z1', 'z2'],
  ['ZDIFFSTORE', 'zd', 2, 'z1', 'z1'],
  ['ZRANGESTORE', 'zd', 'z1', 0, -1],
  ['ZRANGESTORE', 'zd', 'z1', 5, 6],
  ['BZPOPMIN', 'z1', 0],
  ['BZMPOP', 0, 1, 'z1', 'MAX'],
];

describe('keyspace notifications', () => {
  test('notify-keyspace-events is parsed and printed as Redis does', async () => {
    const t = await servers.pair();
    for (const v of ['KEA', 'AKE', 'Elg', 'Kx', 'gx$lshzetdKEmn', 'nA', 'KEAn', 'AnmKE', '']) {
      await t.do('CONFIG', 'SET', 'notify-keyspace-events', v);
      await t.do('CONFIG', 'GET', 'notify-keyspace-events');
    }
    await t.error('CONFIG', 'SET', 'notify-keyspace-events', 'Q');
    t.close();
  });

  test('string and generic commands', async () => {
    const events = await compareEvents('KEA', STRING_AND_GENERIC);
    assert.ok(events.length > 40);
  });

  test('lists, including blocking pops served', async () => {
    await compareEvents('KEA', LISTS);
  });

  test('hashes, sets and sorted sets', async () => {
    await compareEvents('KEA', HASHES_SETS_ZSETS);
  });

  test('class and channel filters: K only, E only, one class', async () => {
    const cmds: Arg[][] = [
      ['SET', 'k', 'v'],
      ['LPUSH', 'l', 'a'],
      ['HSET', 'h', 'f', 'v'],
      ['DEL', 'k', 'l'],
    ];
    await compareEvents('Kl', cmds);
    await compareEvents('Eg', cmds);
    await compareEvents('E$h', cmds);
    await compareEvents('KA', cmds);
    assert.deepEqual(await compareEvents('', cmds), []);
  });

  test('n: new fires when a key is created (dbAdd), before the command\'s own event', async () => {
    // "KEAn" prints as "AKE" (A hides the n) but the n stays on, in Redis and here.
    for (const cmds of [STRING_AND_GENERIC, LISTS, HASHES_SETS_ZSETS]) await compareEvents('KEAn', cmds);
    await compareEvents('KEg$lshzxn', LISTS);
    const events = await compareEvents('Exn', [
      ['SET', 'n1', 'v'],
      ['SET', 'n1', 'w'],
      // Writing over a key whose TTL passed: expired, then new (and KEEPTTL keeps nothing). One key
      // at a time: active expiry may run during the sleep, and with one key the order is the same.
      ['SET', 'n2', 'v', 'PX', 5],
      ['sleep', 30],
      ['SET', 'n2', 'again'],
      ['SET', 'n3', 'v', 'PX', 5],
      ['sleep', 30],
      ['SET', 'n3', 'again', 'KEEPTTL'],
      ['GET', 'n3'],
      ['PTTL', 'n3'],
      ['INCR', 'counter'],
      ['INCR', 'counter'],
      ['SELECT', 1],
      ['HSET', 'h', 'f', 'v'],
      ['MULTI'],
      ['SADD', 's', 'a'],
      ['ZADD', 'z', 1, 'm'],
      ['EXEC'],
      ['EVAL', "redis.call('SET', KEYS[1], 'x') return redis.call('LPUSH', KEYS[2], 'y')", 2, 'fromlua', 'listlua'],
    ]);
    assert.ok(events.length >= 8, `${events.length} new events`);
  });

  test('m: keymiss fires for reads that find no key (not for writes or DEL)', async () => {
    const events = await compareEvents('KEm', [
      ['GET', 'missing'],
      ['SET', 'present', 'v'],
      ['GET', 'present'],
      ['MGET', 'present', 'gone1', 'gone2'],
      ['STRLEN', 'nostr'],
      ['GETRANGE', 'nostr', 0, 1],
      ['HGET', 'nohash', 'f'],
      ['HGETALL', 'nohash'],
      ['LRANGE', 'nolist', 0, -1],
      ['LLEN', 'nolist'],
      ['SMEMBERS', 'noset'],
      ['SISMEMBER', 'noset', 'm'],
      ['ZSCORE', 'nozset', 'm'],
      ['ZRANGE', 'nozset', 0, -1],
      ['INCR', 'created'],
      ['DEL', 'notthere'],
      ['SET', 'newkey', 'v'],
      ['LPUSH', 'newlist', 'v'],
      ['MULTI'],
      ['GET', 'inmulti'],
      ['EXEC'],
      ['EVAL', "return redis.call('GET', KEYS[1])", 1, 'inlua'],
      // TYPE, EXISTS and TTL announce misses; OBJECT does not (LOOKUP_NONOTIFY).
      ['TYPE', 'notype'],
      ['EXISTS', 'noexists'],
      ['TTL', 'nottl'],
      ['OBJECT', 'ENCODING', 'noobject'],
      ['OBJECT', 'FREQ', 'noobject'],
    ]);
    assert.ok(events.length >= 10, `${events.length} keymiss events`);
  });

  test('m with x: an expired key read lazily is expired, then a miss', async () => {
    await compareEvents('KEmx', [
      ['SET', 'short', 'v', 'PX', 5],
      ['sleep', 30],
      ['GET', 'short'],
    ]);
  });

  test('expired events on access, in another database', async () => {
    await compareEvents('KEx', [
      ['SELECT', 3],
      ['SET', 'lazy', 'v', 'PX', 5],
      ['sleep', 30],
      ['GET', 'lazy'],
      ['SET', 'lazy2', 'v', 'PX', 5],
      ['sleep', 30],
      ['EXISTS', 'lazy2'],
    ]);
  });
});

describe('keyspace notifications through ioredis', () => {
  let sub: Redis;
  let cmd: Redis;
  before(async () => {
    sub = new Redis({ port: servers.ours.port, host: '127.0.0.1', lazyConnect: true });
    cmd = new Redis({ port: servers.ours.port, host: '127.0.0.1', lazyConnect: true });
    await sub.connect();
    await cmd.connect();
  });
  after(() => {
    sub.disconnect();
    cmd.disconnect();
  });

  test('expired events arrive for keys that expire by TTL, untouched', async () => {
    await cmd.config('SET', 'notify-keyspace-events', 'Ex');
    const expired: string[] = [];
    const both = new Promise<void>((resolve) => {
      sub.on('message', (channel: string, key: string) => {
        if (channel === '__keyevent@0__:expired') expired.push(key);
        if (expired.length === 2) resolve();
      });
    });
    await sub.subscribe('__keyevent@0__:expired');
    await cmd.set('session:1', 'x', 'PX', 50);
    await cmd.set('session:2', 'x', 'PX', 80);
    await cmd.set('kept', 'x');
    await both;
    assert.deepEqual(expired.sort(), ['session:1', 'session:2']);
    assert.equal(await cmd.exists('session:1', 'session:2', 'kept'), 1);
    await cmd.config('SET', 'notify-keyspace-events', '');
  });
});
