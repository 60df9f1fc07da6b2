import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine } from '../src/embedded.js';
import { ManualClock } from '../src/engine/clock.js';
import { differentialServers } from './support/differential.js';

/** TTL commands compared with Redis 7.0, plus lazy and active expiry. */

// Absolute times far in the future, so both servers see exactly the same expiry.
const T1 = 4102444800000; // 2100-01-01
const T2 = T1 + 60_000;
const T0 = T1 - 60_000;

describe('expiry: TTL commands match Redis', () => {
  const servers = differentialServers();

  it('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and the TTL family', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) await t.do(cmd, 'nokey', '100');
    for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']) {
      await t.do(cmd, 'nokey');
      await t.do('SET', 'k', 'v');
      await t.do(cmd, 'k');
    }
    await t.do('EXPIRE', 'k', '100');
    await t.do('TTL', 'k');
    await t.check(['PTTL', 'k'], (r) => assert.ok(r.t === 'int' && Number(r.v) > 90_000 && Number(r.v) <= 100_000));
    await t.do('PEXPIRE', 'k', '200000');
    await t.do('TTL', 'k');
    await t.do('EXPIREAT', 'k', String(T1 / 1000));
    await t.do('EXPIRETIME', 'k');
    await t.do('PEXPIRETIME', 'k');
    // EXPIRETIME rounds to the nearest second.
    await t.do('PEXPIREAT', 'k', String(T1 + 499));
    await t.do('EXPIRETIME', 'k');
    await t.do('PEXPIREAT', 'k', String(T1 + 500));
    await t.do('EXPIRETIME', 'k');
    await t.do('PEXPIRETIME', 'k');
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
      await t.error(cmd, 'k');
      await t.error(cmd, 'k', 'x');
      await t.error(cmd, 'k', '1.5');
      await t.error(cmd, 'k', '');
      await t.error(cmd, 'k', '99999999999999999999');
    }
    for (const cmd of ['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME', 'PERSIST']) {
      await t.error(cmd);
      await t.error(cmd, 'k', 'x');
    }
  });

  it('overflow: invalid expire time', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    for (const [cmd, n] of [
      ['EXPIRE', '9223372036854775807'],
      ['EXPIRE', '-9223372036854775808'],
      ['EXPIRE', '9223372036854776'],
      ['EXPIRE', '-9223372036854776'],
      // Fits after scaling, overflows once the current time is added.
      ['EXPIRE', '9223372036854775'],
      ['PEXPIRE', '9223372036854775807'],
      ['EXPIREAT', '9223372036854776'],
      ['EXPIREAT', '-9223372036854776'],
      ['EXPIRE', '9223372036854775807', 'NX'],
    ]) {
      await t.error(cmd, 'k', n);
      await t.error(cmd, 'nokey', n);
    }
    await t.do('TTL', 'k');
    // Huge negative times are valid: the key is deleted.
    await t.do('EXPIRE', 'k', '-9223372036854775');
    await t.do('EXISTS', 'k');
    await t.do('SET', 'k', 'v');
    await t.do('PEXPIRE', 'k', '-9223372036854775808');
    await t.do('EXISTS', 'k');
  });

  it('a time in the past deletes the key', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    for (const [cmd, n] of [
      ['EXPIRE', '0'],
      ['EXPIRE', '-1'],
      ['PEXPIRE', '0'],
      ['EXPIREAT', '0'],
      ['EXPIREAT', '1'],
      ['PEXPIREAT', '1'],
      ['PEXPIREAT', '-1'],
    ]) {
      await t.do('SET', 'k', 'v');
      await t.do(cmd, 'k', n);
      await t.do('EXISTS', 'k');
      await t.do('TTL', 'k');
    }
    await t.do('SET', 'k', 'v');
    await t.do('EXPIRE', 'k', '-1', 'GT');
    await t.do('EXISTS', 'k');
    await t.do('EXPIRE', 'k', '-1', 'NX');
    await t.do('EXISTS', 'k');
  });

  it('NX, XX, GT, LT', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    // No TTL: XX and GT refuse, LT accepts (no TTL counts as infinite).
    await t.do('PEXPIREAT', 'k', String(T1), 'XX');
    await t.do('PEXPIREAT', 'k', String(T1), 'GT');
    await t.do('PEXPIRETIME', 'k');
    await t.do('PEXPIREAT', 'k', String(T1), 'LT');
    await t.do('PEXPIRETIME', 'k');
    await t.do('PERSIST', 'k');
    await t.do('PEXPIREAT', 'k', String(T1), 'NX');
    await t.do('PEXPIREAT', 'k', String(T2), 'NX');
    await t.do('PEXPIRETIME', 'k');
    await t.do('PEXPIREAT', 'k', String(T2), 'XX');
    await t.do('PEXPIRETIME', 'k');
    await t.do('PEXPIREAT', 'k', String(T2), 'GT');
    await t.do('PEXPIREAT', 'k', String(T0), 'GT');
    await t.do('PEXPIREAT', 'k', String(T2 + 1), 'gt');
    await t.do('PEXPIRETIME', 'k');
    await t.do('PEXPIREAT', 'k', String(T2 + 1), 'LT');
    await t.do('PEXPIREAT', 'k', String(T2 + 5), 'lt');
    await t.do('PEXPIREAT', 'k', String(T0), 'Lt');
    await t.do('PEXPIRETIME', 'k');
    await t.do('EXPIREAT', 'k', String(T1 / 1000), 'XX', 'GT');
    await t.do('EXPIREAT', 'k', String(T0 / 1000), 'XX', 'GT');
    await t.do('EXPIREAT', 'k', String(T0 / 1000), 'LT', 'XX', 'lt');
    await t.do('EXPIRE', 'k', '100', 'nx', 'NX');
    await t.do('PEXPIRETIME', 'k');
    await t.do('EXPIRE', 'nokey', '100', 'XX');
    await t.do('EXPIRE', 'nokey', '100', 'LT');
  });

  it('option errors', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
      for (const opts of [['NX', 'XX'], ['NX', 'GT'], ['lt', 'nx'], ['GT', 'LT'], ['XX', 'GT', 'LT'], ['NX', 'GT', 'LT'], ['FOO'], ['NX', 'FOO'], ['gt', 'lt', 'foo']]) {
        await t.error(cmd, 'k', '100', ...opts);
        await t.error(cmd, 'nokey', '100', ...opts);
        // Options are checked before the time.
        await t.error(cmd, 'k', 'notanumber', ...opts);
      }
    }
    await t.error('EXPIRE', 'k', '100', 'a\r\nb');
    await t.error('EXPIRE', 'k', '100', 'a\x00b');
    await t.do('TTL', 'k');
  });

  it('PERSIST', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('PERSIST', 'nokey');
    await t.do('SET', 'k', 'v');
    await t.do('PERSIST', 'k');
    await t.do('PEXPIREAT', 'k', String(T1));
    await t.do('PERSIST', 'k');
    await t.do('TTL', 'k');
    await t.do('PERSIST', 'k');
    await t.do('GET', 'k');
  });

  it('random EXPIRE-family sequences with options (fast-check)', async () => {
    const t = await servers.pair();
    const key = fc.constantFrom('k1', 'k2', 'nokey');
    // Absolute times (or already past) so that both servers must agree exactly.
    const ms = fc.oneof(fc.integer({ min: -3, max: 3 }).map((d) => T1 + d * 1000), fc.constantFrom(0, 1, -1));
    const opts = fc.subarray(['NX', 'XX', 'GT', 'LT', 'gt', 'nx'], { maxLength: 3 });
    const command = fc.oneof(
      fc.tuple(fc.constant('SET'), key, fc.constant('v')),
      fc.tuple(fc.constant('PEXPIREAT'), key, ms.map(String)).chain((c) => opts.map((o) => [...c, ...o])),
      fc.tuple(fc.constant('EXPIREAT'), key, ms.map((m) => String(Math.trunc(m / 1000)))).chain((c) => opts.map((o) => [...c, ...o])),
      fc.tuple(fc.constantFrom('EXPIRE', 'PEXPIRE'), key, fc.constantFrom('0', '-1', '-100')).chain((c) => opts.map((o) => [...c, ...o])),
      fc.tuple(fc.constantFrom('PERSIST', 'EXISTS', 'PEXPIRETIME', 'EXPIRETIME'), key),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (cmds) => {
        await t.do('FLUSHALL');
        for (const cmd of cmds) await t.do(...(cmd as string[]));
      }),
      { numRuns: 150 },
    );
  });

  it('lazy expiry: an expired key is gone for every command', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const probes: [string, ...string[]][] = [
      ['EXISTS', 'k0'],
      ['TYPE', 'k1'],
      ['TTL', 'k2'],
      ['PTTL', 'k3'],
      ['EXPIRETIME', 'k4'],
      ['PERSIST', 'k5'],
      ['EXPIRE', 'k6', '100'],
      ['RENAME', 'k7', 'x'],
      ['RENAMENX', 'k8', 'x'],
      ['COPY', 'k9', 'x'],
      ['MOVE', 'k10', '1'],
      ['OBJECT', 'ENCODING', 'k11'],
      ['GET', 'k12'],
      ['DEL', 'k13'],
      ['TOUCH', 'k14'],
      ['KEYS', 'k*'],
      ['SCAN', '0', 'COUNT', '100'],
      ['RANDOMKEY'],
    ];
    for (let i = 0; i < 15; i++) {
      await t.do('SET', `k${i}`, 'v');
      await t.do('PEXPIRE', `k${i}`, '50');
    }
    await t.do('SET', 'x', 'v');
    await t.do('RENAME', 'x', 'renamed');
    await t.do('PEXPIRE', 'renamed', '50');
    await sleep(120);
    for (const p of probes) await t.do(...p);
    await t.do('EXISTS', 'renamed');
    // Every key has now been looked up (or swept by active expiry): none is counted.
    await t.do('DBSIZE');
  });
});

