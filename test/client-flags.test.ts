import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { differentialServers, type Pair } from './support/differential.js';
import type { RawClient } from './support/raw-client.js';

const servers = differentialServers();

/** The flags= field of one CLIENT INFO / CLIENT LIST line. */
function flagsOf(line: string): string {
  const m = / flags=(\S+) /.exec(line);
  assert.ok(m, `no flags in ${line}`);
  return m[1];
}

async function ownFlags(c: RawClient): Promise<string> {
  const r = await c.send('CLIENT', 'INFO');
  return flagsOf(String((r.reply as { v: string }).v));
}

/** Flags of the client with id `id`, seen from `c` (for a client that cannot ask itself). */
async function flagsById(c: RawClient, id: number): Promise<string> {
  const r = await c.send('CLIENT', 'LIST', 'ID', String(id));
  return flagsOf(String((r.reply as { v: string }).v));
}

async function clientId(c: RawClient): Promise<number> {
  const r = await c.send('CLIENT', 'ID');
  return Number((r.reply as { v: string }).v);
}

/** Both sides of `t` report the same own flags; returns them. */
async function sameFlags(t: Pair): Promise<string> {
  const [redis, ours] = await Promise.all([ownFlags(t.redis), ownFlags(t.ours)]);
  assert.equal(ours, redis);
  return redis;
}

describe('CLIENT LIST / CLIENT INFO flags', () => {
  test('N, x, d (a watched key touched), e, and their order', async () => {
    const t = await servers.pair();
    const other = await servers.pair();
    await t.do('FLUSHALL');
    const ids = { redis: await clientId(t.redis), ours: await clientId(t.ours) };
    assert.equal(await sameFlags(t), 'N');
    await t.do('WATCH', 'flags:w');
    assert.equal(await sameFlags(t), 'N');
    await other.do('SET', 'flags:w', '1');
    assert.equal(await sameFlags(t), 'd');
    await t.do('MULTI');
    await t.do('SET', 'flags:x', '1');
    await t.do('CLIENT', 'NO-EVICT', 'on');
    await t.do('EXEC');
    // The transaction ran nothing (a watched key changed), so NO-EVICT is still off.
    assert.equal(await sameFlags(t), 'N');
    await t.do('CLIENT', 'NO-EVICT', 'on');
    await t.do('WATCH', 'flags:w');
    await other.do('DEL', 'flags:w');
    await t.do('MULTI');
    const [redis, ours] = await Promise.all([flagsById(other.redis, ids.redis), flagsById(other.ours, ids.ours)]);
    assert.equal(ours, redis);
    assert.equal(redis, 'xde');
    await t.do('DISCARD');
    assert.equal(await sameFlags(t), 'e');
    await t.do('CLIENT', 'NO-EVICT', 'off');
    await t.do('UNWATCH');
    assert.equal(await sameFlags(t), 'N');
    t.close();
    other.close();
  });

  test('t, and R once the redirect target has gone and an invalidation was due', async () => {
    const t = await servers.pair();
    const target = await servers.pair();
    const writer = await servers.pair();
    const [rid, oid] = [await clientId(target.redis), await clientId(target.ours)];
    // The same redirect on each side (ids differ between the servers).
    const [r, o] = await Promise.all([t.redis.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(rid)), t.ours.send('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(oid))]);
    assert.equal(o.raw.toString('latin1'), '+OK\r\n');
    assert.equal(r.raw.toString('latin1'), '+OK\r\n');
    await t.do('GET', 'flags:tracked');
    assert.equal(await sameFlags(t), 't');
    target.close();
    await Promise.all([target.redis.waitClose(), target.ours.waitClose()]);
    // Nothing to invalidate yet: the broken redirect is only noticed when a message is due.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await sameFlags(t), 't');
    await writer.do('SET', 'flags:tracked', 'v');
    assert.equal(await sameFlags(t), 'tR');
    await t.do('CLIENT', 'TRACKING', 'off');
    assert.equal(await sameFlags(t), 'N');
    t.close();
    writer.close();
  });

  test('P for a subscriber, b for a blocked client', async () => {
    const sub = await servers.pair();
    const ctl = await servers.pair();
    const subIds = { redis: await clientId(sub.redis), ours: await clientId(sub.ours) };
    await sub.do('SUBSCRIBE', 'flags:ch');
    const [sr, so] = await Promise.all([flagsById(ctl.redis, subIds.redis), flagsById(ctl.ours, subIds.ours)]);
    assert.equal(so, sr);
    assert.equal(sr, 'P');

    const blocked = await servers.pair();
    const ids = { redis: await clientId(blocked.redis), ours: await clientId(blocked.ours) };
    await ctl.do('DEL', 'flags:list');
    const blpop = '*3\r\n$5\r\nBLPOP\r\n$10\r\nflags:list\r\n$1\r\n0\r\n';
    blocked.redis.writeRaw(blpop);
    blocked.ours.writeRaw(blpop);
    await new Promise((r) => setTimeout(r, 50));
    const [r, o] = await Promise.all([flagsById(ctl.redis, ids.redis), flagsById(ctl.ours, ids.ours)]);
    assert.equal(o, r);
    assert.equal(r, 'b');
    await ctl.do('RPUSH', 'flags:list', 'x');
    const [rr, or] = await Promise.all([blocked.redis.read(), blocked.ours.read()]);
    assert.equal(or.raw.toString('latin1'), rr.raw.toString('latin1'));
    sub.close();
    ctl.close();
    blocked.close();
  });
});
