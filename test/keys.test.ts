import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/** Generic keyspace commands, compared byte for byte with Redis 7.0. */

function bulks(r: Reply): string[] {
  assert.equal(r.t, 'array');
  return (r.v as Reply[]).map((x) => (x as { v: string }).v);
}

/** Runs a whole SCAN iteration on one side; returns every key returned (with repeats). */
async function scanAll(send: (...a: string[]) => Promise<{ reply: Reply }>, ...opts: string[]): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const r = (await send('SCAN', cursor, ...opts)).reply;
    assert.equal(r.t, 'array');
    const [next, keys] = r.v as Reply[];
    cursor = (next as { v: string }).v;
    out.push(...bulks(keys));
  } while (cursor !== '0');
  return out;
}

async function scanBoth(t: Pair, ...opts: string[]): Promise<void> {
  const r = await scanAll((...a) => t.redis.send(...a), ...opts);
  const o = await scanAll((...a) => t.ours.send(...a), ...opts);
  assert.deepEqual([...new Set(o)].sort(), [...new Set(r)].sort(), `SCAN ${opts.join(' ')}`);
}

/**
 * Skips the running test unless stickynote implements `commands` (other type groups land
 * separately; these tests cover how generic commands treat their values).
 */
async function requires(t: Pair, ctx: TestContext, ...commands: string[]): Promise<boolean> {
  for (const cmd of commands) {
    const r = (await t.ours.send(cmd)).reply;
    if (r.t === 'error' && r.v.startsWith('ERR unknown command')) {
      ctx.skip(`${cmd} not implemented yet`);
      return false;
    }
  }
  return true;
}

const FAR = String(Date.now() + 10 * 365 * 86400_000);

