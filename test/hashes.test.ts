import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';
import { Hash } from '../src/engine/hash.js';
import { SlotMap } from '../src/engine/slot-map.js';

/** Builds a hashtable-encoded hash on both servers (more than 512 fields). */
async function bigHash(t: Pair, key: string, n = 600): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const args: string[] = [];
    for (let j = i; j < Math.min(n, i + 100); j++) args.push(`f${j}`, `v${j}`);
    await t.do('HSET', key, ...args);
  }
}

function arrayOf(r: Reply): Reply[] {
  assert.ok(r.t === 'array' || r.t === 'set' || r.t === 'map', `expected an aggregate, got ${r.t}`);
  return (r as { v: Reply[] }).v;
}

function str(r: Reply): string {
  return String((r as { v: unknown }).v);
}

/** Commands whose reply order Redis leaves unspecified for hashtable-encoded values. */
export const ORDER_SENSITIVE = new Set(['HGETALL', 'HKEYS', 'HVALS', 'HSCAN', 'HRANDFIELD', 'SMEMBERS', 'SSCAN', 'SRANDMEMBER', 'SPOP', 'SUNION', 'SDIFF', 'SINTER']);

/** OBJECT ENCODING as real Redis reports it (to know when order is unspecified). */
export async function redisEncoding(t: Pair, key: string): Promise<string> {
  const r = await t.redis.send('OBJECT', 'ENCODING', key);
  return r.reply.t === 'bulk' ? str(r.reply) : '';
}

