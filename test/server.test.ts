import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from '../src/server/server.js';
import { differentialServers } from './support/differential.js';
import { RawClient, type Reply } from './support/raw-client.js';

function text(r: Reply): string {
  assert.ok(r.t === 'bulk' || r.t === 'verbatim', `expected a string, got ${r.t}`);
  return String(r.v);
}

/** INFO text → [section title, field names][] in order. */
function infoShape(s: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const line of s.split('\r\n')) {
    if (line.startsWith('# ')) out.push([line.slice(2), []]);
    else if (line !== '') out[out.length - 1][1].push(line.slice(0, line.indexOf(':')));
  }
  return out;
}

/** Sections whose field names we reproduce exactly. */
const SAME_FIELDS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Cluster'];

describe('INFO matches Redis 7.0', () => {
  const servers = differentialServers();

  it('sections, headers and field names for default, all, everything and lists of sections', async () => {
    const t = await servers.pair();
    for (const args of [[], ['default'], ['all'], ['everything'], ['server', 'clients'], ['SERVER', 'server'], ['keyspace', 'cpu'], ['nosuch']]) {
      const [r, o] = await t.both('INFO', ...args);
      const redis = infoShape(text(r.reply));
      const ours = infoShape(text(o.reply));
      assert.deepEqual(
        ours.map((s) => s[0]),
        redis.map((s) => s[0]),
        `INFO ${args.join(' ')} sections`,
      );
      for (const [title, fields] of redis) {
        if (SAME_FIELDS.includes(title)) assert.deepEqual(ours.find((s) => s[0] === title)![1], fields, `INFO ${title} fields`);
      }
      assert.ok(!text(o.reply).includes('\n\n') && !/[^\r]\n/.test(text(o.reply)), 'CRLF line ends');
    }
  });

  it('keyspace, stats and memory figures', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('SET', 'info-a', '1');
    await t.do('SET', 'info-b', '2');
    await t.do('EXPIRE', 'info-b', '100');
    await t.do('SELECT', '2');
    await t.do('SET', 'info-c', '3');
    await t.do('SELECT', '0');
    await t.check(['INFO', 'keyspace'], (r) => {
      assert.match(text(r), /^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n$/);
    });
    await t.check(['INFO', 'memory'], (r) => {
      const s = text(r);
      const used = Number(/used_memory:(\d+)/.exec(s)![1]);
      assert.ok(used > 0);
      assert.match(s, /used_memory_human:\d+(\.\d\d[KMG])?B?\r\n/);
      assert.match(s, /\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\n/);
    });
    await t.do('CONFIG', 'SET', 'maxmemory', '100mb', 'maxmemory-policy', 'allkeys-lru');
    await t.check(['INFO', 'memory'], (r) => assert.match(text(r), /maxmemory:104857600\r\nmaxmemory_human:100\.00M\r\nmaxmemory_policy:allkeys-lru\r\n/));
    await t.do('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction');
    await t.do('CONFIG', 'RESETSTAT');
    await t.do('PING');
    await t.check(['INFO', 'stats'], (r) => {
      const s = text(r);
      assert.match(s, /total_commands_processed:[12]\r\n/);
      assert.match(s, /keyspace_hits:0\r\nkeyspace_misses:0\r\n/);
      assert.match(s, /total_error_replies:0\r\n/);
      assert.match(s, /expired_stale_perc:\d+\.\d\d\r\n/);
    });
    await t.check(['INFO', 'replication'], (r) => assert.match(text(r), /role:master\r\nconnected_slaves:0\r\n.*master_replid:[0-9a-f]{40}\r\n/s));
    await t.check(['INFO', 'cpu'], (r) => assert.match(text(r), /used_cpu_sys:\d+\.\d{6}\r\nused_cpu_user:\d+\.\d{6}\r\n/));
    await t.check(['INFO', 'commandstats'], (r) => {
      assert.match(text(r), /cmdstat_ping:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n/);
    });
    await t.do('FLUSHALL');
  });

  it('INFO is a verbatim string in RESP3', async () => {
    const t = await servers.pair();
    await t.both('HELLO', '3');
    await t.do('INFO', 'keyspace');
    await t.check(['INFO', 'server'], (r) => {
      assert.equal(r.t, 'verbatim');
      assert.match(text(r), /^txt:# Server\r\nredis_version:7\.0\.15\r\n/);
    });
  });
});

