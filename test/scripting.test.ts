import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { differentialServers, type Pair } from './support/differential.js';
import { Engine } from '../src/embedded.js';
import { ErrorReply, StatusReply } from '../src/commands/reply.js';

/**
 * EVAL / EVALSHA / EVAL_RO / EVALSHA_RO / SCRIPT against real Redis 7.0, byte for byte: the
 * Lua ↔ RESP conversion rules both ways (RESP2 and RESP3), error texts, the 5.1 environment and
 * its protection, cjson / cmsgpack / bit / struct, read-only scripts, MULTI with EVAL; a
 * 20 × 50 INCR-in-a-script counter; the embedded door.
 */

const servers = differentialServers();

async function fresh(): Promise<Pair> {
  const t = await servers.pair();
  await t.do('FLUSHALL');
  return t;
}

/** EVAL with no keys on both servers, compared byte for byte. */
async function ev(t: Pair, script: string, ...rest: string[]): Promise<void> {
  await t.do('EVAL', script, rest.length === 0 ? '0' : rest[0], ...rest.slice(1));
}

describe('EVAL: Lua → reply conversion', () => {
  it('numbers truncate, booleans, nil, strings, nested arrays stop at the first nil', async () => {
    const t = await fresh();
    for (const s of [
      'return 1', 'return -1', 'return 3.99', 'return -3.99', 'return 2^53', 'return 2^62', 'return 2^63', 'return -2^63',
      'return 1e300', 'return 0/0', 'return math.huge', "return 'hello'", "return ''", 'return true', 'return false', 'return nil',
      'return', "return {1,2,{3,'x'},false,true}", 'return {1,nil,3}', 'return {}', 'return {a=1}', "return {1,2,3,'ciao',{1,2}}",
      "return 'a\\0b\\200\\255'", 'return {{{{{1}}}}}', 'return 10/3', 'return 1, 2',
    ]) {
      await ev(t, s);
    }
  });

  it('tables with err / ok / double / map / set / big_number / verbatim_string fields', async () => {
    const t = await fresh();
    for (const s of [
      "return {err='no prefix'}", "return {err='ERR x'}", "return {err='a\\r\\nb'}", 'return {err=1}', "return {ok='fine'}",
      "return {ok='a\\r\\nb'}", 'return {ok=1}', "return {err='e', ok='o'}", 'return {double=1/3}', 'return {double=3.5}',
      "return {big_number='123456789012345678901234567890'}", "return {verbatim_string={format='txt', string='hi'}}",
      "return {map={a=1}}", "return {set={a=true}}", "return {1, {err='nested'}, {ok='OK'}}", "return redis.error_reply('MY bad')",
      "return redis.error_reply('-FOO bar')", "return redis.error_reply('x')", "return redis.status_reply('HI')", 'return redis.error_reply(1)',
      'return redis.status_reply()', "return redis.status_reply('a\\r\\nb')",
    ]) {
      await ev(t, s);
    }
  });

  it('RESP3 client: nulls, booleans after setresp(3), doubles, maps, sets, big numbers, verbatim', async () => {
    const t = await fresh();
    await t.both('HELLO', '3');
    for (const s of [
      'return nil', 'return false', 'return true', 'redis.setresp(3) return true', 'redis.setresp(3) return false',
      'return {double=3.5}', 'return {double=1/0}', "return {map={a=1}}", "return {set={a=true}}",
      "return {big_number='123'}", "return {verbatim_string={format='txt', string='hi'}}", 'return {1,false,3}',
    ]) {
      await ev(t, s);
    }
  });
});

