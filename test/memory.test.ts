import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine } from '../src/embedded.js';
import { ManualClock } from '../src/engine/clock.js';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/**
 * Memory accounting (engine/memory.ts): the live used_memory estimate, kept up to date by every
 * write, must equal the figure recomputed from scratch after any sequence of operations over all
 * types (encoding conversions, in-place string edits, field TTLs, expiry, RENAME/COPY/MOVE,
 * SWAPDB, FLUSHDB). Then MEMORY's subcommands and INFO memory against Redis 7.0.
 */

const KEYS = ['a', 'b', 'c'];
const key = fc.constantFrom(...KEYS);
const elem = fc.constantFrom('1', '2', '300', '-5', '70000', '5000000000', 'x', 'y', '', 'long-element-value-'.repeat(4));
const elems = fc.array(elem, { minLength: 1, maxLength: 5 });
const small = fc.integer({ min: -3, max: 3 }).map(String);
const score = fc.constantFrom('0', '1', '2.5', '-1', '1e3', '0.1');

const command: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(key, elem).map(([k, v]) => ['SET', k, v]),
  fc.tuple(key, elem).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(key, fc.integer({ min: 0, max: 300 }), elem).map(([k, o, v]) => ['SETRANGE', k, String(o), v]),
  fc.tuple(key, fc.integer({ min: 0, max: 2000 })).map(([k, o]) => ['SETBIT', k, String(o), '1']),
  key.map((k) => ['INCR', k]),
  fc.tuple(key, score).map(([k, by]) => ['INCRBYFLOAT', k, by]),
  fc.tuple(key, elems).map(([k, vs]) => ['HSET', k, ...vs.flatMap((v, i) => [`f${i}${v.slice(0, 3)}`, v])]),
  fc.tuple(key, elem).map(([k, f]) => ['HDEL', k, `f0${f.slice(0, 3)}`, `f1${f.slice(0, 3)}`]),
  fc.tuple(key, small).map(([k, n]) => ['HINCRBY', k, 'n', n]),
  fc.tuple(key, fc.integer({ min: 1, max: 3 })).map(([k, ms]) => ['HPEXPIRE', k, String(ms), 'FIELDS', '1', 'f0x']),
  fc.tuple(key, elems).map(([k, vs]) => ['RPUSH', k, ...vs]),
  fc.tuple(key, elems).map(([k, vs]) => ['LPUSH', k, ...vs]),
  key.map((k) => ['LPOP', k]),
  key.map((k) => ['RPOP', k, '2']),
  fc.tuple(key, small, elem).map(([k, i, v]) => ['LSET', k, i, v]),
  fc.tuple(key, elem, elem).map(([k, p, v]) => ['LINSERT', k, 'BEFORE', p, v]),
  fc.tuple(key, elem).map(([k, v]) => ['LREM', k, '0', v]),
  fc.tuple(key, small, small).map(([k, a, b]) => ['LTRIM', k, a, b]),
  fc.tuple(key, elems).map(([k, vs]) => ['SADD', k, ...vs]),
  fc.tuple(key, elems).map(([k, vs]) => ['SREM', k, ...vs]),
  key.map((k) => ['SPOP', k]),
  fc.tuple(key, fc.array(fc.tuple(score, elem), { minLength: 1, maxLength: 4 })).map(([k, ps]) => ['ZADD', k, ...ps.flat()]),
  fc.tuple(key, score, elem).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
  fc.tuple(key, elem).map(([k, m]) => ['ZREM', k, m]),
  fc.tuple(key, small, small).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
  key.map((k) => ['ZREMRANGEBYSCORE', k, '0', '2']),
  key.map((k) => ['ZPOPMIN', k]),
  fc.tuple(key, key).map(([a, b]) => ['ZUNIONSTORE', a, '2', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['SUNIONSTORE', a, a, b]),
  fc.tuple(key, key).map(([a, b]) => ['RENAME', a, b]),
  fc.tuple(key, key).map(([a, b]) => ['COPY', a, b, 'REPLACE']),
  fc.tuple(key, key).map(([a, b]) => ['LMOVE', a, b, 'LEFT', 'RIGHT']),
  key.map((k) => ['MOVE', k, '1']),
  fc.tuple(key, fc.integer({ min: 1, max: 3 })).map(([k, ms]) => ['PEXPIRE', k, String(ms)]),
  key.map((k) => ['PERSIST', k]),
  key.map((k) => ['DEL', k]),
  key.map((k) => ['GET', k]),
  key.map((k) => ['HGETALL', k]),
  fc.constant<string[]>(['SWAPDB', '0', '1']),
  fc.constant<string[]>(['SELECT', '1']),
  fc.constant<string[]>(['SELECT', '0']),
  fc.constant<string[]>(['FLUSHDB']),
  fc.constant<string[]>(['TICK']),
);

function newEngine(): { engine: Engine; clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000);
  const engine = new Engine({ clock });
  for (const [k, v] of [
    ['hash-max-listpack-entries', '4'],
    ['set-max-intset-entries', '4'],
    ['zset-max-listpack-entries', '4'],
    ['zset-max-listpack-value', '16'],
  ]) engine.call('CONFIG', 'SET', k, v);
  return { engine, clock };
}

