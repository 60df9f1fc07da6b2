/**
 * Hash-field expiry (HEXPIRE family) is Redis 7.4, beyond the 7.0 oracle: these tests check the
 * replies and errors Redis 7.4 documents, on the embedded engine with a manual clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../src/embedded.js';
import { ManualClock } from '../src/engine/clock.js';
import { activeExpireHashFields, Hash } from '../src/engine/hash.js';
import type { ReplyValue } from '../src/commands/reply.js';

const T0 = 1_700_000_000_000;

function setup(): { e: Engine; clock: ManualClock } {
  const clock = new ManualClock(T0);
  return { e: new Engine({ clock }), clock };
}

function err(e: Engine, ...args: string[]): string {
  try {
    e.call(...args);
  } catch (x) {
    return (x as Error).message;
  }
  assert.fail(`expected an error from ${args.join(' ')}`);
}

function list(v: ReplyValue): ReplyValue[] {
  assert.ok(Array.isArray(v));
  return v;
}

describe('hash field expiry (Redis 7.4 semantics)', () => {
  it('HEXPIRE sets TTLs; per-field replies -2 / 1; HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    assert.deepEqual(e.call('HEXPIRE', 'h', '100', 'FIELDS', '3', 'a', 'b', 'zz'), [1, 1, -2]);
    assert.deepEqual(e.call('HTTL', 'h', 'FIELDS', '4', 'a', 'b', 'c', 'zz'), [100, 100, -1, -2]);
    assert.deepEqual(e.call('HPTTL', 'h', 'FIELDS', '2', 'a', 'c'), [100000, -1]);
    assert.deepEqual(e.call('HEXPIRETIME', 'h', 'FIELDS', '1', 'a'), [T0 / 1000 + 100]);
    assert.deepEqual(e.call('HPEXPIRETIME', 'h', 'FIELDS', '1', 'a'), [T0 + 100000]);
    clock.advance(1500);
    // Remaining TTL in seconds rounds up, as Redis's (expire + 999 - now) / 1000.
    assert.deepEqual(e.call('HTTL', 'h', 'FIELDS', '1', 'a'), [99]);
    assert.deepEqual(e.call('HPTTL', 'h', 'FIELDS', '1', 'a'), [98500]);
    assert.deepEqual(e.call('HPEXPIRE', 'h', '2500', 'FIELDS', '1', 'c'), [1]);
    assert.deepEqual(e.call('HPTTL', 'h', 'FIELDS', '1', 'c'), [2500]);
    assert.deepEqual(e.call('HEXPIREAT', 'h', String(T0 / 1000 + 500), 'FIELDS', '1', 'b'), [1]);
    assert.deepEqual(e.call('HEXPIRETIME', 'h', 'FIELDS', '1', 'b'), [T0 / 1000 + 500]);
    assert.deepEqual(e.call('HPEXPIREAT', 'h', String(T0 + 7777), 'FIELDS', '1', 'b'), [1]);
    assert.deepEqual(e.call('HPEXPIRETIME', 'h', 'FIELDS', '1', 'b'), [T0 + 7777]);
    assert.deepEqual(e.call('HEXPIRETIME', 'h', 'FIELDS', '1', 'b'), [T0 / 1000 + 8]);
  });

  it('missing key: every field replies -2', () => {
    const { e } = setup();
    assert.deepEqual(e.call('HEXPIRE', 'nokey', '10', 'FIELDS', '2', 'a', 'b'), [-2, -2]);
    assert.deepEqual(e.call('HTTL', 'nokey', 'FIELDS', '1', 'a'), [-2]);
    assert.deepEqual(e.call('HPERSIST', 'nokey', 'FIELDS', '1', 'a'), [-2]);
    assert.equal(e.call('EXISTS', 'nokey'), 0);
  });

  it('NX, XX, GT, LT: 0 when the condition is not met; no TTL counts as infinite', () => {
    const { e } = setup();
    e.call('HSET', 'h', 'nx', '1', 'xx', '1', 'vol', '1', 'gt', '1', 'lt', '1');
    assert.deepEqual(e.call('HEXPIRE', 'h', '30', 'NX', 'FIELDS', '1', 'nx'), [1]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '30', 'NX', 'FIELDS', '1', 'nx'), [0]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '30', 'XX', 'FIELDS', '1', 'xx'), [0]);
    e.call('HEXPIRE', 'h', '20', 'FIELDS', '1', 'vol');
    assert.deepEqual(e.call('HEXPIRE', 'h', '30', 'xx', 'FIELDS', '1', 'vol'), [1]);
    // GT never sets a TTL on a persistent field; LT always does.
    assert.deepEqual(e.call('HEXPIRE', 'h', '10', 'GT', 'FIELDS', '1', 'gt'), [0]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '40', 'LT', 'FIELDS', '1', 'lt'), [1]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '50', 'LT', 'FIELDS', '1', 'lt'), [0]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '10', 'LT', 'FIELDS', '1', 'lt'), [1]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '10', 'GT', 'FIELDS', '1', 'vol'), [0]);
    assert.deepEqual(e.call('HEXPIRE', 'h', '40', 'gt', 'FIELDS', '2', 'vol', 'missing'), [1, -2]);
    assert.deepEqual(e.call('HTTL', 'h', 'FIELDS', '5', 'nx', 'xx', 'vol', 'gt', 'lt'), [30, -1, 40, -1, 10]);
  });

  it('a time not in the future deletes the field (2); the last field takes the key with it', () => {
    const { e } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2');
    assert.deepEqual(e.call('HEXPIRE', 'h', '0', 'FIELDS', '1', 'a'), [2]);
    assert.equal(e.call('HGET', 'h', 'a'), null);
    assert.deepEqual(e.call('HEXPIRE', 'h', '0', 'XX', 'FIELDS', '1', 'b'), [0]);
    assert.deepEqual(e.call('HPEXPIREAT', 'h', String(T0 - 1), 'FIELDS', '2', 'b', 'a'), [2, -2]);
    assert.equal(e.call('EXISTS', 'h'), 0);
    e.call('HSET', 'h2', 'a', '1');
    assert.deepEqual(e.call('HEXPIREAT', 'h2', '1', 'FIELDS', '1', 'a'), [2]);
    assert.equal(e.call('EXISTS', 'h2'), 0);
  });

  it('fields expire lazily on access: reads skip them and the emptied key disappears', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    e.call('HPEXPIRE', 'h', '100', 'FIELDS', '1', 'a');
    e.call('HPEXPIRE', 'h', '200', 'FIELDS', '1', 'b');
    clock.advance(100);
    assert.equal(e.call('HGET', 'h', 'a'), '1'); // alive while its time is >= now
    clock.advance(1);
    assert.equal(e.call('HGET', 'h', 'a'), null);
    assert.equal(e.call('HLEN', 'h'), 2);
    assert.equal(e.call('HEXISTS', 'h', 'a'), 0);
    assert.deepEqual(e.call('HTTL', 'h', 'FIELDS', '1', 'a'), [-2]);
    assert.deepEqual(e.call('HMGET', 'h', 'a', 'b'), [null, '2']);
    clock.advance(100);
    assert.deepEqual(e.call('HKEYS', 'h'), ['c']);
    assert.deepEqual(list(e.call('HSCAN', 'h', '0'))[1], ['c', '3']);
    e.call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'c');
    clock.advance(11);
    assert.equal(e.call('HLEN', 'h'), 0);
    assert.equal(e.call('EXISTS', 'h'), 0);
    // A write to an expired field sees it gone: HSETNX sets it.
    e.call('HSET', 'w', 'a', '1', 'b', '1');
    e.call('HPEXPIRE', 'w', '5', 'FIELDS', '1', 'a');
    clock.advance(6);
    assert.equal(e.call('HSETNX', 'w', 'a', 'new'), 1);
    assert.deepEqual(e.call('HTTL', 'w', 'FIELDS', '1', 'a'), [-1]);
  });

  it('HSET and HDEL clear a TTL; HINCRBY and HINCRBYFLOAT keep it', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'replace', 'old', 'counter', '1', 'float', '1.5', 'keep', 'x');
    assert.deepEqual(e.call('HPEXPIRE', 'h', '20', 'FIELDS', '3', 'replace', 'counter', 'float'), [1, 1, 1]);
    assert.equal(e.call('HSET', 'h', 'replace', 'new'), 0);
    assert.equal(e.call('HINCRBY', 'h', 'counter', '1'), 2);
    assert.equal(e.call('HINCRBYFLOAT', 'h', 'float', '1'), '2.5');
    assert.deepEqual(e.call('HPTTL', 'h', 'FIELDS', '3', 'replace', 'counter', 'float'), [-1, 20, 20]);
    clock.advance(50);
    assert.equal(e.call('HGET', 'h', 'replace'), 'new');
    assert.equal(e.call('HGET', 'h', 'counter'), null);
    assert.equal(e.call('HGET', 'h', 'float'), null);
    e.call('HPEXPIRE', 'h', '20', 'FIELDS', '1', 'keep');
    e.call('HDEL', 'h', 'keep');
    e.call('HSET', 'h', 'keep', 'y');
    assert.deepEqual(e.call('HPTTL', 'h', 'FIELDS', '1', 'keep'), [-1]);
  });

  it('HPERSIST: 1 removed, -1 no TTL, -2 no field', () => {
    const { e } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2');
    e.call('HEXPIRE', 'h', '100', 'FIELDS', '1', 'a');
    assert.deepEqual(e.call('HPERSIST', 'h', 'FIELDS', '3', 'a', 'b', 'zz'), [1, -1, -2]);
    assert.deepEqual(e.call('HTTL', 'h', 'FIELDS', '1', 'a'), [-1]);
    assert.deepEqual(e.call('HPERSIST', 'h', 'FIELDS', '1', 'a'), [-1]);
  });

  it('errors as Redis 7.4 words them', () => {
    const { e } = setup();
    e.call('HSET', 'h', 'f', 'v');
    e.call('SET', 's', 'v');
    const wrongType = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    assert.equal(err(e, 'HEXPIRE', 's', '10', 'FIELDS', '1', 'f'), wrongType);
    assert.equal(err(e, 'HTTL', 's', 'FIELDS', '1', 'f'), wrongType);
    assert.equal(err(e, 'HPERSIST', 's', 'FIELDS', '1', 'f'), wrongType);
    assert.equal(err(e, 'HEXPIRE', 'h', '10'), "ERR wrong number of arguments for 'hexpire' command");
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELDS', '1'), "ERR wrong number of arguments for 'hexpire' command");
    assert.equal(err(e, 'HTTL', 'h', 'FIELDS', '1'), "ERR wrong number of arguments for 'httl' command");
    assert.equal(err(e, 'HPERSIST', 'h'), "ERR wrong number of arguments for 'hpersist' command");
    assert.equal(err(e, 'HEXPIRE', 'h', 'abc', 'FIELDS', '1', 'f'), 'ERR value is not an integer or out of range');
    assert.equal(err(e, 'HEXPIRE', 'h', '-1', 'FIELDS', '1', 'f'), 'ERR invalid expire time, must be >= 0');
    assert.equal(err(e, 'HEXPIRE', 'h', '99999999999999', 'FIELDS', '1', 'f'), "ERR invalid expire time in 'hexpire' command");
    assert.equal(err(e, 'HPEXPIREAT', 'h', '70368744177664', 'FIELDS', '1', 'f'), "ERR invalid expire time in 'hpexpireat' command");
    assert.deepEqual(e.call('HPEXPIREAT', 'h', '70368744177663', 'FIELDS', '1', 'f'), [1]);
    const missing = 'ERR Mandatory argument FIELDS is missing or not at the right position';
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELD', '1', 'f'), missing);
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'NX', 'XX', 'FIELDS', '1', 'f'), missing);
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'BOGUS', 'FIELDS', '1', 'f'), missing);
    assert.equal(err(e, 'HTTL', 'h', 'FIELD', '1', 'f'), missing);
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELDS', 'abc', 'f'), 'ERR Parameter `numFields` should be greater than 0');
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELDS', '0', 'f'), 'ERR Parameter `numFields` should be greater than 0');
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELDS', '2', 'f'), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(err(e, 'HEXPIRE', 'h', '10', 'FIELDS', '1', 'f', 'g'), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(err(e, 'HTTL', 'h', 'FIELDS', '0', 'f'), 'ERR Number of fields must be a positive integer');
    assert.equal(err(e, 'HPERSIST', 'h', 'FIELDS', '-1', 'f'), 'ERR Number of fields must be a positive integer');
    assert.equal(err(e, 'HPTTL', 'h', 'FIELDS', '3', 'f'), 'ERR The `numfields` parameter must match the number of arguments');
  });

  it('COMMAND INFO describes the 7.4 commands', () => {
    const { e } = setup();
    const info = list(e.call('COMMAND', 'INFO', 'hexpire', 'httl', 'hpersist'));
    const [hexpire, httl, hpersist] = info.map(list);
    assert.deepEqual(hexpire.slice(0, 2), ['hexpire', -6]);
    assert.deepEqual(httl.slice(0, 2), ['httl', -5]);
    assert.deepEqual(hpersist.slice(0, 2), ['hpersist', -5]);
    assert.deepEqual(hexpire.slice(3, 6), [1, 1, 1]);
  });

  it('active expiry deletes due fields and emptied hashes without any access', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2');
    e.call('HSET', 'gone', 'x', '1');
    e.call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
    e.call('HPEXPIRE', 'gone', '10', 'FIELDS', '1', 'x');
    e.call('SELECT', '3');
    e.call('HSET', 'other', 'y', '1');
    e.call('HPEXPIRE', 'other', '10', 'FIELDS', '1', 'y');
    e.call('SELECT', '0');
    const ks = e.context.keyspace;
    assert.equal(activeExpireHashFields(ks), 0);
    clock.advance(11);
    ks.tick();
    assert.equal(activeExpireHashFields(ks, 1), 1); // bounded work per call
    assert.equal(activeExpireHashFields(ks), 2);
    assert.equal(ks.dbs[0].size, 1);
    assert.equal(ks.dbs[3].size, 0);
    const h = ks.dbs[0].peek('h');
    assert.ok(h instanceof Hash);
    assert.equal(h.size, 1);
    assert.equal(h.hasFieldTtls, false);
  });

  it('the keyspace expiry cycle (the server cron) runs the hash field sweep', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1', 'b', '2');
    e.call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
    const ks = e.context.keyspace;
    clock.advance(11);
    ks.activeExpireCycle(25);
    const h = ks.dbs[0].peek('h');
    assert.ok(h instanceof Hash);
    assert.deepEqual(h.entries(), ['b', '2']);
  });

  it('RENAMEd, MOVEd, COPYd and SWAPDBed hashes keep their fields expiring actively', () => {
    const { e, clock } = setup();
    const withTtl = (key: string) => {
      e.call('HSET', key, 'f', '1', 'keep', '1');
      e.call('HPEXPIRE', key, '10', 'FIELDS', '1', 'f');
    };
    for (const key of ['r', 'm', 'c']) withTtl(key);
    e.call('RENAME', 'r', 'r2');
    e.call('MOVE', 'm', '2');
    e.call('COPY', 'c', 'c2', 'DB', '3');
    e.call('SELECT', '6');
    withTtl('s');
    e.call('SELECT', '0');
    e.call('SWAPDB', '6', '7');
    const ks = e.context.keyspace;
    clock.advance(11);
    ks.activeExpireCycle(25);
    // Database.peek does no field expiry: what is gone was removed by the active sweep.
    const fields = (db: number, key: string) => {
      const v = ks.dbs[db].peek(key);
      assert.ok(v instanceof Hash, `${db}:${key}`);
      return v.entries();
    };
    for (const [db, key] of [[0, 'r2'], [2, 'm'], [0, 'c'], [3, 'c2'], [7, 's']] as const) assert.deepEqual(fields(db, key), ['keep', '1']);
    assert.equal(ks.dbs[0].peek('r'), undefined);
    assert.equal(ks.dbs[6].size, 0);
  });

  it('a hash whose last fields expire actively is deleted, wherever it was moved', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1');
    e.call('HPEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
    e.call('RENAME', 'h', 'h2');
    e.call('MOVE', 'h2', '1');
    const ks = e.context.keyspace;
    clock.advance(11);
    ks.activeExpireCycle(25);
    assert.equal(ks.dbs[1].size, 0);
  });

  it('encoding is listpackex once fields have TTLs; many TTL changes stay consistent', () => {
    const { e, clock } = setup();
    e.call('HSET', 'h', 'a', '1');
    const h = e.context.keyspace.dbs[0].peek('h') as Hash;
    assert.equal(h.encoding(), 'listpack');
    e.call('HEXPIRE', 'h', '10', 'FIELDS', '1', 'a');
    assert.equal(h.encoding(), 'listpackex');
    // Re-set TTLs many times (stale heap entries) and check expiry still follows the latest.
    const fields = Array.from({ length: 200 }, (_, i) => `f${i}`);
    e.call('HSET', 'big', ...fields.flatMap((f) => [f, 'v']));
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < fields.length; i++) e.call('HPEXPIRE', 'big', String(1000 + ((i * 7 + round * 13) % 500)), 'FIELDS', '1', fields[i]);
    }
    const last = fields.map((_, i) => 1000 + ((i * 7 + 4 * 13) % 500));
    clock.advance(1200);
    const alive = fields.filter((_, i) => last[i] >= 1200);
    assert.deepEqual(e.call('HKEYS', 'big'), alive);
    clock.advance(400);
    // As in Redis 7.4, EXISTS does not look at fields; a hash command (or active expiry) does.
    assert.equal(e.call('HLEN', 'big'), 0);
    assert.equal(e.call('EXISTS', 'big'), 0);
  });
});
