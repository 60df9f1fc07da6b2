import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Engine } from '../src/embedded.js';
import { ManualClock } from '../src/engine/clock.js';
import { Config } from '../src/config/config.js';
import { ServerContext } from '../src/commands/server-context.js';
import { seededRng } from '../src/engine/eviction/index.js';
import { differentialServers, type Pair } from './support/differential.js';
import { RawClient } from './support/raw-client.js';

/**
 * maxmemory: where Redis 7.0 can be compared (OOM replies, MULTI/EXEC under OOM, what still
 * works, eviction of everything under maxmemory 1, `evicted` events, WATCH, INFO, OBJECT FREQ /
 * IDLETIME) byte for byte against the real server; eviction order per policy on crafted key
 * sets with a seeded RNG and a manual clock; bounded eviction drained by the cron.
 */

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

describe('maxmemory against Redis 7.0', () => {
  const servers = differentialServers();
  let t: Pair;
  before(async () => {
    t = await servers.pair();
  });

  async function limit(bytes: string, policy: string): Promise<void> {
    await t.do('CONFIG', 'SET', 'maxmemory', bytes);
    await t.do('CONFIG', 'SET', 'maxmemory-policy', policy);
  }

  it('noeviction: writes get OOM and change nothing, reads and deletes work', async () => {
    await limit('0', 'noeviction');
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'value');
    await t.do('RPUSH', 'l', 'a');
    await limit('1', 'noeviction');
    assert.equal(await t.error('SET', 'k', 'other'), OOM);
    await t.error('RPUSH', 'l', 'b');
    await t.error('INCR', 'n');
    await t.error('APPEND', 'k', 'x');
    await t.do('GET', 'k');
    await t.do('LRANGE', 'l', '0', '-1');
    await t.do('EXISTS', 'n');
    await t.do('DEL', 'k');
    await t.do('LPOP', 'l');
    await t.do('DBSIZE');
    await t.do('PING');
    await limit('0', 'noeviction');
  });

  it('volatile-* with no volatile key: OOM, and the keys without TTL stay', async () => {
    await limit('0', 'noeviction');
    await t.do('FLUSHALL');
    for (let i = 0; i < 5; i++) await t.do('SET', `key:${i}`, 'v');
    for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      await limit('1', policy);
      assert.equal(await t.error('SET', 'new', 'v'), OOM);
      await t.do('DBSIZE');
    }
    await limit('0', 'noeviction');
  });

  it('allkeys-* under maxmemory 1: every key is evicted, then OOM; evicted_keys counts; RESETSTAT zeroes it', async () => {
    for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-ttl']) {
      await limit('0', 'noeviction');
      await t.do('FLUSHALL');
      await t.do('CONFIG', 'RESETSTAT');
      for (let i = 0; i < 10; i++) await t.do('SET', `key:${i}`, 'v', ...(policy === 'volatile-ttl' ? ['EX', String(100 + i)] : []));
      await limit('1', policy);
      await t.error('SET', 'new', 'v');
      await t.do('DBSIZE');
      assert.equal(await statField(t, 'evicted_keys'), '10');
      await t.do('CONFIG', 'RESETSTAT');
      assert.equal(await statField(t, 'evicted_keys'), '0');
    }
    await limit('0', 'noeviction');
  });

  it('MULTI under OOM: every queued command is refused, EXEC aborts; EXEC of queued writes aborts once over', async () => {
    await limit('0', 'noeviction');
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'v');
    await limit('1', 'noeviction');
    await t.do('MULTI');
    await t.error('GET', 'k');
    await t.error('PING');
    await t.error('EXEC');
    await t.do('MULTI');
    await t.do('DISCARD');
    // Queued while under the limit, EXEC once over it.
    await limit('0', 'noeviction');
    await t.do('MULTI');
    await t.do('SET', 'k', 'w');
    await t.do('GET', 'k');
    const other = await servers.pair();
    await other.do('CONFIG', 'SET', 'maxmemory', '1');
    await t.error('EXEC');
    await t.do('GET', 'k');
    // A transaction of reads still runs.
    await other.do('CONFIG', 'SET', 'maxmemory', '0');
    await t.do('MULTI');
    await t.do('GET', 'k');
    await other.do('CONFIG', 'SET', 'maxmemory', '1');
    await t.do('EXEC');
    await limit('0', 'noeviction');
  });

  it('an evicted key fires the `evicted` event and fails WATCH', async () => {
    await limit('0', 'noeviction');
    await t.do('FLUSHALL');
    await t.do('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    await t.do('SET', 'victim', 'v');
    const subs = await Promise.all([RawClient.connect(servers.redis.port), RawClient.connect(servers.ours.port)]);
    for (const s of subs) await s.send('SUBSCRIBE', '__keyevent@0__:evicted');
    await t.do('WATCH', 'victim');
    await limit('1', 'allkeys-lru');
    await t.error('SET', 'other', 'v');
    const [r, o] = await Promise.all(subs.map((s) => s.read()));
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
    await limit('0', 'noeviction');
    await t.do('MULTI');
    await t.do('SET', 'x', '1');
    await t.do('EXEC');
    for (const s of subs) s.close();
    await t.do('CONFIG', 'SET', 'notify-keyspace-events', '');
  });

  it('OBJECT FREQ and IDLETIME under LFU and LRU policies', async () => {
    await limit('0', 'noeviction');
    await t.do('FLUSHALL');
    await t.do('SET', 'k', 'abc');
    assert.match(await t.error('OBJECT', 'FREQ', 'k'), /^ERR An LFU maxmemory policy is not selected/);
    // 0 or 1: both servers count whole seconds of a clock that may tick between the commands.
    await t.check(['OBJECT', 'IDLETIME', 'k'], (r) => assert.ok(r.t === 'int' && Number(r.v) <= 1));
    await t.do('OBJECT', 'FREQ', 'missing');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    await t.do('SET', 'f', 'abc');
    await t.do('OBJECT', 'FREQ', 'f');
    await t.do('GET', 'f');
    await t.do('OBJECT', 'FREQ', 'f');
    await t.do('OBJECT', 'FREQ', 'f');
    assert.match(await t.error('OBJECT', 'IDLETIME', 'f'), /^ERR An LFU maxmemory policy is selected, idle time not tracked/);
    await t.do('OBJECT', 'IDLETIME', 'missing');
    // After a switch Redis reads the other policy's bits as garbage, so only the error is compared.
    // volatile-lfu counts keys without a TTL too (only evicts those with one).
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu');
    await t.do('SET', 'g', 'abc');
    await t.do('OBJECT', 'FREQ', 'g');
    await t.do('GET', 'g');
    await t.do('OBJECT', 'FREQ', 'g');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await t.error('OBJECT', 'FREQ', 'f');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  });

  it('INFO memory and CONFIG GET show the limit and policy; ioredis reads maxmemory_policy', async () => {
    await t.do('CONFIG', 'SET', 'maxmemory', '100mb');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await t.do('CONFIG', 'GET', 'maxmemory');
    await t.do('CONFIG', 'GET', 'maxmemory-policy');
    for (const port of [servers.redis.port, servers.ours.port]) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
      await client.connect();
      const info = await client.info('memory');
      assert.match(info, /\r\nmaxmemory:104857600\r\n/);
      assert.match(info, /\r\nmaxmemory_human:100\.00M\r\n/);
      assert.match(info, /\r\nmaxmemory_policy:allkeys-lru\r\n/);
      client.disconnect();
    }
    await t.do('CONFIG', 'SET', 'maxmemory', '0');
    await t.do('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  });
});

async function statField(t: Pair, name: string): Promise<string> {
  const [r, o] = await t.both('INFO', 'stats');
  const get = (text: unknown) => new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(String(text))?.[1];
  const ours = get((o.reply as { v: unknown }).v);
  assert.equal(ours, get((r.reply as { v: unknown }).v), name);
  return ours!;
}

/** An engine with a manual clock and a seeded RNG for the policies. */
function engine(policy: string): { e: Engine; clock: ManualClock } {
  const clock = new ManualClock(1_700_000_000_000);
  const e = new Engine({ clock });
  e.context.keyspace.rng = seededRng(7);
  e.call('CONFIG', 'SET', 'maxmemory-samples', '64');
  e.call('CONFIG', 'SET', 'maxmemory-policy', policy);
  return { e, clock };
}

/** Sets maxmemory so that about `bytes` more can be written before eviction starts. */
function limitAbove(e: Engine, bytes: number): void {
  e.call('CONFIG', 'SET', 'maxmemory', String(e.context.keyspace.usedMemory + bytes));
}

function keys(e: Engine): string[] {
  return (e.call('KEYS', '*') as string[]).sort();
}

describe('eviction order per policy (seeded, manual clock)', () => {
  it('allkeys-lru evicts the least recently used keys', () => {
    const { e, clock } = engine('allkeys-lru');
    for (const k of ['a', 'b', 'c', 'd', 'e']) {
      e.call('SET', k, 'v');
      clock.advance(1000);
    }
    e.call('GET', 'a');
    e.call('GET', 'c');
    limitAbove(e, 10);
    e.call('SET', 'f', 'v');
    e.call('SET', 'g', 'v');
    assert.deepEqual(keys(e), ['a', 'c', 'e', 'f', 'g']);
    assert.equal(e.context.keyspace.stats.evictedKeys, 2);
  });

  it('volatile-lru evicts only keys with a TTL, least recently used first', () => {
    const { e } = engine('volatile-lru');
    e.call('SET', 'p1', 'v');
    e.call('SET', 't1', 'v', 'EX', '100');
    e.call('SET', 'p2', 'v');
    e.call('SET', 't2', 'v', 'EX', '100');
    e.call('GET', 't1');
    limitAbove(e, 10);
    e.call('SET', 'n1', 'v');
    assert.deepEqual(keys(e), ['n1', 'p1', 'p2', 't1']);
    let oom = '';
    for (let i = 3; i < 10 && oom === ''; i++) {
      try {
        e.call('SET', `n${i}`, 'v');
      } catch (err) {
        oom = (err as Error).message;
      }
    }
    assert.equal(oom, OOM);
    assert.ok(!keys(e).some((k) => k.startsWith('t')));
    assert.ok(keys(e).includes('p1') && keys(e).includes('p2'));
  });

  it('allkeys-lfu evicts the least frequently used key', () => {
    const { e } = engine('allkeys-lfu');
    for (const k of ['a', 'b', 'c', 'd']) e.call('SET', k, 'v');
    for (const k of ['a', 'c', 'd']) e.call('GET', k);
    assert.equal(e.call('OBJECT', 'FREQ', 'b'), 5);
    assert.equal(e.call('OBJECT', 'FREQ', 'a'), 6);
    limitAbove(e, 10);
    e.call('SET', 'x', 'v');
    assert.deepEqual(keys(e), ['a', 'c', 'd', 'x']);
  });

  it('lfu-decay-time: counters decay by one per period without access', () => {
    const { e, clock } = engine('allkeys-lfu');
    e.call('CONFIG', 'SET', 'lfu-decay-time', '2');
    e.call('SET', 'k', 'v');
    clock.advance(5 * 60_000);
    assert.equal(e.call('OBJECT', 'FREQ', 'k'), 3);
    e.call('CONFIG', 'SET', 'lfu-decay-time', '0');
    assert.equal(e.call('OBJECT', 'FREQ', 'k'), 5);
  });

  it('volatile-lfu and volatile-random choose among keys with a TTL only', () => {
    for (const policy of ['volatile-lfu', 'volatile-random']) {
      const { e } = engine(policy);
      e.call('SET', 'p', 'v');
      e.call('SET', 't1', 'v', 'EX', '100');
      e.call('SET', 't2', 'v', 'EX', '100');
      if (policy === 'volatile-lfu') e.call('GET', 't2');
      limitAbove(e, 10);
      e.call('SET', 'n', 'v');
      const left = keys(e);
      assert.ok(left.includes('p') && left.includes('n') && left.length === 3, `${policy}: ${left}`);
      if (policy === 'volatile-lfu') assert.deepEqual(left, ['n', 'p', 't2']);
    }
  });

  it('volatile-ttl evicts the key that expires soonest', () => {
    const { e } = engine('volatile-ttl');
    e.call('SET', 'p', 'v');
    e.call('SET', 'late', 'v', 'EX', '300');
    e.call('SET', 'soon', 'v', 'EX', '50');
    e.call('SET', 'mid', 'v', 'EX', '100');
    limitAbove(e, 10);
    e.call('SET', 'n', 'v');
    assert.deepEqual(keys(e), ['late', 'mid', 'n', 'p']);
    e.call('SET', 'n2', 'v');
    assert.deepEqual(keys(e), ['late', 'n', 'n2', 'p']);
  });

  it('allkeys-random evicts as many keys as needed, seeded', () => {
    const runs = [0, 1].map(() => {
      const { e } = engine('allkeys-random');
      for (let i = 0; i < 20; i++) e.call('SET', `k${i}`, 'v');
      limitAbove(e, 10);
      for (let i = 0; i < 5; i++) e.call('SET', `n${i}`, 'v');
      return keys(e);
    });
    assert.equal(runs[0].length, 20);
    assert.deepEqual(runs[0], runs[1]);
  });

  it('allkeys-wtinylfu keeps popular keys through a scan of new ones', () => {
    const { e } = engine('allkeys-wtinylfu');
    for (let i = 0; i < 50; i++) e.call('SET', `hot${i}`, 'v');
    for (let r = 0; r < 5; r++) for (let i = 0; i < 50; i++) e.call('GET', `hot${i}`);
    limitAbove(e, 2000);
    for (let i = 0; i < 500; i++) {
      e.call('SET', `scan${i}`, 'v');
      e.call('GET', `hot${i % 50}`);
    }
    const hot = keys(e).filter((k) => k.startsWith('hot')).length;
    assert.ok(hot >= 45, `hot keys kept: ${hot}`);
    assert.ok(e.context.keyspace.stats.evictedKeys > 400);
  });

  it('noeviction refuses writes once over the limit', () => {
    const { e } = engine('noeviction');
    e.call('SET', 'a', 'v');
    limitAbove(e, 10);
    e.call('SET', 'b', 'v'.repeat(100));
    assert.throws(() => e.call('SET', 'c', 'v'), { message: OOM });
    assert.equal(e.call('GET', 'a'), 'v');
  });
});

describe('bounded eviction', () => {
  it('a large overshoot is evicted a bounded slice per command and drained by the cron', () => {
    const { e } = engine('allkeys-lru');
    const ks = e.context.keyspace;
    e.call('CONFIG', 'SET', 'maxmemory-eviction-tenacity', '0');
    for (let i = 0; i < 5000; i++) e.call('SET', `key:${i}`, 'x'.repeat(50));
    e.call('CONFIG', 'SET', 'maxmemory', String(ks.usedMemory - 200_000));
    e.call('SET', 'one', 'v');
    const first = ks.stats.evictedKeys;
    // Tenacity 0: the time limit is 0 µs, so each round stops after its first 16 keys.
    assert.equal(first, 16);
    assert.ok(ks.evictionPending);
    let rounds = 0;
    while (ks.evictionPending && rounds++ < 1000) ks.activeExpireCycle(1);
    assert.ok(!ks.overMaxmemory);
    assert.ok(ks.stats.evictedKeys > 1000);
    assert.equal(ks.usedMemory, ks.usedMemoryFromScratch());
  });

  it('maxmemory and its policy are read from the startup configuration', () => {
    const config = new Config();
    config.set('maxmemory', '100mb', true);
    config.set('maxmemory-policy', 'allkeys-wtinylfu', true);
    const ctx = new ServerContext({ config });
    assert.equal(ctx.keyspace.maxmemory, 100 * 1024 * 1024);
    assert.equal(ctx.keyspace.dbs[0].policy?.name, 'allkeys-wtinylfu');
  });
});