describe('memory accounting', () => {
  it('used_memory equals the recomputed figure after random operations over all types', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 60 }), (cmds) => {
        const { engine, clock } = newEngine();
        const ks = engine.context.keyspace;
        for (const cmd of cmds) {
          if (cmd[0] === 'TICK') {
            clock.advance(2);
            ks.activeExpireCycle(10);
          } else {
            try {
              engine.call(...cmd);
            } catch {
              // WRONGTYPE and friends: only the accounting matters here.
            }
          }
          assert.equal(ks.usedMemory, ks.usedMemoryFromScratch(), `after ${cmd.join(' ')}`);
        }
        engine.call('FLUSHALL');
        assert.equal(ks.usedBytes, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('large containers and growing strings stay exact', () => {
    const { engine } = newEngine();
    const ks = engine.context.keyspace;
    for (let i = 0; i < 3000; i++) {
      engine.call('RPUSH', 'l', `item-${i}`);
      engine.call('HSET', 'h', `f${i}`, `v${i}`);
      engine.call('SADD', 's', String(i));
      engine.call('ZADD', 'z', String(i / 7), `m${i}`);
      engine.call('APPEND', 'str', 'abcdefgh');
    }
    assert.equal(ks.usedMemory, ks.usedMemoryFromScratch());
    engine.call('LTRIM', 'l', '100', '200');
    engine.call('ZREMRANGEBYRANK', 'z', '0', '1500');
    for (let i = 0; i < 2000; i++) engine.call('HDEL', 'h', `f${i}`);
    assert.equal(ks.usedMemory, ks.usedMemoryFromScratch());
    assert.ok(ks.usedMemory > 1_000_000);
  });
});

describe('MEMORY and INFO memory against Redis 7.0', () => {
  const servers = differentialServers();
  let t: Pair;
  before(async () => {
    t = await servers.pair();
  });

  it('MEMORY USAGE of strings and small containers matches byte for byte', async () => {
    await t.do('FLUSHALL');
    await t.do('SET', 'a', 'b');
    await t.do('MEMORY', 'USAGE', 'a');
    await t.do('SET', 'int', '12345');
    await t.do('MEMORY', 'USAGE', 'int');
    await t.do('SET', 'emb', 'x'.repeat(44));
    await t.do('MEMORY', 'USAGE', 'emb');
    await t.do('SET', 'raw', 'x'.repeat(45));
    await t.do('MEMORY', 'USAGE', 'raw');
    await t.do('SET', 'big', 'y'.repeat(5000));
    await t.do('MEMORY', 'USAGE', 'big');
    await t.do('SET', 'k'.repeat(40), 'v');
    await t.do('MEMORY', 'USAGE', 'k'.repeat(40));
    await t.do('EXPIRE', 'a', '100');
    await t.do('MEMORY', 'USAGE', 'a', 'SAMPLES', '0');
    await t.do('HSET', 'h', 'f', 'v', 'n', '12');
    await t.do('MEMORY', 'USAGE', 'h');
    await t.do('RPUSH', 'l', 'a', 'b', 'c');
    await t.do('MEMORY', 'USAGE', 'l');
    await t.do('SADD', 's', '1', '2', '3');
    await t.do('MEMORY', 'USAGE', 's');
    await t.do('SADD', 's2', 'a', 'b', 'c');
    await t.do('MEMORY', 'USAGE', 's2');
    await t.do('ZADD', 'z', '1', 'a', '2', 'b');
    await t.do('MEMORY', 'USAGE', 'z');
    await t.do('MEMORY', 'USAGE', 'missing');
  });

  it('MEMORY errors, HELP and the shapes of the other subcommands', async () => {
    await t.do('SET', 'a', 'b');
    await t.error('MEMORY', 'USAGE', 'a', 'SAMPLES');
    await t.error('MEMORY', 'USAGE', 'a', 'SAMPLES', 'x');
    await t.error('MEMORY', 'USAGE', 'a', 'SAMPLES', '-1');
    await t.error('MEMORY', 'USAGE', 'a', 'FOO', '1');
    await t.error('MEMORY', 'USAGE');
    await t.error('MEMORY', 'NOPE');
    await t.error('MEMORY', 'STATS', 'x');
    await t.error('MEMORY', 'DOCTOR', 'x');
    await t.do('MEMORY', 'HELP');
    await t.do('MEMORY', 'PURGE');
    const [theirs, ours] = await t.both('MEMORY', 'STATS');
    assert.deepEqual(fieldNames(ours.reply), fieldNames(theirs.reply));
    const [rd, od] = await t.both('MEMORY', 'DOCTOR');
    assert.equal(od.reply.t, rd.reply.t);
    const [rm, om] = await t.both('MEMORY', 'MALLOC-STATS');
    assert.equal(om.reply.t, rm.reply.t);
  });

  it('INFO memory has the fields clients read, with live figures', async () => {
    await t.do('FLUSHALL');
    await t.do('CONFIG', 'SET', 'maxmemory', '100mb');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const start = infoFields(text((await t.both('INFO', 'memory'))[1].reply));
    await t.do('SET', 'big', 'z'.repeat(100_000));
    const [theirs, ours] = await t.both('INFO', 'memory');
    const o = infoFields(text(ours.reply));
    const r = infoFields(text(theirs.reply));
    for (const f of Object.keys(r)) assert.ok(f in o, `INFO memory lacks ${f}`);
    for (const f of ['maxmemory', 'maxmemory_human', 'maxmemory_policy']) assert.equal(o[f], r[f], f);
    assert.ok(Number(o.used_memory) - Number(start.used_memory) >= 100_000);
    assert.ok(Number(o.used_memory_peak) >= Number(o.used_memory));
    assert.match(o.used_memory_human, /^\d+\.\d\d[KM]$/);
    await t.do('DEL', 'big');
    await t.do('CONFIG', 'SET', 'maxmemory', '0');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  });
});

/** Keys of a flat [key, value, …] reply (MEMORY STATS). */
function fieldNames(reply: Reply): string[] {
  assert.equal(reply.t, 'array');
  const items = reply.v as Reply[];
  return items.filter((_, i) => i % 2 === 0).map(text);
}

function text(reply: Reply): string {
  return String((reply as { v: unknown }).v);
}

function infoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