describe('keys: generic keyspace commands match Redis', () => {
  const servers = differentialServers();

  it('DEL, UNLINK, EXISTS (counting duplicates), TYPE, TOUCH', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'a', '1');
    await t.do('SET', 'b', '2');
    await t.do('SET', 'c', '3');
    await t.do('EXISTS', 'a', 'a', 'nope', 'b');
    await t.do('EXISTS', 'nope');
    await t.do('TYPE', 'a');
    await t.do('TYPE', 'nope');
    await t.do('TOUCH', 'a', 'nope', 'b', 'a');
    await t.do('DEL', 'a', 'a', 'nope');
    await t.do('UNLINK', 'b', 'c', 'b');
    await t.do('DEL', 'a');
    await t.do('EXISTS', 'a', 'b', 'c');
    for (const cmd of ['DEL', 'UNLINK', 'EXISTS', 'TOUCH', 'TYPE']) await t.error(cmd);
    await t.error('TYPE', 'a', 'b');
  });

  // Small and large forms of each type, so each encoding Redis 7.0 reports shows up.
  const typed: [type: string, create: string[][]][] = [
    ['hash', [['HSET', 'h', 'f', 'v'], ['HSET', 'h2', 'f', 'x'.repeat(65)]]],
    ['list', [['RPUSH', 'l', 'x']]],
    ['set', [['SADD', 's', '1'], ['SADD', 's2', 'x']]],
    ['zset', [['ZADD', 'z', '1', 'm'], ['ZADD', 'z2', '1', 'x'.repeat(65)]]],
  ];
  for (const [type, creates] of typed) {
    it(`TYPE, OBJECT ENCODING and SCAN TYPE of a ${type}`, async (ctx) => {
      const t = await servers.pair();
      if (!(await requires(t, ctx, creates[0][0]))) return;
      await t.do('FLUSHALL');
      await t.do('SET', 'str', 'v');
      for (const args of creates) {
        await t.do(...args);
        await t.do('TYPE', args[1]);
        await t.do('OBJECT', 'ENCODING', args[1]);
        await t.do('OBJECT', 'REFCOUNT', args[1]);
      }
      await scanBoth(t, 'TYPE', type);
      await scanBoth(t, 'TYPE', type.toUpperCase(), 'COUNT', '1');
      await scanBoth(t, 'TYPE', 'string');
    });
  }

  it('KEYS with patterns', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const keys = ['', 'user:1', 'user:2', 'user:10', 'User:3', 'session:a', 'h*llo', 'hallo', 'hello', 'a[b', '\xe9t\xe9'];
    for (const k of keys) await t.do('SET', k, 'v');
    for (const p of ['*', '**', 'user:*', 'user:?', 'user:[0-9]*', '[uU]ser:*', 'h\\*llo', 'h[^e]llo', 'h?llo', 'a[b', 'a\\[b', '\xe9*', 'none*', '']) {
      await t.unordered('KEYS', p);
    }
    await t.error('KEYS');
    await t.error('KEYS', 'a', 'b');
  });

  it('SCAN: errors and option parsing', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    for (const cur of ['x', ' 1', '1 ', '+', '-', '0x1', '18446744073709551616', '1.5']) await t.error('SCAN', cur);
    for (const cur of ['0', '', '+0', '-0', '00']) await t.do('SCAN', cur);
    // strtoul reads a C string: a NUL byte ends the cursor ('\0x' is cursor 0, '0\0 x' too).
    for (const cur of ['\0\xff', '0\0 x']) await t.do('SCAN', cur, 'COUNT', '1000');
    await t.error('SCAN', 'x\0');
    await t.error('SCAN', '0', 'COUNT', '0');
    await t.error('SCAN', '0', 'COUNT', '-1');
    await t.error('SCAN', '0', 'COUNT', 'x');
    await t.error('SCAN', '0', 'COUNT', '99999999999999999999');
    await t.error('SCAN', 'x', 'COUNT', '0');
    await t.error('SCAN', '0', 'MATCH');
    await t.error('SCAN', '0', 'TYPE');
    await t.error('SCAN', '0', 'COUNT');
    await t.error('SCAN', '0', 'FOO', 'bar');
    await t.error('SCAN', '0', 'MATCH', '*', 'FOO');
    await t.error('SCAN');
    await t.do('SCAN', '0', 'match', 'k', 'count', '5', 'type', 'string');
    await t.do('SCAN', '0', 'MATCH', 'x', 'MATCH', 'k');
    await t.do('SCAN', '0', 'TYPE', 'nosuchtype');
  });

  it('SCAN: full iterations with MATCH, COUNT and TYPE return the same keys as Redis', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const keys = Array.from({ length: 500 }, (_, i) => `${i % 3 === 0 ? 'user' : 'item'}:${i}`);
    await t.do('MSET', ...keys.flatMap((k) => [k, 'v']));
    await t.do('SET', '', 'empty');
    await scanBoth(t);
    await scanBoth(t, 'COUNT', '1');
    await scanBoth(t, 'COUNT', '1000');
    await scanBoth(t, 'MATCH', 'user:*');
    await scanBoth(t, 'MATCH', '*');
    await scanBoth(t, 'MATCH', '**');
    await scanBoth(t, 'MATCH', 'item:1?', 'COUNT', '7');
    await scanBoth(t, 'TYPE', 'string', 'MATCH', 'user:4*');
    await scanBoth(t, 'TYPE', 'list');
  });

  it('SCAN guarantee: keys present for the whole iteration are returned, under churn', async () => {
    const t = await servers.pair();
    for (const side of [t.redis, t.ours]) {
      await side.send('FLUSHALL');
      const stable = Array.from({ length: 2000 }, (_, i) => `stable:${i}`);
      await side.send('MSET', ...stable.flatMap((k) => [k, 'v']));
      const seen = new Set<string>();
      let cursor = '0';
      let round = 0;
      do {
        const r = (await side.send('SCAN', cursor, 'COUNT', '25')).reply;
        const [next, keys] = (r as { v: Reply[] }).v;
        cursor = (next as { v: string }).v;
        for (const k of bulks(keys)) seen.add(k);
        // Churn between calls: add new keys (growing the table) and delete earlier temporary ones.
        const add = Array.from({ length: 60 }, (_, i) => `temp:${round}:${i}`);
        await side.send('MSET', ...add.flatMap((k) => [k, 'v']));
        if (round > 0) await side.send('DEL', ...Array.from({ length: 60 }, (_, i) => `temp:${round - 1}:${i}`));
        round++;
      } while (cursor !== '0');
      const missing = stable.filter((k) => !seen.has(k));
      assert.deepEqual(missing, [], `${side === t.redis ? 'redis' : 'stickynote'} missed keys`);
    }
  });

  it('RANDOMKEY', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RANDOMKEY');
    await t.do('SET', 'only', 'v');
    await t.do('RANDOMKEY');
    await t.do('SET', 'other', 'v');
    await t.check(['RANDOMKEY'], (r) => assert.ok(['only', 'other'].includes((r as { v: string }).v)));
    await t.error('RANDOMKEY', 'x');
  });

  it('RENAME and RENAMENX keep the TTL and overwrite like Redis', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.error('RENAME', 'nokey', 'b');
    await t.error('RENAMENX', 'nokey', 'b');
    await t.do('SET', 'a', 'va');
    await t.do('RENAME', 'a', 'a');
    await t.do('RENAMENX', 'a', 'a');
    await t.do('PEXPIREAT', 'a', FAR);
    await t.do('RENAME', 'a', 'b');
    await t.do('EXISTS', 'a');
    await t.do('GET', 'b');
    await t.do('PEXPIRETIME', 'b');
    await t.do('SET', 'c', 'vc');
    await t.do('PEXPIREAT', 'c', String(Number(FAR) + 1));
    await t.do('RENAME', 'b', 'c');
    await t.do('PEXPIRETIME', 'c');
    await t.do('SET', 'd', 'vd');
    await t.do('PEXPIREAT', 'd', FAR);
    await t.do('SET', 'e', 've');
    await t.do('RENAME', 'e', 'd');
    await t.do('PEXPIRETIME', 'd');
    await t.do('SET', 'f', 'vf');
    await t.do('RENAMENX', 'f', 'd');
    await t.do('GET', 'd');
    await t.do('RENAMENX', 'f', 'g');
    await t.do('GET', 'g');
    await t.do('EXISTS', 'f');
    await t.error('RENAME', 'a');
    await t.error('RENAMENX', 'a', 'b', 'c');
  });

  it('COPY with DB and REPLACE', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'src', 'v1');
    await t.do('PEXPIREAT', 'src', FAR);
    await t.do('COPY', 'src', 'dst');
    await t.do('GET', 'dst');
    await t.do('PEXPIRETIME', 'dst');
    await t.do('COPY', 'src', 'dst');
    await t.do('SET', 'src', 'v2');
    await t.do('COPY', 'src', 'dst', 'REPLACE');
    await t.do('GET', 'dst');
    await t.do('PTTL', 'dst');
    await t.do('COPY', 'nokey', 'dst');
    await t.do('COPY', 'src', 'src', 'DB', '1');
    await t.do('COPY', 'src', 'other', 'db', '2', 'replace', 'REPLACE');
    await t.do('SELECT', '2');
    await t.do('GET', 'other');
    await t.do('GET', 'src');
    await t.do('SELECT', '0');
    // The copy is independent of the original.
    await t.do('APPEND', 'raw', 'xyz');
    await t.do('COPY', 'raw', 'raw2');
    await t.do('APPEND', 'raw2', '!');
    await t.do('GET', 'raw');
    await t.do('GET', 'raw2');
    for (const bad of [
      ['src', 'src'],
      ['src', 'src', 'DB', '0'],
      ['src', 'x', 'DB'],
      ['src', 'x', 'DB', 'x'],
      ['src', 'x', 'DB', '16'],
      ['src', 'x', 'DB', '-1'],
      ['src', 'x', 'DB', '3000000000'],
      ['src', 'x', 'DB', '99', 'FOO'],
      ['src', 'x', 'FOO', 'DB', '99'],
      ['src', 'x', 'REPLACE', 'x'],
      ['src'],
    ]) {
      await t.error('COPY', ...bad);
    }
  });

  it('COPY of a container is a deep copy', async (ctx) => {
    const t = await servers.pair();
    if (!(await requires(t, ctx, 'RPUSH', 'LRANGE'))) return;
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'list', 'a', 'b');
    await t.do('COPY', 'list', 'list2');
    await t.do('RPUSH', 'list2', 'c');
    await t.do('LRANGE', 'list', '0', '-1');
    await t.do('LRANGE', 'list2', '0', '-1');
    await t.do('TYPE', 'list2');
  });

  it('MOVE between databases', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    await t.do('PEXPIREAT', 'k', FAR);
    await t.do('MOVE', 'k', '1');
    await t.do('EXISTS', 'k');
    await t.do('SELECT', '1');
    await t.do('GET', 'k');
    await t.do('PEXPIRETIME', 'k');
    await t.do('SET', 'k2', 'db1');
    await t.do('SELECT', '0');
    await t.do('SET', 'k2', 'db0');
    await t.do('MOVE', 'k2', '1');
    await t.do('MOVE', 'nokey', '1');
    await t.error('MOVE', 'k2', '0');
    await t.error('MOVE', 'k2', '16');
    await t.error('MOVE', 'k2', '-1');
    await t.error('MOVE', 'k2', 'x');
    await t.error('MOVE', 'k2', '3000000000');
    await t.error('MOVE', 'k2');
  });

  it('SWAPDB, DBSIZE, FLUSHDB, FLUSHALL', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'a', '0');
    await t.do('SET', 'b', '0');
    await t.do('SELECT', '3');
    await t.do('SET', 'c', '3');
    await t.do('DBSIZE');
    await t.do('SWAPDB', '0', '3');
    await t.do('DBSIZE');
    await t.unordered('KEYS', '*');
    await t.do('SWAPDB', '3', '3');
    await t.do('SELECT', '0');
    await t.do('GET', 'c');
    await t.error('SWAPDB', '0', 'x');
    await t.error('SWAPDB', 'x', '0');
    await t.error('SWAPDB', '3000000000', '0');
    await t.error('SWAPDB', '0', '-1');
    await t.error('SWAPDB', '0', '16');
    await t.error('SWAPDB', '0');
    await t.do('FLUSHDB');
    await t.do('DBSIZE');
    await t.do('SELECT', '3');
    await t.do('DBSIZE');
    await t.do('FLUSHDB', 'async');
    await t.do('SET', 'x', '1');
    await t.do('FLUSHDB', 'SYNC');
    await t.do('SET', 'x', '1');
    await t.do('FLUSHALL', 'ASYNC');
    await t.do('DBSIZE');
    await t.do('FLUSHALL', 'sync');
    await t.error('FLUSHDB', 'x');
    await t.error('FLUSHALL', 'x');
    await t.error('FLUSHALL', 'sync', 'x');
    await t.error('FLUSHDB', 'async', 'async');
    await t.error('DBSIZE', 'x');
    await t.do('SELECT', '0');
  });

  it('OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ, HELP', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const values = ['0', '9999', '10000', '-1', '01', ' 1', '1 ', '+1', '9223372036854775807', '9223372036854775808',
      '-9223372036854775808', '12345678901234567890', 'x'.repeat(44), 'x'.repeat(45), '', 'hello', '1.5'];
    for (const [i, v] of values.entries()) {
      await t.do('SET', `s${i}`, v);
      await t.do('OBJECT', 'ENCODING', `s${i}`);
      await t.do('OBJECT', 'REFCOUNT', `s${i}`);
    }
    await t.do('APPEND', 'app', '123');
    await t.do('APPEND', 'app', '4');
    await t.do('OBJECT', 'ENCODING', 'app');
    await t.do('OBJECT', 'ENCODING', 'nokey');
    await t.do('OBJECT', 'REFCOUNT', 'nokey');
    await t.do('OBJECT', 'IDLETIME', 'nokey');
    await t.do('OBJECT', 'FREQ', 'nokey');
    await t.do('SET', 'fresh', 'not-shared');
    // Both clocks tick in whole seconds: allow the tick to fall between the two commands.
    await t.check(['OBJECT', 'IDLETIME', 'fresh'], (r) => assert.ok(r.t === 'int' && Number(r.v) <= 1));
    await t.error('OBJECT', 'FREQ', 'fresh');
    await t.do('OBJECT', 'HELP');
    await t.do('object', 'help');
    await t.error('OBJECT');
    await t.error('OBJECT', 'HELP', 'x');
    await t.error('OBJECT', 'ENCODING');
    await t.error('OBJECT', 'ENCODING', 'a', 'b');
    await t.error('OBJECT', 'FOO', 'k');
    await t.error('OBJECT', 'FOO');
  });
});

