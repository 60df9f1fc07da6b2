import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createClient } from '@redis/client';
import { differentialServers, type Pair } from './support/differential.js';
import { RawClient } from './support/raw-client.js';
import { Engine } from '../src/embedded.js';
import { StatusReply } from '../src/commands/reply.js';

/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH against real Redis 7.0, byte for byte: queuing, the
 * errors that abort a transaction, runtime errors inside EXEC, WATCH touched by other clients,
 * expiry, FLUSH and SWAPDB, RESP3 shapes, blocking commands inside MULTI; a WATCH retry-loop
 * counter under concurrency; ioredis and node-redis `multi()`.
 */

const servers = differentialServers();

async function fresh(): Promise<Pair> {
  const t = await servers.pair();
  await t.do('FLUSHALL');
  return t;
}

/** Two pairs: `t` runs the transaction, `o` plays the other client. */
async function twoClients(): Promise<[Pair, Pair]> {
  const t = await fresh();
  return [t, await servers.pair()];
}

/** Like t.do, for replies that include HELLO's client id (which differs between the servers). */
async function doIgnoringId(t: Pair, ...args: string[]): Promise<void> {
  const [r, o] = await t.both(...args);
  const strip = (b: Buffer) => b.toString('latin1').replace(/\$2\r\nid\r\n:\d+\r\n/g, '$2\r\nid\r\n:ID\r\n');
  assert.equal(strip(o.raw), strip(r.raw), `reply to ${args.join(' ')}`);
}

/** The transaction every WATCH test finishes with: null array if a watched key was touched. */
async function tx(t: Pair): Promise<void> {
  await t.do('MULTI');
  await t.do('PING');
  await t.do('EXEC');
}