describe('COMMAND matches Redis 7.0 for the commands we implement', () => {
  const servers = differentialServers();

  it('COMMAND INFO and DOCS of leaf commands, unknown names', async () => {
    const t = await servers.pair();
    const names = ['get', 'set', 'del', 'ping', 'echo', 'select', 'hello', 'auth', 'reset', 'quit', 'info', 'time', 'shutdown', 'debug'];
    for (const n of names) {
      await t.do('COMMAND', 'INFO', n);
      await t.do('COMMAND', 'DOCS', n);
    }
    for (const n of ['config|get', 'CONFIG|SET', 'client|id', 'client|list', 'command|info', 'nosuch', 'client|nosuch']) {
      await t.do('COMMAND', 'INFO', n);
      await t.do('COMMAND', 'DOCS', n);
    }
    await t.do('COMMAND', 'INFO', 'get', 'nosuch', 'set');
    await t.both('HELLO', '3');
    await t.do('COMMAND', 'INFO', 'get', 'nosuch');
    await t.do('COMMAND', 'DOCS', 'get', 'set');
  });

  it('containers list only the subcommands we implement', async () => {
    const t = await servers.pair();
    await t.check(['COMMAND', 'INFO', 'config'], (r, who) => {
      const info = (r as { v: Reply[] }).v[0] as { v: Reply[] };
      const subs = (info.v[9] as { v: { v: Reply[] }[] }).v.map((s) => (s.v[0] as { v: string }).v).sort();
      assert.deepEqual(subs, ['config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set'], who);
    });
    await t.check(['COMMAND', 'COUNT'], (r) => assert.equal(r.t, 'int'));
    const ours = (await t.ours.send('COMMAND', 'LIST')).reply as { v: { v: string }[] };
    const listed = new Set(ours.v.map((x) => x.v));
    for (const n of ['get', 'client|id', 'config|set', 'command|docs']) assert.ok(listed.has(n), n);
    assert.ok(!listed.has('client|pause') || listed.has('client|unpause'));
    const count = Number(((await t.ours.send('COMMAND', 'COUNT')).reply as { v: string }).v);
    assert.equal(count, ours.v.filter((x) => !x.v.includes('|')).length);
  });

  it('COMMAND LIST filters, GETKEYS, GETKEYSANDFLAGS, HELP and errors', async () => {
    const t = await servers.pair();
    await t.check(['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*'], (r) =>
      assert.deepEqual(((r as { v: { v: string }[] }).v.map((x) => x.v)).sort(), ['config', 'config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set']),
    );
    await t.check(['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'connection'], (r) => {
      const names = (r as { v: { v: string }[] }).v.map((x) => x.v);
      for (const n of ['ping', 'echo', 'auth', 'hello', 'client|id', 'command|info']) assert.ok(names.includes(n), n);
      assert.ok(!names.includes('get'));
    });
    await t.do('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x');
    await t.do('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch');
    await t.error('COMMAND', 'LIST', 'FILTERBY');
    await t.error('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x');
    await t.error('COMMAND', 'LIST', 'FOO');
    await t.do('COMMAND', 'GETKEYS', 'get', 'a');
    await t.do('COMMAND', 'GETKEYS', 'set', 'a', 'b');
    await t.do('COMMAND', 'GETKEYS', 'del', 'a', 'b', 'c');
    await t.do('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b');
    await t.do('COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET');
    await t.do('COMMAND', 'GETKEYSANDFLAGS', 'del', 'a', 'b');
    await t.error('COMMAND', 'GETKEYS', 'ping', 'x');
    await t.error('COMMAND', 'GETKEYS', 'nosuch', 'x');
    await t.error('COMMAND', 'GETKEYS', 'get', 'a', 'b');
    await t.error('COMMAND', 'GETKEYS', 'client', 'list');
    await t.error('COMMAND', 'GETKEYS', 'get');
    await t.error('COMMAND', 'COUNT', 'x');
    await t.do('COMMAND', 'HELP');
    await t.error('COMMAND', 'FOO');
  });
});

