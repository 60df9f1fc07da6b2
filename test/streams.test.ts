import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentialServers, type Pair } from './support/differential.js';
import { RawClient, type Reply } from './support/raw-client.js';
import { Engine } from '../src/embedded.js';

/** Runs the same body in RESP2 and in RESP3 (after HELLO 3) on a fresh pair. */
async function bothProtocols(servers: ReturnType<typeof differentialServers>, body: (t: Pair) => Promise<void>): Promise<void> {
  for (const proto of [2, 3]) {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    if (proto === 3) await t.both('HELLO', '3');
    await body(t);
    t.close();
  }
}

const MAX = '18446744073709551615';

/** A reply with its clock readings masked: timestamps, and values after 'idle'/'seen-time'. */
function timeless(r: Reply, pendingIdle: boolean): unknown {
  if (r.t === 'int') return Number(r.v) > 1e12 ? 'T' : r.v;
  if (r.t !== 'array' && r.t !== 'map') return r;
  if (r.v === null) return r;
  const items = r.v.map((x) => timeless(x, pendingIdle));
  for (let i = 0; i + 1 < r.v.length; i++) {
    const k = r.v[i];
    if (k.t === 'bulk' && (k.v === 'idle' || k.v === 'seen-time')) items[i + 1] = 'T';
  }
  // XPENDING's extended form: [id, consumer, idle, deliveries].
  if (pendingIdle && r.v.length === 4 && r.v[0].t === 'bulk' && r.v[2].t === 'int') items[2] = 'T';
  return { t: r.t, v: items };
}

async function doTimeless(t: Pair, ...args: string[]): Promise<void> {
  const [r, o] = await t.both(...args);
  const pendingIdle = args[0].toUpperCase() === 'XPENDING';
  assert.deepEqual(timeless(o.reply, pendingIdle), timeless(r.reply, pendingIdle), `reply to ${args.join(' ')}`);
}

