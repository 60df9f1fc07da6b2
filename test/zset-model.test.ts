import { describe, it } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { differentialServers } from './support/differential.js';
import { ZSet } from '../src/engine/zset.js';

/**
 * Model test: random sequences of sorted-set commands run on Redis and on stickynote, every reply
 * compared byte for byte. A few keys, a small member pool (with one member long enough to force
 * the skiplist encoding) and scores with ties, fractions, -0 and infinities.
 */
const servers = differentialServers();

const KEYS = ['z1', 'z2', 'z3'];
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'ab', '', '10', 'x'.repeat(70)];
const SCORES = ['0', '-0', '1', '2', '2', '-1', '1.1', '0.5', '3.75', 'inf', '-inf', '+inf', '1e300', '-2.5e-3', '100'];
const BOUNDS = ['-inf', '+inf', '0', '1', '(1', '2', '(2', '-1', '1.1', '(0.5', '100', 'inf', '(inf'];
const LEX_BOUNDS = ['-', '+', '[a', '(a', '[b', '(c', '[', '[ab', '(10', '[g'];
const INDEXES = ['0', '1', '2', '-1', '-2', '5', '-100', '100'];

const key = fc.constantFrom(...KEYS);
const member = fc.constantFrom(...MEMBERS);
const score = fc.constantFrom(...SCORES);
const bound = fc.constantFrom(...BOUNDS);
const lexBound = fc.constantFrom(...LEX_BOUNDS);
const index = fc.constantFrom(...INDEXES);
const flag = <T extends string>(word: T) => fc.boolean().map((b) => (b ? [word] : []));
const limit = fc.option(fc.tuple(fc.constantFrom('0', '1', '2'), fc.constantFrom('-1', '0', '1', '3')), { nil: undefined }).map((l) => (l ? ['LIMIT', ...l] : []));
const keys = fc.uniqueArray(fc.constantFrom(...KEYS, 'missing', 'set'), { minLength: 1, maxLength: 3 });
const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 }).map((ps) => ps.flat());

/** Lex commands only make sense when all scores are equal, so they get their own key. */
const lexCommand = fc.oneof(
  fc.array(member, { minLength: 1, maxLength: 4 }).map((ms) => ['ZADD', 'lex', ...ms.flatMap((m) => ['0', m])]),
  fc.tuple(lexBound, lexBound, fc.boolean(), limit).map(([a, b, rev, l]) => (rev ? ['ZREVRANGEBYLEX', 'lex', b, a, ...l] : ['ZRANGEBYLEX', 'lex', a, b, ...l])),
  fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZLEXCOUNT', 'lex', a, b]),
  fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZREMRANGEBYLEX', 'lex', a, b]),
  fc.tuple(lexBound, lexBound, flag('REV'), limit).map(([a, b, rev, l]) => ['ZRANGE', 'lex', a, b, 'BYLEX', ...rev, ...l]),
);