describe('expiry: embedded engine with a manual clock', () => {
  it('lazy expiry follows the injected clock and counts expired keys', () => {
    const clock = new ManualClock(1_000_000);
    const e = new Engine({ clock });
    const ks = e.context.keyspace;
    e.call('SET', 'k', 'v');
    e.call('PEXPIRE', 'k', '100');
    clock.advance(99);
    assert.equal(e.call('PTTL', 'k'), 1);
    assert.equal(e.call('EXISTS', 'k'), 1);
    clock.advance(1);
    assert.equal(ks.stats.expiredKeys, 0);
    assert.equal(e.call('EXISTS', 'k'), 0);
    assert.equal(ks.stats.expiredKeys, 1);
    assert.equal(e.call('DBSIZE'), 0);
  });

  it('TTL rounding and EXPIRETIME', () => {
    const clock = new ManualClock(1_000_000);
    const e = new Engine({ clock });
    e.call('SET', 'k', 'v');
    e.call('PEXPIRE', 'k', '1499');
    assert.equal(e.call('TTL', 'k'), 1);
    clock.advance(-1);
    assert.equal(e.call('TTL', 'k'), 2);
    assert.equal(e.call('EXPIRETIME', 'k'), 1001);
    assert.equal(e.call('PEXPIRETIME', 'k'), 1_001_499);
  });

  it('active expiry reclaims stale keys without any command touching them', () => {
    const clock = new ManualClock(1_000_000);
    const e = new Engine({ clock });
    const ks = e.context.keyspace;
    const db = ks.dbs[0];
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      e.call('SET', `key:${i}`, 'v');
      // Three keys in four expire after one second, the rest after an hour.
      e.call('PEXPIRE', `key:${i}`, i % 4 === 0 ? '3600000' : '1000');
    }
    const live = N / 4;
    clock.advance(2000);
    assert.equal(db.size, N, 'nothing is reclaimed before a cycle runs');

    const staleShare = () => (db.size - live) / db.size;
    const lookups = () => ks.stats.keyspaceHits + ks.stats.keyspaceMisses;
    const lookupsBefore = lookups();
    let cycles = 0;
    while (staleShare() >= 0.1 && cycles < 1000) {
      ks.activeExpireCycle(25);
      cycles++;
    }
    assert.ok(staleShare() < 0.1, `stale share ${staleShare()} after ${cycles} cycles`);
    assert.equal(ks.stats.expiredKeys, N - db.size, 'every reclaimed key was counted as expired');
    assert.equal(lookups(), lookupsBefore, 'no key was looked up');
    assert.ok(db.size >= live, 'no live key was reclaimed');
    assert.equal(e.call('EXISTS', 'key:0', 'key:4', 'key:8'), 3);
  });

  it('active expiry with no time budget stops early and says so', () => {
    const clock = new ManualClock(1_000_000);
    const e = new Engine({ clock });
    const ks = e.context.keyspace;
    for (let i = 0; i < 10_000; i++) {
      e.call('SET', `key:${i}`, 'v');
      e.call('PEXPIRE', `key:${i}`, '10');
    }
    clock.advance(100);
    ks.activeExpireCycle(0);
    assert.ok(ks.stats.expiredKeys > 0 && ks.stats.expiredKeys < 10_000, `expired ${ks.stats.expiredKeys}`);
    assert.equal(ks.stats.expiredTimeCapReached, 1);
  });
});