describe('keys: keyspace hits and misses', () => {
  const servers = differentialServers();

  it('each command counts lookups as Redis does (INFO stats deltas)', async (ctx) => {
    const t = await servers.pair();
    if (!(await requires(t, ctx, 'INFO'))) return;
    await t.do('FLUSHALL');
    await t.do('SET', 'a', 'v');
    await t.do('SET', 'b', 'v');
    const counters = async (side: typeof t.redis) => {
      const info = String(((await side.send('INFO', 'stats')).reply as { v: string }).v);
      return ['keyspace_hits', 'keyspace_misses'].map((f) => Number(new RegExp(`${f}:(\\d+)`).exec(info)?.[1]));
    };
    const before = await Promise.all([counters(t.redis), counters(t.ours)]);
    const commands = [
      ['EXISTS', 'a', 'a', 'nope'], ['TYPE', 'a'], ['TYPE', 'nope'], ['TOUCH', 'a', 'nope'], ['TTL', 'a'], ['PTTL', 'nope'],
      ['EXPIRETIME', 'a'], ['PEXPIRETIME', 'a'], ['OBJECT', 'ENCODING', 'a'], ['OBJECT', 'REFCOUNT', 'nope'],
      ['COPY', 'a', 'c'], ['COPY', 'nope', 'c'], ['SCAN', '0', 'TYPE', 'string'], ['SCAN', '0', 'MATCH', 'a', 'TYPE', 'hash'],
      ['KEYS', '*'], ['SCAN', '0'], ['RANDOMKEY'], ['DBSIZE'], ['RENAME', 'c', 'd'], ['RENAMENX', 'd', 'a'], ['MOVE', 'd', '1'],
      ['EXPIRE', 'a', '100'], ['PERSIST', 'a'], ['DEL', 'nope'], ['UNLINK', 'b'],
    ];
    // Key order differs between the two tables: compare only order-independent replies.
    for (const cmd of commands) await (['SCAN', 'KEYS', 'RANDOMKEY'].includes(cmd[0]) ? t.both(...cmd) : t.do(...cmd));
    const after = await Promise.all([counters(t.redis), counters(t.ours)]);
    const delta = (i: 0 | 1) => after[i].map((n, j) => n - before[i][j]);
    assert.deepEqual(delta(1), delta(0), 'keyspace_hits, keyspace_misses');
  });
});