const command: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(key, fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH']), pairs).map(([k, opts, ps]) => ['ZADD', k, ...opts, ...ps]),
  fc.tuple(key, fc.subarray(['NX', 'XX', 'GT', 'LT']), score, member).map(([k, opts, s, m]) => ['ZADD', k, ...opts, 'INCR', s, m]),
  fc.tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
  fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZREM', k, ...ms]),
  fc.tuple(key, member).map(([k, m]) => ['ZSCORE', k, m]),
  fc.tuple(key, fc.array(member, { minLength: 1, maxLength: 3 })).map(([k, ms]) => ['ZMSCORE', k, ...ms]),
  key.map((k) => ['ZCARD', k]),
  key.map((k) => ['OBJECT', 'ENCODING', k]),
  fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
  fc.tuple(fc.constantFrom('ZRANK', 'ZREVRANK'), key, member).map(([c, k, m]) => [c, k, m]),
  fc.tuple(key, index, index, flag('REV'), flag('WITHSCORES')).map(([k, a, b, r, w]) => ['ZRANGE', k, a, b, ...r, ...w]),
  fc.tuple(key, bound, bound, flag('REV'), flag('WITHSCORES'), limit).map(([k, a, b, r, w, l]) => ['ZRANGE', k, a, b, 'BYSCORE', ...r, ...w, ...l]),
  fc.tuple(key, bound, bound, flag('WITHSCORES'), limit).map(([k, a, b, w, l]) => ['ZRANGEBYSCORE', k, a, b, ...w, ...l]),
  fc.tuple(key, bound, bound, flag('WITHSCORES'), limit).map(([k, a, b, w, l]) => ['ZREVRANGEBYSCORE', k, a, b, ...w, ...l]),
  fc.tuple(key, key, index, index).map(([d, k, a, b]) => ['ZRANGESTORE', d, k, a, b]),
  fc.tuple(key, index, index).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
  fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.option(fc.constantFrom('0', '1', '3'), { nil: undefined })).map(([c, k, n]) => (n ? [c, k, n] : [c, k])),
  fc.tuple(keys, fc.constantFrom('MIN', 'MAX'), fc.option(fc.constantFrom('1', '2', '10'), { nil: undefined })).map(([ks, w, n]) => ['ZMPOP', String(ks.length), ...ks, w, ...(n ? ['COUNT', n] : [])]),
  fc.tuple(fc.constantFrom('ZUNION', 'ZINTER'), keys, fc.boolean(), fc.constantFrom('SUM', 'MIN', 'MAX'), flag('WITHSCORES')).map(([c, ks, weighted, agg, w]) => [
    c, String(ks.length), ...ks, ...(weighted ? ['WEIGHTS', ...ks.map((_, i) => ['2', '-1', '0.5'][i])] : []), 'AGGREGATE', agg, ...w,
  ]),
  fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE'), key, keys, fc.constantFrom('SUM', 'MIN', 'MAX')).map(([c, d, ks, agg]) => [c, d, String(ks.length), ...ks, 'AGGREGATE', agg]),
  fc.tuple(keys, flag('WITHSCORES')).map(([ks, w]) => ['ZDIFF', String(ks.length), ...ks, ...w]),
  fc.tuple(key, keys).map(([d, ks]) => ['ZDIFFSTORE', d, String(ks.length), ...ks]),
  fc.tuple(keys, fc.option(fc.constantFrom('0', '1', '2'), { nil: undefined })).map(([ks, l]) => ['ZINTERCARD', String(ks.length), ...ks, ...(l ? ['LIMIT', l] : [])]),
  key.map((k) => ['ZRANDMEMBER', k, '100', 'WITHSCORES']),
  fc.tuple(fc.array(member, { minLength: 1, maxLength: 3 })).map(([ms]) => ['SADD', 'set', ...ms]),
  lexCommand,
);

describe('zset model: random command sequences on Redis and stickynote', () => {
  for (const proto of [2, 3] as const) {
    it(`replies are byte-for-byte equal (RESP${proto})`, async () => {
      const t = await servers.pair();
      if (proto === 3) await t.both('HELLO', '3');
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 80, size: 'max' }), async (cmds) => {
          await t.do('FLUSHALL');
          for (const cmd of cmds) await t.do(...cmd);
          // ZSCAN with a large COUNT returns everything in one call on either encoding.
          for (const k of [...KEYS, 'lex']) await t.unordered('ZSCAN', k, '0', 'COUNT', '1000');
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('skiplist model: spans, ranks and links against a sorted array', () => {
  it('random inserts, score updates, deletes and range deletes keep every invariant', () => {
    const limits = { zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64 };
    const z = new ZSet(false);
    const model = new Map<string, number>();
    const sorted = () => [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let step = 0; step < 20_000; step++) {
      const m = `m${Math.floor(Math.random() * 3000)}`;
      const score = Math.floor(Math.random() * 50) / 4;
      const r = Math.random();
      if (r < 0.6) {
        z.add(m, score, 0, limits);
        model.set(m, score);
      } else if (r < 0.9) {
        assert.equal(z.remove(m), model.delete(m));
      } else if (r < 0.93) {
        const removed = z.removeRankRange(10, 14);
        for (const [k] of sorted().slice(10, 15)) model.delete(k);
        assert.equal(removed, Math.min(5, Math.max(0, model.size + removed - 10)));
      }
      if (step % 2000 === 1999) {
        const want = sorted();
        assert.equal(z.size, want.length);
        const list = z.list;
        let x = list.first();
        let prev = 0;
        for (let i = 0; i < want.length; i++, prev = x, x = list.next(x)) {
          assert.equal(list.memberOf(x), want[i][0]);
          assert.equal(list.scoreOf(x), want[i][1]);
          assert.equal(list.prev(x), prev);
          if (i % 37 === 0) {
            assert.equal(z.rank(want[i][0], false), i);
            assert.equal(z.nodeAt(i), x);
          }
        }
        assert.equal(x, 0);
        assert.equal(list.tail, prev);
      }
    }
  });
});
