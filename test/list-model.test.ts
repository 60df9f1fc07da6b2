import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { differentialServers } from './support/differential.js';
import { type RawClient, encodeCommand } from './support/raw-client.js';

/**
 * Model-based test: random sequences of list commands (every option, indexes in and out of
 * range, a string key for WRONGTYPE) run on Redis and on stickynote; every reply must be equal
 * byte for byte. Real Redis is the model.
 */
const key = fc.constantFrom('a', 'b', 'c', 's');
const elem = fc.constantFrom('x', 'y', 'z', '1', '');
const index = fc.integer({ min: -6, max: 6 }).map(String);
const end = fc.constantFrom('LEFT', 'RIGHT');

const command: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, fc.array(elem, { minLength: 1, maxLength: 4 })).map(([c, k, es]) => [c, k, ...es]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.option(fc.integer({ min: -1, max: 4 }).map(String), { nil: undefined })).map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])),
  fc.tuple(fc.constantFrom('LLEN', 'TYPE', 'EXISTS'), key).map(([c, k]) => [c, k]),
  fc.tuple(fc.constantFrom('LRANGE', 'LTRIM'), key, index, index).map(([c, k, i, j]) => [c, k, i, j]),
  fc.tuple(key, index).map(([k, i]) => ['LINDEX', k, i]),
  fc.tuple(key, index, elem).map(([k, i, e]) => ['LSET', k, i, e]),
  fc.tuple(key, fc.constantFrom('BEFORE', 'AFTER'), elem, elem).map(([k, w, p, e]) => ['LINSERT', k, w, p, e]),
  fc.tuple(key, index, elem).map(([k, n, e]) => ['LREM', k, n, e]),
  fc
    .tuple(key, elem, fc.option(fc.constantFrom('1', '2', '-1', '-2'), { nil: undefined }), fc.option(fc.constantFrom('0', '1', '2'), { nil: undefined }), fc.option(fc.constantFrom('0', '2', '4'), { nil: undefined }))
    .map(([k, e, rank, count, maxlen]) => [
      'LPOS', k, e,
      ...(rank === undefined ? [] : ['RANK', rank]),
      ...(count === undefined ? [] : ['COUNT', count]),
      ...(maxlen === undefined ? [] : ['MAXLEN', maxlen]),
    ]),
  fc.tuple(key, key, end, end).map(([s, d, f, t]) => ['LMOVE', s, d, f, t]),
  fc.tuple(key, key).map(([s, d]) => ['RPOPLPUSH', s, d]),
  fc.tuple(fc.uniqueArray(key, { minLength: 1, maxLength: 3 }), end, fc.option(fc.integer({ min: 1, max: 4 }).map(String), { nil: undefined })).map(([ks, w, n]) => [
    'LMPOP', String(ks.length), ...ks, w, ...(n === undefined ? [] : ['COUNT', n]),
  ]),
  // Blocking pops that find data (or a wrong type) answer at once, like their plain forms.
  fc.tuple(fc.constantFrom('BLPOP', 'BRPOP'), key).map(([c, k]) => [c, k, 'a', 'b', 'c', '0.001']),
);

/** Sends all commands in one write and returns each reply's bytes. */
async function run(c: RawClient, cmds: string[][]): Promise<string[]> {
  c.writeRaw(Buffer.concat(cmds.map((cmd) => encodeCommand(cmd))));
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i++) out.push((await c.read()).raw.toString('latin1'));
  return out;
}

describe('lists: model-based comparison with Redis 7.0', () => {
  const servers = differentialServers();

  it('random list command sequences give byte-identical replies', async () => {
    const t = await servers.pair();
    for (const proto of ['2', '3']) {
      await t.both('HELLO', proto);
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (cmds) => {
          const all = [['FLUSHALL'], ['SET', 's', 'str'], ...cmds, ['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1'], ['LRANGE', 'c', '0', '-1']];
          const [r, o] = await Promise.all([run(t.redis, all), run(t.ours, all)]);
          for (let i = 0; i < all.length; i++) assert.equal(o[i], r[i], `reply ${i} to ${all[i].join(' ')}`);
        }),
        { numRuns: 150, endOnFailure: true, verbose: 1 },
      );
    }
  });
});