describe('EVAL: reply → Lua conversion', () => {
  it('RESP2 replies as Lua values', async () => {
    const t = await fresh();
    await t.do('SET', 's', '5');
    await t.do('HSET', 'h', 'f', 'v');
    await t.do('ZADD', 'z', '1.5', 'm');
    await t.do('SADD', 'set', 'a');
    for (const s of [
      "return redis.call('get', 's')", "return type(redis.call('get', 'nokey'))", "return redis.call('set', 'x', '1')",
      "return redis.call('set', 'x', '1').ok", "return redis.call('incr', 's')", "return type(redis.call('incr', 's'))",
      "return redis.call('hgetall', 'h')", "return redis.call('zscore', 'z', 'm')", "return redis.call('smembers', 'set')",
      "return redis.call('ping')", "return redis.pcall('incr', 'h')", "return redis.pcall('incr', 'h').err",
      "return type(redis.call('lpop', 'nolist'))", "return redis.call('zrange', 'z', 0, -1, 'withscores')",
      "return cjson.encode(redis.call('hgetall', 'nokey'))", "return 'key:' .. redis.call('incr', 'n')",
    ]) {
      await ev(t, s);
    }
    // Integer replies become doubles: past 2^53 they round (INT64_MAX even comes back as INT64_MIN).
    for (const v of ['9007199254740993', '9223372036854775807', '-9223372036854775807']) {
      await t.do('SET', 'big', v);
      for (const s of ["return redis.call('incrby', 'big', 0)", "return redis.call('incrby', 'big', 0) - 1", "return tostring(redis.call('incrby', 'big', 0))"]) {
        await ev(t, s);
      }
    }
  });

  it('RESP3 replies after redis.setresp(3)', async () => {
    const t = await fresh();
    await t.do('HSET', 'h', 'f', 'v');
    await t.do('ZADD', 'z', '1.5', 'm');
    await t.do('SADD', 'set', 'a');
    for (const s of [
      "redis.setresp(3) return cjson.encode(redis.call('hgetall', 'h'))", "redis.setresp(3) return redis.call('hgetall', 'h')",
      "redis.setresp(3) return redis.call('zscore', 'z', 'm')", "redis.setresp(3) return redis.call('zscore', 'z', 'm').double",
      "redis.setresp(3) return cjson.encode(redis.call('smembers', 'set'))", "redis.setresp(3) return type(redis.call('get', 'nokey'))",
      "redis.setresp(3) return cjson.encode(redis.call('zrange', 'z', 0, -1, 'withscores'))", 'return redis.setresp(4)', 'return redis.setresp()',
    ]) {
      await ev(t, s);
    }
  });

  it('arguments: numbers formatted with %.17g, other types refused', async () => {
    const t = await fresh();
    for (const s of [
      "redis.call('set', 'k', 10/2) return redis.call('get', 'k')", "redis.call('set', 'k', 1/3) return redis.call('get', 'k')",
      "redis.call('set', 'k', 0.1) return redis.call('get', 'k')", "redis.call('set', 'k', -0.0) return redis.call('get', 'k')",
      "redis.call('set', 'k', 2^53) return redis.call('get', 'k')", "redis.call('set', 'k', 1e301) return redis.call('get', 'k')",
      "redis.call('set', 'k', 42) return redis.call('get', 'k')", "return redis.call('set', 'k', true)", "return redis.call('set', 'k', {})",
      "return redis.pcall('set', 'k', nil)",
    ]) {
      await ev(t, s);
    }
  });

  it('KEYS and ARGV', async () => {
    const t = await fresh();
    await t.do('EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}', '2', 'k1', 'k2', 'a1', 'a2');
    await t.do('EVAL', 'return {#KEYS, #ARGV, tostring(KEYS[1])}', '0');
    await t.do('EVAL', "return redis.call('set', KEYS[1], ARGV[1])", '1', 'key', 'val');
    await t.do('GET', 'key');
    await t.do('EVAL', 'return ARGV[1]', '0', Buffer.from([0, 200, 255, 10, 13]));
  });
});

