import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringMatch } from '../src/engine/glob.js';
import { RawClient, type Reply } from './support/raw-client.js';
import { startRedis, type RunningServer } from './support/servers.js';

/**
 * stringMatch against Redis's own stringmatchlen, observed through KEYS (case-sensitive) and
 * CONFIG GET (case-insensitive): random patterns over an alphabet dense in glob syntax, on random
 * key sets that include high bytes, NUL, and the empty key.
 */

const ALPHABET = ['a', 'b', 'A', 'z', '*', '?', '[', ']', '^', '-', '\\', '\xe9', '\x00', '\xff', '1'];
const patternArb = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 0, maxLength: 9 })
  .map((cs) => cs.join(''))
  // KEYS special-cases exactly "*" (it then also returns the empty key).
  .filter((p) => p !== '*');
const keyArb = fc.array(fc.constantFrom(...ALPHABET), { minLength: 0, maxLength: 6 }).map((cs) => cs.join(''));

function bulks(r: Reply): string[] {
  assert.equal(r.t, 'array');
  return (r.v as Reply[]).map((x) => (x as { v: string }).v);
}

describe('glob: stringMatch matches Redis', () => {
  let redis: RunningServer;
  let c: RawClient;
  before(async () => {
    redis = await startRedis();
    c = await RawClient.connect(redis.port);
  });
  after(async () => {
    c.close();
    await redis.stop();
  });

  it('KEYS with random patterns on random key sets (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 25 }), fc.array(patternArb, { minLength: 1, maxLength: 8 }), async (keys, patterns) => {
        await c.send('FLUSHALL');
        await c.send('MSET', ...keys.flatMap((k) => [k, '1']));
        for (const p of patterns) {
          const expected = bulks((await c.send('KEYS', p)).reply).sort();
          const actual = keys.filter((k) => stringMatch(p, k)).sort();
          assert.deepEqual(actual, expected, `pattern ${JSON.stringify(p)} keys ${JSON.stringify(keys)}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hand-picked edge cases', async () => {
    const keys = ['', 'a', 'b', 'ab', 'a]', '-', ']', '^', '\\', 'a\\', '\xe9', 'A', 'abc', 'a*c', 'a?c', '[', '[a'];
    await c.send('FLUSHALL');
    await c.send('MSET', ...keys.flatMap((k) => [k, '1']));
    const patterns = ['**', '?', '\\', 'a\\', 'a\\\\', '[a-]]', '[]]', '[^]]', '[', '[a', '[\\]]', '[z-a]', '[\x01-\xff]', '[\xff-a]', '[^\xe9]', 'a\\*c', 'a[*?]c', '[\\', '*[', '*\\', '[^', '[^a', '[-]', '[a-', '[a-b'];
    for (const p of patterns) {
      const expected = bulks((await c.send('KEYS', p)).reply).sort();
      const actual = keys.filter((k) => stringMatch(p, k)).sort();
      assert.deepEqual(actual, expected, `pattern ${JSON.stringify(p)}`);
    }
  });

  it('nocase, through CONFIG GET (fast-check)', async () => {
    const names = bulks((await c.send('CONFIG', 'GET', '*')).reply).filter((_, i) => i % 2 === 0);
    const letters = ['a', 'M', 'x', 'E', '-', '*', '?', '[', ']', '^', 'Z', 'm'];
    // Patterns without * ? [ are exact lookups in CONFIG GET, not glob matches.
    const pat = fc
      .array(fc.constantFrom(...letters), { minLength: 1, maxLength: 8 })
      .map((cs) => cs.join(''))
      .filter((p) => /[*?[]/.test(p));
    await fc.assert(
      fc.asyncProperty(pat, async (p) => {
        const expected = bulks((await c.send('CONFIG', 'GET', p)).reply).filter((_, i) => i % 2 === 0).sort();
        const actual = names.filter((n) => stringMatch(p, n, true)).sort();
        assert.deepEqual(actual, expected, `pattern ${JSON.stringify(p)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('nocase quirks: ranges lowercase their bounds after ordering them', () => {
    assert.equal(stringMatch('HELLO', 'hello', true), true);
    assert.equal(stringMatch('[A-C]x', 'bX', true), true);
    // [Z-a] is 'Z'..'a' → lowercased to 'z'..'a': an empty range.
    assert.equal(stringMatch('[Z-a]', 'z', true), false);
    assert.equal(stringMatch('[Z-a]', '_', true), false);
    assert.equal(stringMatch('[Z-a]', '_', false), true);
    assert.equal(stringMatch('\xc9', '\xe9', true), false);
  });

  it('nested stars stay fast on a hostile pattern (skipLongerMatches)', async () => {
    const str = 'a'.repeat(5000);
    const pattern = '*a'.repeat(40) + '*b';
    // Without the guard this would take longer than the test's lifetime.
    assert.equal(stringMatch(pattern, str), false);
    assert.equal(stringMatch('a*'.repeat(30) + 'a', str), true);
    await c.send('FLUSHALL');
    await c.send('SET', str, '1');
    const r = await c.send('KEYS', pattern);
    assert.deepEqual(bulks(r.reply), []);
  });
});
