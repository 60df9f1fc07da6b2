import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BasicClientSideCache, createClient } from '@redis/client';
import { differentialServers, type Pair } from './support/differential.js';
import type { RawClient } from './support/raw-client.js';
import { Engine } from '../src/embedded.js';
import { ErrorReply } from '../src/commands/reply.js';

const servers = differentialServers();

/** Reads the next message each server sent to the pair and compares the bytes. */
async function nextPush(p: Pair): Promise<string> {
  const [r, o] = await Promise.all([p.redis.read(), p.ours.read()]);
  assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'), 'pushed message');
  return r.raw.toString('latin1');
}

/** Asserts that neither server sent anything more to the pair (a PING round trip proves it). */
async function nothingPending(p: Pair): Promise<void> {
  const [r, o] = await p.both('PING');
  assert.equal(r.raw.toString('latin1'), '+PONG\r\n', 'redis had nothing pending');
  assert.equal(o.raw.toString('latin1'), '+PONG\r\n', 'we had nothing pending');
}

/** Sends a command naming the other connection's client id, which differs between servers. */
async function withIds(p: Pair, target: Pair, build: (id: string) => string[]): Promise<string> {
  const ids = await Promise.all([idOf(target.redis), idOf(target.ours)]);
  const [r, o] = await Promise.all([p.redis.send(...build(ids[0])), p.ours.send(...build(ids[1]))]);
  assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
  return r.raw.toString('latin1');
}

async function idOf(c: RawClient): Promise<string> {
  const r = (await c.send('CLIENT', 'ID')).reply;
  return (r as { v: string }).v;
}

async function resp3(): Promise<Pair> {
  const p = await servers.pair();
  await p.both('HELLO', '3');
  return p;
}