describe('MULTI / EXEC / DISCARD', () => {
  it('queues commands and returns their replies, runtime errors included', async () => {
    const t = await fresh();
    await t.do('MULTI');
    await t.do('SET', 'a', '1');
    await t.do('INCR', 'a');
    await t.do('LPUSH', 'a', 'x'); // WRONGTYPE at EXEC time does not stop the others
    await t.do('INCRBY', 'a', 'nope');
    await t.do('GET', 'a');
    await t.do('HSET', 'h', 'f', 'v');
    await t.do('HGETALL', 'h');
    await t.do('EXEC');
    await t.do('GET', 'a');
    await t.do('MULTI');
    await t.do('EXEC'); // empty transaction: *0
  });

  it('EXECABORT after unknown commands, arity errors and no-multi commands while queuing', async () => {
    const t = await fresh();
    await t.do('MULTI');
    await t.do('SET', 'a', '1');
    await t.error('NOSUCHCOMMAND', 'x', 'y');
    await t.do('SET', 'b', '2');
    await t.error('EXEC');
    await t.do('EXISTS', 'a', 'b'); // nothing ran

    await t.do('MULTI');
    await t.error('GET');
    await t.error('EXEC');

    await t.do('MULTI');
    await t.error('WATCH'); // arity is checked before WATCH's own MULTI check
    await t.error('EXEC');

    await t.do('MULTI');
    await t.error('SHUTDOWN'); // no_multi: refused, not queued
    await t.error('EXEC');

    await t.do('MULTI');
    await t.error('CONFIG', 'NOSUCHSUB');
    await t.error('EXEC');
  });

  it('errors for misplaced MULTI / EXEC / DISCARD / WATCH, which do not abort', async () => {
    const t = await fresh();
    await t.error('EXEC');
    await t.error('DISCARD');
    await t.do('MULTI');
    await t.error('MULTI');
    await t.error('WATCH', 'k');
    await t.do('SET', 'k', 'v');
    await t.do('EXEC'); // the errors above ran at once and did not flag the transaction
    await t.do('GET', 'k');
    await t.do('UNWATCH');
    await t.error('WATCH');
    await t.error('UNWATCH', 'extra');
  });

  it('DISCARD drops the queue and the watched keys', async () => {
    const [t, o] = await twoClients();
    await t.do('WATCH', 'k');
    await t.do('MULTI');
    await t.do('SET', 'k', 'mine');
    await t.do('DISCARD');
    await t.do('GET', 'k');
    await o.do('SET', 'k', 'other');
    await tx(t); // no longer watching after DISCARD
    await t.error('DISCARD');
  });

  it('RESET leaves MULTI and forgets watched keys', async () => {
    const [t, o] = await twoClients();
    await t.do('WATCH', 'k');
    await t.do('MULTI');
    await t.do('SET', 'k', 'v');
    await t.do('RESET');
    await t.error('EXEC');
    await o.do('SET', 'k', 'x');
    await tx(t);
  });

  it('NOAUTH while queuing aborts the transaction', async () => {
    const t = await fresh();
    await t.do('CONFIG', 'SET', 'requirepass', 'pw');
    try {
      await t.do('MULTI');
      await t.do('SET', 'a', '1');
      await t.do('AUTH', 'pw'); // AUTH is queued too
      await t.do('EXEC');
      // A fresh connection is not authenticated: its commands are refused while queuing.
      const u = await servers.pair();
      await u.do('MULTI');
      await u.error('SET', 'a', '2');
      await u.do('AUTH', 'pw');
      await u.error('EXEC');
    } finally {
      await t.do('CONFIG', 'SET', 'requirepass', '');
    }
  });

  it('SELECT and HELLO inside EXEC take effect for the rest of it; RESP3 shapes', async () => {
    const t = await fresh();
    await t.do('MULTI');
    await t.do('SELECT', '3');
    await t.do('SET', 'x', 'in3');
    await doIgnoringId(t, 'HELLO', '3');
    await t.do('HSET', 'h', 'f', '1');
    await t.do('HGETALL', 'h');
    await doIgnoringId(t, 'EXEC');
    await t.do('GET', 'x');
    await t.do('MULTI');
    await t.do('GET', 'missing');
    await t.do('ZADD', 'z', '1.5', 'm');
    await t.do('ZSCORE', 'z', 'm');
    await t.do('EXEC');
    await t.do('WATCH', 'x');
    await t.do('SET', 'x', 'touched');
    await tx(t); // RESP3 null: _
    await doIgnoringId(t, 'HELLO', '2');
    await t.do('SELECT', '0');
  });

  it('blocking commands inside MULTI do not block', async () => {
    const t = await fresh();
    await t.do('MULTI');
    await t.do('BLPOP', 'l', '0');
    await t.do('BRPOPLPUSH', 'l', 'm', '0');
    await t.do('BLMOVE', 'l', 'm', 'LEFT', 'RIGHT', '0');
    await t.do('BZPOPMIN', 'z', '0');
    await t.do('BLMPOP', '0', '1', 'l', 'LEFT');
    await t.do('RPUSH', 'l', 'a');
    await t.do('BLPOP', 'l', '0'); // data present: served at once
    await t.do('EXEC');
    await doIgnoringId(t, 'HELLO', '3');
    await t.do('MULTI');
    await t.do('BLPOP', 'l', '0');
    await t.do('BZPOPMAX', 'z', '0');
    await t.do('EXEC');
    await doIgnoringId(t, 'HELLO', '2');
  });

  it('a client blocked on a key pushed inside EXEC is served after EXEC', async () => {
    for (const port of [servers.redis.port, servers.ours.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      try {
        await b.send('DEL', 'bl');
        const blocked = a.send('BLPOP', 'bl', '0');
        for (let i = 0; i < 200; i++) {
          const list = (await b.send('CLIENT', 'LIST')).raw.toString('latin1');
          if (list.includes('cmd=blpop')) break;
          await sleep(5);
        }
        await b.send('MULTI');
        await b.send('RPUSH', 'bl', 'x', 'y');
        await b.send('LRANGE', 'bl', '0', '-1');
        const exec = await b.send('EXEC');
        assert.equal(exec.raw.toString(), '*2\r\n:2\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n', `port ${port}`);
        assert.equal((await blocked).raw.toString(), '*2\r\n$2\r\nbl\r\n$1\r\nx\r\n');
        assert.equal((await b.send('LRANGE', 'bl', '0', '-1')).raw.toString(), '*1\r\n$1\r\ny\r\n');
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it('CLIENT LIST shows the x flag and the queue length in multi=', async () => {
    for (const port of [servers.redis.port, servers.ours.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      try {
        const id = (await a.send('CLIENT', 'ID')).raw.toString('latin1').slice(1, -2);
        const list = async () => (await b.send('CLIENT', 'LIST', 'ID', id)).raw.toString('latin1');
        assert.match(await list(), / flags=N .* multi=-1 /);
        await a.send('MULTI');
        assert.match(await list(), / flags=x .* multi=0 .*cmd=multi /);
        await a.send('SET', 'k', 'v');
        await a.send('GET', 'k');
        assert.match(await list(), / flags=x .* multi=2 .*cmd=get /);
        await a.send('GET'); // refused: the queue stops growing
        await a.send('GET', 'k');
        assert.match(await list(), / flags=x .* multi=2 /);
        await a.send('DISCARD');
        assert.match(await list(), / flags=N .* multi=-1 .*cmd=discard /);
        await a.send('MULTI');
        await a.send('CLIENT', 'INFO');
        const exec = (await a.send('EXEC')).raw.toString('latin1');
        assert.match(exec, / flags=x .* multi=1 .*cmd=exec /, `port ${port}`);
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it('INFO commandstats, total_commands_processed and total_error_replies count like Redis', async () => {
    const t = await fresh();
    await t.do('CONFIG', 'RESETSTAT');
    await t.do('MULTI');
    await t.error('GET');
    await t.do('SET', 'a', '1');
    await t.error('EXEC');
    await t.do('MULTI');
    await t.do('SET', 'a', '1');
    await t.do('LPUSH', 'a', 'x');
    await t.do('EXEC');
    await t.do('WATCH', 'a');
    await t.do('INCR', 'a');
    await tx(t);
    await t.error('EXEC');
    const stats = (r: { raw: Buffer }) =>
      r.raw
        .toString('latin1')
        .split('\r\n')
        .filter((l) => l.startsWith('cmdstat_') || l.startsWith('total_error') || l.startsWith('total_commands_processed'))
        .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, ''))
        .sort();
    const [r, o] = await t.both('INFO', 'commandstats');
    assert.deepEqual(stats(o), stats(r));
    const [rs, os] = await t.both('INFO', 'stats');
    assert.deepEqual(stats(os), stats(rs));
  });
});

describe('WATCH', () => {
  it('another client writing a watched key fails EXEC; unrelated keys do not', async () => {
    const [t, o] = await twoClients();
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k', 'other');
    await o.do('SET', 'unrelated', 'x');
    await o.do('INCR', 'k');
    await t.do('MULTI');
    await t.do('SET', 'k', 'mine');
    await t.do('EXEC');
    await t.do('GET', 'k');
    await t.do('WATCH', 'k');
    await o.do('SET', 'unrelated', 'y');
    await tx(t);
  });

  it('the client itself writing before MULTI fails EXEC; UNWATCH clears it', async () => {
    const t = await fresh();
    await t.do('WATCH', 'k');
    await t.do('SET', 'k', 'v');
    await tx(t);
    await t.do('WATCH', 'k');
    await t.do('SET', 'k', 'w');
    await t.do('UNWATCH');
    await tx(t);
    await t.do('WATCH', 'k');
    await t.do('SET', 'k', 'v');
    await t.do('WATCH', 'j'); // already dirty: still fails
    await tx(t);
  });

  it('writes that change nothing do not touch watched keys', async () => {
    const [t, o] = await twoClients();
    await t.do('SET', 'k', 'v');
    await t.do('RPUSH', 'l', 'a');
    await t.do('SADD', 's', 'a');
    await t.do('HSET', 'h', 'f', 'v');
    await t.do('ZADD', 'z', '1', 'a');
    await t.do('WATCH', 'k', 'l', 's', 'h', 'z', 'missing');
    await o.do('SET', 'k', 'x', 'NX');
    await o.do('SETNX', 'k', 'x');
    await o.do('SET', 'missing', 'x', 'XX');
    await o.do('DEL', 'missing');
    await o.do('PERSIST', 'k');
    await o.do('LREM', 'l', '0', 'zz');
    await o.do('SREM', 's', 'zz');
    await o.do('SADD', 's', 'a');
    await o.do('HDEL', 'h', 'zz');
    await o.do('HSETNX', 'h', 'f', 'x');
    await o.do('ZREM', 'z', 'zz');
    await o.do('LPUSHX', 'missing', 'a');
    await o.do('EXPIRE', 'missing', '10');
    await o.do('GET', 'k');
    await o.do('LRANGE', 'l', '0', '-1');
    await tx(t);
  });

  it('each kind of write touches: container edits, TTL changes, RENAME, MOVE, DEL, EXPIRE 0', async () => {
    const [t, o] = await twoClients();
    const cases: [string, string[][]][] = [
      ['l', [['RPUSH', 'l', 'a', 'b']]],
      ['s', [['SADD', 's', 'a']]],
      ['h', [['HSET', 'h', 'f', 'v']]],
      ['z', [['ZADD', 'z', '1', 'a']]],
    ];
    for (const [key, setup] of cases) for (const c of setup) await t.do(...c);
    const writes: string[][] = [
      ['LPOP', 'l'],
      ['SREM', 's', 'a'],
      ['HDEL', 'h', 'f'],
      ['ZINCRBY', 'z', '1', 'a'],
      ['EXPIRE', 'l', '100'],
      ['PERSIST', 'l'],
      ['RENAME', 'h', 'h2'],
      ['RENAME', 'h2', 'h'],
      ['MOVE', 'z', '5'],
      ['DEL', 'h'],
      ['APPEND', 'str', 'x'],
      ['SETRANGE', 'str', '0', 'y'],
      ['INCRBYFLOAT', 'num', '1.5'],
      ['PEXPIRE', 'str', '0'],
      ['COPY', 'l', 'lcopy'],
      ['SINTERSTORE', 'dst', 'l', 's'],
      ['LMOVE', 'l', 'l2', 'LEFT', 'LEFT'],
      ['GETDEL', 'num'],
    ];
    for (const w of writes) {
      // Watch the written key (and the destination of commands that write elsewhere).
      const key = w[0] === 'COPY' ? 'lcopy' : w[0] === 'SINTERSTORE' ? 'dst' : w[1];
      await t.do('WATCH', key);
      await o.do(...w);
      await tx(t);
    }
  });

  it('a watched key that expires fails EXEC, whether or not something reclaimed it', async () => {
    const [t, o] = await twoClients();
    await t.do('SET', 'k', 'v', 'PX', '50');
    await t.do('WATCH', 'k');
    await sleep(100);
    await tx(t); // expired at EXEC time, never accessed
    await t.do('SET', 'k', 'v', 'PX', '50');
    await t.do('WATCH', 'k');
    await sleep(100);
    await o.do('GET', 'k'); // lazily deleted by another client
    await tx(t);
    await t.do('SET', 'k', 'v', 'PX', '50');
    await t.do('WATCH', 'k');
    await t.do('MULTI');
    await sleep(100);
    await t.do('PING');
    await t.do('EXEC');
  });

  it('a key already expired at WATCH time: its removal is no change, a new value is', async () => {
    const [t, o] = await twoClients();
    const expiredKey = async () => {
      await t.do('SET', 'k', 'v', 'PX', '20');
      await sleep(50);
      await t.do('WATCH', 'k');
    };
    await expiredKey();
    await tx(t);
    await expiredKey();
    await o.do('GET', 'k');
    await tx(t);
    await expiredKey();
    await o.do('DEL', 'k');
    await tx(t);
    await expiredKey();
    await o.do('SET', 'k', 'new');
    await tx(t);
    await expiredKey();
    await o.do('GET', 'k');
    await o.do('SET', 'k', 'new');
    await tx(t);
    await expiredKey();
    await o.do('FLUSHALL');
    await tx(t);
  });

  it('FLUSHDB / FLUSHALL touch watched keys that existed', async () => {
    const [t, o] = await twoClients();
    await t.do('WATCH', 'missing');
    await o.do('FLUSHALL');
    await tx(t);
    await t.do('WATCH', 'missing');
    await o.do('FLUSHDB');
    await tx(t);
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k');
    await o.do('FLUSHALL');
    await tx(t);
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k');
    await o.do('FLUSHDB');
    await tx(t);
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k');
    await o.do('SELECT', '1');
    await o.do('SET', 'k', '1');
    await o.do('FLUSHDB'); // another database
    await o.do('SELECT', '0');
    await tx(t);
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k');
    await o.do('FLUSHALL', 'ASYNC');
    await tx(t);
  });

  it('SWAPDB touches watched keys present in either database', async () => {
    const [t, o] = await twoClients();
    const inDb1 = async (...args: string[]) => {
      await o.do('SELECT', '1');
      await o.do(...args);
      await o.do('SELECT', '0');
    };
    await t.do('SET', 'k', 'v');
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '1'); // k leaves db 0
    await tx(t);
    await o.do('FLUSHALL');
    await inDb1('SET', 'k', 'v');
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '1'); // k arrives in db 0
    await tx(t);
    await o.do('FLUSHALL');
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '1'); // absent from both
    await tx(t);
    await o.do('FLUSHALL');
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '0');
    await tx(t);
    // Expired keys: a missing key replaced by an expired one, and an expired one replaced by nothing.
    await o.do('FLUSHALL');
    await inDb1('SET', 'k', 'v', 'PX', '20');
    await sleep(50);
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '1');
    await tx(t);
    await o.do('FLUSHALL');
    await t.do('SET', 'k', 'v', 'PX', '20');
    await sleep(50);
    await t.do('WATCH', 'k');
    await o.do('SWAPDB', '0', '1');
    await tx(t);
    // A client watching in db 1 while db 0 and 1 swap.
    await o.do('FLUSHALL');
    await t.do('SELECT', '1');
    await t.do('WATCH', 'k');
    await o.do('SET', 'k', 'in0');
    await o.do('SWAPDB', '0', '1');
    await tx(t);
    await t.do('SELECT', '0');
  });

  it('WATCH keys in several databases; the same key twice', async () => {
    const [t, o] = await twoClients();
    await t.do('WATCH', 'k', 'k');
    await t.do('SELECT', '2');
    await t.do('WATCH', 'k');
    await t.do('SELECT', '0');
    await o.do('SELECT', '2');
    await o.do('SET', 'k', 'x');
    await o.do('SELECT', '0');
    await tx(t);
    await t.do('WATCH', 'k');
    await o.do('SELECT', '2');
    await o.do('SET', 'k', 'y'); // same name, other database
    await o.do('SELECT', '0');
    await tx(t);
  });

  it('a transaction that writes its own watched key succeeds', async () => {
    const t = await fresh();
    await t.do('SET', 'k', '1');
    await t.do('WATCH', 'k');
    await t.do('MULTI');
    await t.do('INCR', 'k');
    await t.do('INCR', 'k');
    await t.do('EXEC');
    await t.do('GET', 'k');
  });
});

describe('WATCH under concurrency', () => {
  /** N clients each increment a counter M times with a WATCH/GET/MULTI/SET/EXEC retry loop. */
  async function counter(port: number, clients: number, increments: number): Promise<string> {
    const setup = new Redis({ port, lazyConnect: true });
    await setup.connect();
    await setup.del('tx:counter');
    const workers = Array.from({ length: clients }, async () => {
      const r = new Redis({ port, lazyConnect: true });
      await r.connect();
      try {
        for (let done = 0; done < increments; ) {
          await r.watch('tx:counter');
          const v = Number((await r.get('tx:counter')) ?? '0');
          const res = await r.multi().set('tx:counter', String(v + 1)).exec();
          if (res !== null) done++;
        }
      } finally {
        r.disconnect();
      }
    });
    await Promise.all(workers);
    const final = (await setup.get('tx:counter'))!;
    setup.disconnect();
    return final;
  }

  it('20 clients × 50 increments = exactly 1000 on both servers', async () => {
    assert.equal(await counter(servers.redis.port, 20, 50), '1000');
    assert.equal(await counter(servers.ours.port, 20, 50), '1000');
  });
});

describe('client libraries', () => {
  it('ioredis multi(): results, runtime errors, EXECABORT, WATCH failure', async () => {
    for (const port of [servers.redis.port, servers.ours.port]) {
      const r = new Redis({ port, lazyConnect: true });
      await r.connect();
      try {
        await r.del('io:a', 'io:l');
        const res = await r.multi().set('io:a', '5').incr('io:a').lpush('io:a', 'x').get('io:a').exec();
        assert.equal(res!.length, 4);
        assert.deepEqual(res![0], [null, 'OK']);
        assert.deepEqual(res![1], [null, 6]);
        assert.match(String(res![2][0]), /WRONGTYPE/);
        assert.deepEqual(res![3], [null, '6']);
        await assert.rejects(r.multi().set('io:a', '1').call('NOSUCHCMD').exec(), /EXECABORT/);
        await r.watch('io:a');
        const other = new Redis({ port });
        await other.set('io:a', 'changed');
        other.disconnect();
        assert.equal(await r.multi().set('io:a', 'mine').exec(), null);
        assert.equal(await r.get('io:a'), 'changed');
        // Commands given as an array (ioredis writes MULTI … EXEC in one write either way).
        const p = await r.multi([['rpush', 'io:l', 'a', 'b'], ['lrange', 'io:l', 0, -1]]).exec();
        assert.deepEqual(p, [[null, 2], [null, ['a', 'b']]]);
      } finally {
        r.disconnect();
      }
    }
  });

  it('node-redis multi() (RESP2 and RESP3) and WATCH errors', async () => {
    for (const port of [servers.redis.port, servers.ours.port]) {
      for (const RESP of [2, 3] as const) {
        const c = createClient({ socket: { port, host: '127.0.0.1' }, RESP });
        await c.connect();
        try {
          await c.del(['nr:a', 'nr:h']);
          const res = await c.multi().set('nr:a', '1').incr('nr:a').hSet('nr:h', 'f', 'v').hGetAll('nr:h').exec();
          assert.deepEqual(res.slice(0, 3), ['OK', 2, 1]);
          assert.equal(String(Object.entries(res[3] as object)), 'f,v');
          await c.del('nr:h');
          await c.watch('nr:a');
          const other = c.duplicate();
          await other.connect();
          await other.set('nr:a', 'changed');
          await other.quit();
          await assert.rejects(c.multi().set('nr:a', 'mine').exec(), /WatchError|One \(or more\) of the watched keys has been changed/);
          assert.equal(await c.get('nr:a'), 'changed');
        } finally {
          await c.quit();
        }
      }
    }
  });

  it('embedded engine: MULTI/EXEC and WATCH', () => {
    const e = new Engine();
    assert.equal(String(e.call('MULTI')), 'OK');
    assert.equal(String(e.call('SET', 'k', '1')), 'QUEUED');
    assert.equal(String(e.call('INCR', 'k')), 'QUEUED');
    assert.deepEqual(e.call('EXEC'), [new StatusReply('OK'), 2]);
    e.call('WATCH', 'k');
    e.call('SET', 'k', '5');
    e.call('MULTI');
    e.call('GET', 'k');
    assert.equal(e.call('EXEC'), null);
  });
});
