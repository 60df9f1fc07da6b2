import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/** Asserts PTTL of `key` lies in [lo, hi] ms on both servers (their clocks differ slightly). */
async function pttlWithin(t: Pair, key: string, lo: number, hi: number): Promise<void> {
  await t.check(['PTTL', key], (r, server) => {
    assert.equal(r.t, 'int', `${server}: PTTL ${key}`);
    const ms = Number((r as { v: string }).v);
    assert.ok(ms >= lo && ms <= hi, `${server}: PTTL ${key} = ${ms}, expected ${lo}..${hi}`);
  });
}

/** Every byte value once, in a shuffled-looking but fixed order. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 167 + 13) & 0xff));

const STRING_COMMANDS_ON_WRONG_TYPE: string[][] = [
  ['GET', 'list'],
  ['SET', 'list', 'v', 'GET'],
  ['GETSET', 'list', 'v'],
  ['GETDEL', 'list'],
  ['GETEX', 'list'],
  ['GETEX', 'list', 'EX', '10'],
  ['APPEND', 'list', 'x'],
  ['STRLEN', 'list'],
  ['GETRANGE', 'list', '0', '1'],
  ['SUBSTR', 'list', '0', '1'],
  ['SETRANGE', 'list', '0', 'x'],
  ['SETRANGE', 'list', '0', ''],
  ['INCR', 'list'],
  ['DECR', 'list'],
  ['INCRBY', 'list', '1'],
  ['DECRBY', 'list', '1'],
  ['INCRBYFLOAT', 'list', '1'],
  ['INCRBYFLOAT', 'list', 'x'],
  ['SETBIT', 'list', '1', '1'],
  ['GETBIT', 'list', '1'],
  ['BITCOUNT', 'list'],
  ['BITCOUNT', 'list', '0', '1', 'BIT'],
  ['BITPOS', 'list', '1'],
  ['BITOP', 'AND', 'dest', 'list'],
  ['BITOP', 'AND', 'dest', 'nokey', 'list'],
  ['LCS', 'list', 'nokey'],
  ['LCS', 'nokey', 'list', 'LEN'],
  ['LCS', 'list', 'a', 'foo'],
  ['BITFIELD', 'list', 'GET', 'u8', '0'],
  ['BITFIELD', 'list', 'SET', 'u8', '0', '1'],
  ['BITFIELD', 'list'],
  ['BITFIELD_RO', 'list', 'GET', 'u8', '0'],
  ['BITFIELD', 'list', 'GET', 'u64', '0'],
  ['MGET', 'a', 'list', 'a'],
  ['MSETNX', 'list', 'x'],
  ['BITOP', 'NOT', 'd', 'list', 'x'],
  ['BITOP', 'FOO', 'd', 'list'],
  // Expiry is validated before the GET, and GET before the NX/XX check.
  ['SET', 'list', 'v', 'GET', 'EX', '0'],
  ['SET', 'list', 'v', 'GET', 'EX', 'x'],
  ['SET', 'list', 'v', 'NX'],
  ['SET', 'list', 'v', 'NX', 'GET'],
  ['SETNX', 'list', 'v'],
  ['GETRANGE', 'list', 'x', '1'],
  ['SETRANGE', 'list', '-1', ''],
  ['INCRBY', 'list', 'x'],
  ['SETBIT', 'list', '1', '5'],
  ['GETBIT', 'list', '-1'],
  ['BITCOUNT', 'list', '0'],
  ['BITPOS', 'list', '3'],
  ['GETEX', 'list', 'EX', '0'],
  ['GET', 'list'],
  ['SET', 'list', 'v', 'XX'],
  ['GET', 'list'],
];

describe('strings: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('GET and SET: plain, binary-safe, empty and big values', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('GET', 'missing');
    await t.do('SET', 'k', 'v');
    await t.do('GET', 'k');
    await t.do('SET', 'k', '');
    await t.do('GET', 'k');
    await t.do('SET', 'bin', ALL_BYTES);
    await t.do('GET', 'bin');
    await t.do('STRLEN', 'bin');
    await t.do('SET', 'nul', Buffer.from([0, 0, 0, 10, 13]));
    await t.do('GET', 'nul');
    const big = Buffer.alloc(1024 * 1024 + 7, 'abc\x00\xff');
    await t.do('SET', 'big', big);
    await t.do('GET', 'big');
    await t.do('STRLEN', 'big');
    await t.do('SET', 'n', '12345');
    await t.do('GET', 'n');
    await t.error('GET');
    await t.error('GET', 'a', 'b');
    await t.error('SET', 'k');
  });

  it('SET options: NX, XX, GET, KEEPTTL and their syntax errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v1', 'NX');
    await t.do('SET', 'k', 'v2', 'NX');
    await t.do('GET', 'k');
    await t.do('SET', 'k', 'v3', 'XX');
    await t.do('SET', 'other', 'v', 'XX');
    await t.do('EXISTS', 'other');
    await t.do('SET', 'k', 'v4', 'GET');
    await t.do('SET', 'fresh', 'v', 'GET');
    await t.do('SET', 'k', 'v5', 'nx', 'get');
    await t.do('GET', 'k');
    await t.do('SET', 'k', 'v6', 'xx', 'GET', 'get');
    await t.do('SET', 'absent', 'v', 'XX', 'GET');
    await t.do('EXISTS', 'absent');
    await t.do('SET', 'k', 'v7', 'NX', 'NX');
    await t.do('SET', 'k', 'v8', 'XX', 'xx');
    await t.do('GET', 'k');
    for (const opts of [
      ['NX', 'XX'],
      ['XX', 'NX'],
      ['EX', '10', 'PX', '10'],
      ['PX', '10', 'EX', '10'],
      ['EX', '10', 'EXAT', '99999999999'],
      ['PXAT', '99999999999999', 'PX', '10'],
      ['EX', '10', 'KEEPTTL'],
      ['KEEPTTL', 'EX', '10'],
      ['KEEPTTL', 'PXAT', '1'],
      ['EX'],
      ['PX'],
      ['EXAT'],
      ['PXAT'],
      ['PERSIST'],
      ['foo'],
      ['GETX'],
      ['EX', '10', 'foo'],
      ['NX', 'KEEPTTL', 'bar'],
    ]) {
      await t.error('SET', 'k', 'bad', ...opts);
    }
    await t.do('GET', 'k');
    await t.do('SET', 'k', 'v9', 'EX', '100', 'EX', '200');
    await pttlWithin(t, 'k', 190_000, 200_000);
    await t.do('SET', 'k', 'v10', 'KEEPTTL', 'keepttl');
    await pttlWithin(t, 'k', 190_000, 200_000);
    await t.do('SET', 'k', 'v11');
    await t.do('PTTL', 'k');
  });

  it('SET expire options: EX PX EXAT PXAT, invalid times and overflow', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const nowSec = Math.floor(Date.now() / 1000);
    await t.do('SET', 'ex', 'v', 'EX', '100');
    await pttlWithin(t, 'ex', 98_000, 100_000);
    await t.do('SET', 'px', 'v', 'px', '50000');
    await pttlWithin(t, 'px', 48_000, 50_000);
    await t.do('SET', 'exat', 'v', 'EXAT', String(nowSec + 300));
    await pttlWithin(t, 'exat', 297_000, 301_000);
    await t.do('SET', 'pxat', 'v', 'PXAT', String(Date.now() + 400_000));
    await pttlWithin(t, 'pxat', 397_000, 401_000);
    await t.do('SET', 'far', 'v', 'EXAT', '9223372036854775');
    // Far-future times are kept as doubles (1024 ms resolution near 2^63): compare loosely.
    // Exact arithmetic here: 9223372036854775 is beyond 2^53, so Number() would add its own rounding.
    const farTtl = 9223372036854775n - BigInt(Math.floor(Date.now() / 1000));
    await t.check(['TTL', 'far'], (r) => {
      const diff = BigInt((r as { v: string }).v) - farTtl;
      assert.ok(diff >= -3n && diff <= 3n, `TTL off by ${diff}`);
    });
    await t.do('SET', 'far2', 'v', 'PXAT', '9223372036854775807');
    await t.do('EXISTS', 'far2');
    // An absolute time in the past: the key is written and then found expired.
    await t.do('SET', 'past', 'v', 'EXAT', '1');
    await t.do('GET', 'past');
    await t.do('SET', 'past2', 'v', 'PXAT', '1', 'GET');
    await t.do('EXISTS', 'past2');
    for (const [opt, value] of [
      ['EX', '0'],
      ['EX', '-1'],
      ['PX', '0'],
      ['PX', '-100'],
      ['EXAT', '0'],
      ['PXAT', '-1'],
      ['EX', '9223372036854775'],
      ['EX', '9223372036854776'],
      ['EX', '9223372036854775807'],
      ['PX', '9223372036854775807'],
      ['PX', '9223372036854775000'],
      ['EXAT', '9223372036854776'],
      ['EX', 'abc'],
      ['PX', '1.5'],
      ['EX', ' 10'],
      ['EX', '010'],
      ['EX', '99999999999999999999'],
      ['EX', ''],
    ]) {
      await t.error('SET', 'bad', 'v', opt, value);
    }
    await t.do('EXISTS', 'bad');
  });

  it('SETNX, SETEX, PSETEX, GETSET, GETDEL', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SETNX', 'k', 'a');
    await t.do('SETNX', 'k', 'b');
    await t.do('GET', 'k');
    await t.error('SETNX', 'k');
    await t.do('SETEX', 'k', '100', 'v');
    await pttlWithin(t, 'k', 98_000, 100_000);
    await t.do('SETNX', 'k', 'c');
    await t.do('PSETEX', 'p', '100000', 'v');
    await pttlWithin(t, 'p', 98_000, 100_000);
    for (const bad of ['0', '-5', 'x', '1.5', '9223372036854775807', '', '9223372036854775808']) {
      await t.error('SETEX', 'bad', bad, 'v');
      await t.error('PSETEX', 'bad', bad, 'v');
    }
    await t.error('SETEX', 'bad', '9223372036854775', 'v');
    await t.do('PSETEX', 'bad', '9223372036854775', 'v');
    await t.do('TTL', 'bad');
    await t.error('SETEX', 'k', '10');
    await t.error('PSETEX', 'k', '10');
    await t.do('GETSET', 'k', 'new');
    await t.do('PTTL', 'k'); // GETSET drops the TTL
    await t.do('GETSET', 'none', 'first');
    await t.do('GET', 'none');
    await t.error('GETSET', 'k');
    await t.do('GETDEL', 'k');
    await t.do('GETDEL', 'k');
    await t.do('EXISTS', 'k');
    await t.error('GETDEL');
    await t.error('GETDEL', 'a', 'b');
  });

  it('GETEX: EX PX EXAT PXAT PERSIST and errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    await t.do('GETEX', 'k');
    await t.do('PTTL', 'k');
    await t.do('GETEX', 'k', 'EX', '100');
    await pttlWithin(t, 'k', 98_000, 100_000);
    await t.do('GETEX', 'k', 'PX', '50000');
    await pttlWithin(t, 'k', 48_000, 50_000);
    await t.do('GETEX', 'k', 'EXAT', String(Math.floor(Date.now() / 1000) + 200));
    await pttlWithin(t, 'k', 197_000, 201_000);
    await t.do('GETEX', 'k', 'PXAT', String(Date.now() + 300_000));
    await pttlWithin(t, 'k', 297_000, 301_000);
    await t.do('GETEX', 'k', 'PERSIST');
    await t.do('PTTL', 'k');
    await t.do('GETEX', 'k', 'persist');
    await t.do('GETEX', 'k', 'EX', '10', 'EX', '20');
    await pttlWithin(t, 'k', 18_000, 20_000);
    // An absolute time already past deletes the key after replying with its value.
    await t.do('GETEX', 'k', 'EXAT', '1');
    await t.do('EXISTS', 'k');
    await t.do('DBSIZE');
    await t.do('SET', 'k2', 'v2');
    await t.do('GETEX', 'k2', 'PXAT', '1');
    await t.do('EXISTS', 'k2');
    // A missing key answers null even when the expiry is invalid.
    await t.do('GETEX', 'missing', 'EX', '0');
    await t.do('GETEX', 'missing', 'EX', 'x');
    await t.do('SET', 'k', 'v');
    for (const opts of [
      ['EX', '0'],
      ['PX', '-1'],
      ['EXAT', '0'],
      ['EX', '9223372036854775'],
      ['PX', '9223372036854775807'],
      ['EX', 'x'],
    ]) {
      await t.error('GETEX', 'k', ...opts);
    }
    for (const opts of [
      ['NX'],
      ['XX'],
      ['GET'],
      ['KEEPTTL'],
      ['EX'],
      ['PERSIST', 'EX', '10'],
      ['EX', '10', 'PERSIST'],
      ['EX', '10', 'PX', '10'],
      ['foo'],
    ]) {
      await t.error('GETEX', 'k', ...opts);
      await t.error('GETEX', 'missing', ...opts);
    }
    await t.do('GET', 'k');
    await t.do('PTTL', 'k');
    await t.error('GETEX');
  });

  it('MGET, MSET, MSETNX', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('MSET', 'a', '1', 'b', ALL_BYTES, 'c', '');
    await t.do('MGET', 'a', 'b', 'c', 'missing');
    await t.do('MSET', 'a', 'x', 'a', 'y');
    await t.do('GET', 'a');
    await t.error('MSET', 'a', '1', 'b');
    await t.error('MSET', 'a');
    await t.error('MSET');
    await t.error('MGET');
    await t.do('SETEX', 'a', '100', 'v');
    await t.do('MSET', 'a', 'z');
    await t.do('PTTL', 'a');
    await t.do('MSETNX', 'n1', '1', 'n2', '2');
    await t.do('MSETNX', 'n2', 'x', 'n3', '3');
    await t.do('MGET', 'n1', 'n2', 'n3');
    await t.do('MSETNX', 'n4', 'a', 'n4', 'b');
    await t.do('GET', 'n4');
    await t.error('MSETNX', 'a', '1', 'b');
    await t.error('MSETNX', 'a');
  });

  it('APPEND and STRLEN, repeated appends and binary data', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('APPEND', 'k', 'hello');
    await t.do('APPEND', 'k', ' world');
    await t.do('GET', 'k');
    await t.do('APPEND', 'k', '');
    await t.do('APPEND', 'empty', '');
    await t.do('EXISTS', 'empty');
    await t.do('STRLEN', 'empty');
    await t.do('SET', 'n', '100');
    await t.do('APPEND', 'n', '5');
    await t.do('INCR', 'n');
    for (let i = 0; i < 300; i++) await t.do('APPEND', 'many', ALL_BYTES.subarray(i % 256, (i % 256) + 3));
    await t.do('GET', 'many');
    await t.do('STRLEN', 'many');
    await t.do('SETEX', 'ttl', '100', 'a');
    await t.do('APPEND', 'ttl', 'b');
    await pttlWithin(t, 'ttl', 98_000, 100_000);
    await t.do('STRLEN', 'missing');
    await t.do('STRLEN', 'k');
    await t.error('APPEND', 'k');
    await t.error('STRLEN');
  });

  it('GETRANGE and SUBSTR index arithmetic', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 's', 'Hello, World');
    await t.do('SET', 'e', '');
    await t.do('SET', 'n', '1234567');
    await t.do('SETRANGE', 'raw', '0', 'raw-string');
    const idx = ['0', '1', '3', '-1', '-3', '-5', '-100', '100', '11', '12', '9223372036854775807', '-9223372036854775808'];
    for (const key of ['s', 'e', 'n', 'raw', 'missing']) {
      for (const a of idx) for (const b of idx) await t.do('GETRANGE', key, a, b);
    }
    await t.do('SUBSTR', 's', '2', '4');
    await t.do('SUBSTR', 'missing', '0', '-1');
    await t.error('GETRANGE', 's', 'x', '1');
    await t.error('GETRANGE', 's', '1', '1.5');
    await t.error('GETRANGE', 'missing', '1', 'y');
    await t.error('GETRANGE', 's', '9223372036854775808', '1');
    await t.error('GETRANGE', 's', '0');
    await t.error('SUBSTR', 's', '0');
    await t.do('SET', 'bin', ALL_BYTES);
    await t.do('GETRANGE', 'bin', '10', '200');
    await t.do('GETRANGE', 'bin', '-20', '-1');
  });

  it('SETRANGE: padding, growth, empty values and errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SETRANGE', 'k', '5', 'abc');
    await t.do('GET', 'k');
    await t.do('SETRANGE', 'k', '0', 'XY');
    await t.do('SETRANGE', 'k', '7', 'tail-that-grows');
    await t.do('GET', 'k');
    await t.do('SETRANGE', 'k', '1', '');
    await t.do('SETRANGE', 'k', '100', '');
    await t.do('STRLEN', 'k');
    await t.do('SETRANGE', 'missing', '10', '');
    await t.do('EXISTS', 'missing');
    await t.do('SETRANGE', 'missing', '0', '');
    await t.do('SET', 'n', '12345');
    await t.do('SETRANGE', 'n', '1', '9');
    await t.do('INCR', 'n');
    await t.do('SETRANGE', 'bin', '3', ALL_BYTES);
    await t.do('GET', 'bin');
    await t.do('SETEX', 'ttl', '100', 'abc');
    await t.do('SETRANGE', 'ttl', '1', 'Z');
    await pttlWithin(t, 'ttl', 98_000, 100_000);
    await t.error('SETRANGE', 'k', '-1', 'x');
    await t.error('SETRANGE', 'k', 'x', 'x');
    await t.error('SETRANGE', 'k', '1.0', 'x');
    await t.error('SETRANGE', 'k', '9223372036854775807', 'x');
    await t.error('SETRANGE', 'k', '536870912', 'x');
    await t.error('SETRANGE', 'missing', '536870912', 'x');
    await t.error('SETRANGE', 'missing', '-1', '');
    await t.error('SETRANGE', 'k', '1');
    await t.do('GET', 'k');
  });

  it('INCR, DECR, INCRBY, DECRBY over the int64 range', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('INCR', 'c');
    await t.do('INCR', 'c');
    await t.do('DECR', 'c');
    await t.do('DECR', 'd');
    await t.do('INCRBY', 'c', '100');
    await t.do('INCRBY', 'c', '-1000');
    await t.do('DECRBY', 'c', '-7');
    await t.do('DECRBY', 'c', '7');
    await t.do('GET', 'c');
    const edges = [
      '9223372036854775807',
      '9223372036854775806',
      '-9223372036854775808',
      '-9223372036854775807',
      '9007199254740991',
      '9007199254740992',
      '9007199254740993',
      '-9007199254740993',
      '999999999999999',
      '1000000000000000',
      '0',
      '-1',
    ];
    for (const start of edges) {
      for (const by of ['1', '-1', '2', '9223372036854775807', '-9223372036854775808', '9007199254740993', '-5']) {
        await t.do('SET', 'e', start);
        await t.do('INCRBY', 'e', by);
        await t.do('GET', 'e');
        await t.do('SET', 'e', start);
        await t.do('DECRBY', 'e', by);
        await t.do('GET', 'e');
      }
      await t.do('SET', 'e', start);
      await t.do('INCR', 'e');
      await t.do('SET', 'e', start);
      await t.do('DECR', 'e');
    }
    for (const bad of ['', ' 1', '1 ', '+1', '01', '-0', '1.0', '1e3', 'abc', '9223372036854775808', '-9223372036854775809', '0x10']) {
      await t.do('SET', 'bad', bad);
      await t.error('INCR', 'bad');
      await t.error('INCRBY', 'bad', '1');
      await t.error('DECR', 'bad');
      await t.error('INCRBY', 'c', bad);
      await t.error('DECRBY', 'c', bad);
    }
    await t.error('DECRBY', 'c', '-9223372036854775808');
    await t.do('SET', 'long', '1'.repeat(30));
    await t.error('INCR', 'long');
    await t.do('SETEX', 'ttl', '100', '5');
    await t.do('INCR', 'ttl');
    await pttlWithin(t, 'ttl', 98_000, 100_000);
    await t.do('APPEND', 'raw', '41');
    await t.do('INCR', 'raw');
    await t.do('SETRANGE', 'raw2', '0', '99');
    await t.do('INCRBY', 'raw2', '1');
    await t.do('GET', 'raw2');
    await t.error('INCR');
    await t.error('INCRBY', 'c');
    await t.error('DECRBY', 'c', '1', '2');
  });

  it('INCRBYFLOAT: long double arithmetic and %.17Lf formatting', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const cases: [string, string][] = [
      ['10.5', '0.1'],
      ['0.1', '0.2'],
      ['0', '1e308'],
      ['1e308', '1e308'],
      ['0', '1e400'],
      ['0', '-1e4000'],
      ['1e4932', '1e4932'],
      ['0', '1.18973149535723176502e+4932'],
      ['-0', '-0'],
      ['-0', '0'],
      ['0', '-0'],
      ['5.0e3', '0'],
      ['0', '3.0000000000000001'],
      ['3', '0.0000000000000001'],
      ['1', '-1'],
      ['1e-20', '-2e-20'],
      ['0', '0.000003814697265625'],
      ['0', '0.000003814697265626'],
      ['0', '0.00000000000000001'],
      ['0', '0.000000000000000015'],
      ['0', '0.000000000000000005'],
      ['0', '0.000000000000000025'],
      ['0', '-0.000000000000000025'],
      ['0', '1e-4940'],
      ['0', '1e-4950'],
      ['0', '1e-5000'],
      ['0', '1e5000'],
      ['0', '123456789012345678901234567890'],
      ['9223372036854775807', '1'],
      ['-9223372036854775808', '-1'],
      ['18446744073709551615', '1'],
      ['9007199254740993', '0'],
      ['0', '0x10'],
      ['0', '0x1.8p1'],
      ['0', '-0X.8P-3'],
      ['0', '0x1p-16445'],
      ['0', '0x1p-16446'],
      ['0', '0xffffffffffffffffffp0'],
      ['0', '0x'],
      ['0', '0x1p'],
      ['0', '.5'],
      ['0', '5.'],
      ['0', '+5'],
      ['0', '.'],
      ['0', '-'],
      ['0', 'e5'],
      ['0', '1e'],
      ['0', '1e+'],
      ['0', '1E+2'],
      ['0', ' 1'],
      ['0', '1 '],
      ['0', '\t1'],
      ['0', '1\x00junk'],
      ['1\x00', '1'],
      ['0', '1\x00'],
      ['0', 'abc'],
      ['0', ''],
      ['0', 'inf'],
      ['0', '-Infinity'],
      ['0', 'infinit'],
      ['0', 'nan'],
      ['0', 'NaN(1)'],
      ['inf', '1'],
      ['inf', '-inf'],
      ['nan', '1'],
      ['1.5x', '1'],
      ['  2', '1'],
      ['0', '1'.repeat(5119)],
      ['0', '1'.repeat(5120)],
      ['0', '0.' + '0'.repeat(5000) + '1'],
      ['0.1', '0.1'],
      ['1.1', '2.2'],
      ['100', '-99.99'],
      ['-1.5', '0.5'],
      ['2.5', '-5'],
      ['1234567.891', '0.009'],
      ['0.3333333333333333', '0.3333333333333333'],
      ['1e20', '1'],
      ['1e21', '0.5'],
      ['12345678901234567890', '0.1'],
    ];
    for (const [start, by] of cases) {
      await t.do('SET', 'f', start);
      await t.do('INCRBYFLOAT', 'f', by);
      await t.do('GET', 'f');
    }
    await t.do('DEL', 'f');
    await t.do('INCRBYFLOAT', 'f', '1.5');
    await t.do('INCRBYFLOAT', 'f', '1.5');
    await t.do('INCRBYFLOAT', 'f', '-3');
    await t.do('SETEX', 'ttl', '100', '1.5');
    await t.do('INCRBYFLOAT', 'ttl', '1');
    await pttlWithin(t, 'ttl', 98_000, 100_000);
    await t.do('SETRANGE', 'raw', '0', '2.25');
    await t.do('INCRBYFLOAT', 'raw', '0.5');
    await t.do('SET', 'long', '1'.repeat(6000));
    await t.error('INCRBYFLOAT', 'long', '1');
    await t.error('INCRBYFLOAT', 'f');
  });

  it('MEMORY USAGE follows sds growth as Redis does it: APPEND, SETRANGE, SETBIT, BITOP, COPY', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const usage = (k: string) => t.do('MEMORY', 'USAGE', k);
    await t.do('SET', 'e', 'ab');
    for (let i = 0; i < 3; i++) {
      await t.do('APPEND', 'e', '5');
      await usage('e');
    }
    await t.do('SET', 'f', 'hello');
    for (let i = 0; i < 8; i++) {
      await t.do('APPEND', 'f', '0123456789');
      await usage('f');
    }
    // A raw value as SET stores it (trimmed when more than 10% is free), then edited in place.
    for (const len of [45, 50, 60, 100, 300]) {
      await t.do('SET', 'g', 'g'.repeat(len));
      await t.do('APPEND', 'g', 'x');
      await usage('g');
      await t.do('APPEND', 'g', 'y'.repeat(len));
      await usage('g');
    }
    for (const [at, v] of [['10', 'abc'], ['40', 'x'], ['300', 'y'], ['2', 'zz']]) {
      await t.do('SETRANGE', 'h', at, v);
      await usage('h');
    }
    for (const bit of ['7', '300', '3000', '5']) {
      await t.do('SETBIT', 'b', bit, '1');
      await usage('b');
    }
    await t.do('SET', 'n', '10');
    await t.do('APPEND', 'n', '5');
    await usage('n');
    await t.do('APPEND', 'new', 'abc');
    await usage('new');
    await t.do('APPEND', 'new', 'd');
    await usage('new');
    await t.do('COPY', 'f', 'f2');
    await usage('f2');
    await t.do('BITOP', 'OR', 'bo', 'b', 'h');
    await usage('bo');
  });

  it('INCRBYFLOAT stores an embstr, even when the result looks like an integer; editing it makes it raw', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const [start, by] of [['10', '1'], ['10', '0.5'], ['-3', '3'], ['1.5', '1.5'], ['9007199254740993', '0']]) {
      await t.do('SET', 'e', start);
      await t.do('INCRBYFLOAT', 'e', by);
      await t.do('OBJECT', 'ENCODING', 'e');
      await t.do('MEMORY', 'USAGE', 'e');
      await t.do('OBJECT', 'REFCOUNT', 'e');
    }
    await t.do('SET', 'e', '10');
    await t.do('INCRBYFLOAT', 'e', '1');
    await t.do('COPY', 'e', 'copy');
    await t.do('OBJECT', 'ENCODING', 'copy');
    await t.do('MEMORY', 'USAGE', 'copy');
    await t.do('INCR', 'copy');
    await t.do('OBJECT', 'ENCODING', 'copy');
    await t.do('APPEND', 'e', '5');
    await t.do('OBJECT', 'ENCODING', 'e');
    await t.do('GET', 'e');
    await t.do('SET', 'e', '10');
    await t.do('INCRBYFLOAT', 'e', '1');
    await t.do('SETRANGE', 'e', '0', '7');
    await t.do('OBJECT', 'ENCODING', 'e');
    await t.do('GET', 'e');
  });

  it('LCS: plain, LEN, IDX, MINMATCHLEN, WITHMATCHLEN, errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('MSET', 'a', 'ohmytext', 'b', 'mynewtext', 'x', 'ABCBDAB', 'y', 'BDCABA', 'e', '');
    await t.do('LCS', 'a', 'b');
    await t.do('LCS', 'a', 'b', 'LEN');
    await t.do('LCS', 'a', 'b', 'IDX');
    await t.do('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN');
    await t.do('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4');
    await t.do('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN');
    await t.do('LCS', 'a', 'b', 'idx', 'minmatchlen', '-3', 'withmatchlen');
    await t.do('LCS', 'a', 'b', 'MINMATCHLEN', '2');
    await t.do('LCS', 'x', 'y');
    await t.do('LCS', 'x', 'y', 'IDX', 'WITHMATCHLEN');
    await t.do('LCS', 'y', 'x', 'IDX');
    await t.do('LCS', 'a', 'missing');
    await t.do('LCS', 'missing', 'b', 'IDX');
    await t.do('LCS', 'e', 'a', 'LEN');
    await t.do('LCS', 'a', 'a', 'IDX', 'WITHMATCHLEN');
    await t.do('SET', 'bin1', ALL_BYTES);
    await t.do('SET', 'bin2', Buffer.from([...ALL_BYTES].reverse()));
    await t.do('LCS', 'bin1', 'bin2');
    await t.do('LCS', 'bin1', 'bin2', 'IDX', 'WITHMATCHLEN');
    await t.error('LCS', 'a', 'b', 'LEN', 'IDX');
    await t.error('LCS', 'a', 'b', 'MINMATCHLEN');
    await t.error('LCS', 'a', 'b', 'MINMATCHLEN', 'x');
    await t.error('LCS', 'a', 'b', 'foo');
    await t.error('LCS', 'a');
  });

  it('SETBIT and GETBIT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SETBIT', 'b', '7', '1');
    await t.do('GET', 'b');
    await t.do('SETBIT', 'b', '7', '1');
    await t.do('SETBIT', 'b', '7', '0');
    await t.do('SETBIT', 'b', '100', '1');
    await t.do('GET', 'b');
    for (const off of ['0', '7', '99', '100', '101', '1000', '4294967295']) await t.do('GETBIT', 'b', off);
    await t.do('GETBIT', 'missing', '5');
    await t.do('SET', 's', 'A1');
    for (let i = 0; i < 20; i++) await t.do('GETBIT', 's', String(i));
    await t.do('SETBIT', 's', '6', '1');
    await t.do('GET', 's');
    for (let i = 0; i < 200; i += 3) await t.do('SETBIT', 'many', String(i * 7), String(i % 2));
    await t.do('GET', 'many');
    await t.do('SETEX', 'ttl', '100', 'a');
    await t.do('SETBIT', 'ttl', '0', '1');
    await pttlWithin(t, 'ttl', 98_000, 100_000);
    for (const bad of ['-1', 'x', '1.5', '4294967296', '9223372036854775807', '']) {
      await t.error('SETBIT', 'b', bad, '1');
      await t.error('GETBIT', 'b', bad);
      await t.error('GETBIT', 'missing', bad);
    }
    for (const bad of ['2', '-1', 'x', '', '01']) await t.error('SETBIT', 'b', '1', bad);
    await t.error('SETBIT', 'b', '1');
    await t.error('GETBIT', 'b');
  });

  it('BITCOUNT with BYTE and BIT ranges', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 's', 'foobar');
    await t.do('SET', 'bin', ALL_BYTES);
    await t.do('SET', 'e', '');
    await t.do('SETBIT', 'raw', '77', '1');
    await t.do('BITCOUNT', 'missing');
    await t.do('BITCOUNT', 'missing', 'x', 'y');
    const idx = ['0', '1', '2', '5', '7', '8', '15', '-1', '-2', '-8', '-9', '-100', '100', '47', '48'];
    for (const key of ['s', 'bin', 'e', 'raw']) {
      await t.do('BITCOUNT', key);
      for (const a of idx) {
        for (const b of idx) {
          await t.do('BITCOUNT', key, a, b);
          await t.do('BITCOUNT', key, a, b, 'BIT');
          await t.do('BITCOUNT', key, a, b, 'byte');
        }
      }
    }
    await t.error('BITCOUNT', 's', '0');
    await t.error('BITCOUNT', 's', '0', '1', 'BITS');
    await t.error('BITCOUNT', 's', '0', '1', 'BIT', 'x');
    await t.error('BITCOUNT', 's', 'x', '1');
    await t.error('BITCOUNT', 's', '0', 'y');
    await t.do('BITCOUNT', 's', '-1', '-2', 'bogus');
    await t.error('BITCOUNT');
  });

  it('BITPOS with BYTE and BIT ranges', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'ones', Buffer.from([0xff, 0xff, 0xff]));
    await t.do('SET', 'zeros', Buffer.from([0, 0, 0]));
    await t.do('SET', 'mix', Buffer.from([0xff, 0xf0, 0x00, 0x0f, 0x80]));
    await t.do('SET', 'bin', ALL_BYTES);
    await t.do('SET', 'e', '');
    await t.do('SETBIT', 'raw', '33', '1');
    await t.do('BITPOS', 'missing', '1');
    await t.do('BITPOS', 'missing', '0');
    await t.do('BITPOS', 'missing', '0', 'x');
    const idx = ['0', '1', '2', '3', '4', '7', '8', '9', '15', '16', '23', '-1', '-2', '-9', '-100', '100'];
    for (const key of ['ones', 'zeros', 'mix', 'bin', 'e', 'raw']) {
      for (const bit of ['0', '1']) {
        await t.do('BITPOS', key, bit);
        for (const a of idx) {
          await t.do('BITPOS', key, bit, a);
          await t.do('BITPOS', key, bit, a, '-1', 'BIT');
          for (const b of idx) {
            await t.do('BITPOS', key, bit, a, b);
            await t.do('BITPOS', key, bit, a, b, 'BIT');
            await t.do('BITPOS', key, bit, a, b, 'BYTE');
          }
        }
      }
    }
    for (const bad of ['2', '-1', 'x', '']) await t.error('BITPOS', 'mix', bad);
    await t.error('BITPOS', 'missing', '2');
    await t.error('BITPOS', 'mix', '1', 'x');
    await t.error('BITPOS', 'mix', '1', '0', 'y');
    await t.error('BITPOS', 'mix', '1', '0', '1', 'BITS');
    await t.error('BITPOS', 'mix', '1', '0', '1', 'BIT', 'x');
    await t.error('BITPOS', 'mix');
  });

  it('BITOP AND OR XOR NOT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'a', Buffer.from([0xf0, 0x0f, 0xaa, 0x55, 1]));
    await t.do('SET', 'b', Buffer.from([0xff, 0x00, 0x0f]));
    await t.do('SET', 'c', ALL_BYTES);
    await t.do('SET', 'e', '');
    for (const op of ['AND', 'or', 'Xor']) {
      await t.do('BITOP', op, 'd', 'a', 'b');
      await t.do('GET', 'd');
      await t.do('BITOP', op, 'd', 'a', 'b', 'c', 'missing');
      await t.do('GET', 'd');
      await t.do('BITOP', op, 'd', 'c');
      await t.do('GET', 'd');
      await t.do('BITOP', op, 'd', 'missing', 'e');
      await t.do('EXISTS', 'd');
      await t.do('BITOP', op, 'a2', 'a', 'a');
      await t.do('GET', 'a2');
    }
    await t.do('BITOP', 'NOT', 'd', 'c');
    await t.do('GET', 'd');
    await t.do('BITOP', 'not', 'd', 'a');
    await t.do('GET', 'd');
    await t.do('BITOP', 'NOT', 'd', 'missing');
    await t.do('EXISTS', 'd');
    await t.do('SETEX', 'ttl', '100', 'x');
    await t.do('BITOP', 'OR', 'ttl', 'a');
    await t.do('PTTL', 'ttl');
    await t.do('BITOP', 'AND', 'a', 'a', 'b');
    await t.do('GET', 'a');
    await t.error('BITOP', 'NOT', 'd', 'a', 'b');
    await t.error('BITOP', 'NAND', 'd', 'a');
    await t.error('BITOP', 'AND', 'd');
  });

  it('BITFIELD and BITFIELD_RO: types, offsets, overflow modes', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('BITFIELD', 'bf', 'SET', 'u8', '0', '-1', 'GET', 'u8', '0', 'OVERFLOW', 'SAT', 'SET', 'u8', '8', '-1', 'GET', 'u8', '8');
    await t.do('BITFIELD', 'bf', 'OVERFLOW', 'FAIL', 'INCRBY', 'i8', '16', '200', 'INCRBY', 'i8', '16', '100', 'INCRBY', 'i8', '16', '100');
    await t.do('BITFIELD', 'bf', 'GET', 'i64', '0', 'GET', 'u63', '0', 'GET', 'i5', '3', 'GET', 'u1', '100000');
    await t.do('BITFIELD', 'bf', 'set', 'i64', '#1', '-9223372036854775808', 'incrby', 'i64', '#1', '-1', 'overflow', 'wrap', 'incrby', 'i64', '#1', '-1');
    await t.do('GET', 'bf');
    for (const mode of ['WRAP', 'SAT', 'FAIL']) {
      for (const [type, start, by] of [
        ['u4', '3', '20'],
        ['u4', '3', '-20'],
        ['i4', '3', '20'],
        ['i4', '-3', '-20'],
        ['i64', '9223372036854775807', '1'],
        ['i64', '-9223372036854775808', '-9223372036854775808'],
        ['u63', '9223372036854775807', '1'],
        ['u63', '5', '-9223372036854775808'],
        ['i1', '0', '1'],
        ['u1', '1', '1'],
        ['i7', '100', '-300'],
      ]) {
        await t.do('DEL', 'o');
        await t.do('BITFIELD', 'o', 'OVERFLOW', mode, 'SET', type, '5', start, 'INCRBY', type, '5', by, 'GET', type, '5');
        await t.do('BITFIELD', 'o', 'OVERFLOW', mode, 'SET', type, '#3', by, 'GET', type, '#3');
        await t.do('GET', 'o');
      }
    }
    await t.do('SET', 's', 'hello');
    await t.do('BITFIELD', 's', 'GET', 'u8', '0', 'GET', 'i16', '#1', 'GET', 'u32', '20', 'INCRBY', 'u2', '100', '1', 'GET', 'u2', '100');
    await t.do('GET', 's');
    await t.do('BITFIELD', 'missing', 'GET', 'u8', '0');
    await t.do('EXISTS', 'missing');
    await t.do('BITFIELD', 's');
    await t.do('BITFIELD_RO', 's', 'GET', 'u8', '#2', 'GET', 'i3', '1');
    await t.do('BITFIELD_RO', 'missing', 'GET', 'i64', '0');
    await t.error('BITFIELD_RO', 's', 'GET', 'u8', '0', 'SET', 'u8', '0', '1');
    await t.error('BITFIELD_RO', 's', 'INCRBY', 'u8', '0', '1');
    for (const bad of [
      ['GET', 'u64', '0'],
      ['GET', 'i65', '0'],
      ['GET', 'i0', '0'],
      ['GET', 'I8', '0'],
      ['GET', 'x8', '0'],
      ['GET', 'u', '0'],
      ['GET', 'u8'],
      ['GET', 'u8', '-1'],
      ['GET', 'u8', 'x'],
      ['GET', 'u8', '#x'],
      ['GET', 'u8', '#'],
      ['GET', 'u8', '#-1'],
      ['GET', 'u8', '4294967296'],
      ['SET', 'u8', '0'],
      ['SET', 'u8', '0', 'x'],
      ['INCRBY', 'u8', '0', '1.5'],
      ['OVERFLOW'],
      ['OVERFLOW', 'foo'],
      ['FOO'],
      ['GET', 'u8', '0', 'BAR'],
    ]) {
      await t.error('BITFIELD', 's', ...bad);
    }
    await t.do('GET', 's');
    await t.error('BITFIELD');
    await t.error('BITFIELD_RO');
  });

  it('every command rejects a key of the wrong type, and arity errors match', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'a', 'ohmytext');
    await t.do('RPUSH', 'list', 'x');
    for (const cmd of STRING_COMMANDS_ON_WRONG_TYPE) await t.do(...cmd);
    for (const name of ['GET', 'SET', 'SETNX', 'SETEX', 'PSETEX', 'GETSET', 'GETDEL', 'GETEX', 'MGET', 'MSET', 'MSETNX', 'APPEND', 'STRLEN', 'GETRANGE', 'SUBSTR', 'SETRANGE', 'INCR', 'DECR', 'INCRBY', 'DECRBY', 'INCRBYFLOAT', 'LCS', 'SETBIT', 'GETBIT', 'BITCOUNT', 'BITPOS', 'BITOP', 'BITFIELD', 'BITFIELD_RO']) {
      await t.error(name);
    }
  });

  it('RESP3 replies: nulls and the LCS IDX map', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.both('HELLO', '3');
    await t.do('GET', 'missing');
    await t.do('MGET', 'missing', 'x');
    await t.do('SET', 'k', 'v', 'XX');
    await t.do('SET', 'k', 'v', 'GET');
    await t.do('MSET', 'a', 'ohmytext', 'b', 'mynewtext');
    await t.do('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN');
    await t.do('INCRBYFLOAT', 'f', '1.25');
  });

  it('keyspace hits and misses are counted like Redis', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.both('CONFIG', 'RESETSTAT');
    await t.do('SET', 'k', 'v');
    await t.do('GET', 'k');
    await t.do('GET', 'nope');
    await t.do('MGET', 'k', 'nope', 'k');
    await t.do('SET', 'k', 'v2', 'GET');
    await t.do('INCR', 'counter');
    await t.do('LCS', 'k', 'nope');
    await t.do('BITCOUNT', 'k');
    const stats = async (): Promise<string[]> => {
      const [r, o] = await t.both('INFO', 'stats');
      const pick = (x: Reply) => ((x as { v: string }).v.match(/keyspace_(hits|misses):\d+/g) ?? []).sort();
      return [pick(r.reply).join(','), pick(o.reply).join(',')];
    };
    const [redis, ours] = await stats();
    assert.equal(ours, redis);
  });

  it('random INCRBY / INCRBYFLOAT / APPEND / SETRANGE sequences match (fast-check)', async () => {
    const t = await servers.pair();
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const smallInt = fc.integer({ min: -1000, max: 1000 });
    const decimal = fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -30, max: 30 }), fc.boolean()).map(([m, scale, exp, sci]) => {
      const s = (m / 10 ** scale).toFixed(scale);
      return sci ? `${s}e${exp}` : s;
    });
    const double = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d));
    const bytes = fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('incrby' as const), by: fc.oneof(int64, smallInt).map(String) }),
      fc.record({ kind: fc.constant('decrby' as const), by: fc.oneof(int64, smallInt).map(String) }),
      fc.record({ kind: fc.constant('incrbyfloat' as const), by: fc.oneof(decimal, double, smallInt.map(String)) }),
      fc.record({ kind: fc.constant('append' as const), data: fc.oneof(bytes, smallInt.map((n) => Buffer.from(String(n)))) }),
      fc.record({ kind: fc.constant('setrange' as const), offset: fc.integer({ min: 0, max: 40 }), data: bytes }),
      fc.record({ kind: fc.constant('set' as const), data: fc.oneof(int64.map(String), decimal, bytes.map((b) => b.toString('latin1'))) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        await t.do('DEL', 'p');
        for (const o of ops) {
          if (o.kind === 'incrby') await t.do('INCRBY', 'p', o.by);
          else if (o.kind === 'decrby') await t.do('DECRBY', 'p', o.by);
          else if (o.kind === 'incrbyfloat') await t.do('INCRBYFLOAT', 'p', o.by);
          else if (o.kind === 'append') await t.do('APPEND', 'p', o.data);
          else if (o.kind === 'setrange') await t.do('SETRANGE', 'p', String(o.offset), o.data);
          else await t.do('SET', 'p', o.data);
          await t.do('GET', 'p');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('random INCRBYFLOAT operands format like Redis (fast-check)', async () => {
    const t = await servers.pair();
    const mantissa = fc.stringMatching(/^[1-9][0-9]{0,25}$/);
    const num = fc
      .tuple(fc.boolean(), mantissa, fc.integer({ min: 0, max: 30 }), fc.integer({ min: -40, max: 40 }))
      .map(([neg, digits, point, exp]) => {
        const p = Math.min(point, digits.length);
        const body = p === 0 ? digits : `${digits.slice(0, digits.length - p) || '0'}.${digits.slice(digits.length - p)}`;
        return `${neg ? '-' : ''}${body}e${exp}`;
      });
    await fc.assert(
      fc.asyncProperty(num, num, async (a, b) => {
        await t.do('SET', 'q', a);
        await t.do('INCRBYFLOAT', 'q', b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('strings: proto-max-bulk-len limits (1mb)', () => {
  const servers = differentialServers(['--proto-max-bulk-len', '1mb']);

  it('SETRANGE, APPEND, SETBIT and LCS respect proto-max-bulk-len', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const mb = 1024 * 1024;
    await t.do('SETRANGE', 'k', String(mb - 3), 'abc');
    await t.do('STRLEN', 'k');
    await t.error('SETRANGE', 'k', String(mb - 2), 'abc');
    await t.error('SETRANGE', 'new', String(mb), 'x');
    await t.error('APPEND', 'k', 'x');
    await t.do('APPEND', 'k', '');
    await t.do('SET', 'a', Buffer.alloc(mb - 10, 'a'));
    await t.do('APPEND', 'a', 'x'.repeat(10));
    await t.error('APPEND', 'a', 'y');
    await t.do('STRLEN', 'a');
    await t.do('SETBIT', 'b', String(mb * 8 - 1), '1');
    await t.error('SETBIT', 'b', String(mb * 8), '1');
    await t.error('GETBIT', 'b', String(mb * 8));
    await t.do('GETBIT', 'b', String(mb * 8 - 1));
    await t.do('BITCOUNT', 'b');
    await t.do('BITPOS', 'b', '1');
    await t.do('MSET', 'l1', 'a'.repeat(600), 'l2', 'b'.repeat(600), 's1', 'a'.repeat(400), 's2', 'ab'.repeat(200));
    await t.error('LCS', 'l1', 'l2');
    await t.do('LCS', 's1', 's2', 'LEN');
    await t.do('LCS', 's1', 's2', 'IDX', 'MINMATCHLEN', '2');
  });
});
