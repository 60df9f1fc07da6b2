import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentialServers } from './support/differential.js';
import { RawClient, type Reply } from './support/raw-client.js';

/** HELLO's reply with the connection id blanked (ids differ between servers). */
function helloShape(raw: Buffer): string {
  return raw.toString('latin1').replace(/(\$2\r\nid\r\n):\d+/, '$1:ID');
}

const CLIENT_LINE =
  /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-?\d+ name=(\S*) age=\d+ idle=\d+ flags=(\w+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=(\S+) user=default redir=-1 resp=(\d)$/;

/** The string payload of a status, error or bulk reply. */
function val(r: Reply): string {
  return 'v' in r ? String(r.v) : '';
}

function text(r: Reply): string {
  assert.ok(r.t === 'bulk' || r.t === 'verbatim', `expected a string, got ${r.t}`);
  return String(r.v);
}

describe('connection commands match Redis 7.0', () => {
  const servers = differentialServers();

  it('PING, ECHO, SELECT, QUIT', async () => {
    const t = await servers.pair();
    await t.do('PING');
    await t.do('PING', 'hello');
    await t.error('PING', 'a', 'b');
    await t.do('ECHO', '');
    await t.error('ECHO');
    await t.do('SELECT', '15');
    await t.do('SELECT', '0');
    await t.error('SELECT', '16');
    await t.error('SELECT', '-1');
    for (const n of ['2147483647', '2147483648', '-2147483649', '4294967296']) await t.error('SELECT', n);
    await t.error('SELECT', '1.5');
    await t.do('QUIT', 'extra');
    await Promise.all([t.redis.waitClose(), t.ours.waitClose()]);
  });

  it('HELLO: RESP2/RESP3 maps, PING in RESP3, errors', async () => {
    const t = await servers.pair();
    const [r2, o2] = await t.both('HELLO');
    assert.equal(helloShape(o2.raw), helloShape(r2.raw));
    const [r3, o3] = await t.both('HELLO', '3');
    assert.equal(helloShape(o3.raw), helloShape(r3.raw));
    await t.do('PING');
    await t.do('PING', 'x');
    await t.do('CLIENT', 'GETNAME');
    await t.error('HELLO', '4');
    await t.error('HELLO', '1');
    await t.error('HELLO', 'x');
    await t.error('HELLO', '3', 'FOO');
    // Error messages print arguments with C's %s: up to the first NUL byte.
    await t.error('HELLO', '2', 'x\0y');
    await t.error('CLIENT', 'LIST', 'TYPE', 'x\0y');
    await t.error('CLIENT', 'KILL', 'TYPE', 'x\0y');
    await t.error('CLIENT', 'KILL', 'USER', 'x\0y');
    await t.error('HELLO', '3', 'AUTH', 'a');
    await t.error('HELLO', '3', 'SETNAME', 'a b');
    await t.error('HELLO', '3', 'AUTH', 'bob', 'pw');
    const [rn, on] = await t.both('HELLO', '2', 'AUTH', 'default', 'anything', 'SETNAME', 'me');
    assert.equal(helloShape(on.raw), helloShape(rn.raw));
    await t.do('CLIENT', 'GETNAME');
  });

  it('AUTH without requirepass', async () => {
    const t = await servers.pair();
    await t.error('AUTH', 'x');
    await t.do('AUTH', 'default', 'x');
    await t.error('AUTH', 'bob', 'x');
    await t.error('AUTH', 'a', 'b', 'c');
    await t.error('AUTH');
  });

  it('CLIENT SETNAME / GETNAME / ID / NO-EVICT / HELP and their errors', async () => {
    const t = await servers.pair();
    await t.do('CLIENT', 'GETNAME');
    await t.do('CLIENT', 'SETNAME', 'worker-1');
    await t.do('CLIENT', 'GETNAME');
    for (const bad of ['a b', 'a\nb', 'caf\xe9', '\x7f']) await t.error('CLIENT', 'SETNAME', bad);
    await t.do('CLIENT', 'SETNAME', '');
    await t.do('CLIENT', 'GETNAME');
    await t.error('CLIENT', 'SETNAME');
    await t.error('CLIENT', 'GETNAME', 'x');
    await t.error('CLIENT', 'ID', 'x');
    await t.check(['CLIENT', 'ID'], (r) => assert.equal(r.t, 'int'));
    await t.do('CLIENT', 'NO-EVICT', 'on');
    await t.do('CLIENT', 'NO-EVICT', 'OFF');
    await t.error('CLIENT', 'NO-EVICT', 'maybe');
    await t.error('CLIENT', 'NO-EVICT');
    await t.do('CLIENT', 'HELP');
    await t.error('CLIENT', 'NOSUCH');
    await t.error('CLIENT');
  });

  it('CLIENT LIST / INFO format and filters', async () => {
    const t = await servers.pair();
    await t.do('CLIENT', 'SETNAME', 'lister');
    await t.do('SELECT', '3');
    for (const args of [['CLIENT', 'INFO'], ['CLIENT', 'LIST', 'TYPE', 'normal']]) {
      await t.check(args, (r, who) => {
        const lines = text(r).split('\n');
        assert.equal(lines.pop(), '', `${who}: ends with a newline`);
        const mine = lines.map((l) => CLIENT_LINE.exec(l)).find((m) => m?.[1] === 'lister');
        assert.ok(mine, `${who}: ${text(r)}`);
        assert.equal(mine[2], 'N');
        assert.equal(mine[3], '3');
        assert.equal(mine[4], args.length === 2 ? 'client|info' : 'client|list');
      });
    }
    for (const type of ['pubsub', 'master', 'replica', 'slave']) await t.do('CLIENT', 'LIST', 'TYPE', type);
    await t.do('CLIENT', 'LIST', 'ID', '99999');
    await t.do('CLIENT', 'LIST', 'ID', '-5');
    await t.error('CLIENT', 'LIST', 'ID', '1', 'x');
    await t.error('CLIENT', 'LIST', 'ID');
    await t.error('CLIENT', 'LIST', 'TYPE', 'foo');
    await t.error('CLIENT', 'LIST', 'foo');
    await t.both('HELLO', '3');
    await t.check(['CLIENT', 'INFO'], (r) => {
      assert.equal(r.t, 'verbatim');
      assert.match(text(r), / resp=3\n$/);
    });
  });

  it('CLIENT KILL: old and new forms, errors, killing another connection and itself', async () => {
    const t = await servers.pair();
    await t.error('CLIENT', 'KILL', '1.2.3.4:5');
    await t.error('CLIENT', 'KILL', 'ID');
    await t.do('CLIENT', 'KILL', 'ID', '99999');
    await t.error('CLIENT', 'KILL', 'ID', 'x');
    await t.error('CLIENT', 'KILL', 'ID', '0');
    await t.error('CLIENT', 'KILL', 'FOO', 'x');
    await t.do('CLIENT', 'KILL', 'ADDR', '1.2.3.4:5');
    await t.do('CLIENT', 'KILL', 'LADDR', '1.2.3.4:5');
    await t.error('CLIENT', 'KILL', 'TYPE', 'bad');
    await t.error('CLIENT', 'KILL', 'SKIPME', 'maybe');
    await t.error('CLIENT', 'KILL', 'USER', 'bob');
    await t.do('CLIENT', 'KILL', 'USER', 'default', 'TYPE', 'pubsub');
    await t.error('CLIENT', 'KILL', 'ID', '1', 'TYPE');
    await t.error('CLIENT', 'KILL');

    // Kill a second connection by id, then by address (old form), on both servers.
    for (const form of ['id', 'addr'] as const) {
      const victim = await servers.pair();
      const [rid, oid] = await victim.both('CLIENT', 'ID');
      const [raddr, oaddr] = await victim.both('CLIENT', 'INFO');
      const addrOf = (r: Reply) => /addr=(\S+)/.exec(text(r))![1];
      const killer = (c: RawClient, id: Reply, info: Reply) =>
        form === 'id' ? c.send('CLIENT', 'KILL', 'ID', String((id as { v: string }).v)) : c.send('CLIENT', 'KILL', addrOf(info));
      const [rk, ok] = await Promise.all([killer(t.redis, rid.reply, raddr.reply), killer(t.ours, oid.reply, oaddr.reply)]);
      assert.equal(ok.raw.toString(), rk.raw.toString());
      await Promise.all([victim.redis.waitClose(), victim.ours.waitClose()]);
    }

    // SKIPME no kills the caller after its reply.
    const self = await servers.pair();
    const [rs, os] = await self.both('CLIENT', 'ID');
    const [rk, ok] = await Promise.all([
      self.redis.send('CLIENT', 'KILL', 'ID', String((rs.reply as { v: string }).v), 'SKIPME', 'no'),
      self.ours.send('CLIENT', 'KILL', 'ID', String((os.reply as { v: string }).v), 'SKIPME', 'no'),
    ]);
    assert.equal(ok.raw.toString(), rk.raw.toString());
    await Promise.all([self.redis.waitClose(), self.ours.waitClose()]);
  });

  it('RESET returns +RESET and restores db, protocol and name', async () => {
    const t = await servers.pair();
    await t.do('SELECT', '5');
    await t.do('CLIENT', 'SETNAME', 'before');
    await t.both('HELLO', '3', 'SETNAME', 'x');
    await t.do('RESET');
    await t.do('CLIENT', 'GETNAME');
    await t.do('SET', 'reset-k', 'v');
    await t.do('SELECT', '0');
    await t.do('GET', 'reset-k');
    await t.error('RESET', 'x');
    await t.do('SELECT', '5');
    await t.do('DEL', 'reset-k');
  });
});

describe('stickynote-only connection commands (Redis 7.2)', () => {
  const servers = differentialServers();

  it('CLIENT NO-TOUCH and CLIENT SETINFO', async () => {
    const t = await servers.pair();
    const c = t.ours;
    assert.equal(val((await c.send('CLIENT', 'NO-TOUCH', 'on')).reply), 'OK');
    assert.match(text((await c.send('CLIENT', 'INFO')).reply), / flags=T /);
    assert.equal(val((await c.send('CLIENT', 'NO-TOUCH', 'off')).reply), 'OK');
    assert.equal(val((await c.send('CLIENT', 'NO-TOUCH', 'x')).reply), 'ERR syntax error');
    assert.equal(val((await c.send('CLIENT', 'SETINFO', 'LIB-NAME', 'redis-py')).reply), 'OK');
    assert.equal(val((await c.send('CLIENT', 'SETINFO', 'lib-ver', '5.0.1')).reply), 'OK');
    assert.equal(val((await c.send('CLIENT', 'SETINFO', 'foo', 'x')).reply), "ERR Unrecognized option 'foo'");
    assert.equal(
      val((await c.send('CLIENT', 'SETINFO', 'lib-name', 'a b')).reply),
      'ERR lib-name cannot contain spaces, newlines or special characters.',
    );
    assert.equal(val((await c.send('CLIENT', 'SETINFO', 'lib-name')).reply), "ERR wrong number of arguments for 'client|setinfo' command");
  });
});

describe('authentication with requirepass matches Redis 7.0', () => {
  const servers = differentialServers(['--requirepass', 'secret']);

  it('NOAUTH, AUTH and HELLO AUTH flows', async () => {
    const t = await servers.pair();
    await t.error('PING');
    await t.error('GET', 'k');
    await t.error('HELLO', '3');
    await t.error('HELLO', '3', 'AUTH', 'default', 'bad');
    await t.error('AUTH', 'bad');
    await t.error('AUTH', 'secret', 'x');
    await t.error('AUTH', 'bob', 'secret');
    await t.error('PING');
    await t.do('AUTH', 'secret');
    await t.do('PING');
    await t.do('AUTH', 'default', 'secret');
    await t.error('AUTH', 'wrong');
    await t.do('PING');
    await t.do('RESET');
    await t.error('PING');
    const [r, o] = await t.both('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'me');
    assert.equal(helloShape(o.raw), helloShape(r.raw));
    await t.do('CLIENT', 'GETNAME');
    await t.do('RESET');
    await t.do('AUTH', 'default', 'secret');
    await t.do('CLIENT', 'GETNAME');
  });

  it('CONFIG SET requirepass applies to new connections', async () => {
    const admin = await servers.pair();
    await admin.do('AUTH', 'secret');
    await admin.do('CONFIG', 'SET', 'requirepass', '');
    const open = await servers.pair();
    await open.do('PING');
    await open.error('AUTH', 'x');
    await admin.do('CONFIG', 'SET', 'requirepass', 'other');
    await admin.do('PING');
    const closed = await servers.pair();
    await closed.error('PING');
    await closed.error('AUTH', 'secret');
    await closed.do('AUTH', 'other');
    await admin.do('CONFIG', 'SET', 'requirepass', 'secret');
  });
});