describe('client tracking', () => {
  test('default mode: keys read are invalidated once, by other clients, by its own writes, by FLUSHDB', async () => {
    const w = await servers.pair();
    await w.do('FLUSHALL');
    await w.do('MSET', 'tk1', 'a', 'tk2', 'b', 'tk3', 'c');
    const t = await resp3();
    await t.do('CLIENT', 'TRACKING', 'ON');
    await t.do('GET', 'tk1');
    await t.do('MGET', 'tk2', 'tk3', 'tkmissing');
    await t.do('STRLEN', 'tk2');
    await w.do('SET', 'tk1', 'new');
    assert.equal(await nextPush(t), '>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\ntk1\r\n');
    await w.do('SET', 'tk1', 'again'); // not read since: no message
    await w.do('DEL', 'tk2', 'tk3');
    await nextPush(t);
    await nextPush(t);
    await w.do('SET', 'tkmissing', 'x'); // a missing key read is tracked too
    await nextPush(t);
    // Its own write: the invalidation follows the reply.
    await t.do('GET', 'tk1');
    await t.do('SET', 'tk1', 'mine');
    await nextPush(t);
    await t.do('GET', 'tk1');
    await t.do('APPEND', 'tk1', 'x');
    await nextPush(t);
    // Write commands do not track, even when they read.
    await t.do('INCR', 'counter');
    await w.do('INCR', 'counter');
    await nothingPending(t);
    await t.do('HGET', 'nohash', 'f');
    await w.do('HSET', 'nohash', 'f', 'v');
    await nextPush(t);
    await t.do('GET', 'str');
    await w.do('FLUSHDB');
    await nextPush(t);
    await t.do('FLUSHALL'); // its own flush: null invalidation after the reply
    await nextPush(t);
    await t.do('CLIENT', 'TRACKING', 'OFF');
    await t.do('GET', 'tk1');
    await w.do('SET', 'tk1', 'x');
    await nothingPending(t);
    t.close();
    w.close();
  });

  test('keys read inside MULTI/EXEC are tracked when EXEC runs them; CACHING YES covers the transaction', async () => {
    const w = await servers.pair();
    const t = await resp3();
    await t.do('CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await t.do('CLIENT', 'CACHING', 'YES');
    await t.do('MULTI');
    await t.do('GET', 'mx1');
    await t.do('GET', 'mx2');
    await t.do('EXEC');
    await w.do('MSET', 'mx1', 'a', 'mx2', 'b');
    await nextPush(t);
    await nextPush(t);
    await nothingPending(t);
    t.close();
    w.close();
  });

  test('expired keys are invalidated', async () => {
    const t = await resp3();
    await t.do('CLIENT', 'TRACKING', 'ON');
    await t.do('SET', 'short', 'v', 'PX', 20);
    await t.do('GET', 'short');
    // Active expiry (hz 10) removes it meanwhile, and the invalidation is sent right away.
    await new Promise((r) => setTimeout(r, 400));
    await nextPush(t);
    await t.do('GET', 'short');
    t.close();
  });

  test('NOLOOP skips its own changes; OPTIN and OPTOUT follow CLIENT CACHING', async () => {
    const w = await servers.pair();
    const t = await resp3();
    await t.do('CLIENT', 'TRACKING', 'ON', 'NOLOOP');
    await t.do('GET', 'nl');
    await t.do('SET', 'nl', 'mine');
    await t.do('GET', 'nl');
    await w.do('SET', 'nl', 'theirs');
    await nextPush(t);
    await t.do('CLIENT', 'TRACKING', 'OFF');

    await t.do('CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await t.do('GET', 'oi1'); // not cached: no CACHING YES
    await t.do('CLIENT', 'CACHING', 'YES');
    await t.do('CLIENT', 'TRACKINGINFO');
    await t.do('GET', 'oi2');
    await t.do('GET', 'oi3'); // CACHING YES covered one command only
    await w.do('MSET', 'oi1', 'a', 'oi2', 'b', 'oi3', 'c');
    await nextPush(t);
    await nothingPending(t);
    await t.error('CLIENT', 'CACHING', 'NO');
    await t.error('CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await t.do('CLIENT', 'TRACKING', 'OFF');

    await t.do('CLIENT', 'TRACKING', 'ON', 'OPTOUT');
    await t.do('GET', 'oo1');
    await t.do('CLIENT', 'CACHING', 'NO');
    await t.do('GET', 'oo2');
    await w.do('MSET', 'oo1', 'a', 'oo2', 'b');
    await nextPush(t);
    await nothingPending(t);
    await t.error('CLIENT', 'CACHING', 'YES');
    await t.do('CLIENT', 'TRACKINGINFO');
    await t.do('CLIENT', 'TRACKING', 'OFF');
    t.close();
    w.close();
  });

  test('BCAST: changes under each prefix, batched per prefix and sorted', async () => {
    const w = await servers.pair();
    const t = await resp3();
    await t.do('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'post:');
    await t.do('CLIENT', 'TRACKINGINFO');
    await w.do('MSET', 'user:2', 'a', 'post:1', 'b', 'user:1', 'c', 'other', 'd');
    await nextPush(t);
    await nextPush(t);
    await nothingPending(t);
    await t.do('SET', 'user:9', 'own'); // without NOLOOP its own changes are broadcast too
    await nextPush(t);
    await t.do('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'tag:');
    await t.do('CLIENT', 'TRACKINGINFO');
    await w.do('SET', 'tag:x', '1');
    await nextPush(t);
    await t.do('CLIENT', 'TRACKING', 'OFF');
    await t.do('CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP');
    await t.do('SET', 'anything', 'own');
    await w.do('SET', 'anything', 'theirs');
    await nextPush(t);
    await t.do('CLIENT', 'TRACKING', 'OFF');
    t.close();
    w.close();
  });

  test('RESP2 redirect to a subscribed connection: __redis__:invalidate messages', async () => {
    const w = await servers.pair();
    const sink = await servers.pair();
    const t = await servers.pair();
    const sinkIds = await Promise.all([idOf(sink.redis), idOf(sink.ours)]);
    await withIds(t, sink, (id) => ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', id]);
    await sink.do('SUBSCRIBE', '__redis__:invalidate');
    await t.check(['CLIENT', 'GETREDIR'], (r, server) => assert.equal((r as { v: string }).v, sinkIds[server === 'redis' ? 0 : 1]));
    await t.do('GET', 'rk');
    await w.do('SET', 'rk', 'v');
    assert.equal(await nextPush(sink), '*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nrk\r\n');
    await w.do('FLUSHDB');
    await nextPush(sink);
    // The redirect target goes away: tracking reports a broken redirection.
    sink.close();
    await new Promise((r) => setTimeout(r, 50));
    await t.do('GET', 'rk');
    await w.do('SET', 'rk', 'v2');
    await t.check(['CLIENT', 'TRACKINGINFO'], (r) => assert.match(JSON.stringify(r), /broken_redirect/));
    t.close();
    w.close();
  });

  test('RESP3 client whose redirect target is gone gets tracking-redir-broken', async () => {
    const w = await servers.pair();
    const sink = await servers.pair();
    const t = await resp3();
    await withIds(t, sink, (id) => ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', id]);
    await t.do('GET', 'bk');
    sink.close();
    await new Promise((r) => setTimeout(r, 50));
    await w.do('SET', 'bk', 'v');
    const ids = await Promise.all([t.redis.read(), t.ours.read()]);
    for (const m of ids) assert.match(m.raw.toString('latin1'), /^>2\r\n\$21\r\ntracking-redir-broken\r\n:\d+\r\n$/);
    t.close();
    w.close();
  });

  test('errors, GETREDIR and TRACKINGINFO without tracking', async () => {
    const t = await servers.pair();
    await t.do('CLIENT', 'GETREDIR');
    await t.do('CLIENT', 'TRACKINGINFO');
    await t.error('CLIENT', 'TRACKING');
    await t.error('CLIENT', 'TRACKING', 'MAYBE');
    await t.error('CLIENT', 'TRACKING', 'ON', 'NOPE');
    await t.error('CLIENT', 'TRACKING', 'ON', 'PREFIX');
    await t.error('CLIENT', 'TRACKING', 'ON', 'REDIRECT');
    await t.error('CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'abc');
    await t.error('CLIENT', 'TRACKING', 'ON', 'REDIRECT', '999999');
    await t.error('CLIENT', 'TRACKING', 'ON', 'REDIRECT', '0');
    await t.error('CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a');
    await t.error('CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN');
    await t.error('CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT');
    await t.error('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a');
    await t.error('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a\0b', 'PREFIX', 'a');
    await t.error('CLIENT', 'TRACKING', 'OFF', 'BOGUS');
    await t.error('CLIENT', 'CACHING', 'YES');
    await t.error('CLIENT', 'CACHING');
    await t.error('CLIENT', 'GETREDIR', 'x');
    await t.do('CLIENT', 'TRACKING', 'ON');
    await t.error('CLIENT', 'TRACKING', 'ON', 'BCAST');
    await t.error('CLIENT', 'CACHING', 'YES');
    await t.error('CLIENT', 'CACHING', 'MAYBE');
    await t.do('CLIENT', 'TRACKING', 'ON', 'OPTIN');
    await t.error('CLIENT', 'CACHING', 'MAYBE');
    await t.do('CLIENT', 'GETREDIR');
    await t.do('CLIENT', 'TRACKINGINFO');
    await t.do('CLIENT', 'TRACKING', 'OFF');
    await t.do('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a');
    await t.error('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'abc');
    await t.error('CLIENT', 'TRACKING', 'ON');
    await t.do('RESET');
    await t.do('CLIENT', 'TRACKINGINFO');
    t.close();
  });

  test('embedded clients cannot enable tracking', () => {
    const engine = new Engine();
    assert.throws(() => engine.call('CLIENT', 'TRACKING', 'ON'), ErrorReply);
    assert.equal(engine.call('CLIENT', 'GETREDIR'), -1);
  });

  test('node-redis RESP3 client-side cache: a cached GET is invalidated by another client SET', async () => {
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const cached = createClient({ socket: { port: servers.ours.port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache });
    const writer = createClient({ socket: { port: servers.ours.port, host: '127.0.0.1' } });
    await cached.connect();
    await writer.connect();
    try {
      await writer.set('csc:key', 'v1');
      assert.equal(await cached.get('csc:key'), 'v1');
      assert.equal(await cached.get('csc:key'), 'v1');
      assert.equal(cache.stats().hitCount, 1, 'second GET served from the local cache');
      const invalidated = new Promise<void>((resolve) => cache.once('invalidate', () => resolve()));
      await writer.set('csc:key', 'v2');
      await invalidated;
      assert.equal(await cached.get('csc:key'), 'v2');
      assert.equal(cache.stats().missCount, 2);
    } finally {
      cached.destroy();
      writer.destroy();
    }
  });
});