describe('TIME, SHUTDOWN, DEBUG match Redis 7.0', () => {
  const servers = differentialServers();

  it('TIME', async () => {
    const t = await servers.pair();
    await t.check(['TIME'], (r) => {
      const [s, us] = (r as { v: { v: string }[] }).v.map((x) => Number(x.v));
      assert.ok(Math.abs(s - Date.now() / 1000) < 5);
      assert.ok(us >= 0 && us < 1e6);
    });
    await t.error('TIME', 'x');
  });

  it('SHUTDOWN argument errors; DEBUG refused by default', async () => {
    const t = await servers.pair();
    await t.error('SHUTDOWN', 'FOO');
    await t.error('SHUTDOWN', 'NOSAVE', 'SAVE');
    await t.error('SHUTDOWN', 'ABORT', 'NOW');
    await t.error('SHUTDOWN', 'ABORT');
    await t.error('DEBUG', 'SLEEP', '0');
    await t.error('DEBUG', 'HELP');
    await t.error('DEBUG');
  });

  it('SHUTDOWN closes the server', async () => {
    const server = await startServer({ port: 0, host: '127.0.0.1' });
    const c = await RawClient.connect(server.port);
    await c.send('SET', 'k', 'v');
    void c.send('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await c.waitClose();
    await assert.rejects(RawClient.connect(server.port));
  });
});

describe('DEBUG with enable-debug-command yes', () => {
  const servers = differentialServers(['--enable-debug-command', 'yes']);

  it('DEBUG OBJECT, SLEEP and errors', async () => {
    const t = await servers.pair();
    await t.do('SET', 'dbg-s', 'v');
    await t.do('SET', 'dbg-n', '123');
    // 60 distinct bytes: long enough for the raw encoding, too varied for Redis's LZF to shrink.
    await t.do('SET', 'dbg-long', Array.from({ length: 60 }, (_, i) => String.fromCharCode(33 + i)).join(''));
    for (const key of ['dbg-s', 'dbg-n', 'dbg-long']) {
      const [r, o] = await t.both('DEBUG', 'OBJECT', key);
      // Both servers read idle time off a 1-second LRU clock, so a second boundary between SET and
      // DEBUG OBJECT gives 1 on one and 0 on the other: idle is checked for ≤1, the rest byte for byte.
      const text = (x: Reply) => String((x as { v: string }).v);
      const shape = (x: Reply) =>
        text(x).replace(/at:0x[0-9a-f]+/, 'at:P').replace(/lru:\d+/, 'lru:L').replace(/lru_seconds_idle:\d+/, 'lru_seconds_idle:I');
      assert.equal(shape(o.reply), shape(r.reply), key);
      for (const x of [o.reply, r.reply]) assert.ok(Number(/lru_seconds_idle:(\d+)/.exec(text(x))?.[1]) <= 1, text(x));
    }
    await t.error('DEBUG', 'OBJECT', 'nosuch');
    await t.do('DEBUG', 'SLEEP', '0');
    await t.do('DEBUG', 'SLEEP', 'x');
    await t.error('DEBUG', 'FOO');
    await t.error('DEBUG', 'SLEEP');
    await t.do('DEL', 'dbg-s', 'dbg-n', 'dbg-long');
  });
});