describe('streams: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('XADD IDs, XLEN, XRANGE, XREVRANGE, TYPE, OBJECT ENCODING', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('XADD', 's', '1-1', 'a', '1');
      await t.do('XADD', 's', '1-*', 'b', '2');
      await t.do('XADD', 's', '5', 'c', '3', 'd', '4');
      await t.do('XADD', 's', '5-*', 'a', '1');
      await t.do('XADD', 's', '7-0', 'a', '1');
      await t.do('XADD', 's', ' 8-+3', 'x', 'y');
      await t.do('XLEN', 's');
      await t.do('XLEN', 'nope');
      await t.do('TYPE', 's');
      await t.do('OBJECT', 'ENCODING', 's');
      await t.do('XRANGE', 's', '-', '+');
      await t.do('XRANGE', 's', '1', '5');
      await t.do('XRANGE', 's', '1-2', '(5-1');
      await t.do('XRANGE', 's', '(1-1', '+', 'COUNT', '2');
      await t.do('XRANGE', 's', '-', '+', 'COUNT', '0');
      // COUNT 0 is a null array only for a stream: a missing key is empty, a wrong type an error.
      await t.do('XRANGE', 'nope', '-', '+', 'COUNT', '0');
      await t.do('XREVRANGE', 'nope', '+', '-', 'COUNT', '0');
      await t.do('SET', 'xr-str', 'v');
      await t.error('XRANGE', 'xr-str', '-', '+', 'COUNT', '0');
      await t.error('XREVRANGE', 'xr-str', '+', '-', 'COUNT', '0');
      await t.do('XRANGE', 's', '-', '+', 'COUNT', '-3');
      await t.do('XRANGE', 's', '-', '+', 'count', '1', 'COUNT', '3');
      await t.do('XRANGE', 's', '+', '-');
      await t.do('XRANGE', 'nope', '-', '+');
      await t.do('XREVRANGE', 's', '+', '-');
      await t.do('XREVRANGE', 's', '+', '-', 'COUNT', '2');
      await t.do('XREVRANGE', 's', '(7', '(1-1');
      await t.do('XREVRANGE', 's', '6', '2');
      await t.error('XRANGE', 's', '(-', '+');
      await t.error('XRANGE', 's', '(' + MAX + '-' + MAX, '+');
      await t.error('XRANGE', 's', '-', '(0-0');
      await t.do('XRANGE', 's', '(0', '(1');
      await t.error('XRANGE', 's', 'x', '+');
      await t.error('XRANGE', 's', '-', '+', 'COUNT');
      await t.error('XRANGE', 's', '-', '+', 'COUNT', 'x');
      await t.error('XRANGE', 's', '-', '+', 'LIMIT', '1');
      await t.error('XRANGE', 's', '-');
      await t.error('XADD', 's', '7-0', 'a', '1');
      await t.error('XADD', 's', '6-5', 'a', '1');
      await t.error('XADD', 's', '0-0', 'a', '1');
      await t.error('XADD', 'new', '0-0', 'a', '1');
      await t.do('EXISTS', 'new');
      await t.do('XADD', 'new', '0-*', 'a', '1');
      await t.error('XADD', 's', '1-x', 'a', '1');
      await t.error('XADD', 's', '-1', 'a', '1');
      await t.error('XADD', 's', '-', 'a', '1');
      await t.error('XADD', 's', '+', 'a', '1');
      await t.error('XADD', 's', '*-1', 'a', '1');
      await t.error('XADD', 's', '10-1', 'a');
      await t.error('XADD', 's', '10-1', 'a', '1', 'b');
      await t.error('XADD', 's', '*');
      await t.error('XADD', 's', 'x'.repeat(130), 'a', '1');
      await t.do('XADD', 'big', `${MAX}-${MAX}`, 'a', '1');
      await t.error('XADD', 'big', '*', 'a', '1');
      await t.do('XRANGE', 'big', '-', '+');
      await t.do('XADD', 'big2', `${MAX}-${BigInt(MAX) - 1n}`, 'a', '1');
      await t.do('XADD', 'big2', `${MAX}-*`, 'a', '1');
      await t.error('XADD', 'big2', `${MAX}-*`, 'a', '1');
      await t.do('XADD', 'big3', `${MAX}-3`, 'a', '1');
      await t.do('XADD', 'big3', `${MAX}-*`, 'a', '1');
      await t.do('XRANGE', 'big3', `${MAX}`, `${MAX}`);
      await t.do('XADD', 'neg', '-18446744073709551615', 'a', '1');
      await t.do('SET', 'str', 'v');
      for (const cmd of [
        ['XADD', 'str', '*', 'a', '1'],
        ['XLEN', 'str'],
        ['XRANGE', 'str', '-', '+'],
        ['XREVRANGE', 'str', '+', '-'],
        ['XDEL', 'str', '1'],
        ['XTRIM', 'str', 'MAXLEN', '1'],
        ['XREAD', 'STREAMS', 'str', '0'],
        ['XSETID', 'str', '1'],
        ['XINFO', 'STREAM', 'str'],
      ]) {
        await t.error(...cmd);
      }
    });
  });

  it('XADD with * and NOMKSTREAM', async () => {
    await bothProtocols(servers, async (t) => {
      await t.check(['XADD', 'a', '*', 'f', 'v'], (r) => assert.match(String((r as { v: unknown }).v), /^\d+-0$/));
      await t.check(['XADD', 'a', '*', 'f', 'v'], (r) => assert.match(String((r as { v: unknown }).v), /^\d+-\d+$/));
      await t.do('XLEN', 'a');
      await t.do('XADD', 'nomk', 'NOMKSTREAM', '*', 'f', 'v');
      await t.do('XADD', 'nomk', 'NOMKSTREAM', '1-1', 'f', 'v');
      await t.do('EXISTS', 'nomk');
      await t.do('XADD', 'b', '1-1', 'f', 'v');
      await t.do('XADD', 'b', 'NOMKSTREAM', '2-1', 'f', 'v');
      await t.do('XADD', 'fut', '99999999999999-5', 'f', 'v');
      await t.do('XADD', 'fut', '*', 'f', 'v');
      await t.do('XADD', 'fut', '*', 'f', 'v');
    });
  });

  it('XADD and XTRIM trimming: MAXLEN, MINID, =, ~, LIMIT and their errors', async () => {
    await bothProtocols(servers, async (t) => {
      for (let i = 1; i <= 250; i++) await t.do('XADD', 's', `${i}-0`, 'f', String(i));
      await t.do('XTRIM', 's', 'MAXLEN', '~', '200');
      await t.do('XLEN', 's');
      await t.do('XTRIM', 's', 'MAXLEN', '~', '120');
      await t.do('XLEN', 's');
      await t.do('XTRIM', 's', 'MAXLEN', '=', '120');
      await t.do('XRANGE', 's', '-', '+', 'COUNT', '2');
      await t.do('XTRIM', 's', 'MINID', '200');
      await t.do('XRANGE', 's', '-', '+', 'COUNT', '2');
      await t.do('XTRIM', 's', 'MINID', '~', '230');
      await t.do('XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '1');
      await t.do('XTRIM', 's', 'MAXLEN', '10');
      await t.do('XLEN', 's');
      await t.do('XADD', 's', 'MAXLEN', '5', '300-0', 'f', 'v');
      await t.do('XRANGE', 's', '-', '+');
      await t.do('XADD', 's', 'MINID', '=', '249', '301-0', 'f', 'v');
      await t.do('XADD', 's', 'MAXLEN', '~', '2', 'LIMIT', '100', '302-0', 'f', 'v');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XTRIM', 'nope', 'MAXLEN', '0');
      await t.do('XTRIM', 's', 'MAXLEN', '0');
      await t.do('EXISTS', 's');
      await t.do('XLEN', 's');
      await t.do('XINFO', 'STREAM', 's');
      await t.error('XTRIM', 's', 'MAXLEN', '-1');
      await t.error('XTRIM', 's', 'MAXLEN', 'x');
      await t.error('XTRIM', 's', 'MAXLEN');
      await t.error('XTRIM', 's', 'MINID', 'x');
      await t.error('XTRIM', 's', 'MINID', '-');
      await t.error('XTRIM', 's', 'MAXLEN', '1', 'MINID', '1');
      await t.error('XTRIM', 's', 'LIMIT', '1');
      await t.error('XTRIM', 's', 'MAXLEN', '1', 'LIMIT', '1');
      await t.error('XTRIM', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1');
      // The options are parsed before the key lookup: errors beat a missing key or a wrong type.
      await t.error('XTRIM', 'nope', 'MAXLEN', 'x');
      await t.error('XTRIM', 'nope', 'MINID', '1', 'LIMIT', '1');
      await t.error('XTRIM', 'nope', 'foo');
      await t.do('SET', 'xt-str', 'v');
      await t.error('XTRIM', 'xt-str', 'MINID', '$');
      await t.error('XTRIM', 'xt-str', 'MAXLEN', '1');
      await t.error('XTRIM', 's', 'FOO');
      await t.error('XTRIM', 's', 'MAXLEN', '1', 'FOO');
      await t.error('XADD', 's', 'MAXLEN', '1', 'MINID', '1', '*', 'f', 'v');
      await t.error('XADD', 's', 'LIMIT', '10', '*', 'f', 'v');
      await t.error('XADD', 's', 'MAXLEN', '=', '1', 'LIMIT', '10', '*', 'f', 'v');
      await t.error('XADD', 's', 'MAXLEN', '-5', '*', 'f', 'v');
      await t.error('XADD', 's', 'MAXLEN', 'x', '*', 'f', 'v');
    });
  });

  it('listpack nodes as Redis splits them (XINFO radix-tree-keys/nodes, approximate trims) through XDEL and XTRIM', async () => {
    await bothProtocols(servers, async (t) => {
      const sizes = [1000, 300, 10, 2000, 50, 4000, 5];
      for (let i = 1; i <= 260; i++) {
        const n = sizes[i % sizes.length];
        const fields = i % 5 === 0 ? ['a', 'x'.repeat(n), 'b', String(i)] : ['f', 'y'.repeat(n)];
        await t.do('XADD', 's', `${i}-1`, ...fields);
        if (i % 20 === 0) await t.do('XINFO', 'STREAM', 's');
      }
      await t.do('XDEL', 's', '1-1', '2-1', '3-1', '4-1', '5-1', '6-1', '7-1');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XTRIM', 's', 'MAXLEN', '~', '200');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XTRIM', 's', 'MINID', '100');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XDEL', 's', '259-1', '260-1', '258-1');
      await t.do('XADD', 's', '500-1', 'f', 'v');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XTRIM', 's', 'MINID', '~', '200');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('MEMORY', 'USAGE', 's');
      for (let i = 1; i <= 120; i++) await t.do('XADD', 'm', `${i}-${i % 3}`, 'field', `value${i}`);
      await t.do('MEMORY', 'USAGE', 'm');
      await t.do('XADD', 'one', '1-1', 'a', '1');
      await t.do('MEMORY', 'USAGE', 'one');
      await t.do('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM');
      await t.do('XGROUP', 'DESTROY', 'empty', 'g');
      await t.do('MEMORY', 'USAGE', 'empty');
    });
  });

  it('XDEL, XSETID and XINFO STREAM', async () => {
    await bothProtocols(servers, async (t) => {
      for (let i = 1; i <= 5; i++) await t.do('XADD', 's', `${i}-0`, 'f', String(i));
      await t.do('XDEL', 's', '2-0', '4', '9-9');
      await t.do('XDEL', 's', '1-0');
      await t.do('XRANGE', 's', '-', '+');
      await t.do('XINFO', 'STREAM', 's');
      await t.error('XDEL', 's', 'x');
      await t.error('XDEL', 's', '-');
      await t.do('XDEL', 'nope', '1');
      await t.do('XDEL', 's', '3', '5');
      await t.do('EXISTS', 's');
      await t.do('XINFO', 'STREAM', 's');
      await t.do('XADD', 's', '*', 'f', 'v').catch(() => undefined);
      await t.do('XADD', 'x', '10-0', 'f', 'v');
      await t.do('XSETID', 'x', '20-5');
      await t.error('XADD', 'x', '20-5', 'f', 'v');
      await t.do('XADD', 'x', '20-*', 'f', 'v');
      await t.error('XSETID', 'x', '5-0');
      await t.do('XSETID', 'x', '30-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '25-0');
      await t.do('XINFO', 'STREAM', 'x');
      await t.error('XSETID', 'x', '40-0', 'ENTRIESADDED', '1');
      await t.error('XSETID', 'x', '40-0', 'ENTRIESADDED', '-1');
      await t.error('XSETID', 'x', '40-0', 'MAXDELETEDID', '50-0');
      await t.do('XSETID', 'x', '24-0');
      await t.error('XSETID', 'x', '19-0');
      await t.error('XSETID', 'x', '40-0', 'FOO');
      await t.error('XSETID', 'x', '40-0', 'ENTRIESADDED');
      await t.error('XSETID', 'x', '-');
      await t.error('XSETID', 'nope', '1-1');
      await t.error('XSETID', 'nope', 'x');
      await t.error('XINFO', 'STREAM', 'nope');
      await t.error('XINFO', 'STREAM', 'x', 'FOO');
      await t.do('XINFO', 'STREAM', 'x');
    });
  });

  it('XREAD without blocking', async () => {
    await bothProtocols(servers, async (t) => {
      // BLOCK from a script is an error (in MULTI it just does not block).
      await t.do('EVAL', "return redis.pcall('XREAD', 'BLOCK', '10', 'STREAMS', 's', '0')", '0');
      await t.do('EVAL', "return redis.pcall('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', 's', '>')", '0');
      for (let i = 1; i <= 5; i++) await t.do('XADD', 'a', `${i}-0`, 'f', String(i));
      await t.do('XADD', 'b', '3-0', 'g', 'x');
      await t.do('XREAD', 'STREAMS', 'a', '0');
      await t.do('XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '1', '0');
      await t.do('XREAD', 'STREAMS', 'a', 'b', 'nope', '5', '3', '0');
      await t.do('XREAD', 'STREAMS', 'a', '$');
      await t.do('XREAD', 'COUNT', '0', 'STREAMS', 'a', '4');
      await t.do('XREAD', 'COUNT', '-1', 'STREAMS', 'a', '4');
      await t.do('XREAD', 'BLOCK', '10', 'STREAMS', 'a', '2').catch(() => undefined);
      await t.error('XREAD', 'STREAMS', 'a');
      await t.error('XREAD', 'STREAMS', 'a', 'b', '0');
      await t.error('XREAD', 'STREAMS', 'a', '>');
      await t.error('XREAD', 'STREAMS', 'a', '-');
      await t.error('XREAD', 'STREAMS', 'a', 'x');
      await t.error('XREAD', 'COUNT', 'x', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'BLOCK', 'x', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0');
      await t.do('XREAD', 'BLOCK', '9223372036854775807', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'BLOCK', '9223372036854775808', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'NOACK', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'FOO', 'STREAMS', 'a', '0');
      await t.error('XREAD', 'COUNT', '1');
      await t.error('XREAD', 'STREAMS');
      await t.do('COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0');
      await t.do('COMMAND', 'GETKEYS', 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'a', 'b', '>', '>');
      await t.error('COMMAND', 'GETKEYS', 'XREAD', 'STREAMS', 'a');
      await t.do('COMMAND', 'GETKEYS', 'XADD', 'k', '*', 'f', 'v');
      await t.do('MULTI');
      await t.do('XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$');
      await t.do('EXEC');
    });
  });

  it('consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XINFO GROUPS/CONSUMERS', async () => {
    await bothProtocols(servers, async (t) => {
      for (let i = 1; i <= 5; i++) await t.do('XADD', 's', `${i}-0`, 'f', String(i));
      await t.do('XGROUP', 'CREATE', 's', 'g', '0');
      await t.error('XGROUP', 'CREATE', 's', 'g', '0');
      await t.do('XGROUP', 'CREATE', 's', 'g2', '$');
      await t.do('XGROUP', 'CREATE', 's', 'g3', '2-0', 'ENTRIESREAD', '2');
      await t.error('XGROUP', 'CREATE', 'nope', 'g', '0');
      await t.do('XGROUP', 'CREATE', 'mk', 'g', '$', 'MKSTREAM');
      await t.do('TYPE', 'mk');
      await t.do('XLEN', 'mk');
      await t.error('XGROUP', 'CREATE', 's', 'gx', 'x');
      await t.error('XGROUP', 'CREATE', 's', 'gx', '0', 'FOO');
      await t.error('XGROUP', 'CREATE', 's', 'gx', '0', 'ENTRIESREAD', '-5');
      // SETID parses every ENTRIESREAD before the key lookup, and checks its argument count last.
      await t.error('XGROUP', 'SETID', 's', 'g', '$', 'ENTRIESREAD', 'ENTRIESREAD', '10');
      await t.error('XGROUP', 'SETID', 's', 'g', '$', 'ENTRIESREAD', '1', 'ENTRIESREAD', '2');
      await t.error('XGROUP', 'SETID', 's', 'nog', '$', 'ENTRIESREAD', '1', 'ENTRIESREAD', '2');
      await t.error('XGROUP', 'SETID', 'nope', 'g', '$', 'ENTRIESREAD', '1', 'ENTRIESREAD', '2');
      await t.error('XGROUP', 'SETID', 'nope', 'g', '$', 'ENTRIESREAD', 'x');
      await t.error('XGROUP', 'SETID', 's', 'g', '$', 'MKSTREAM');
      await t.error('XGROUP', 'CREATE', 's', 'gx', '0', 'ENTRIESREAD', 'x');
      await t.error('XGROUP', 'CREATE', 's', 'gx');
      await t.do('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice');
      await t.do('XGROUP', 'CREATECONSUMER', 's', 'g', 'alice');
      await t.error('XGROUP', 'CREATECONSUMER', 's', 'nog', 'alice');
      await t.error('XGROUP', 'CREATECONSUMER', 'nope', 'g', 'alice');
      await t.do('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>');
      await t.do('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>');
      await t.do('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>');
      await t.do('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0');
      await t.do('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '1-0');
      await t.do('XREADGROUP', 'GROUP', 'g2', 'carol', 'NOACK', 'STREAMS', 's', '>');
      await t.do('XADD', 's', '6-0', 'f', '6');
      await t.do('XREADGROUP', 'GROUP', 'g2', 'carol', 'NOACK', 'STREAMS', 's', '>');
      await t.do('XREADGROUP', 'GROUP', 'g3', 'dave', 'STREAMS', 's', 'mk', '>', '>');
      await t.do('XPENDING', 's', 'g');
      await t.do('XPENDING', 's', 'g2');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '10');
      await doTimeless(t, 'XPENDING', 's', 'g', '(1-0', '(5', '2');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '10', 'bob');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '10', 'nobody');
      await doTimeless(t, 'XPENDING', 's', 'g', 'IDLE', '100000', '-', '+', '10');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '-1');
      await t.error('XPENDING', 's', 'g', '-', '+');
      await t.error('XPENDING', 's', 'g', 'IDLE', '10', '-', '+');
      await t.error('XPENDING', 's', 'g', '-', '+', 'x');
      await t.error('XPENDING', 's', 'g', 'x', '+', '1');
      await t.error('XPENDING', 's', 'nog');
      await t.error('XPENDING', 'nope', 'g');
      await t.do('XINFO', 'GROUPS', 's');
      await doTimeless(t, 'XINFO', 'CONSUMERS', 's', 'g');
      await t.error('XINFO', 'CONSUMERS', 's', 'nog');
      await t.error('XINFO', 'GROUPS', 'nope');
      await doTimeless(t, 'XINFO', 'STREAM', 's', 'FULL');
      await doTimeless(t, 'XINFO', 'STREAM', 's', 'FULL', 'COUNT', '1');
      await t.error('XINFO', 'STREAM', 's', 'FULL', 'COUNT');
      await t.error('XINFO', 'STREAM', 's', 'FULL', 'X', '1');
      await t.do('XINFO', 'HELP');
      await t.do('XGROUP', 'HELP');
      await t.do('XACK', 's', 'g', '1-0', '2-0', '9-0');
      await t.do('XACK', 's', 'g', '1-0');
      await t.do('XACK', 's', 'nog', '1-0');
      await t.do('XACK', 'nope', 'g', '1-0');
      await t.error('XACK', 's', 'g', 'x');
      await t.do('XPENDING', 's', 'g');
      await t.do('XDEL', 's', '3-0');
      await t.do('XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '0');
      await t.do('XINFO', 'GROUPS', 's');
      await t.do('XGROUP', 'SETID', 's', 'g', '0');
      await t.do('XGROUP', 'SETID', 's', 'g', '$', 'ENTRIESREAD', '3');
      await t.do('XGROUP', 'SETID', 's', 'g2', '2-0');
      await t.do('XINFO', 'GROUPS', 's');
      await t.error('XGROUP', 'SETID', 's', 'nog', '0');
      await t.error('XGROUP', 'SETID', 's', 'g', '0', 'FOO', '1');
      await t.error('XGROUP', 'SETID', 's', 'g', 'x');
      await t.do('XGROUP', 'DELCONSUMER', 's', 'g', 'bob');
      await t.do('XGROUP', 'DELCONSUMER', 's', 'g', 'nobody');
      await t.do('XPENDING', 's', 'g');
      await t.do('XGROUP', 'DESTROY', 's', 'g');
      await t.do('XGROUP', 'DESTROY', 's', 'g');
      await t.error('XGROUP', 'DESTROY', 'nope', 'g');
      await t.error('XREADGROUP', 'GROUP', 'g', 'x', 'STREAMS', 's', '>');
      await t.error('XREADGROUP', 'GROUP', 'g2', 'x', 'STREAMS', 's', '$');
      await t.error('XREADGROUP', 'STREAMS', 's', '>');
      await t.error('XREADGROUP', 'GROUP', 'g2', 'x', 'STREAMS', 's');
      await t.do('XREADGROUP', 'GROUP', 'g2', 'x', 'BLOCK', '10', 'STREAMS', 's', '0').catch(() => undefined);
      await t.do('SET', 'str', 'v');
      await t.error('XGROUP', 'CREATE', 'str', 'g', '0');
      await t.error('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'str', '>');
      await t.error('XACK', 'str', 'g', '1');
      await t.error('XPENDING', 'str', 'g');
      await t.error('XCLAIM', 'str', 'g', 'c', '0', '1');
      await t.error('XAUTOCLAIM', 'str', 'g', 'c', '0', '0');
      // NOGROUP and option errors print names with C's %s: up to the first NUL byte.
      await t.do('XADD', 'nul', '1-1', 'f', 'v');
      await t.do('XGROUP', 'CREATE', 'nul', 'g', '0');
      await t.error('XCLAIM', 'nul', 'g', 'c', '0', '1-1', 'x\0y');
      await t.error('XGROUP', 'SETID', 'nul', 'g\0h', '$');
      await t.error('XINFO', 'CONSUMERS', 'nul', 'g\0h');
      await t.error('XAUTOCLAIM', 'nul', 'g\0h', 'c', '0', '0');
      await t.error('XPENDING', 'nul\0x', 'g');
      await t.error('XREADGROUP', 'GROUP', 'g\0h', 'c', 'STREAMS', 'nul', '>');
      await t.error('XINFO', 'GROUPS', 'str');
    });
  });

  it('XCLAIM and XAUTOCLAIM', async () => {
    await bothProtocols(servers, async (t) => {
      for (let i = 1; i <= 6; i++) await t.do('XADD', 's', `${i}-0`, 'f', String(i));
      await t.do('XGROUP', 'CREATE', 's', 'g', '0');
      await t.do('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
      await t.do('XCLAIM', 's', 'g', 'bob', '0', '1-0', '2-0');
      await t.do('XCLAIM', 's', 'g', 'bob', '100000', '3-0');
      await t.do('XCLAIM', 's', 'g', 'bob', '0', '3-0', 'JUSTID');
      await t.do('XCLAIM', 's', 'g', 'bob', '0', '4-0', 'RETRYCOUNT', '7', 'IDLE', '5000');
      await t.do('XCLAIM', 's', 'g', 'carol', '0', '9-0', 'FORCE');
      await t.do('XDEL', 's', '5-0');
      await t.do('XCLAIM', 's', 'g', 'carol', '0', '5-0', '6-0', 'TIME', '1', 'LASTID', '10-0');
      await t.do('XINFO', 'GROUPS', 's');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '10');
      await t.do('XDEL', 's', '6-0');
      await t.do('XADD', 's', '11-0', 'f', '11');
      await t.do('XCLAIM', 's', 'g', 'dave', '0', '11-0', 'FORCE', 'JUSTID');
      await doTimeless(t, 'XPENDING', 's', 'g', '-', '+', '10');
      await t.error('XCLAIM', 's', 'g', 'bob', 'x', '1-0');
      await t.error('XCLAIM', 's', 'g', 'bob', '0', '1-0', 'IDLE', 'x');
      await t.error('XCLAIM', 's', 'g', 'bob', '0', '1-0', 'TIME', 'x');
      await t.error('XCLAIM', 's', 'g', 'bob', '0', '1-0', 'RETRYCOUNT', 'x');
      await t.error('XCLAIM', 's', 'g', 'bob', '0', '1-0', 'LASTID', 'x');
      await t.error('XCLAIM', 's', 'g', 'bob', '0', '1-0', 'FOO');
      await t.error('XCLAIM', 's', 'nog', 'bob', '0', '1-0');
      await t.error('XCLAIM', 'nope', 'g', 'bob', '0', '1-0');
      await t.do('XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '1');
      await t.do('XAUTOCLAIM', 's', 'g', 'erin', '0', '(1-0', 'COUNT', '2', 'JUSTID');
      await t.do('XAUTOCLAIM', 's', 'g', 'erin', '100000', '0');
      await t.do('XAUTOCLAIM', 's', 'g', 'frank', '0', '0');
      await doTimeless(t, 'XINFO', 'CONSUMERS', 's', 'g');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', 'x', '0');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', '0', 'x');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '0');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', 'x');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'FOO');
      await t.error('XAUTOCLAIM', 's', 'nog', 'erin', '0', '0');
      await t.error('XAUTOCLAIM', 's', 'g', 'erin', '0', `(${MAX}-${MAX}`);
    });
  });

  it('XREAD and XREADGROUP BLOCK: woken by XADD from another client, timeouts, several readers', async () => {
    for (const proto of [2, 3]) {
      const replies: string[][] = [];
      for (const port of [servers.redis.port, servers.ours.port]) {
        const [a, b, w, ctl] = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(port)));
        await ctl.send('FLUSHALL');
        if (proto === 3) for (const c of [a, b]) await c.send('HELLO', '3');
        const out: string[] = [];
        await w.send('XADD', 's', '1-0', 'f', 'old');
        await w.send('XGROUP', 'CREATE', 's', 'g', '$');
        const ra = a.send('XREAD', 'BLOCK', '0', 'STREAMS', 'nokey', 's', '0', '$');
        const rb = b.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>');
        await waitBlocked(ctl, 2);
        // A change that adds nothing new (XDEL) leaves them blocked.
        await w.send('XDEL', 's', '1-0');
        await w.send('XADD', 'nokey', '5-0', 'f', 'v');
        await w.send('XADD', 's', '7-0', 'f', 'new', 'g', 'h');
        for (const r of await Promise.all([ra, rb])) out.push(r.raw.toString('latin1'));
        const rt = a.send('XREAD', 'BLOCK', '30', 'STREAMS', 's', '$');
        out.push((await rt).raw.toString('latin1'));
        // Both readers of one stream are served by one XADD (entries are not consumed).
        const r1 = a.send('XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '7-0');
        const r2 = b.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
        await waitBlocked(ctl, 2);
        await w.send('MULTI');
        await w.send('XADD', 's', '8-0', 'a', '1');
        await w.send('XADD', 's', '9-0', 'b', '2');
        await w.send('EXEC');
        for (const r of await Promise.all([r1, r2])) out.push(r.raw.toString('latin1'));
        out.push((await ctl.send('XPENDING', 's', 'g')).raw.toString('latin1'));
        // XGROUP DESTROY wakes the group's blocked reader with NOGROUP.
        out.push((await ctl.send('XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 's', '>')).raw.toString('latin1'));
        const rg = b.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>');
        await waitBlocked(ctl, 1);
        await w.send('XGROUP', 'DESTROY', 's', 'g');
        out.push((await rg).raw.toString('latin1'));
        // Deleting the key answers XREADGROUP readers (UNBLOCKED); XREAD readers keep waiting.
        await w.send('XGROUP', 'CREATE', 's', 'g', '$');
        const rd = b.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>');
        const rx = a.send('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
        await waitBlocked(ctl, 2);
        await w.send('DEL', 's');
        out.push((await rd).raw.toString('latin1'));
        await waitBlocked(ctl, 1);
        await w.send('XADD', 's', '20-0', 'f', 'v');
        out.push((await rx).raw.toString('latin1'));
        for (const c of [a, b, w, ctl]) c.close();
        replies.push(out);
      }
      assert.deepEqual(replies[1], replies[0], `RESP${proto}`);
    }
  });

  it('generic commands on streams: TYPE, DEL, EXISTS, RENAME, COPY, MOVE, SCAN TYPE, SORT, WATCH', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('XADD', 's', '1-0', 'f', 'v');
      await t.do('XGROUP', 'CREATE', 's', 'g', '0');
      await t.do('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>');
      await t.do('COPY', 's', 'c');
      await t.do('XADD', 's', '2-0', 'f', 'w');
      await t.do('XLEN', 'c');
      await t.do('XINFO', 'GROUPS', 'c');
      await t.do('XPENDING', 'c', 'g');
      await t.do('RENAME', 'c', 'r');
      await t.do('XRANGE', 'r', '-', '+');
      await t.do('MOVE', 'r', '5');
      await t.do('EXISTS', 'r');
      await t.do('SELECT', '5');
      await t.do('TYPE', 'r');
      await t.do('XLEN', 'r');
      await t.do('SELECT', '0');
      await t.do('SET', 'str', 'v');
      await t.unordered('SCAN', '0', 'TYPE', 'stream');
      await t.error('SORT', 's');
      await t.error('GET', 's');
      await t.error('LPUSH', 's', 'x');
      await t.do('DEL', 's');
      await t.do('EXISTS', 's');
      await t.do('WATCH', 'w');
      const r = await servers.pair();
      await r.do('XADD', 'w', '1-0', 'f', 'v');
      await t.do('MULTI');
      await t.do('PING');
      await t.do('EXEC');
      r.close();
    });
  });

  it('keyspace notifications (class t): xadd, xtrim, xdel, xsetid, xgroup-*', async () => {
    const t = await servers.pair();
    const sub = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await sub.do('PSUBSCRIBE', '__key*__:*');
    for (const cmd of [
      ['XADD', 's', '1-0', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '1', '2-0', 'f', 'v'],
      ['XADD', 's', 'MAXLEN', '5', '3-0', 'f', 'v'],
      ['XTRIM', 's', 'MAXLEN', '1'],
      ['XTRIM', 's', 'MAXLEN', '1'],
      ['XDEL', 's', '3-0'],
      ['XDEL', 's', '3-0'],
      ['XSETID', 's', '10-0'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XGROUP', 'CREATE', 'mk', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
      ['XADD', 's', '11-0', 'f', 'v'],
      ['XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 's', '>'],
      ['XCLAIM', 's', 'g', 'c3', '0', '11-0'],
      ['XAUTOCLAIM', 's', 'g', 'c4', '0', '0'],
      ['XGROUP', 'SETID', 's', 'g', '0'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XADD', 'nomk', 'NOMKSTREAM', '*', 'f', 'v'],
      ['DEL', 's'],
      ['PUBLISH', 'done', 'x'],
    ]) {
      await t.do(...cmd);
    }
    await t.do('CONFIG', 'SET', 'notify-keyspace-events', '');
    const collect = async (c: RawClient): Promise<string[]> => {
      const out: string[] = [];
      for (;;) {
        const raw = (await c.read()).raw.toString('latin1');
        if (raw.includes('__keyspace@0__:s') && raw.includes('$3\r\ndel\r\n')) return out;
        out.push(raw.replace(/\r\n/g, ' '));
      }
    };
    const [redis, ours] = await Promise.all([collect(sub.redis), collect(sub.ours)]);
    assert.deepEqual(ours, redis);
    assert.ok(redis.some((m) => m.includes('xgroup-createconsumer')));
    t.close();
    sub.close();
  });

  it('used_memory stays equal to its recount through stream commands', () => {
    const engine = new Engine();
    const ks = engine.context.keyspace;
    const cmds: string[][] = [];
    for (let i = 1; i <= 300; i++) cmds.push(['XADD', 's', `${i}-0`, i % 3 === 0 ? 'other' : 'f', 'v'.repeat(i % 50)]);
    cmds.push(['XDEL', 's', '5-0', '150-0'], ['XTRIM', 's', 'MAXLEN', '~', '120'], ['XTRIM', 's', 'MINID', '260']);
    cmds.push(['XGROUP', 'CREATE', 's', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'], ['XACK', 's', 'g', '270-0']);
    cmds.push(['COPY', 's', 's2'], ['XSETID', 's', '1000-0'], ['XTRIM', 's', 'MAXLEN', '0'], ['DEL', 's2']);
    for (const cmd of cmds) {
      engine.call(...cmd);
      assert.equal(ks.usedMemory, ks.usedMemoryFromScratch(), `after ${cmd.join(' ')}`);
    }
    assert.equal(engine.call('XLEN', 's'), 0);
  });
});

async function waitBlocked(ctl: RawClient, n: number): Promise<void> {
  for (;;) {
    const info = (await ctl.send('INFO', 'clients')).raw.toString('latin1');
    if (new RegExp(`blocked_clients:${n}\\b`).test(info)) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}