describe('keys: RESP3 replies', () => {
  const servers = differentialServers();

  it('nulls, arrays and statuses under HELLO 3', async () => {
    const t = await servers.pair();
    // HELLO's own reply names the server, so only the replies after it are compared.
    await t.both('HELLO', '3');
    await t.do('FLUSHALL');
    await t.do('RANDOMKEY');
    await t.do('OBJECT', 'ENCODING', 'nokey');
    await t.do('OBJECT', 'REFCOUNT', 'nokey');
    await t.do('SET', 'k', 'v');
    await t.do('KEYS', '*');
    await t.do('SCAN', '0');
    await t.do('TYPE', 'k');
    await t.do('OBJECT', 'HELP');
    await t.do('OBJECT', 'ENCODING', 'k');
    await t.do('TTL', 'k');
    await t.do('RENAME', 'k', 'k2');
    await t.error('RENAME', 'k', 'k2');
  });
});

describe('keys: OBJECT under an LFU policy', () => {
  const servers = differentialServers(['--maxmemory-policy', 'allkeys-lfu']);

  it('IDLETIME errors, FREQ answers', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'some value');
    await t.error('OBJECT', 'IDLETIME', 'k');
    await t.do('OBJECT', 'FREQ', 'k');
    await t.do('OBJECT', 'IDLETIME', 'nokey');
    await t.do('OBJECT', 'REFCOUNT', 'k');
  });
});

describe('keys: shared integers are not used with maxmemory and an LRU policy', () => {
  const servers = differentialServers(['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru']);

  it('REFCOUNT of small integers is 1', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', '5');
    await t.do('OBJECT', 'REFCOUNT', 'k');
    await t.do('OBJECT', 'ENCODING', 'k');
  });
});
