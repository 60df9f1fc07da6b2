import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { differentialServers, type Pair } from './support/differential.js';
import type { Reply } from './support/raw-client.js';
import { Engine } from '../src/embedded.js';

/**
 * Redis 7 functions against real Redis 7.0, byte for byte: FUNCTION LOAD (metadata, registration
 * errors, load-time sandbox), FCALL / FCALL_RO, LIST, DELETE, FLUSH, STATS, KILL, DUMP/RESTORE
 * round trips, and the embedded door.
 */

const servers = differentialServers(['--busy-reply-threshold', '50']);

async function fresh(): Promise<Pair> {
  const t = await servers.pair();
  await t.do('FLUSHALL');
  await t.do('FUNCTION', 'FLUSH');
  return t;
}

const LIB1 = `#!lua name=lib1
redis.register_function('f1', function(keys, args) return {keys[1], args[1], redis.call('ping')} end)`;

const LIB2 = `#!lua name=lib2
redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='desc'}`;

describe('FUNCTION LOAD and FCALL', () => {
  it('loads libraries and calls their functions', async () => {
    const t = await fresh();
    await t.do('FUNCTION', 'LOAD', LIB1);
    await t.do('FUNCTION', 'LOAD', LIB2);
    await t.do('FCALL', 'f1', '1', 'k', 'a');
    await t.do('FCALL', 'f2', '1', 'k', 'v');
    await t.do('FCALL_RO', 'f1', '0');
    await t.do('FCALL_RO', 'f2', '1', 'k', 'v');
    await t.do('FCALL', 'nosuch', '0');
    await t.do('FCALL', 'nosuch', 'x');
    await t.do('FCALL', 'f1', 'x');
    await t.do('FCALL', 'f1', '3', 'a');
    await t.do('FCALL', 'f1', '-1');
    await t.do('FUNCTION', 'LOAD', LIB1);
    await t.do('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)");
    await t.do('FCALL', 'f1', '0');
    await t.do('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=lib1\nredis.register_function('g1', function() return 3 end)");
    await t.do('FCALL', 'f1', '0');
    await t.do('FCALL', 'g1', '0');
    await t.do('FUNCTION', 'LOAD', "#!lua name=lib3\nredis.register_function('g1', function() return 3 end)");
    await t.do('FUNCTION', 'LOAD', 'BAD', LIB1);
    await t.do('FUNCTION', 'LIST', 'LIBRARYNAME', 'lib2', 'WITHCODE');
    // Libraries are listed in hash order in Redis: compare as sets.
    await t.unordered('FUNCTION', 'LIST', 'libraryname', 'LIB*');
  });

  it('library metadata and registration errors', async () => {
    const t = await fresh();
    const bodies = [
      "redis.register_function()", "redis.register_function('a')", "redis.register_function(1, function() end)",
      "redis.register_function('a b', function() end)", "redis.register_function('a', 1)", "redis.register_function{function_name='a'}",
      "redis.register_function{callback=function() end}", "redis.register_function{function_name='a', callback=function() end, flags='x'}",
      "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}",
      "redis.register_function{function_name='a', callback=function() end, foo=1}",
      "redis.register_function{function_name='a', callback=function() end, description=1}",
      "redis.register_function('a', function() end) redis.register_function('a', function() end)", 'return 1 +', "error('x')",
      "redis.register_function('a', function() end, 3)", "redis.log(redis.LOG_WARNING, 'x') redis.register_function('zz', function() return 1 end)",
      'redis.setresp(3)', "redis.call('ping')", 'local x = y', 'x = 1', 'return 1', 'local x = string', 'local x = redis.REDIS_VERSION',
    ];
    for (const body of bodies) {
      await t.do('FUNCTION', 'LOAD', `#!lua name=libz\n${body}`);
      await t.do('FUNCTION', 'FLUSH');
    }
    for (const code of ['#!lua name=a name=b\n', '#!lua foo=b\n', '#!js name=b\n', '#!lua', "redis.register_function('f', function() end)", '#!lua name=lib-x\nreturn 1', '#!LUA name=upper\nredis.register_function(\'u\', function() return 1 end)']) {
      await t.do('FUNCTION', 'LOAD', code);
    }
    // A NUL before the shebang's newline hides it from strchr; %s stops at a NUL.
    for (const code of ['#!lu\0a name=x\nreturn 1', '#!lua name=x\0y\nreturn 1', '#!lua name=x a\0b=c\nreturn 1']) await t.error('FUNCTION', 'LOAD', code);
    await t.error('FUNCTION', 'LOAD', 'x\0y', '#!lua name=x\nreturn 1');
    await t.error('FUNCTION', 'LIST', 'x\0y');
  });

  it('run-time environment and errors', async () => {
    const t = await fresh();
    await t.do(
      'FUNCTION', 'LOAD',
      `#!lua name=lib2
redis.register_function('g', function() error('boom') end)
redis.register_function('h', function() return x end)
redis.register_function('i', function() return {redis.REDIS_VERSION, type(KEYS)} end)
redis.register_function('j', function(keys, args) return #keys .. ':' .. #args end)
redis.register_function('k', function() return {type(redis.register_function), type(redis.call), type(cjson)} end)
redis.register_function('l', function() return redis.call('incr', 'l') end)`,
    );
    await t.do('FCALL', 'g', '0');
    await t.do('FCALL', 'h', '0');
    await t.do('FCALL', 'i', '0');
    await t.do('FCALL', 'j', '2', 'a', 'b', 'c');
    await t.do('FCALL', 'k', '0');
    await t.do('FCALL', 'l', '0');
    await t.do('FCALL_RO', 'l', '0');
    await t.do('SET', 's', 'x');
    await t.do('MULTI');
    await t.do('FCALL', 'l', '0');
    await t.do('EXEC');
  });

  it('LIST / DELETE / FLUSH / STATS / KILL / HELP', async () => {
    const t = await fresh();
    await t.do('FUNCTION', 'LIST');
    await t.do('FUNCTION', 'LOAD', LIB2);
    await t.do('FUNCTION', 'LIST');
    await t.do('FUNCTION', 'LIST', 'WITHCODE');
    await t.do('FUNCTION', 'LIST', 'LIBRARYNAME');
    await t.do('FUNCTION', 'LIST', 'foo');
    await t.do('FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE');
    await t.do('FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch*');
    await t.do('FUNCTION', 'STATS');
    await t.do('FUNCTION', 'DELETE', 'nosuch');
    await t.do('FUNCTION', 'DELETE', 'lib2');
    await t.do('FCALL', 'f2', '0');
    await t.do('FUNCTION', 'FLUSH', 'bad');
    await t.error('FUNCTION', 'flush', 'SYNC', 'SYNC');
    await t.do('FUNCTION', 'FLUSH', 'ASYNC');
    await t.do('FUNCTION', 'FLUSH', 'SYNC');
    await t.do('FUNCTION', 'KILL');
    await t.do('FUNCTION');
    await t.do('FUNCTION', 'HELP');
    await t.do('FUNCTION', 'RESTORE', 'garbage');
  });

  it('DUMP / RESTORE round trip, with Redis payloads too', async () => {
    const t = await fresh();
    await t.do('FUNCTION', 'LOAD', LIB1);
    const [r, o] = await t.both('FUNCTION', 'DUMP');
    assert.equal(r.reply.t, 'bulk');
    assert.equal(o.reply.t, 'bulk');
    const redisDump = (r.reply as { v: Buffer | string }).v;
    const ourDump = (o.reply as { v: Buffer | string }).v;
    await t.do('FUNCTION', 'FLUSH');
    // Each server restores the other's payload.
    const [r2, o2] = await Promise.all([t.redis.send('FUNCTION', 'RESTORE', ourDump), t.ours.send('FUNCTION', 'RESTORE', redisDump)]);
    assert.equal(o2.raw.toString(), r2.raw.toString());
    await t.do('FCALL', 'f1', '1', 'k', 'a');
    await t.do('FUNCTION', 'RESTORE', redisDump as string);
    await t.do('FUNCTION', 'RESTORE', redisDump as string, 'REPLACE');
    await t.do('FUNCTION', 'RESTORE', redisDump as string, 'FLUSH');
    await t.do('FUNCTION', 'RESTORE', redisDump as string, 'BAD');
    await t.do('FUNCTION', 'LIST');
  });

  it('FUNCTION KILL stops a long-running function; SCRIPT KILL refuses it', async () => {
    const t = await fresh();
    const b = await servers.pair();
    await t.do('FUNCTION', 'LOAD', "#!lua name=spin\nredis.register_function('spin', function() while true do end end)");
    const running = t.both('FCALL', 'spin', '0');
    await sleep(300);
    await b.do('PING');
    // running_script: name, command and a duration that differs between the servers.
    await b.check(['FUNCTION', 'STATS'], (reply) => {
      assert.equal(reply.t, 'array');
      const items = (reply as { v: Reply[] }).v;
      const running = (items[1] as { v: Reply[] }).v.map((r) => ('v' in r && !Array.isArray(r.v) ? r.v : r));
      assert.deepEqual(running.slice(0, 3), ['name', 'spin', 'command']);
      assert.deepEqual(running[3], { t: 'array', v: [{ t: 'bulk', v: 'FCALL' }, { t: 'bulk', v: 'spin' }, { t: 'bulk', v: '0' }] });
      assert.equal(running[4], 'duration_ms');
    });
    await b.do('SCRIPT', 'KILL');
    await b.do('FUNCTION', 'KILL');
    const [r, o] = await running;
    assert.equal(o.raw.toString(), r.raw.toString());
  });

  it('FUNCTION LOAD stops library code after 500 ms', async () => {
    const t = await fresh();
    await t.do('FUNCTION', 'LOAD', '#!lua name=slow\nwhile true do end');
    await t.do('FUNCTION', 'LOAD', "#!lua name=slow\nlocal ok = pcall(function() while true do end end)\nredis.register_function('s', function() return 1 end)");
    await t.do('FUNCTION', 'LIST');
  });

  it('embedded engine', () => {
    const e = new Engine();
    assert.equal(e.call('FUNCTION', 'LOAD', "#!lua name=m\nredis.register_function('inc', function(keys) return redis.call('incr', keys[1]) end)"), 'm');
    assert.equal(e.call('FCALL', 'inc', 1, 'n'), 1);
    assert.equal(e.call('FCALL', 'inc', 1, 'n'), 2);
  });
});
