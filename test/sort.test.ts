import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { differentialServers } from './support/differential.js';
import { pqsort } from '../src/commands/sort.js';

describe('SORT / SORT_RO: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('numeric and ALPHA sorting of lists, sets and sorted sets; ASC/DESC; LIMIT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', '3', '1', '2', '10', '-5', '2.5', '1e2', '+7', '0x10', '1', '  4', '');
    await t.do('SORT', 'l');
    await t.do('SORT', 'l', 'DESC');
    await t.do('SORT', 'l', 'ALPHA');
    await t.do('SORT', 'l', 'ALPHA', 'DESC');
    await t.do('SORT', 'l', 'asc', 'desc', 'asc');
    for (const [a, b] of [['0', '3'], ['2', '4'], ['-1', '2'], ['5', '-1'], ['11', '1'], ['12', '1'], ['100', '5'], ['0', '0'], ['3', '-10'], ['-5', '-5'], ['9223372036854775807', '9223372036854775807'], ['-9223372036854775808', '9223372036854775807']]) {
      await t.do('SORT', 'l', 'LIMIT', a, b);
      await t.do('SORT', 'l', 'LIMIT', a, b, 'DESC', 'ALPHA');
      await t.do('SORT_RO', 'l', 'LIMIT', a, b);
    }
    await t.do('SORT', 'l', 'LIMIT', '0', '2', 'LIMIT', '1', '3');
    // Sets: an intset and a hashtable give the same sorted output.
    await t.do('SADD', 's', '5', '3', '-1', '100', '7');
    await t.do('SORT', 's');
    await t.do('SORT', 's', 'DESC', 'LIMIT', '1', '2');
    await t.do('SADD', 'hs', 'b', 'a', 'C', 'aa', 'ab', '', 'z');
    await t.do('SORT', 'hs', 'ALPHA');
    await t.do('SORT', 'hs', 'ALPHA', 'DESC', 'LIMIT', '2', '3');
    await t.error('SORT', 'hs');
    // Sorted sets: sorted by member value, not by score.
    await t.do('ZADD', 'z', '1', '30', '2', '20', '3', '10', '4', '5');
    await t.do('SORT', 'z');
    await t.do('SORT', 'z', 'DESC');
    await t.do('SORT', 'z', 'ALPHA', 'LIMIT', '1', '2');
    // Equal scores are ordered by the elements' bytes.
    await t.do('RPUSH', 'eq', '1.0', '1', '01', '1e0', 'b', 'a');
    await t.error('SORT', 'eq');
    await t.do('LREM', 'eq', '0', 'a');
    await t.do('LREM', 'eq', '0', 'b');
    await t.do('SORT', 'eq');
    await t.do('SORT', 'eq', 'DESC');
    // Missing key: an empty list.
    await t.do('SORT', 'missing');
    await t.do('SORT', 'missing', 'LIMIT', '0', '10');
    await t.do('SORT_RO', 'missing', 'ALPHA', 'DESC');
  });

  it('scores that strtod rejects', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'ok', 'inf', '-inf', '+inf', '-infinity', '0x1p3', '0x.8', ' 7', '\t8', '', '1e308', '.5', '5.', '1\0abc', '1.7976931348623157e308', '0x1p-1074', '0x0p5', '0e9');
    await t.do('SORT', 'ok');
    for (const bad of ['nan', '5 ', '1e', '1e+', '.', '-', '0x', '1e400', '1.7976931348623159e308', '1e-310', '1e-400', '0x1p-1080', '  ', 'abc', 'infinit', '1,5']) {
      await t.do('DEL', 'bad');
      await t.do('RPUSH', 'bad', '1', bad);
      await t.error('SORT', 'bad');
      await t.do('SORT', 'bad', 'ALPHA');
    }
    // The error comes after sorting, and STORE does not happen.
    await t.do('SET', 'dst', 'keep');
    await t.error('SORT', 'bad', 'STORE', 'dst');
    await t.do('GET', 'dst');
  });

  it('ALPHA compares bytes (C collation, up to a NUL) and STORE compares whole strings', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', '\xff', '\xc3\xa9', 'z', 'a\0b', 'a\0a', 'a', '\x80', 'B', 'b', '\xe2\x82\xac');
    await t.do('SORT', 'l', 'ALPHA');
    await t.do('SORT', 'l', 'ALPHA', 'DESC');
    await t.do('SORT', 'l', 'ALPHA', 'STORE', 'dst');
    await t.do('LRANGE', 'dst', '0', '-1');
    await t.do('SORT', 'l', 'ALPHA', 'DESC', 'STORE', 'dst');
    await t.do('LRANGE', 'dst', '0', '-1');
  });

  it('BY patterns: string keys, hash fields, missing weights, nosort', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
    await t.do('MSET', 'w_a', '5', 'w_b', '1', 'w_c', '3', 'w_e', '-2');
    await t.do('SORT', 'l', 'BY', 'w_*');
    await t.do('SORT', 'l', 'BY', 'w_*', 'DESC');
    await t.do('SORT', 'l', 'BY', 'w_*', 'ALPHA');
    await t.do('SORT', 'l', 'BY', 'w_*', 'ALPHA', 'DESC');
    await t.do('SORT', 'l', 'BY', 'w_*', 'LIMIT', '1', '2');
    await t.do('HSET', 'h_a', 'f', '2', 'g', 'x');
    await t.do('HSET', 'h_b', 'f', '9');
    await t.do('HSET', 'h_c', 'f', '-1');
    await t.do('SET', 'h_d', 'not a hash');
    await t.do('SORT', 'l', 'BY', 'h_*->f');
    await t.do('SORT', 'l', 'BY', 'h_*->f', 'DESC');
    await t.do('SORT', 'l', 'BY', 'h_*->g', 'ALPHA');
    await t.do('SORT', 'l', 'BY', 'h_*->', 'ALPHA');
    await t.error('SORT', 'l', 'BY', 'h_*->g');
    // The key part after '*' and before '->' is kept; '->' before '*' is part of the key.
    await t.do('HSET', 'x->a:p', 'f', '1');
    await t.do('HSET', 'x->b:p', 'f', '0');
    await t.do('SORT', 'l', 'BY', 'x->*:p->f');
    await t.do('SORT', 'l', 'BY', 'w_*', 'BY', 'h_*->f');
    await t.do('SORT', 'l', 'BY', 'nosort', 'BY', 'w_*');
    await t.do('SORT', 'l', 'BY', 'w_*', 'BY', 'nosort', 'DESC');
    // A BY pattern without '*' skips sorting: the list keeps its order (DESC reverses, LIMIT cuts).
    await t.do('SORT', 'l', 'BY', 'nosort');
    await t.do('SORT', 'l', 'BY', 'nosort', 'DESC');
    await t.do('SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '3');
    await t.do('SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3');
    await t.do('SORT', 'l', 'BY', 'nosort', 'ALPHA', 'LIMIT', '4', '10');
    await t.do('SORT', 'l', 'BY', 'no\0*', 'LIMIT', '4', '10');
    // A sorted set with nosort keeps score order.
    await t.do('ZADD', 'z', '3', 'a', '1', 'b', '2', 'c', '2', 'bb', '-1', 'zz');
    await t.do('SORT', 'z', 'BY', 'nosort');
    await t.do('SORT', 'z', 'BY', 'nosort', 'DESC');
    for (const [a, b] of [['0', '2'], ['1', '2'], ['2', '10'], ['4', '1'], ['5', '1'], ['-3', '2']]) {
      await t.do('SORT', 'z', 'BY', 'nosort', 'LIMIT', a, b);
      await t.do('SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', a, b);
    }
    // An intset with nosort comes out in numeric order (Redis's own iteration order).
    await t.do('SADD', 'is', '30', '-1', '7');
    await t.do('SORT', 'is', 'BY', 'nosort');
    await t.do('SORT', 'is', 'BY', 'nosort', 'GET', '#');
  });

  it('BY with ties keeps Redis order: stable qsort, and pqsort with LIMIT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const elems = Array.from({ length: 60 }, (_, i) => `e${(i * 37) % 60}`);
    await t.do('RPUSH', 'l', ...elems);
    for (let i = 0; i < 60; i += 3) await t.do('SET', `w_e${i}`, String(i % 4));
    for (const opts of [[], ['DESC'], ['ALPHA'], ['ALPHA', 'DESC']]) {
      await t.do('SORT', 'l', 'BY', 'w_*', ...opts);
      for (const [a, b] of [['0', '10'], ['5', '7'], ['20', '30'], ['50', '20'], ['1', '1'], ['0', '59']]) {
        await t.do('SORT', 'l', 'BY', 'w_*', ...opts, 'LIMIT', a, b);
      }
    }
    await t.do('SORT', 'l', 'BY', 'missing_*', 'LIMIT', '3', '9');
    await t.do('SORT', 'l', 'BY', 'missing_*', 'ALPHA', 'LIMIT', '3', '9');
  });

  it('GET patterns: #, string keys, hash fields, missing values as nil', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', '2', '1', '3');
    await t.do('MSET', 'name_1', 'one', 'name_2', 'two');
    await t.do('HSET', 'obj_1', 'n', 'uno');
    await t.do('HSET', 'obj_3', 'n', 'tres');
    await t.do('SORT', 'l', 'GET', 'name_*');
    await t.do('SORT', 'l', 'GET', '#', 'GET', 'name_*', 'GET', 'obj_*->n', 'GET', 'nostar', 'GET', 'obj_*->');
    await t.do('SORT', 'l', 'DESC', 'GET', '#', 'GET', 'obj_*->n', 'LIMIT', '1', '5');
    await t.do('SORT', 'l', 'GET', '#\0x', 'GET', 'name_\0*');
    await t.do('SORT', 'l', 'BY', 'nosort', 'GET', 'name_*', 'GET', 'name_*');
    await t.do('SORT_RO', 'l', 'GET', '#', 'GET', 'obj_*->n');
    await t.both('HELLO', '3');
    await t.do('SORT', 'l', 'GET', '#', 'GET', 'name_*');
    await t.do('SORT', 'missing', 'GET', '#');
  });

  it('STORE: a list replacing any value and its TTL; empty result deletes; GET misses become ""', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', '2', '1', '3');
    await t.do('SET', 'name_1', 'one');
    await t.do('SET', 'dst', 'x', 'EX', '100');
    await t.do('SORT', 'l', 'STORE', 'dst');
    await t.do('TYPE', 'dst');
    await t.do('TTL', 'dst');
    await t.do('LRANGE', 'dst', '0', '-1');
    await t.do('OBJECT', 'ENCODING', 'dst');
    await t.do('SORT', 'l', 'GET', '#', 'GET', 'name_*', 'STORE', 'dst', 'DESC');
    await t.do('LRANGE', 'dst', '0', '-1');
    await t.do('SORT', 'l', 'STORE', 'a', 'STORE', 'b');
    await t.do('EXISTS', 'a', 'b');
    await t.do('SORT', 'l', 'STORE', 'l');
    await t.do('LRANGE', 'l', '0', '-1');
    await t.do('SORT', 'missing', 'STORE', 'dst');
    await t.do('EXISTS', 'dst');
    await t.do('SORT', 'l', 'LIMIT', '10', '1', 'STORE', 'l');
    await t.do('EXISTS', 'l');
    await t.do('SORT', 'missing', 'STORE', 'dst');
    // A set with nosort is sorted ALPHA before storing.
    await t.do('SADD', 's', 'b', 'c', 'a', '10', '9');
    await t.do('SORT', 's', 'BY', 'nosort', 'STORE', 'dst');
    await t.do('LRANGE', 'dst', '0', '-1');
    await t.do('SORT', 's', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2', 'STORE', 'dst');
    await t.do('LRANGE', 'dst', '0', '-1');
    await t.unordered('SORT', 's', 'BY', 'nosort');
  });

  it('errors: syntax, integers, wrong type, SORT_RO refuses STORE, arity', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', '1');
    await t.do('SET', 'str', 'x');
    await t.do('HSET', 'h', 'f', 'v');
    await t.error('SORT');
    await t.error('SORT_RO');
    await t.error('SORT', 'str');
    await t.error('SORT', 'h');
    await t.error('SORT_RO', 'str', 'ALPHA');
    await t.error('SORT', 'str', 'bogus');
    await t.error('SORT', 'l', 'LIMIT', '1');
    await t.error('SORT', 'l', 'LIMIT', 'x', '1');
    await t.error('SORT', 'l', 'LIMIT', '1', '1.5');
    await t.error('SORT', 'l', 'LIMIT', '1', 'x', 'bogus');
    await t.error('SORT', 'l', 'BY');
    await t.error('SORT', 'l', 'GET');
    await t.error('SORT', 'l', 'STORE');
    await t.error('SORT_RO', 'l', 'STORE', 'dst');
    await t.do('EXISTS', 'dst');
    await t.error('SORT', 'l', 'bogus', 'STORE', 'dst');
    await t.do('EXISTS', 'dst');
    await t.error('SORT', 'str', 'STORE', 'dst');
  });

  it('SORT converts a listpack zset to skiplist; keys and COMMAND GETKEYS', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('ZADD', 'z', '1', 'a', '2', 'b');
    await t.do('OBJECT', 'ENCODING', 'z');
    await t.do('SORT_RO', 'z', 'ALPHA');
    await t.do('OBJECT', 'ENCODING', 'z');
    await t.do('ZADD', 'z2', '1', 'a');
    await t.do('SORT', 'z2', 'BY', 'nosort');
    await t.do('OBJECT', 'ENCODING', 'z2');
    await t.do('ZRANGE', 'z2', '0', '-1', 'WITHSCORES');
    await t.do('COMMAND', 'GETKEYS', 'SORT', 'k');
    await t.do('COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd');
    await t.do('COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd', 'STORE', 'e', 'ALPHA');
    await t.do('COMMAND', 'GETKEYS', 'SORT', 'k', 'GET', 'store', 'x', 'LIMIT', 'store', 'store', 'STORE');
    await t.do('COMMAND', 'GETKEYS', 'SORT', 'k', 'BY', 'store', 'store', 'y');
    await t.do('COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'STORE', 'd');
    await t.do('COMMAND', 'INFO', 'SORT', 'SORT_RO');
  });

  it('random lists, weights and options (fast-check) agree with Redis', async () => {
    const t = await servers.pair();
    const element = fc.constantFrom('1', '2', '2', '10', '-3', '1.5', 'a', 'b', 'B', '', '007', 'inf');
    const weight = fc.option(fc.constantFrom('1', '2', '0', '-1', 'x', 'y', '1.5'), { nil: undefined });
    const option = fc.oneof(
      fc.constant(['DESC']),
      fc.constant(['ALPHA']),
      fc.tuple(fc.constantFrom('0', '1', '3', '-1', '20'), fc.constantFrom('0', '1', '2', '5', '-1')).map(([a, b]) => ['LIMIT', a, b]),
      fc.constantFrom('w_*', 'h_*->f', 'nosort', 'missing_*').map((p) => ['BY', p]),
      fc.constantFrom('#', 'w_*', 'h_*->f').map((p) => ['GET', p]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('list', 'set', 'zset'),
        fc.array(element, { minLength: 0, maxLength: 30 }),
        fc.array(fc.tuple(weight, weight), { minLength: 13, maxLength: 13 }),
        fc.array(option, { maxLength: 4 }),
        async (type, elems, weights, opts) => {
          await t.do('FLUSHALL');
          if (elems.length > 0) {
            if (type === 'list') await t.do('RPUSH', 'k', ...elems);
            else if (type === 'set') await t.do('SADD', 'k', ...elems);
            else await t.do('ZADD', 'k', ...elems.flatMap((e, i) => [String(i % 3), e]));
          }
          const uniq = [...new Set(['1', '2', '10', '-3', '1.5', 'a', 'b', 'B', '', '007', 'inf'])];
          for (let i = 0; i < uniq.length; i++) {
            const [w, f] = weights[i];
            if (w !== undefined) await t.do('SET', `w_${uniq[i]}`, w);
            if (f !== undefined) await t.do('HSET', `h_${uniq[i]}`, 'f', f);
          }
          const args = ['SORT', 'k', ...opts.flat()];
          const by = args.lastIndexOf('BY');
          // Any BY without '*' means no sorting at all, whatever BY comes later.
          const dontsort = args.some((a, i) => a === 'BY' && !args[i + 1].includes('*'));
          // Redis iterates a hashtable set or zset in hash order: ties (ALPHA BY) and nosort sets
          // come out in an order of their own, so those are compared whole and unordered.
          const byAlpha = args.includes('ALPHA') && by !== -1 && !dontsort;
          const nosortSet = type === 'set' && dontsort;
          if (type !== 'list' && (byAlpha || nosortSet)) await t.unordered(...opts.filter((o) => o[0] !== 'LIMIT').flat().reduce((a, x) => [...a, x], ['SORT', 'k']));
          else await t.do(...args);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('pqsort', () => {
  it('sorts the requested range like a full sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), fc.nat(), fc.nat(), (xs, a, b) => {
        const lo = xs.length === 0 ? 0 : a % xs.length;
        const hi = xs.length === 0 ? 0 : lo + (b % (xs.length - lo));
        const v = xs.slice();
        pqsort(v, (x, y) => x - y, lo, hi);
        const want = xs.slice().sort((x, y) => x - y);
        assert.deepEqual(v.slice(lo, hi + 1), want.slice(lo, hi + 1));
      }),
    );
  });
});
