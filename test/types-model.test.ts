import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/**
 * Model test across the five types: random sequences mixing string, hash, list, set and sorted
 * set commands with the generic ones (TYPE, EXISTS, DEL, RENAME, COPY, MOVE, OBJECT ENCODING,
 * SCAN … TYPE, KEYS, SORT) over three keys and two databases, so every WRONGTYPE path, every
 * encoding change (small limits, set with CONFIG SET on both) and copies of every type get
 * exercised. Real Redis is the model: replies are compared byte for byte, except where Redis's
 * own order is a hash table's (then as multisets). At the end both keyspaces are dumped and
 * compared.
 */
const LIMITS = [
  ['hash-max-listpack-entries', '4'],
  ['hash-max-listpack-value', '8'],
  ['set-max-intset-entries', '4'],
  ['zset-max-listpack-entries', '4'],
  ['zset-max-listpack-value', '8'],
];

const KEYS = ['a', 'b', 'c'];
const key = fc.constantFrom(...KEYS);
const elem = fc.constantFrom('1', '2', '3', '10', '-5', 'x', 'y', '', 'long-element-value');
const elems = fc.array(elem, { minLength: 1, maxLength: 4 });
const num = fc.constantFrom('0', '1', '2', '-1', '3');
const index = fc.integer({ min: -4, max: 4 }).map(String);
const score = fc.constantFrom('0', '1', '2.5', '-1', 'inf', '1e3');
const type = fc.constantFrom('string', 'hash', 'list', 'set', 'zset');

type Cmd = string[];

const stringCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(key, elem).map(([k, v]) => ['SET', k, v]),
  key.map((k) => ['GET', k]),
  fc.tuple(key, elem).map(([k, v]) => ['APPEND', k, v]),
  key.map((k) => ['INCR', k]),
  key.map((k) => ['STRLEN', k]),
];

const hashCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(key, fc.array(fc.tuple(elem, elem), { minLength: 1, maxLength: 3 })).map(([k, fv]) => ['HSET', k, ...fv.flat()]),
  fc.tuple(key, elem).map(([k, f]) => ['HGET', k, f]),
  fc.tuple(key, elems).map(([k, fs]) => ['HDEL', k, ...fs]),
  fc.tuple(key, elem, num).map(([k, f, n]) => ['HINCRBY', k, f, n]),
  fc.tuple(key, elem, elem).map(([k, f, v]) => ['HSETNX', k, f, v]),
  fc.tuple(key, elems).map(([k, fs]) => ['HMGET', k, ...fs]),
  key.map((k) => ['HLEN', k]),
  fc.tuple(fc.constantFrom('HSTRLEN', 'HEXISTS'), key, elem).map(([c, k, f]) => [c, k, f]),
  fc.tuple(fc.constantFrom('HGETALL', 'HKEYS', 'HVALS'), key).map(([c, k]) => [c, k]),
];

const listCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX'), key, elems).map(([c, k, es]) => [c, k, ...es]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.option(num, { nil: undefined })).map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])),
  fc.tuple(key, index, index).map(([k, i, j]) => ['LRANGE', k, i, j]),
  fc.tuple(key, index, elem).map(([k, i, e]) => ['LSET', k, i, e]),
  fc.tuple(key, elem, elem).map(([k, p, e]) => ['LINSERT', k, 'BEFORE', p, e]),
  fc.tuple(key, num, elem).map(([k, n, e]) => ['LREM', k, n, e]),
  fc.tuple(key, key).map(([s, d]) => ['LMOVE', s, d, 'LEFT', 'RIGHT']),
  key.map((k) => ['LLEN', k]),
  fc.tuple(key, index).map(([k, i]) => ['LINDEX', k, i]),
  fc.tuple(key, elem).map(([k, e]) => ['LPOS', k, e, 'COUNT', '0']),
  fc.tuple(key, index, index).map(([k, i, j]) => ['LTRIM', k, i, j]),
];

const setCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(key, elems).map(([k, es]) => ['SADD', k, ...es]),
  fc.tuple(key, elems).map(([k, es]) => ['SREM', k, ...es]),
  fc.tuple(key, elem).map(([k, e]) => ['SISMEMBER', k, e]),
  fc.tuple(key, key, elem).map(([s, d, e]) => ['SMOVE', s, d, e]),
  key.map((k) => ['SCARD', k]),
  fc.tuple(key, elems).map(([k, es]) => ['SMISMEMBER', k, ...es]),
  // Random picks: only the reply's shape and size are comparable.
  fc.tuple(fc.constantFrom('SRANDMEMBER', 'HRANDFIELD', 'ZRANDMEMBER'), key, num).map(([c, k, n]) => [c, k, n]),
  key.map((k) => ['SMEMBERS', k]),
  fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, key).map(([c, a, b]) => [c, a, b]),
  fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key).map(([c, d, a, b]) => [c, d, a, b]),
  fc.tuple(key, key).map(([a, b]) => ['SINTERCARD', '2', a, b]),
];

const zsetCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(key, fc.array(fc.tuple(score, elem), { minLength: 1, maxLength: 3 })).map(([k, ps]) => ['ZADD', k, ...ps.flat()]),
  fc.tuple(key, elems).map(([k, ms]) => ['ZREM', k, ...ms]),
  fc.tuple(key, score, elem).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
  fc.tuple(key, index, index).map(([k, i, j]) => ['ZRANGE', k, i, j, 'WITHSCORES']),
  fc.tuple(key, elem).map(([k, m]) => ['ZSCORE', k, m]),
  fc.tuple(key, elem).map(([k, m]) => ['ZRANK', k, m]),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, key, key).map(([c, d, a, b]) => [c, d, '2', a, b]),
  fc.tuple(key, key).map(([d, s]) => ['ZRANGESTORE', d, s, '0', '-1']),
  key.map((k) => ['ZCARD', k]),
  fc.tuple(key, elems).map(([k, ms]) => ['ZMSCORE', k, ...ms]),
  fc.tuple(key, score, score).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
  fc.tuple(key, score, score).map(([k, a, b]) => ['ZRANGEBYSCORE', k, a, b, 'WITHSCORES']),
  fc.tuple(key, score, score).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
];

const genericCommands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(fc.constantFrom('TYPE', 'EXISTS', 'DEL', 'OBJECT'), key).map(([c, k]) => (c === 'OBJECT' ? ['OBJECT', 'ENCODING', k] : [c, k])),
  fc.tuple(fc.constantFrom('RENAME', 'RENAMENX'), key, key).map(([c, s, d]) => [c, s, d]),
  fc.tuple(key, key, fc.boolean()).map(([s, d, r]) => ['COPY', s, d, ...(r ? ['REPLACE'] : [])]),
  fc.tuple(key, key, fc.boolean()).map(([s, d, r]) => ['COPY', s, d, 'DB', '1', ...(r ? ['REPLACE'] : [])]),
  key.map((k) => ['MOVE', k, '1']),
  // Bring keys back from database 1 so copies made there come into play again.
  key.map((k) => ['EVAL_MOVE_BACK', k]),
  type.map((ty) => ['SCAN', '0', 'TYPE', ty, 'COUNT', '1000']),
  fc.constant(['KEYS', '*']),
  fc.constant(['DBSIZE']),
  fc.tuple(key, fc.boolean(), fc.option(key, { nil: undefined })).map(([k, desc, dst]) => ['SORT', k, 'ALPHA', ...(desc ? ['DESC'] : []), ...(dst ? ['STORE', dst] : [])]),
];

const command = fc.oneof(
  ...stringCommands,
  ...hashCommands,
  ...listCommands,
  ...setCommands,
  ...zsetCommands,
  ...genericCommands,
  ...genericCommands,
);

async function redisEncoding(t: Pair, k: string): Promise<string> {
  const r = await t.redis.send('OBJECT', 'ENCODING', k);
  return r.reply.t === 'bulk' ? String(r.reply.v) : '';
}

/** Whether Redis's reply to `cmd` lists elements in a hash table's order. */
async function hashOrdered(t: Pair, cmd: Cmd): Promise<boolean> {
  switch (cmd[0]) {
    case 'HGETALL':
    case 'HKEYS':
    case 'HVALS':
      return (await redisEncoding(t, cmd[1])) === 'hashtable';
    case 'SMEMBERS':
      return (await redisEncoding(t, cmd[1])) === 'hashtable';
    case 'SINTER':
    case 'SUNION':
    case 'SDIFF':
    case 'KEYS':
    case 'SCAN':
      return true;
    default:
      return false;
  }
}