describe('EVAL: errors', () => {
  it('script errors carry the script sha and line, command errors keep their text', async () => {
    const t = await fresh();
    await t.do('SET', 's', 'a');
    for (const s of [
      "error('plain')", "error({err='CUSTOM x'})", "return redis.call('incr', 's')", "return redis.call('nosuch')",
      "return redis.pcall('nosuch')", "return redis.call('get')", "return redis.call('set', 'x')", 'return redis.call()',
      "return redis.call('hello')", "return redis.call('multi')", "return redis.call('blpop', 'l', 0)", "return redis.call('eval', 'return 1', 0)",
      "return redis.call('config', 'nosuch')", "return redis.call('config')", "return redis.call('lpush', 's', 'x')",
      "\n\nerror('line three')", "local t = nil\nreturn t.x", 'return nosuchglobal.x', 'local t = {} return t.f()', 'return 1 + {}', "return 'a' .. {}", "return 1 +", "return redis.sha1hex()", 'return redis.log(1)',
      "return redis.log('x', 'y')", "return redis.log(99, 'y')", "return redis.log(redis.LOG_WARNING, 'from a test')",
      "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}", "local ok, e = pcall(error, {err='x'}) return e",
      "local ok, e = pcall(error, 'x') return e", "return pcall(redis.call, 'nosuch')", "return cjson.decode('[1,')",
      'local function f(n) f(n+1) end f(1)', 'local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x',
      "return select('#', unpack({}, 1, 1e6))", "return string.format('%5000d', 1)", 'error()', 'error(nil)',
      'return string.format(\'%d\', \'x\')', "return string.format('%d')", "return string.format('%s', nil)", "return string.format('%s %d', 'a', {})",
      'return math.random(0)', 'return math.random(3, 1)', 'return math.random(1, 2, 3)', "return bit.tobit('x')", "return struct.pack('y', 1)",
      "return struct.unpack('>I4', 'ab')", "return struct.unpack('y', 'ab')", "return struct.size('y')", "return struct.size('s')", "return struct.unpack('s', 'ab')", "return struct.pack('c3', 'a')", "local x = string.rep('ab', 3) return x",
    ]) {
      await ev(t, s);
    }
  });

  it('numkeys and NOSCRIPT', async () => {
    const t = await fresh();
    await t.error('EVAL', 'return 1', '-1');
    await t.error('EVAL', 'return 1', '2', 'a');
    await t.error('EVAL', 'return 1', 'x');
    await t.error('EVAL', 'return 1');
    await t.error('EVALSHA', 'abc', '0');
    await t.error('EVALSHA', 'abc', 'x');
    await t.error('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 'x');
    await t.error('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '5');
    await t.error('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0');
    await t.error('EVALSHA_RO', 'ffffffffffffffffffffffffffffffffffffffff', '0');
  });

  it('global protection and the 5.1 environment', async () => {
    const t = await fresh();
    for (const s of [
      'return x', 'x = 1', 'function f() end', "string.foo = 1", "redis.foo = 1", "cjson.foo = 1", "_G.x = 1", 'return _G.nothing',
      'return rawget(_G, "redis") ~= nil', "return type(getfenv)", 'return type(os)', 'return type(io)', 'return type(require)', 'return type(print)',
      'return type(debug)', 'return type(utf8)', 'return type(loadstring)', 'return type(unpack)', 'return type(table.getn)', 'return type(math.mod)',
      'return type(gcinfo)', 'return type(coroutine)', 'return _VERSION', "return loadstring('return 1 + 1')()", 'return unpack({1, 2, 3})',
      'return table.getn({1, 2, 3})', 'return math.mod(7, 3)', 'return math.pow(2, 10)', 'return {math.frexp(8)}', 'return math.ldexp(1, 4)',
      "return table.concat({1, 2, 3}, ',')", "return tostring(3) .. tostring(10/2) .. ' ' .. tostring(2^53) .. ' ' .. tostring(-0.0) .. ' ' .. tostring(1e15)",
      "return string.format('%5.1f|%d|%s|%q|%x', 3.14159, 3.7, 2.5, 'a\\n\\0b', 255.9)", "return string.format('%s %s', 1, 1.5)",
      "return string.rep('a', 3, ',')", 'return tostring(1/0) .. tostring(-1/0)', "return tonumber('0x10')", "return tonumber('  12  ')",
      "return select('#', 1, 2, 3)", "return type(string.gfind)", 'return redis.REDIS_VERSION', "return redis.sha1hex('')", "return redis.sha1hex('abc')",
      'return redis.replicate_commands()', 'return redis.set_repl(redis.REPL_ALL)', 'return redis.set_repl(99)', 'return redis.breakpoint()',
      'return redis.debug("x")', "local t = {} for k in pairs(string) do t[#t+1] = k end return #t > 10",
      "return 'x' .. 10/2", "return table.concat({1, 2.0, 10/2, 2.5}, ',')", "return 1e15 .. ''", "return 2^53 .. ''", "return -0.0 .. ''",
      "return 1/0 .. ''", "return math.floor(3.7) .. ''", "return tonumber('5.0') .. ''", "return string.format('%.3f', 2)",
      "return 'n:' .. redis.call('incr', 'ctr') / 2", "return tostring(2^63)", "return #tostring(0.1)",
      "return string.sub('hello', 1, 5/2)", "return ('hello'):sub(2.7)", "return string.byte('abc', 1.5)", "return string.char(65.9, 66)",
      "local t = {1,2,3} table.insert(t, 1.5, 'x') return t", "return table.concat({1,2,3}, ',', 1.5, 2.5)", "return {unpack({1,2,3}, 1.5)}",
      "return select(1.5, 'a', 'b')", "return table.remove({1,2,3}, 1.5)", "return {string.find('abcabc', 'b', 2.5)}", "return select('#', 1, nil, 3)",
    ]) {
      await ev(t, s);
    }
  });

  it('math.random follows Redis\'s generator', async () => {
    const t = await fresh();
    await ev(t, 'math.randomseed(7) return {math.random(100), math.random(5, 10), math.random(1000)}');
    await ev(t, 'math.randomseed(42) return tostring(math.random())');
    await ev(t, 'local r = math.random(0) return r');
    await ev(t, 'local r = math.random(3, 1) return r');
  });
});

describe('libraries', () => {
  it('cjson', async () => {
    const t = await fresh();
    for (const s of [
      "return cjson.encode({1,2.5,10/2,{a=1},'x',true,cjson.null})", "return cjson.encode({a={b={}}})", 'return cjson.encode(1/3)',
      'return cjson.encode(1e100)', "return cjson.encode('a/b\"\\1\\127\\200')", 'return cjson.encode({[1]=1,[3]=3})', 'return cjson.encode({[1]=1,[20]=3})',
      'return cjson.encode(function() end)', 'return cjson.encode({[true]=1})', 'return cjson.encode(0/0)', 'return cjson.encode({1.5, -0.0, 1e15, 123456789012345678})',
      "return cjson.decode('[1,2.5,\"x\",null,{\"a\":[]}]')[4] == cjson.null", "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "return cjson.decode('')",
      "return cjson.decode('x')", "return cjson.decode('{\"a\" 1}')", "return cjson.decode('[1] x')", "return cjson.decode('{\"a\":1}').a",
      "return cjson.encode(cjson.decode('{\"a\":[1,2,{\"b\":null}]}'))", "return tostring(cjson.decode('[1e2, 0.1, -5, 12345678901234567890]')[4])",
      "return cjson.decode('[1e2, 0.1, -5]')", "return type(cjson.null)", "return cjson.encode({[1.5]=1})",
    ]) {
      await ev(t, s);
    }
  });

  it('cmsgpack', async () => {
    const t = await fresh();
    for (const s of [
      "return cmsgpack.pack({1,2,3}, 'abc', {a=1}, 1.5, -1, 300, -300, 2^40, true, nil)", "return {cmsgpack.unpack(cmsgpack.pack(1,'a',{1,2},{x=1}))}",
      "return cmsgpack.unpack('')", 'return cmsgpack.pack()', 'return {cmsgpack.unpack_one(cmsgpack.pack(1,2), 0)}', 'return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 0)}',
      'return cmsgpack.pack(0.1)', 'return cmsgpack.pack(-2^40, 2^31, -2^31, 127, 128, -32, -33, 65535, 65536)', "return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))",
      'return cmsgpack.pack({1,nil,3})', 'return cmsgpack.pack({[2]=1})', "return cmsgpack.unpack(cmsgpack.pack({a={b={c={1,2}}}})).a.b.c[2]",
      'return {cmsgpack.unpack(cmsgpack.pack(-1, -100, -1000, -100000, 1e10, 0.5))}',
    ]) {
      await ev(t, s);
    }
  });

  it('bit and struct', async () => {
    const t = await fresh();
    for (const s of [
      'return {bit.tobit(2^32+5), bit.tobit(0xffffffff), bit.tohex(255), bit.tohex(-1, -4), bit.tohex(255, 2)}',
      // tobit keeps the low 32 bits of n + 2^52 + 2^51 as a double, which rounds past 2^51.
      'return {bit.tobit(2^52+7), bit.tobit(2^51+1.5), bit.tobit(-2^51-1), bit.tobit(2^60+12345), bit.tobit(-2^60-12345), bit.tobit(2^64+4096)}',
      'return {bit.tobit(90071992547409930), bit.tobit(1e15+0.5), bit.tobit(123456789012.7), bit.tobit(-2.5), bit.tobit(1/0), bit.tobit(0/0)}',
      'return {bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0)}',
      'return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678)}',
      "return struct.pack('>I2', 258)", "return {struct.unpack('>I2', '\\1\\2')}", "return struct.pack('<i4 >h b B', -2, 3, -1, 255)",
      "return {struct.unpack('<i4 >h b B', struct.pack('<i4 >h b B', -2, 3, -1, 255))}", "return struct.size('>I2 i4 d')",
      "return {struct.unpack('s', 'abc\\0def')}", "return struct.pack('s', 'abc')", "return struct.pack('c3', 'abcdef')", "return {struct.unpack('>d', struct.pack('>d', 1.5))}",
    ]) {
      await ev(t, s);
    }
  });
});

describe('SCRIPT and read-only scripts', () => {
  it('SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP', async () => {
    const t = await fresh();
    await t.do('SCRIPT', 'LOAD', 'return 1');
    await t.do('SCRIPT', 'LOAD', 'return 1 +');
    await t.do('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'abc', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB');
    await t.do('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0');
    await t.do('EVALSHA', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0');
    await t.do('SCRIPT', 'FLUSH', 'bad');
    await t.do('SCRIPT', 'FLUSH', 'ASYNC');
    await t.do('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
    await t.do('EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0');
    await t.do('SCRIPT', 'FLUSH');
    await t.do('SCRIPT', 'FLUSH', 'SYNC');
    await t.do('SCRIPT', 'KILL');
    await t.do('SCRIPT');
    await t.do('SCRIPT', 'NOSUCH');
    await t.do('SCRIPT', 'HELP');
    await t.do('SCRIPT', 'DEBUG', 'NO');
    await t.do('SCRIPT', 'DEBUG', 'foo');
    await t.do('SCRIPT', 'DEBUG');
    await t.do('MULTI');
    await t.do('SCRIPT', 'DEBUG', 'NO');
    await t.do('EXEC');
    await t.do('EVAL', 'return 1', '0');
    await t.do('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  });

  it('EVAL_RO, no-writes shebang and shebang errors', async () => {
    const t = await fresh();
    await t.do('SET', 'a', '1');
    for (const args of [
      ['EVAL_RO', "return redis.call('set', 'a', 'b')", '0'],
      ['EVAL_RO', "return redis.call('get', 'a')", '0'],
      ['EVAL_RO', "return redis.pcall('del', 'a')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', 'a')", '0'],
      ['EVAL', '#!lua flags=bad\nreturn 1', '0'],
      ['EVAL', '#!lua\nreturn 1', '0'],
      ['EVAL', '#!luax\nreturn 1', '0'],
      ['EVAL', '#!lua name=x\nreturn 1', '0'],
      ['EVAL', '#!lua flags=no-writes,allow-oom\nreturn 1', '0'],
      ['EVAL', "#!lua flags=no-writes\nerror('x')", '0'],
      ['EVAL_RO', '#!lua\nreturn 1', '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL', '#!lua', '0'],
    ]) {
      await t.do(...args);
    }
    await t.do('GET', 'a');
    const body = "return redis.call('set', 'a', 'c')";
    await t.do('SCRIPT', 'LOAD', body);
    await t.do('EVALSHA_RO', createHash('sha1').update(body).digest('hex'), '0');
  });

  it('MULTI with EVAL, and keys written by scripts are seen by WATCH', async () => {
    const t = await fresh();
    const o = await servers.pair();
    await t.do('MULTI');
    await t.do('EVAL', "return redis.call('incr', KEYS[1])", '1', 'c');
    await t.do('EVAL', "return redis.call('incrby', KEYS[1], ARGV[1])", '1', 'c', '10');
    await t.do('EVAL', 'return 1 +', '0');
    await t.do('EXEC');
    await t.do('WATCH', 'c');
    await o.do('EVAL', "return redis.call('incr', KEYS[1])", '1', 'c');
    await t.do('MULTI');
    await t.do('GET', 'c');
    await t.do('EXEC');
    await t.do('EVAL', "redis.call('select', 1) redis.call('set', 'db1', 'x') return redis.call('dbsize')", '0');
    await t.do('DBSIZE');
    o.close();
  });
});

describe('keyspace side effects', () => {
  it('keys read by a script are tracked for its caller; script writes invalidate and notify', async () => {
    const t = await fresh();
    const o = await servers.pair();
    await t.do('HELLO', '3').catch(() => undefined);
    await t.do('CLIENT', 'TRACKING', 'ON');
    await t.do('SET', 'tk', '1');
    await t.do('EVAL', "return redis.call('get', KEYS[1])", '1', 'tk');
    await o.do('EVAL', "return redis.call('set', KEYS[1], '2')", '1', 'tk');
    await t.do('PING');
    await t.do('PING');
    const sub = await servers.pair();
    await o.do('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await sub.do('SUBSCRIBE', '__keyevent@0__:set');
    await o.do('EVAL', "return redis.call('set', KEYS[1], '3')", '1', 'tk');
    await sub.do('PING');
    await o.do('CONFIG', 'SET', 'notify-keyspace-events', '');
    o.close();
    sub.close();
  });
});

describe('maxmemory', () => {
  it('scripts over maxmemory: shebang scripts refused, the first denyoom write refused, allow-oom', async () => {
    const t = await fresh();
    await t.do('SET', 'big', 'x'.repeat(100000));
    await t.do('CONFIG', 'SET', 'maxmemory', '1');
    try {
      await t.do('EVAL', '#!lua\nreturn 1', '0');
      await t.do('EVAL', '#!lua flags=no-writes\nreturn 1', '0');
      await t.do('EVAL', "#!lua flags=allow-oom\nreturn redis.call('set', 'x', 'y')", '0');
      await t.do('EVAL', "return redis.call('set', 'x', 'y')", '0');
      await t.do('EVAL', "redis.call('del', 'nokey') return redis.call('set', 'x', 'y')", '0');
      await t.do('EVAL', "return redis.call('get', 'x')", '0');
      await t.do('EVAL', "return redis.pcall('set', 'x', 'y')", '0');
    } finally {
      await t.do('CONFIG', 'SET', 'maxmemory', '0');
    }
  });
});

describe('atomicity and the embedded door', () => {
  it('20 clients × 50 INCR scripts count exactly 1000', async () => {
    const clients = Array.from({ length: 20 }, () => new Redis({ port: servers.ours.port, lazyConnect: false }));
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 50; i++) await c.eval("return redis.call('INCR', KEYS[1])", 1, 'script:counter');
      }),
    );
    const v = await clients[0].get('script:counter');
    await Promise.all(clients.map((c) => c.quit()));
    assert.equal(v, '1000');
  });

  it('engine.call EVAL / EVALSHA', () => {
    const e = new Engine();
    assert.deepEqual(e.call('EVAL', "return {redis.call('set', KEYS[1], ARGV[1]), redis.call('get', KEYS[1])}", 1, 'k', 'v'), [new StatusReply('OK'), 'v']);
    const sha = e.call('SCRIPT', 'LOAD', "return redis.call('incr', KEYS[1])") as string;
    assert.equal(e.call('EVALSHA', sha, 1, 'n'), 1);
    assert.equal(e.call('EVALSHA', sha, 1, 'n'), 2);
    assert.throws(() => e.call('EVAL', "error('boom')", 0), (err: unknown) => err instanceof ErrorReply && err.message.startsWith('ERR user_script:1: boom script: '));
    assert.equal(e.call('EVAL', 'return {double=1.5}', 0), 1.5);
  });
});

describe('long-running scripts (busy-reply-threshold)', () => {
  const busy = differentialServers(['--busy-reply-threshold', '50']);

  it('other clients get BUSY, SCRIPT KILL stops a script that has not written', async () => {
    const a = await busy.pair();
    const b = await busy.pair();
    await b.do('SCRIPT', 'KILL');
    const running = a.both('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
    await sleep(300);
    await b.do('GET', 'x');
    await b.do('PING');
    await b.do('MULTI');
    await b.do('SET', 'x', '1');
    await b.do('DISCARD');
    await b.do('SCRIPT', 'KILL');
    const [r, o] = await running;
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
    await a.do('PING');
    await b.do('SCRIPT', 'KILL');
  });

  it('a script that wrote is UNKILLABLE; its caller\'s next commands wait for it', async () => {
    const a = await busy.pair();
    const b = await busy.pair();
    const script =
      "redis.call('set', 'w', '1') local t = redis.call('time') local start = t[1] * 1000000 + t[2] " +
      "while true do t = redis.call('time') if t[1] * 1000000 + t[2] - start > 700000 then break end end return redis.call('incr', 'w')";
    const running = a.both('EVAL', script, '0');
    const next = a.both('GET', 'w');
    await sleep(300);
    await b.do('GET', 'w');
    await b.do('SCRIPT', 'KILL');
    const [r, o] = await running;
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
    const [r2, o2] = await next;
    assert.equal(o2.raw.toString('latin1'), r2.raw.toString('latin1'));
    await b.do('GET', 'w');
  });

  it('clients blocked on keys are not served from a suspended script\'s partial writes', async () => {
    const a = await busy.pair();
    const b = await busy.pair();
    const c = await busy.pair();
    await c.do('DEL', 'bq');
    const blocked = b.both('BLPOP', 'bq', '0');
    await sleep(50);
    const script =
      "redis.call('rpush', 'bq', 'x') local t = redis.call('time') local start = t[1] * 1000000 + t[2] " +
      "while true do t = redis.call('time') if t[1] * 1000000 + t[2] - start > 400000 then break end end return redis.call('lpop', 'bq')";
    const running = a.both('EVAL', script, '0');
    await sleep(200);
    // Any command in the middle (AUTH runs even while busy, with the same reply either way).
    await c.do('AUTH', 'x');
    const [r, o] = await running;
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
    await c.do('RPUSH', 'bq', 'y');
    const [r2, o2] = await blocked;
    assert.equal(o2.raw.toString('latin1'), r2.raw.toString('latin1'));
  });

  it('keys do not expire while a script runs, even when it is suspended', async () => {
    const a = await busy.pair();
    const c = await busy.pair();
    const script =
      "redis.call('set', 'ek', '1', 'px', 100) local t = redis.call('time') local start = t[1] * 1000000 + t[2] " +
      "while true do t = redis.call('time') if t[1] * 1000000 + t[2] - start > 400000 then break end end return redis.call('exists', 'ek')";
    const running = a.both('EVAL', script, '0');
    await sleep(250);
    await c.do('AUTH', 'x');
    const [r, o] = await running;
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
    await a.do('EXISTS', 'ek');
  });

  it('pcall cannot swallow SCRIPT KILL', async () => {
    const a = await busy.pair();
    const b = await busy.pair();
    const running = a.both('EVAL', 'while true do pcall(function() while true do end end) end', '0');
    await sleep(300);
    await b.do('SCRIPT', 'KILL');
    const [r, o] = await running;
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'));
  });
});
