import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/** Differential tests for the sorted-set commands, each run in RESP2 and in RESP3. */
const servers = differentialServers();

async function pairFor(proto: 2 | 3): Promise<Pair> {
  const t = await servers.pair();
  if (proto === 3) await t.both('HELLO', '3');
  await t.do('FLUSHALL');
  return t;
}

/** A leaderboard-ish zset: scores with ties, negatives, fractions and infinities. */
async function seed(t: Pair, key = 'z'): Promise<void> {
  await t.do('ZADD', key, '1', 'a', '2', 'b', '2', 'bb', '2', 'ba', '3.5', 'c', '-1', 'neg', 'inf', 'top', '-inf', 'bottom', '0', 'zero', '1.1', 'x');
}

for (const proto of [2, 3] as const) {
  describe(`zsets RESP${proto}`, () => {
    it('ZADD options, replies and errors', async () => {
      const t = await pairFor(proto);
      await t.do('ZADD', 'z', '1', 'a');
      await t.do('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
      await t.do('ZADD', 'z', 'CH', '5', 'a', '2', 'b', '9', 'd');
      await t.do('ZADD', 'z', 'NX', '100', 'a', '7', 'e');
      await t.do('ZADD', 'z', 'XX', '100', 'a', '7', 'f');
      await t.do('ZADD', 'z', 'XX', 'CH', '101', 'a', '7', 'g');
      await t.do('ZADD', 'z', 'GT', 'CH', '50', 'a', '200', 'b', '1', 'h');
      await t.do('ZADD', 'z', 'LT', 'CH', '60', 'a', '300', 'b');
      await t.do('ZADD', 'z', 'XX', 'GT', '1000', 'a', '1', 'zz');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      await t.do('ZADD', 'z', 'INCR', '1.5', 'a');
      await t.do('ZADD', 'z', 'INCR', '1.5', 'new');
      await t.do('ZADD', 'z', 'NX', 'INCR', '1', 'a');
      await t.do('ZADD', 'z', 'XX', 'INCR', '1', 'nope');
      await t.do('ZADD', 'z', 'GT', 'INCR', '-1', 'a');
      await t.do('ZADD', 'z', 'LT', 'INCR', '-1', 'a');
      await t.do('ZADD', 'z', 'INCR', 'inf', 'a');
      await t.error('ZADD', 'z', 'INCR', '-inf', 'a');
      await t.do('ZSCORE', 'z', 'a');
      await t.do('ZADD', 'missing', 'XX', '1', 'a');
      await t.do('ZADD', 'missing', 'XX', 'INCR', '1', 'a');
      await t.do('EXISTS', 'missing');
      await t.error('ZADD', 'z', 'NX', 'XX', '1', 'a');
      await t.error('ZADD', 'z', 'GT', 'LT', '1', 'a');
      await t.error('ZADD', 'z', 'GT', 'NX', '1', 'a');
      await t.error('ZADD', 'z', 'LT', 'NX', '1', 'a');
      await t.error('ZADD', 'z', 'INCR', '1', 'a', '2', 'b');
      await t.error('ZADD', 'z', '1', 'a', '2');
      await t.error('ZADD', 'z', 'NX');
      await t.error('ZADD', 'z', 'nan', 'a');
      await t.error('ZADD', 'z', 'abc', 'a');
      await t.error('ZADD', 'z', '1', 'a', 'x', 'b');
      await t.error('ZADD', 'z', ' 1', 'a');
      await t.error('ZADD', 'z', '1e400', 'a');
      await t.error('ZADD', 'z', '1e-400', 'a');
      await t.do('ZADD', 'z', '1e-310', 'denormal', '0x10', 'hex', '+inf', 'pinf', '-Infinity', 'minf', '-0', 'negzero', '1e308', 'big');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      await t.error('ZADD', 'z');
      await t.error('ZADD', 'z', '1');
      await t.do('SET', 'str', 'v');
      await t.error('ZADD', 'str', '1', 'a');
      await t.error('ZADD', 'str', 'x', 'a'); // score parsed before the type check
      await t.error('ZINCRBY', 'str', '1', 'a');
    });

    it('ZINCRBY', async () => {
      const t = await pairFor(proto);
      await t.do('ZINCRBY', 'z', '1', 'a');
      await t.do('ZINCRBY', 'z', '0.1', 'a');
      await t.do('ZINCRBY', 'z', '-5e3', 'a');
      await t.do('ZINCRBY', 'z', 'inf', 'a');
      await t.error('ZINCRBY', 'z', '-inf', 'a');
      await t.error('ZINCRBY', 'z', 'x', 'a');
      await t.error('ZINCRBY', 'z', 'nx', 'a');
      await t.error('ZINCRBY', 'z', '1');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
    });

    it('score formatting (%.17g) in ZSCORE, ZMSCORE, WITHSCORES', async () => {
      const t = await pairFor(proto);
      const scores = ['1.1', '0.1', '3', '-3', '1e17', '1e16', '123456789012345678', '1e-5', '0.0001', '1.5e300', '-2.5e-300', '3.14159265358979', '1125899906842624.25', '1125899906842624.75', '4.9e-324', '0.30000000000000004'];
      for (const [i, s] of scores.entries()) await t.do('ZADD', 'z', s, `m${i}`);
      for (let i = 0; i < scores.length; i++) await t.do('ZSCORE', 'z', `m${i}`);
      await t.do('ZMSCORE', 'z', 'm0', 'nope', 'm5', 'm9');
      await t.do('ZMSCORE', 'missing', 'a', 'b');
      await t.do('ZSCORE', 'missing', 'a');
      await t.do('ZSCORE', 'z', 'nope');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      await t.do('ZSCAN', 'z', '0');
      await t.do('SET', 'str', 'v');
      await t.error('ZSCORE', 'str', 'a');
      await t.error('ZMSCORE', 'str', 'a');
      await t.error('ZMSCORE', 'z');
    });

    it('random doubles format like Redis', async () => {
      const t = await pairFor(proto);
      const view = new DataView(new ArrayBuffer(8));
      const args: string[] = [];
      for (let i = 0; i < 300; i++) {
        let d: number;
        do {
          view.setUint32(0, (Math.random() * 2 ** 32) >>> 0);
          view.setUint32(4, (Math.random() * 2 ** 32) >>> 0);
          d = view.getFloat64(0);
        } while (!Number.isFinite(d) || d === 0);
        if (i % 3 === 1) d = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
        if (i % 3 === 2) d = (Math.floor(Math.random() * 2 ** 53) | 1) / 2 ** Math.floor(Math.random() * 12);
        args.push(String(d), `m${i}`);
      }
      await t.do('ZADD', 'z', ...args);
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      for (let i = 0; i < 300; i += 7) await t.do('ZINCRBY', 'z', '0.1', `m${i}`);
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
    });

    it('ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK, ZREVRANK', async () => {
      const t = await pairFor(proto);
      await seed(t);
      await t.do('ZCARD', 'z');
      await t.do('ZCARD', 'missing');
      for (const [min, max] of [['-inf', '+inf'], ['1', '2'], ['(1', '2'], ['1', '(2'], ['(1', '(2'], ['2', '1'], ['(2', '2'], ['inf', 'inf'], ['-inf', '-inf'], ['', '3'], ['(', '3'], [' 1', '3'], ['0x1', '3']]) {
        await t.do('ZCOUNT', 'z', min, max);
      }
      await t.error('ZCOUNT', 'z', 'a', '1');
      await t.error('ZCOUNT', 'z', '1', 'nan');
      await t.error('ZCOUNT', 'z', '1 ', '2');
      await t.error('ZCOUNT', 'z', '((1', '2');
      await t.do('ZCOUNT', 'missing', '0', '1');
      await t.do('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'ab', '0', '');
      for (const [min, max] of [['-', '+'], ['[a', '[c'], ['(a', '[c'], ['[a', '(c'], ['(a', '(c'], ['+', '-'], ['-', '-'], ['+', '+'], ['[', '+'], ['(', '+'], ['[c', '[a'], ['[b', '[b'], ['(b', '[b']]) {
        await t.do('ZLEXCOUNT', 'l', min, max);
      }
      await t.error('ZLEXCOUNT', 'l', 'a', '+');
      await t.error('ZLEXCOUNT', 'l', '-', 'b');
      await t.error('ZLEXCOUNT', 'l', '-x', '+');
      await t.error('ZLEXCOUNT', 'l', '', '+');
      await t.do('ZLEXCOUNT', 'missing', '-', '+');
      for (const m of ['a', 'b', 'ba', 'bb', 'top', 'bottom', 'nope']) {
        await t.do('ZRANK', 'z', m);
        await t.do('ZREVRANK', 'z', m);
      }
      await t.do('ZRANK', 'missing', 'a');
      await t.error('ZRANK', 'z', 'a', 'WITHSCORE'); // 7.2 syntax: an arity error in 7.0
      await t.do('SET', 'str', 'v');
      for (const cmd of [['ZCARD', 'str'], ['ZCOUNT', 'str', '0', '1'], ['ZLEXCOUNT', 'str', '-', '+'], ['ZRANK', 'str', 'a'], ['ZREVRANK', 'str', 'a']]) {
        await t.error(...cmd);
      }
      await t.error('ZCOUNT', 'str', 'x', '1'); // range parsed before the type check
    });

    it('ZRANGE by rank, score and lex; REV, LIMIT, WITHSCORES', async () => {
      const t = await pairFor(proto);
      await seed(t);
      for (const [a, b] of [['0', '-1'], ['2', '4'], ['-3', '-1'], ['5', '2'], ['-100', '100'], ['20', '30'], ['0', '0'], ['-1', '-1']]) {
        await t.do('ZRANGE', 'z', a, b);
        await t.do('ZRANGE', 'z', a, b, 'WITHSCORES');
        await t.do('ZRANGE', 'z', a, b, 'REV', 'withscores');
        await t.do('ZREVRANGE', 'z', a, b, 'WITHSCORES');
      }
      for (const [a, b] of [['-inf', '+inf'], ['1', '2'], ['(1', '(3.5'], ['2', '2'], ['(2', '2'], ['3', '1']]) {
        await t.do('ZRANGE', 'z', a, b, 'BYSCORE', 'WITHSCORES');
        await t.do('ZRANGE', 'z', b, a, 'BYSCORE', 'REV', 'WITHSCORES');
        await t.do('ZRANGEBYSCORE', 'z', a, b, 'WITHSCORES');
        await t.do('ZREVRANGEBYSCORE', 'z', b, a);
        for (const [off, lim] of [['0', '2'], ['1', '3'], ['2', '-1'], ['-1', '2'], ['0', '0'], ['100', '1'], ['3', '100']]) {
          await t.do('ZRANGE', 'z', a, b, 'BYSCORE', 'LIMIT', off, lim);
          await t.do('ZRANGEBYSCORE', 'z', a, b, 'WITHSCORES', 'LIMIT', off, lim);
          await t.do('ZREVRANGEBYSCORE', 'z', b, a, 'LIMIT', off, lim, 'WITHSCORES');
        }
      }
      await t.do('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'ab', '0', '');
      for (const [a, b] of [['-', '+'], ['[a', '[c'], ['(a', '(d'], ['[b', '+'], ['+', '-'], ['[c', '[a']]) {
        await t.do('ZRANGE', 'l', a, b, 'BYLEX');
        await t.do('ZRANGE', 'l', b, a, 'BYLEX', 'REV');
        await t.do('ZRANGEBYLEX', 'l', a, b);
        await t.do('ZREVRANGEBYLEX', 'l', b, a);
        await t.do('ZRANGEBYLEX', 'l', a, b, 'LIMIT', '1', '2');
        await t.do('ZREVRANGEBYLEX', 'l', b, a, 'LIMIT', '1', '2');
        await t.do('ZRANGE', 'l', a, b, 'BYLEX', 'LIMIT', '2', '-5');
      }
      await t.do('ZRANGE', 'missing', '0', '-1');
      await t.do('ZRANGE', 'missing', '0', '-1', 'BYSCORE');
      await t.do('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '-1'); // Redis only rejects a LIMIT count other than -1
      await t.error('ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '5');
      await t.error('ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES');
      await t.error('ZRANGE', 'z', 'a', 'b', 'BYSCORE');
      await t.error('ZRANGE', 'l', 'a', 'b', 'BYLEX');
      await t.error('ZRANGE', 'z', 'a', '1');
      await t.error('ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX');
      await t.error('ZRANGE', 'z', '0', '1', 'REV', 'REV');
      await t.error('ZRANGE', 'z', '0', '1', 'LIMIT', '1');
      await t.error('ZRANGE', 'z', '0', '1', 'BYSCORE', 'LIMIT', 'x', '1');
      await t.error('ZRANGE', 'z', '0', '1', 'foo');
      await t.error('ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE');
      await t.error('ZRANGEBYSCORE', 'z', '0', '1', 'REV');
      await t.error('ZREVRANGE', 'z', '0', '1', 'REV');
      await t.error('ZREVRANGE', 'z', '0', '1', 'LIMIT', '0', '1');
      await t.error('ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES');
      await t.error('ZRANGEBYSCORE', 'z', 'x', '1');
      await t.error('ZRANGEBYLEX', 'l', 'x', '+');
      await t.error('ZRANGE', 'z');
      await t.do('SET', 'str', 'v');
      await t.error('ZRANGE', 'str', '0', '-1');
      await t.error('ZRANGEBYSCORE', 'str', '0', '1');
      await t.error('ZRANGE', 'str', 'x', '1'); // parse errors first
    });

    it('ZRANGESTORE', async () => {
      const t = await pairFor(proto);
      await seed(t);
      await t.do('ZRANGESTORE', 'd', 'z', '0', '2');
      await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
      await t.do('OBJECT', 'ENCODING', 'd');
      await t.do('ZRANGESTORE', 'd', 'z', '1', '3', 'BYSCORE', 'REV');
      await t.do('ZRANGESTORE', 'd', 'z', '3', '1', 'BYSCORE', 'REV', 'LIMIT', '1', '1');
      await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
      await t.do('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
      await t.do('ZRANGESTORE', 'd', 'l', '[a', '[c', 'BYLEX');
      await t.do('ZRANGESTORE', 'd', 'l', '[c', '-', 'BYLEX', 'REV', 'LIMIT', '1', '5');
      await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
      await t.do('ZRANGESTORE', 'd', 'z', '5', '1');
      await t.do('EXISTS', 'd');
      await t.do('ZRANGESTORE', 'd', 'z', '0', '-1');
      await t.do('ZRANGESTORE', 'd', 'missing', '0', '-1');
      await t.do('EXISTS', 'd');
      await t.do('SET', 'str', 'v');
      await t.error('ZRANGESTORE', 'd', 'str', '0', '1');
      await t.do('ZRANGESTORE', 'str', 'z', '0', '1');
      await t.do('TYPE', 'str');
      await t.error('ZRANGESTORE', 'd', 'z', '0', '1', 'WITHSCORES');
      await t.error('ZRANGESTORE', 'd', 'z', '0', '1', 'LIMIT', '0', '1');
      await t.error('ZRANGESTORE', 'd', 'z', '0');
    });

    it('ZREM and ZREMRANGEBY*', async () => {
      const t = await pairFor(proto);
      await seed(t);
      await t.do('ZREM', 'z', 'a', 'nope', 'b');
      await t.do('ZREM', 'missing', 'a');
      await t.do('ZREMRANGEBYRANK', 'z', '0', '1');
      await t.do('ZREMRANGEBYRANK', 'z', '-2', '-1');
      await t.do('ZREMRANGEBYRANK', 'z', '5', '1');
      await t.do('ZREMRANGEBYRANK', 'z', '100', '200');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      await t.do('ZREMRANGEBYSCORE', 'z', '(1', '2');
      await t.do('ZREMRANGEBYSCORE', 'z', '3', '1');
      await t.do('ZRANGE', 'z', '0', '-1', 'WITHSCORES');
      await t.do('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
      await t.do('ZREMRANGEBYLEX', 'l', '(a', '[c');
      await t.do('ZRANGE', 'l', '0', '-1');
      await t.do('ZREMRANGEBYLEX', 'l', '-', '+');
      await t.do('EXISTS', 'l');
      await t.do('ZREMRANGEBYSCORE', 'z', '-inf', '+inf');
      await t.do('EXISTS', 'z');
      await t.do('ZADD', 'z', '1', 'a');
      await t.do('ZREM', 'z', 'a', 'a');
      await t.do('EXISTS', 'z');
      await t.error('ZREMRANGEBYRANK', 'z', 'a', '1');
      await t.error('ZREMRANGEBYSCORE', 'z', 'a', '1');
      await t.error('ZREMRANGEBYLEX', 'z', 'a', '1');
      await t.do('ZREMRANGEBYRANK', 'missing', '0', '1');
      await t.do('SET', 'str', 'v');
      await t.error('ZREM', 'str', 'a');
      await t.error('ZREMRANGEBYRANK', 'str', '0', '1');
      await t.error('ZREMRANGEBYSCORE', 'str', '0', '1');
      await t.error('ZREMRANGEBYLEX', 'str', '-', '+');
      await t.error('ZREM', 'z');
    });

    it('ZPOPMIN, ZPOPMAX, ZMPOP', async () => {
      const t = await pairFor(proto);
      await seed(t);
      await t.do('ZPOPMIN', 'z');
      await t.do('ZPOPMAX', 'z');
      await t.do('ZPOPMIN', 'z', '2');
      await t.do('ZPOPMAX', 'z', '1');
      await t.do('ZPOPMIN', 'z', '0');
      await t.do('ZPOPMIN', 'missing');
      await t.do('ZPOPMIN', 'missing', '3');
      await t.error('ZPOPMIN', 'z', '-1');
      await t.error('ZPOPMIN', 'z', 'x');
      await t.error('ZPOPMIN', 'z', '1', '2');
      await t.do('ZMPOP', '2', 'missing', 'z', 'MIN');
      await t.do('ZMPOP', '2', 'missing', 'z', 'max', 'COUNT', '2');
      await t.do('ZMPOP', '1', 'missing', 'MIN');
      await t.do('ZMPOP', '1', 'z', 'MIN', 'COUNT', '100');
      await t.do('EXISTS', 'z');
      await t.do('ZPOPMAX', 'z', '10');
      await t.error('ZMPOP', '0', 'z', 'MIN');
      await t.error('ZMPOP', 'x', 'z', 'MIN');
      await t.error('ZMPOP', '-1', 'z', 'MIN');
      await t.error('ZMPOP', '2', 'z', 'MIN');
      await t.error('ZMPOP', '1', 'z', 'MIDDLE');
      await t.error('ZMPOP', '1', 'z', 'MIN', 'COUNT');
      await t.error('ZMPOP', '1', 'z', 'MIN', 'COUNT', '0');
      await t.error('ZMPOP', '1', 'z', 'MIN', 'COUNT', 'x');
      await t.error('ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1');
      await t.do('SET', 'str', 'v');
      await t.error('ZPOPMIN', 'str');
      await t.error('ZMPOP', '2', 'missing', 'str', 'MIN');
      await t.do('ZADD', 'z2', '1', 'a');
      await t.error('ZMPOP', '2', 'str', 'z2', 'MIN');
      await t.do('ZMPOP', '2', 'z2', 'str', 'MIN');
    });

    it('ZUNION, ZINTER, ZDIFF and …STORE, with sets as inputs', async () => {
      const t = await pairFor(proto);
      await t.do('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z', 'inf', 'i');
      await t.do('ZADD', 'b', '10', 'y', '20', 'z', '30', 'w', '-inf', 'i');
      await t.do('ZADD', 'c', '0.1', 'y', '0.2', 'x');
      await t.do('SADD', 's', 'y', 'w', 'q');
      for (const op of ['ZUNION', 'ZINTER']) {
        await t.do(op, '2', 'a', 'b');
        await t.do(op, '2', 'a', 'b', 'WITHSCORES');
        await t.do(op, '3', 'a', 'b', 'c', 'WITHSCORES');
        await t.do(op, '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'WITHSCORES');
        await t.do(op, '2', 'a', 'b', 'WEIGHTS', '0', '1', 'WITHSCORES');
        await t.do(op, '2', 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES');
        await t.do(op, '2', 'a', 'b', 'AGGREGATE', 'max', 'WITHSCORES');
        await t.do(op, '2', 'a', 's', 'WITHSCORES');
        await t.do(op, '3', 'a', 's', 'missing', 'WITHSCORES');
        await t.do(op, '2', 'a', 'a', 'WITHSCORES');
        await t.do(op, '1', 'missing');
        await t.error(op, '0', 'a');
        await t.error(op, '-1', 'a');
        await t.error(op, 'x', 'a');
        await t.error(op, '3', 'a', 'b');
        await t.error(op, '2', 'a', 'b', 'WEIGHTS', '1');
        await t.error(op, '2', 'a', 'b', 'WEIGHTS', '1', 'x');
        await t.error(op, '2', 'a', 'b', 'AGGREGATE', 'avg');
        await t.error(op, '2', 'a', 'b', 'AGGREGATE');
        await t.error(op, '2', 'a', 'b', 'foo');
        await t.error(op, '2', 'a', 'b', 'LIMIT', '1');
      }
      await t.do('ZDIFF', '2', 'a', 'b');
      await t.do('ZDIFF', '2', 'a', 'c', 'WITHSCORES');
      await t.do('ZDIFF', '2', 'a', 's', 'WITHSCORES');
      await t.do('ZDIFF', '2', 's', 'a', 'WITHSCORES');
      await t.do('ZDIFF', '1', 'missing');
      await t.do('ZDIFF', '2', 'missing', 'a');
      await t.error('ZDIFF', '2', 'a', 'b', 'WEIGHTS', '1', '1');
      await t.error('ZDIFF', '2', 'a', 'b', 'AGGREGATE', 'SUM');
      await t.error('ZDIFF', '0', 'a');
      for (const op of ['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']) {
        await t.do(op, 'd', '2', 'a', 'b');
        await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
        await t.do('OBJECT', 'ENCODING', 'd');
        await t.do(op, 'd', '2', 'a', 's');
        await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
        await t.do(op, 'd', '1', 'missing');
        await t.do('EXISTS', 'd');
        await t.error(op, 'd', '0', 'a');
        await t.error(op, 'd', '2', 'a', 'b', 'WITHSCORES');
        await t.error(op, 'd', '1', 'a', 'b');
      }
      await t.do('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2', 'AGGREGATE', 'MAX');
      await t.do('ZRANGE', 'd', '0', '-1', 'WITHSCORES');
      await t.do('SET', 'str', 'v');
      await t.error('ZUNION', '2', 'a', 'str');
      await t.error('ZINTERSTORE', 'd', '2', 'str', 'a');
      await t.error('ZDIFF', '2', 'a', 'str');
      await t.error('ZUNION', '2', 'a', 'str', 'foo'); // type checked before options
      await t.do('ZUNIONSTORE', 'str', '1', 'a');
      await t.do('TYPE', 'str');
    });

    it('ZINTERCARD', async () => {
      const t = await pairFor(proto);
      await t.do('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
      await t.do('ZADD', 'b', '1', 'y', '2', 'z', '3', 'w');
      await t.do('SADD', 's', 'y', 'z');
      await t.do('ZINTERCARD', '2', 'a', 'b');
      await t.do('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1');
      await t.do('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0');
      await t.do('ZINTERCARD', '3', 'a', 'b', 's');
      await t.do('ZINTERCARD', '2', 'a', 'missing');
      await t.error('ZINTERCARD', '0', 'a');
      await t.error('ZINTERCARD', 'x', 'a');
      await t.error('ZINTERCARD', '3', 'a', 'b');
      await t.error('ZINTERCARD', '2', 'a', 'b', 'LIMIT', '-1');
      await t.error('ZINTERCARD', '2', 'a', 'b', 'LIMIT', 'x');
      await t.error('ZINTERCARD', '2', 'a', 'b', 'WITHSCORES');
      await t.error('ZINTERCARD', '2', 'a', 'b', 'WEIGHTS', '1', '1');
      await t.do('SET', 'str', 'v');
      await t.error('ZINTERCARD', '2', 'a', 'str');
    });

    it('ZRANDMEMBER', async () => {
      const t = await pairFor(proto);
      await seed(t);
      const members = new Set(['a', 'b', 'bb', 'ba', 'c', 'neg', 'top', 'bottom', 'zero', 'x']);
      await t.check(['ZRANDMEMBER', 'z'], (r) => assert.ok(r.t === 'bulk' && members.has(String(r.v))));
      await t.do('ZRANDMEMBER', 'missing');
      await t.do('ZRANDMEMBER', 'missing', '5');
      await t.do('ZRANDMEMBER', 'missing', 'x');
      await t.do('ZRANDMEMBER', 'z', '0');
      await t.do('ZRANDMEMBER', 'z', '0', 'WITHSCORES');
      await t.do('ZRANDMEMBER', 'z', '10');
      await t.do('ZRANDMEMBER', 'z', '100', 'WITHSCORES');
      const distinct = (n: number, withScores: boolean) => (r: Reply) => {
        assert.equal(r.t, 'array');
        const items = (r as { v: Reply[] }).v;
        const names = items.filter((_, i) => !withScores || proto === 3 || i % 2 === 0).map((x) => (x.t === 'array' ? String(((x.v as Reply[])[0] as { v: unknown }).v) : String((x as { v: unknown }).v)));
        assert.equal(names.length, n);
        for (const m of names) assert.ok(members.has(m), m);
        return names;
      };
      await t.check(['ZRANDMEMBER', 'z', '3'], (r) => assert.equal(new Set(distinct(3, false)(r)).size, 3));
      await t.check(['ZRANDMEMBER', 'z', '5', 'WITHSCORES'], (r) => assert.equal(new Set(distinct(5, true)(r)).size, 5));
      await t.check(['ZRANDMEMBER', 'z', '-20'], (r) => distinct(20, false)(r));
      await t.check(['ZRANDMEMBER', 'z', '-20', 'WITHSCORES'], (r) => distinct(20, true)(r));
      await t.error('ZRANDMEMBER', 'z', 'x');
      await t.error('ZRANDMEMBER', 'z', '1', 'foo');
      await t.error('ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x');
      await t.error('ZRANDMEMBER', 'z', '-9223372036854775808');
      await t.error('ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES');
      // LONG_MAX/2 + 1 rounds to LONG_MAX/2 as a double: the range check must be exact.
      await t.error('ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES');
      await t.error('ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES');
      await t.do('ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES');
      await t.do('SET', 'str', 'v');
      await t.error('ZRANDMEMBER', 'str');
      await t.error('ZRANDMEMBER', 'str', '1');
    });

    it('ZSCAN: listpack in one call; skiplist with the SCAN guarantee', async () => {
      const t = await pairFor(proto);
      await seed(t);
      await t.do('ZSCAN', 'z', '0');
      await t.do('ZSCAN', 'z', '123');
      await t.do('ZSCAN', 'z', '0', 'MATCH', 'b*');
      await t.do('ZSCAN', 'z', '0', 'COUNT', '1');
      await t.do('ZSCAN', 'missing', '0');
      await t.do('ZSCAN', 'missing', '0', 'COUNT', '0');
      await t.error('ZSCAN', 'z', 'x');
      await t.error('ZSCAN', 'z', '0', 'COUNT', '0');
      await t.error('ZSCAN', 'z', '0', 'COUNT', 'x');
      await t.error('ZSCAN', 'z', '0', 'MATCH');
      await t.error('ZSCAN', 'z', '0', 'foo', 'bar');
      await t.do('SET', 'str', 'v');
      await t.error('ZSCAN', 'str', '0');
      const args: string[] = [];
      for (let i = 0; i < 500; i++) args.push(String(i % 37), `member:${i}`);
      await t.do('ZADD', 'big', ...args);
      await t.do('OBJECT', 'ENCODING', 'big');
      for (const client of [t.redis, t.ours]) {
        const seen = new Map<string, string>();
        let cursor = '0';
        let removed = 0;
        do {
          const r = (await client.send('ZSCAN', 'big', cursor, 'COUNT', '20')).reply as { v: Reply[] };
          cursor = String((r.v[0] as { v: string }).v);
          const items = (r.v[1] as { v: Reply[] }).v;
          for (let i = 0; i < items.length; i += 2) seen.set(String((items[i] as { v: string }).v), String((items[i + 1] as { v: string }).v));
          if (removed < 50) await client.send('ZREM', 'big', `member:${499 - removed++}`);
        } while (cursor !== '0');
        for (let i = 0; i < 450; i++) assert.equal(seen.get(`member:${i}`), String(i % 37), `member:${i}`);
      }
    });

    it('OBJECT ENCODING: listpack until 128 entries or a 65-byte member, then skiplist for good', async () => {
      const t = await pairFor(proto);
      const args: string[] = [];
      for (let i = 0; i < 128; i++) args.push(String(i), `m${i}`);
      await t.do('ZADD', 'z', ...args);
      await t.do('OBJECT', 'ENCODING', 'z');
      await t.do('ZADD', 'z', '1', 'one-more');
      await t.do('OBJECT', 'ENCODING', 'z');
      await t.do('ZREMRANGEBYRANK', 'z', '0', '-3');
      await t.do('OBJECT', 'ENCODING', 'z');
      await t.do('ZADD', 'long', '1', 'x'.repeat(64));
      await t.do('OBJECT', 'ENCODING', 'long');
      await t.do('ZADD', 'long', '1', 'x'.repeat(65));
      await t.do('OBJECT', 'ENCODING', 'long');
      await t.do('ZADD', 'long2', '1', 'y'.repeat(65));
      await t.do('OBJECT', 'ENCODING', 'long2');
      await t.do('ZUNIONSTORE', 'u', '1', 'z');
      await t.do('OBJECT', 'ENCODING', 'u');
      await t.do('ZRANGESTORE', 'r', 'z', '0', '-1');
      await t.do('OBJECT', 'ENCODING', 'r');
      await t.do('ZRANGESTORE', 'r', 'z', '-inf', '+inf', 'BYSCORE');
      await t.do('OBJECT', 'ENCODING', 'r');
      await t.do('COPY', 'z', 'zc');
      await t.do('OBJECT', 'ENCODING', 'zc');
      await t.do('ZRANGE', 'zc', '0', '-1', 'WITHSCORES');
      await t.do('TYPE', 'z');
      await t.do('CONFIG', 'SET', 'zset-max-listpack-entries', '2');
      await t.do('ZADD', 'small', '1', 'a', '2', 'b');
      await t.do('OBJECT', 'ENCODING', 'small');
      await t.do('ZADD', 'small', '3', 'c');
      await t.do('OBJECT', 'ENCODING', 'small');
      await t.do('CONFIG', 'SET', 'zset-max-listpack-entries', '0');
      await t.do('ZADD', 'zero', '1', 'a');
      await t.do('OBJECT', 'ENCODING', 'zero');
      await t.do('CONFIG', 'SET', 'zset-max-listpack-entries', '128');
    });

    it("the seed's leaderboard: ZADD, then the top 10 with ZRANGE … REV WITHSCORES", async () => {
      const t = await pairFor(proto);
      for (let i = 0; i < 50; i++) await t.do('ZADD', 'leaderboard', String((i * 37) % 101), `player:${i}`);
      await t.do('ZINCRBY', 'leaderboard', '15', 'player:7');
      await t.do('ZRANGE', 'leaderboard', '0', '9', 'REV', 'WITHSCORES');
      await t.do('ZREVRANK', 'leaderboard', 'player:7');
      await t.do('ZSCORE', 'leaderboard', 'player:7');
    });

    it('arity errors', async () => {
      const t = await pairFor(proto);
      for (const cmd of ['ZADD', 'ZINCRBY', 'ZSCORE', 'ZMSCORE', 'ZCARD', 'ZCOUNT', 'ZLEXCOUNT', 'ZRANK', 'ZRANGE', 'ZRANGESTORE', 'ZRANGEBYSCORE', 'ZREVRANGEBYLEX', 'ZREM', 'ZREMRANGEBYLEX', 'ZPOPMIN', 'ZMPOP', 'ZUNION', 'ZINTERSTORE', 'ZDIFF', 'ZINTERCARD', 'ZRANDMEMBER', 'ZSCAN']) {
        await t.error(cmd);
      }
    });
  });
}

describe('zsets: key positions for numkeys commands', () => {
  it('COMMAND GETKEYS', async () => {
    const t = await servers.pair();
    await t.do('COMMAND', 'GETKEYS', 'ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2');
    await t.do('COMMAND', 'GETKEYS', 'ZINTER', '2', 'a', 'b');
    await t.do('COMMAND', 'GETKEYS', 'ZDIFFSTORE', 'd', '1', 'a');
    await t.do('COMMAND', 'GETKEYS', 'ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1');
    await t.do('COMMAND', 'GETKEYS', 'ZMPOP', '2', 'a', 'b', 'MIN');
    await t.do('COMMAND', 'GETKEYS', 'ZRANGESTORE', 'd', 's', '0', '1');
  });
});