/** Runs one command on both servers and compares the replies. */
async function step(t: Pair, cmd: Cmd): Promise<void> {
  if (cmd[0] === 'EVAL_MOVE_BACK') {
    await t.do('SELECT', '1');
    await t.do('MOVE', cmd[1], '0');
    await t.do('SELECT', '0');
    return;
  }
  if (cmd[0].includes('RAND')) {
    const [r, o] = await t.both(...cmd);
    assert.equal(o.reply.t, r.reply.t, `reply type to ${cmd.join(' ')}`);
    const size = (x: Reply) => ('v' in x && Array.isArray(x.v) ? x.v.length : x.t === 'error' ? String(x.v) : -1);
    assert.equal(size(o.reply), size(r.reply), `reply to ${cmd.join(' ')}`);
    return;
  }
  if (await hashOrdered(t, cmd)) await t.unordered(...cmd);
  else await t.do(...cmd);
}

/** Compares one key on both servers: type, encoding, TTL and full contents. */
async function show(t: Pair, k: string): Promise<void> {
  const ty = (await t.do('TYPE', k)) as Reply & { v: string };
  await t.do('OBJECT', 'ENCODING', k);
  await t.do('TTL', k);
  if (ty.v === 'string') await t.do('GET', k);
  else if (ty.v === 'list') await t.do('LRANGE', k, '0', '-1');
  else if (ty.v === 'zset') await t.do('ZRANGE', k, '0', '-1', 'WITHSCORES');
  else if (ty.v === 'hash') await step(t, ['HGETALL', k]);
  else if (ty.v === 'set') await step(t, ['SMEMBERS', k]);
}

/** Compares every key of databases 0 and 1. */
async function dump(t: Pair): Promise<void> {
  for (const db of ['1', '0']) {
    await t.do('SELECT', db);
    await t.unordered('KEYS', '*');
    for (const k of KEYS) await show(t, k);
  }
}

describe('all five types: model-based comparison with Redis 7.0', () => {
  const servers = differentialServers(LIMITS.flat().map((x, i) => (i % 2 === 0 ? `--${x}` : x)));

  for (const proto of ['2', '3']) {
    it(`random command sequences give the same replies and keyspace (RESP${proto})`, async () => {
      const t = await servers.pair();
      await t.both('HELLO', proto);
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60, size: 'max' }), async (cmds) => {
          await t.do('FLUSHALL');
          for (const cmd of cmds) await step(t, cmd);
          await dump(t);
        }),
        { numRuns: 120, endOnFailure: true, verbose: 1 },
      );
    });
  }
});