describe('hashes: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('HSET, HGET, HMSET, HMGET, HGETALL in listpack insertion order', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HSET', 'h', 'b', '1', 'a', '2', 'c', '3');
    await t.do('HSET', 'h', 'a', 'x', 'd', '4');
    await t.do('HGET', 'h', 'a');
    await t.do('HGET', 'h', 'nope');
    await t.do('HGET', 'missing', 'a');
    await t.do('HGETALL', 'h');
    await t.do('HKEYS', 'h');
    await t.do('HVALS', 'h');
    await t.do('HDEL', 'h', 'b');
    await t.do('HSET', 'h', 'b', 'again');
    await t.do('HGETALL', 'h');
    await t.do('HMSET', 'h', 'e', '5', 'f', '6');
    await t.do('HMGET', 'h', 'e', 'nope', 'a');
    await t.do('HMGET', 'missing', 'a', 'b');
    await t.do('HGETALL', 'missing');
    await t.do('HKEYS', 'missing');
    await t.do('HVALS', 'missing');
    await t.do('HSET', 'h', '', '');
    await t.do('HGET', 'h', '');
    await t.do('HSET', 'bin', 'k\x00\xff', 'v\r\n\x00');
    await t.do('HGETALL', 'bin');
  });

  it('HSET/HMSET arity and wrong type errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.error('HSET', 'h', 'a');
    await t.error('HSET', 'h', 'a', '1', 'b');
    await t.error('HMSET', 'h', 'a', '1', 'b');
    await t.error('HSET', 'h');
    await t.do('EXISTS', 'h');
    await t.do('SET', 's', 'x');
    for (const cmd of [
      ['HSET', 's', 'a', '1'],
      ['HMSET', 's', 'a', '1'],
      ['HSETNX', 's', 'a', '1'],
      ['HGET', 's', 'a'],
      ['HMGET', 's', 'a'],
      ['HGETALL', 's'],
      ['HKEYS', 's'],
      ['HVALS', 's'],
      ['HDEL', 's', 'a'],
      ['HLEN', 's'],
      ['HSTRLEN', 's', 'a'],
      ['HEXISTS', 's', 'a'],
      ['HINCRBY', 's', 'a', '1'],
      ['HINCRBYFLOAT', 's', 'a', '1'],
      ['HRANDFIELD', 's'],
      ['HRANDFIELD', 's', '2'],
      ['HSCAN', 's', '0'],
    ]) {
      await t.error(...cmd);
    }
    for (const cmd of ['HGET', 'HMGET', 'HDEL', 'HLEN', 'HSTRLEN', 'HEXISTS', 'HGETALL', 'HKEYS', 'HVALS', 'HSETNX', 'HINCRBY', 'HINCRBYFLOAT', 'HRANDFIELD', 'HSCAN']) {
      await t.error(cmd);
    }
    await t.error('HGETALL', 'a', 'b');
    await t.error('HSETNX', 'h', 'a');
    await t.error('HINCRBY', 'h', 'a');
  });

  it('HSETNX, HDEL, HLEN, HSTRLEN, HEXISTS; empty hash removed', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HSETNX', 'h', 'a', '1');
    await t.do('HSETNX', 'h', 'a', '2');
    await t.do('HGET', 'h', 'a');
    await t.do('HSET', 'h', 'b', 'hello');
    await t.do('HLEN', 'h');
    await t.do('HLEN', 'missing');
    await t.do('HSTRLEN', 'h', 'b');
    await t.do('HSTRLEN', 'h', 'zz');
    await t.do('HSTRLEN', 'missing', 'zz');
    await t.do('HEXISTS', 'h', 'a');
    await t.do('HEXISTS', 'h', 'zz');
    await t.do('HEXISTS', 'missing', 'a');
    await t.do('HDEL', 'h', 'a', 'a', 'zz');
    await t.do('HDEL', 'missing', 'a');
    await t.do('HDEL', 'h', 'b');
    await t.do('EXISTS', 'h');
    await t.do('TYPE', 'h');
    await t.do('HSET', 'h', 'x', '1');
    await t.do('TYPE', 'h');
  });

  it('HINCRBY: values, overflow and errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HINCRBY', 'h', 'n', '5');
    await t.do('HINCRBY', 'h', 'n', '-10');
    await t.do('HINCRBY', 'h', 'n', '0');
    await t.do('HSET', 'h', 'big', '9223372036854775806');
    await t.do('HINCRBY', 'h', 'big', '1');
    await t.error('HINCRBY', 'h', 'big', '1');
    await t.do('HSET', 'h', 'small', '-9223372036854775807');
    await t.do('HINCRBY', 'h', 'small', '-1');
    await t.error('HINCRBY', 'h', 'small', '-1');
    await t.do('HINCRBY', 'h', 'x', '-9223372036854775808');
    await t.error('HINCRBY', 'h', 'n', '9223372036854775808');
    await t.error('HINCRBY', 'h', 'n', '1.5');
    await t.error('HINCRBY', 'h', 'n', '01');
    await t.error('HINCRBY', 'h', 'n', ' 1');
    for (const bad of ['abc', '1.0', '007', '-0', ' 1', '', '1e3']) {
      await t.do('HSET', 'h', 'bad', bad);
      await t.error('HINCRBY', 'h', 'bad', '1');
    }
    await t.error('HINCRBY', 'nokey', 'n', 'x');
    await t.do('EXISTS', 'nokey');
    await t.do('HGETALL', 'h');
  });

  it('HINCRBYFLOAT: long double formatting and errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HINCRBYFLOAT', 'h', 'f', '10.5');
    await t.do('HINCRBYFLOAT', 'h', 'f', '0.1');
    await t.do('HINCRBYFLOAT', 'h', 'f', '-5.0e3');
    await t.do('HINCRBYFLOAT', 'h', 'g', '0.1');
    await t.do('HINCRBYFLOAT', 'h', 'g', '0.2');
    await t.do('HINCRBYFLOAT', 'h', 'i', '3');
    await t.do('HINCRBYFLOAT', 'h', 'i', '1.5e20');
    await t.do('HINCRBYFLOAT', 'h', 'hx', '0x10');
    await t.do('HSET', 'h', 'int', '17');
    await t.do('HINCRBYFLOAT', 'h', 'int', '0.25');
    await t.error('HINCRBYFLOAT', 'h', 'f', 'abc');
    await t.error('HINCRBYFLOAT', 'h', 'f', 'inf');
    await t.error('HINCRBYFLOAT', 'h', 'f', '-infinity');
    await t.error('HINCRBYFLOAT', 'h', 'f', 'nan');
    await t.error('HINCRBYFLOAT', 'h', 'f', '1.5 ');
    await t.do('HSET', 'h', 'bad', '1abc');
    await t.error('HINCRBYFLOAT', 'h', 'bad', '1');
    await t.do('HSET', 'h', 'infv', 'inf');
    await t.error('HINCRBYFLOAT', 'h', 'infv', '1');
    await t.do('HSET', 'h', 'huge', '1e4932');
    await t.error('HINCRBYFLOAT', 'h', 'huge', '1e4932');
    await t.do('HINCRBYFLOAT', 'h', 'huge', '-1e4932');
    await t.do('HGETALL', 'h');
  });

  it('HRANDFIELD: no count, counts, WITHVALUES and errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    await t.do('HRANDFIELD', 'missing');
    await t.do('HRANDFIELD', 'missing', '3');
    await t.do('HRANDFIELD', 'missing', '-3', 'WITHVALUES');
    await t.do('HRANDFIELD', 'h', '0');
    await t.do('HRANDFIELD', 'h', '0', 'withvalues');
    // A count at least the size returns the whole listpack hash in order: deterministic.
    await t.do('HRANDFIELD', 'h', '3');
    await t.do('HRANDFIELD', 'h', '100', 'WITHVALUES');
    await t.error('HRANDFIELD', 'h', 'x');
    await t.error('HRANDFIELD', 'h', '1', 'WITHVALUE');
    await t.error('HRANDFIELD', 'h', '1', 'WITHVALUES', 'x');
    await t.error('HRANDFIELD', 'h', '-9223372036854775808');
    await t.error('HRANDFIELD', 'h', '-9223372036854775807', 'WITHVALUES');
    await t.error('HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES');
    await t.error('HRANDFIELD', 'h', '9223372036854775808');
    const fields = new Set(['a', 'b', 'c']);
    await t.check(['HRANDFIELD', 'h'], (r) => assert.ok(fields.has(str(r))));
    await t.check(['HRANDFIELD', 'h', '2'], (r) => {
      const v = arrayOf(r).map(str);
      assert.equal(v.length, 2);
      assert.equal(new Set(v).size, 2);
      for (const f of v) assert.ok(fields.has(f));
    });
    await t.check(['HRANDFIELD', 'h', '-7'], (r) => {
      const v = arrayOf(r).map(str);
      assert.equal(v.length, 7);
      for (const f of v) assert.ok(fields.has(f));
    });
    await t.check(['HRANDFIELD', 'h', '-5', 'WITHVALUES'], (r) => {
      const v = arrayOf(r).map(str);
      assert.equal(v.length, 10);
      for (let i = 0; i < 10; i += 2) assert.equal(v[i + 1], String(v[i].charCodeAt(0) - 96));
    });
    await bigHash(t, 'big');
    await t.check(['HRANDFIELD', 'big', '50', 'WITHVALUES'], (r) => {
      const v = arrayOf(r).map(str);
      assert.equal(v.length, 100);
      const seen = new Set<string>();
      for (let i = 0; i < 100; i += 2) {
        assert.equal(v[i + 1], v[i].replace('f', 'v'));
        seen.add(v[i]);
      }
      assert.equal(seen.size, 50);
    });
    await t.check(['HRANDFIELD', 'big', '500'], (r) => assert.equal(new Set(arrayOf(r).map(str)).size, 500));
    await t.unordered('HRANDFIELD', 'big', '600');
    await t.unordered('HRANDFIELD', 'big', '1000', 'WITHVALUES');
  });

  it('HRANDFIELD and HGETALL in RESP3', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.both('HELLO', '3');
    await t.do('HSET', 'h', 'a', '1', 'b', '2');
    await t.do('HGETALL', 'h');
    await t.do('HGETALL', 'missing');
    await t.do('HRANDFIELD', 'h', '5', 'WITHVALUES');
    await t.check(['HRANDFIELD', 'h', '-3', 'WITHVALUES'], (r) => {
      const v = arrayOf(r);
      assert.equal(v.length, 3);
      for (const pair of v) assert.equal(arrayOf(pair).length, 2);
    });
    await t.do('HRANDFIELD', 'missing');
    await t.do('HSCAN', 'h', '0');
  });

  it('HSCAN: listpack in one call, cursor errors, MATCH and COUNT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3');
    await t.do('HSCAN', 'h', '0');
    await t.do('HSCAN', 'h', '0', 'COUNT', '1');
    await t.do('HSCAN', 'h', '0', 'MATCH', 'a*');
    await t.do('HSCAN', 'h', '0', 'match', '*', 'count', '100');
    await t.do('HSCAN', 'h', '');
    await t.do('HSCAN', 'missing', '0');
    await t.do('HSCAN', 'missing', '0', 'COUNT', '0');
    await t.error('HSCAN', 'h', 'x');
    await t.error('HSCAN', 'h', ' 0');
    await t.error('HSCAN', 'h', '18446744073709551616');
    await t.error('HSCAN', 'h', '0', 'COUNT', '0');
    await t.error('HSCAN', 'h', '0', 'COUNT', 'x');
    await t.error('HSCAN', 'h', '0', 'COUNT');
    await t.error('HSCAN', 'h', '0', 'MATCH');
    await t.error('HSCAN', 'h', '0', 'TYPE', 'string');
    await t.error('HSCAN', 'h', '0', 'NOVALUES');
  });

  it('HSCAN on a hashtable returns every field across calls', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await bigHash(t, 'big', 700);
    for (const [, client] of [['redis', t.redis], ['ours', t.ours]] as const) {
      const seen = new Map<string, string>();
      let cursor = '0';
      let calls = 0;
      do {
        const r = await client.send('HSCAN', 'big', cursor, 'COUNT', '50');
        const [c, items] = arrayOf(r.reply);
        cursor = str(c);
        const flat = arrayOf(items).map(str);
        for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
        calls++;
      } while (cursor !== '0');
      assert.equal(seen.size, 700);
      assert.ok(calls > 1);
      assert.equal(seen.get('f5'), 'v5');
    }
    await t.unordered('HGETALL', 'big');
    await t.unordered('HKEYS', 'big');
    await t.do('HLEN', 'big');
  });

  it('listpack conversion: a long value or too many fields turns a hash into a hashtable', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const long = 'x'.repeat(65);
    await t.do('HSET', 'h1', 'a', '1', 'b', long);
    await t.unordered('HGETALL', 'h1');
    // HSETNX converts even when it does not set (Redis's hashTypeTryConversion runs first).
    await t.do('HSET', 'h2', 'a', '1', 'b', '2');
    await t.do('HSETNX', 'h2', 'a', long);
    await t.unordered('HGETALL', 'h2');
    await t.do('HSET', 'h3', 'n', '1', 'm', '2');
    await t.do('HINCRBYFLOAT', 'h3', 'n', '0.1');
    await t.do('HGETALL', 'h3');
  });

  it('seed example: a user profile with HSET/HGETALL', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('HSET', 'user:1001', 'name', 'Alice', 'email', 'alice@example.com', 'plan', 'pro', 'visits', '0');
    await t.do('HINCRBY', 'user:1001', 'visits', '1');
    await t.do('HGETALL', 'user:1001');
    await t.do('HGET', 'user:1001', 'email');
    await t.do('HSET', 'user:1001', 'plan', 'enterprise');
    await t.do('HGETALL', 'user:1001');
    await t.do('EXPIRE', 'user:1001', '3600');
    await t.do('TTL', 'user:1001');
  });

  it('model test: random hash command sequences give the same replies', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const field = fc.constantFrom('a', 'b', 'c', 'd', '1', '2', '10', 'long'.repeat(20));
    const value = fc.oneof(fc.constantFrom('0', '1', '-5', '1.5', 'x', '', '99999999999'), fc.string({ maxLength: 4 }));
    const key = fc.constantFrom('h1', 'h2', 's');
    const cmd = fc.oneof(
      fc.tuple(key, field, value).map(([k, f, v]) => ['HSET', k, f, v]),
      fc.tuple(key, field, value, field, value).map(([k, f, v, f2, v2]) => ['HSET', k, f, v, f2, v2]),
      fc.tuple(key, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
      fc.tuple(key, field).map(([k, f]) => ['HGET', k, f]),
      fc.tuple(key, field, field).map(([k, f, g]) => ['HMGET', k, f, g]),
      fc.tuple(key, field, field).map(([k, f, g]) => ['HDEL', k, f, g]),
      fc.tuple(key, field).map(([k, f]) => ['HEXISTS', k, f]),
      fc.tuple(key, field).map(([k, f]) => ['HSTRLEN', k, f]),
      fc.tuple(key, field, fc.constantFrom('1', '-3', '100', 'x')).map(([k, f, n]) => ['HINCRBY', k, f, n]),
      fc.tuple(key, field, fc.constantFrom('1.5', '-0.25', '3', 'y')).map(([k, f, n]) => ['HINCRBYFLOAT', k, f, n]),
      key.map((k) => ['HLEN', k]),
      key.map((k) => ['HGETALL', k]),
      key.map((k) => ['HKEYS', k]),
      key.map((k) => ['HVALS', k]),
      key.map((k) => ['HSCAN', k, '0']),
      key.map((k) => ['HRANDFIELD', k, '100']),
      key.map((k) => ['SET', k, 'str']),
      key.map((k) => ['DEL', k]),
      key.map((k) => ['EXISTS', k]),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        await t.do('FLUSHALL');
        for (const c of cmds) {
          if (ORDER_SENSITIVE.has(c[0]) && (await redisEncoding(t, c[1])) === 'hashtable') await t.unordered(...c);
          else await t.do(...c);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('Hash and SlotMap units', () => {
  it('encoding follows hash-max-listpack-entries/value and never goes back', () => {
    const lim = { maxEntries: 3, maxValue: 5 };
    const h = new Hash();
    h.set('a', '1', lim);
    h.set('b', '2', lim);
    h.set('c', '3', lim);
    assert.equal(h.encoding(), 'listpack');
    h.set('d', '4', lim);
    assert.equal(h.encoding(), 'hashtable');
    h.delete('d');
    h.delete('c');
    assert.equal(h.encoding(), 'hashtable');
    const g = new Hash();
    g.set('a', '123456', lim);
    assert.equal(g.encoding(), 'hashtable');
    const e = new Hash();
    e.set('a', '1', lim);
    e.setFieldExpire('a', Date.now() + 1000);
    assert.equal(e.encoding(), 'listpackex');
    assert.equal(e.clone().fieldExpire('a'), e.fieldExpire('a'));
  });

  it('SlotMap: scan returns every member present throughout, despite adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }), fc.integer({ min: 1, max: 20 }), (ops, count) => {
        const m = new SlotMap<number>();
        for (let i = 0; i < 150; i++) m.set(`k${i}`, i);
        const stable = new Set([...m.keys()].filter((k) => Number(k.slice(1)) % 2 === 0));
        const seen = new Set<string>();
        let cursor = 0;
        let step = 0;
        do {
          cursor = m.scan(cursor, count, (k) => seen.add(k));
          // Churn: only odd keys (never the stable ones) are removed; new keys are added.
          for (let j = 0; j < 5 && step < ops.length; j++, step++) {
            const [add, n] = ops[step];
            if (add) m.set(`n${n}`, n);
            else m.delete(`k${2 * (n >> 1) + 1}`);
          }
        } while (cursor !== 0);
        for (const k of stable) assert.ok(seen.has(k), `missed ${k}`);
      }),
    );
  });

  it('SlotMap: randomKey is uniform-ish and only returns live keys', () => {
    const m = new SlotMap<number>();
    for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 100; i += 2) m.delete(`k${i}`);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const k = m.randomKey()!;
      assert.ok(m.has(k));
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.equal(counts.size, 50);
    for (const n of counts.values()) assert.ok(n > 200 && n < 700);
    const e = m.randomEntry()!;
    assert.equal(m.get(e[0]), e[1]);
  });
});