describe('OBJECT ENCODING transitions at the configured thresholds', () => {
  const servers = differentialServers();

  /** Sets `param` on both servers. */
  async function config(t: Pair, param: string, value: string): Promise<void> {
    await t.do('CONFIG', 'SET', param, value);
  }

  it('hash: listpack until more than hash-max-listpack-entries fields or a long field/value', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const [entries, value] of [['3', '5'], ['0', '5'], ['128', '64']]) {
      await config(t, 'hash-max-listpack-entries', entries);
      await config(t, 'hash-max-listpack-value', value);
      await t.do('DEL', 'h', 'hv', 'hf', 'hi');
      for (let i = 0; i < Number(entries) + 2 && i < 6; i++) {
        await t.do('HSET', 'h', `f${i}`, 'v');
        await t.do('OBJECT', 'ENCODING', 'h');
      }
      const long = 'x'.repeat(Number(value));
      // HSETNX looks at lengths only when it adds the field.
      await t.do('HSETNX', 'h', 'f0', long + 'x');
      await t.do('OBJECT', 'ENCODING', 'h');
      await t.do('HSET', 'hv', 'f', long);
      await t.do('OBJECT', 'ENCODING', 'hv');
      await t.do('HSET', 'hv', 'g', long + 'x');
      await t.do('OBJECT', 'ENCODING', 'hv');
      await t.do('HSET', 'hf', long + 'x', '1');
      await t.do('OBJECT', 'ENCODING', 'hf');
      await t.do('HINCRBY', 'hi', 'n', '1');
      await t.do('OBJECT', 'ENCODING', 'hi');
      await t.do('HINCRBYFLOAT', 'hi', 'n', '0.123456789');
      await t.do('OBJECT', 'ENCODING', 'hi');
      // The conversion is one way, and a copy keeps the encoding.
      await t.do('HDEL', 'hv', 'g');
      await t.do('OBJECT', 'ENCODING', 'hv');
      await t.do('COPY', 'hv', 'hv2', 'REPLACE');
      await t.do('OBJECT', 'ENCODING', 'hv2');
    }
  });

  it('set: intset until more than set-max-intset-entries or a non-integer; never back', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const max of ['3', '1', '512']) {
      await config(t, 'set-max-intset-entries', max);
      await t.do('DEL', 's', 't', 'u', 'd');
      for (let i = 0; i < Math.min(Number(max) + 2, 6); i++) {
        await t.do('SADD', 's', String(i * 7 - 10));
        await t.do('OBJECT', 'ENCODING', 's');
      }
      await t.do('SADD', 't', '1', '2');
      await t.do('OBJECT', 'ENCODING', 't');
      await t.do('SADD', 't', '9223372036854775808');
      await t.do('OBJECT', 'ENCODING', 't');
      await t.do('SREM', 't', '9223372036854775808');
      await t.do('OBJECT', 'ENCODING', 't');
      await t.do('SADD', 'u', 'a');
      await t.do('OBJECT', 'ENCODING', 'u');
      await t.do('SMOVE', 'u', 'd', 'a');
      await t.do('SADD', 'd', '5');
      await t.do('OBJECT', 'ENCODING', 'd');
      // Store commands build their result from scratch.
      await t.do('SADD', 'n1', '1', '2', '3', 'x');
      await t.do('SADD', 'n2', '1', '2', '3');
      await t.do('SINTERSTORE', 'd', 'n1', 'n2');
      await t.do('OBJECT', 'ENCODING', 'd');
      await t.do('SUNIONSTORE', 'd', 'n1', 'n2');
      await t.do('OBJECT', 'ENCODING', 'd');
      await t.do('SDIFFSTORE', 'd', 'n1', 'n2');
      await t.do('OBJECT', 'ENCODING', 'd');
      await t.do('SDIFFSTORE', 'd', 'n2', 'n1');
      await t.do('OBJECT', 'ENCODING', 'd');
      await t.do('DEL', 'n1', 'n2');
    }
  });

  it('zset: listpack until more than zset-max-listpack-entries or a long member; store commands', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const [entries, value] of [['3', '5'], ['0', '5'], ['128', '64']]) {
      await config(t, 'zset-max-listpack-entries', entries);
      await config(t, 'zset-max-listpack-value', value);
      await t.do('DEL', 'z', 'zv', 'd');
      for (let i = 0; i < Number(entries) + 2 && i < 6; i++) {
        await t.do('ZADD', 'z', String(i), `m${i}`);
        await t.do('OBJECT', 'ENCODING', 'z');
      }
      const long = 'x'.repeat(Number(value));
      await t.do('ZADD', 'zv', '1', long);
      await t.do('OBJECT', 'ENCODING', 'zv');
      await t.do('ZADD', 'zv', '1', long + 'x');
      await t.do('OBJECT', 'ENCODING', 'zv');
      await t.do('ZREM', 'zv', long + 'x');
      await t.do('OBJECT', 'ENCODING', 'zv');
      for (const cmd of [
        ['ZUNIONSTORE', 'd', '2', 'z', 'zv'],
        ['ZINTERSTORE', 'd', '2', 'z', 'zv'],
        ['ZDIFFSTORE', 'd', '2', 'zv', 'z'],
        ['ZRANGESTORE', 'd', 'z', '0', '1'],
        ['ZRANGESTORE', 'd', 'z', '0', '-1'],
      ]) {
        await t.do(...cmd);
        await t.do('OBJECT', 'ENCODING', 'd');
        await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
      }
    }
  });

  it('list: always quicklist in 7.0, whatever list-max-listpack-size says', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const size of ['-2', '1', '128']) {
      await config(t, 'list-max-listpack-size', size);
      await t.do('RPUSH', 'l', 'a');
      await t.do('OBJECT', 'ENCODING', 'l');
      await t.do('RPUSH', 'l', 'x'.repeat(10000));
      await t.do('OBJECT', 'ENCODING', 'l');
    }
  });

  it('string: int, embstr and raw', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const v of ['1', '-9223372036854775808', '9223372036854775808', '01', 'abc', 'x'.repeat(44), 'x'.repeat(45), '1.5']) {
      await t.do('SET', 's', v);
      await t.do('OBJECT', 'ENCODING', 's');
    }
    await t.do('SET', 's', 'a');
    await t.do('APPEND', 's', 'b');
    await t.do('OBJECT', 'ENCODING', 's');
    await t.do('SET', 's', '5');
    await t.do('INCR', 's');
    await t.do('OBJECT', 'ENCODING', 's');
  });
});

describe('COPY, RENAME and MOVE work for every type and copy deeply', () => {
  const servers = differentialServers();

  const fill: Record<string, Cmd[]> = {
    string: [['SET', 'k', 'v']],
    hash: [['HSET', 'k', 'f', '1', 'g', '2']],
    list: [['RPUSH', 'k', 'a', 'b', 'c']],
    set: [['SADD', 'k', '1', '2', 'x']],
    intset: [['SADD', 'k', '1', '2', '3']],
    zset: [['ZADD', 'k', '1', 'a', '2', 'b']],
    bigzset: [['ZADD', 'k', ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat()]],
    bighash: [['HSET', 'k', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, String(i)]).flat()]],
  };
  const mutate: Record<string, Cmd[]> = {
    string: [['APPEND', 'c', 'x']],
    hash: [['HSET', 'c', 'f', '9'], ['HDEL', 'c', 'g']],
    list: [['LPOP', 'c'], ['RPUSH', 'c', 'z']],
    set: [['SREM', 'c', '1'], ['SADD', 'c', 'y']],
    intset: [['SREM', 'c', '1'], ['SADD', 'c', '4']],
    zset: [['ZINCRBY', 'c', '5', 'a'], ['ZADD', 'c', '0', 'n']],
    bigzset: [['ZINCRBY', 'c', '500', 'm0'], ['ZREM', 'c', 'm1']],
    bighash: [['HSET', 'c', 'f0', 'changed'], ['HDEL', 'c', 'f1']],
  };
  for (const ty of Object.keys(fill)) {
    it(ty, async () => {
      const t = await servers.pair();
      await t.do('FLUSHALL');
      for (const cmd of fill[ty]) await t.do(...cmd);
      await t.do('EXPIRE', 'k', '1000');
      // COPY in the same database: independent of the source afterwards.
      await t.do('COPY', 'k', 'c');
      await t.do('TTL', 'c');
      for (const cmd of mutate[ty]) await t.do(...cmd);
      await show(t, 'k');
      await show(t, 'c');
      await t.do('COPY', 'k', 'c');
      await t.do('COPY', 'k', 'c', 'REPLACE');
      await t.do('COPY', 'k', 'k');
      // COPY to another database, then MOVE back and forth.
      await t.do('COPY', 'k', 'k', 'DB', '2');
      await t.do('MOVE', 'k', '2');
      await t.do('MOVE', 'c', '2');
      await t.do('EXISTS', 'c');
      await t.do('SELECT', '2');
      await t.do('TTL', 'c');
      await t.do('OBJECT', 'ENCODING', 'c');
      for (const cmd of mutate[ty]) await t.do(...cmd);
      await t.do('MOVE', 'k', '0');
      await t.do('SELECT', '0');
      // RENAME keeps value, encoding and TTL; RENAMENX refuses an existing target.
      await t.do('RENAME', 'k', 'r');
      await t.do('EXISTS', 'k');
      await t.do('TTL', 'r');
      await t.do('OBJECT', 'ENCODING', 'r');
      await t.do('SET', 'other', 'x');
      await t.do('RENAMENX', 'r', 'other');
      await t.do('RENAME', 'r', 'other');
      await t.do('TYPE', 'other');
      await t.do('RENAME', 'other', 'other');
      await t.error('RENAME', 'nokey', 'x');
      await show(t, 'other');
      await t.do('SELECT', '2');
      await show(t, 'c');
      await t.do('SELECT', '0');
    });
  }
});
