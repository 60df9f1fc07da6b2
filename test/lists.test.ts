import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentialServers, type Pair } from './support/differential.js';
import { List } from '../src/engine/list.js';

/** Runs the same body in RESP2 and in RESP3 (after HELLO 3) on a fresh pair. */
async function bothProtocols(servers: ReturnType<typeof differentialServers>, body: (t: Pair) => Promise<void>): Promise<void> {
  for (const proto of [2, 3]) {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    if (proto === 3) await t.both('HELLO', '3');
    await body(t);
  }
}

describe('lists: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('LPUSH, RPUSH, LPUSHX, RPUSHX, LLEN, LRANGE, TYPE, OBJECT ENCODING', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('LPUSH', 'l', 'a', 'b', 'c');
      await t.do('RPUSH', 'l', 'x', 'y');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LLEN', 'l');
      await t.do('LLEN', 'nope');
      await t.do('LPUSHX', 'nope', 'a');
      await t.do('RPUSHX', 'nope', 'a');
      await t.do('EXISTS', 'nope');
      await t.do('LPUSHX', 'l', '1', '2');
      await t.do('RPUSHX', 'l', '3');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('TYPE', 'l');
      await t.do('OBJECT', 'ENCODING', 'l');
      await t.do('RPUSH', 'big', 'x'.repeat(10000));
      await t.do('OBJECT', 'ENCODING', 'big');
      await t.do('SET', 's', 'v');
      for (const cmd of ['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']) await t.error(cmd, 's', 'a');
      await t.error('LLEN', 's');
      await t.error('LPUSH', 'l');
      await t.error('RPUSHX', 'l');
      await t.error('LLEN');
    });
  });

  it('LRANGE index arithmetic and errors', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
      const ranges = [
        ['0', '0'], ['0', '-1'], ['-3', '-1'], ['2', '5'], ['5', '2'], ['-100', '100'], ['10', '20'], ['9', '9'],
        ['-1', '-1'], ['-11', '0'], ['3', '-8'], ['0', '-11'], ['-9223372036854775808', '9223372036854775807'],
      ];
      for (const [a, b] of ranges) await t.do('LRANGE', 'l', a, b);
      await t.do('LRANGE', 'nope', '0', '-1');
      await t.error('LRANGE', 'l', 'a', '1');
      await t.error('LRANGE', 'l', '0', '1.5');
      await t.error('LRANGE', 'nope', '0', '9223372036854775808');
      await t.do('SET', 's', 'v');
      await t.error('LRANGE', 's', '0', '-1');
    });
  });

  it('LPOP/RPOP with and without count, count 0, negative and bad counts', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e');
      await t.do('LPOP', 'l');
      await t.do('RPOP', 'l');
      await t.do('LPOP', 'l', '0');
      await t.do('RPOP', 'l', '0');
      await t.do('LPOP', 'l', '1');
      await t.do('RPOP', 'l', '5');
      await t.do('EXISTS', 'l');
      await t.do('LPOP', 'l');
      await t.do('LPOP', 'l', '0');
      await t.do('RPOP', 'l', '2');
      await t.error('LPOP', 'l', '-1');
      await t.error('RPOP', 'l', 'abc');
      await t.error('LPOP', 'l', '1', '2');
      await t.error('LPOP', 'l', '9223372036854775808');
      await t.do('RPUSH', 'l', 'a', 'b');
      await t.do('LPOP', 'l', '9223372036854775807');
      await t.do('SET', 's', 'v');
      await t.error('LPOP', 's');
      await t.error('RPOP', 's', '0');
      await t.error('LPOP', 's', '-1');
    });
  });

  it('LINDEX and LSET', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', 'a', 'b', 'c');
      for (const i of ['0', '2', '3', '-1', '-3', '-4', '100']) await t.do('LINDEX', 'l', i);
      await t.do('LINDEX', 'nope', '0');
      await t.error('LINDEX', 'l', 'x');
      // The key is looked up before the index is parsed.
      await t.do('LINDEX', 'nope', 'x');
      await t.do('SET', 'lindex-str', 'v');
      await t.error('LINDEX', 'lindex-str', 'x');
      await t.do('LSET', 'l', '0', 'A');
      await t.do('LSET', 'l', '-1', 'C');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.error('LSET', 'l', '3', 'x');
      await t.error('LSET', 'l', '-4', 'x');
      await t.error('LSET', 'nope', '0', 'x');
      await t.error('LSET', 'nope', 'x', 'x');
      await t.error('LSET', 'l', 'x', 'x');
      await t.do('SET', 's', 'v');
      await t.error('LINDEX', 's', '0');
      await t.error('LSET', 's', '0', 'x');
      await t.error('LSET', 's', 'bad', 'x');
    });
  });

  it('LINSERT', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', 'a', 'b', 'c', 'b');
      await t.do('LINSERT', 'l', 'BEFORE', 'b', 'x');
      await t.do('LINSERT', 'l', 'after', 'b', 'y');
      await t.do('LINSERT', 'l', 'before', 'a', 'first');
      await t.do('LINSERT', 'l', 'AFTER', 'b', 'z');
      await t.do('LINSERT', 'l', 'after', 'missing', 'q');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LINSERT', 'nope', 'before', 'a', 'b');
      await t.do('EXISTS', 'nope');
      await t.error('LINSERT', 'l', 'middle', 'a', 'b');
      await t.error('LINSERT', 'nope', 'middle', 'a', 'b');
      await t.do('SET', 's', 'v');
      await t.error('LINSERT', 's', 'before', 'a', 'b');
      await t.error('LINSERT', 'l', 'before', 'a');
    });
  });

  it('LREM from head, tail, all', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a');
      await t.do('LREM', 'l', '2', 'a');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LREM', 'l', '-1', 'b');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LREM', 'l', '0', 'a');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LREM', 'l', '0', 'zz');
      await t.do('LREM', 'l', '0', 'b');
      await t.do('LREM', 'l', '0', 'c');
      await t.do('EXISTS', 'l');
      await t.do('LREM', 'nope', '1', 'a');
      await t.error('LREM', 'l', 'x', 'a');
      await t.do('SET', 's', 'v');
      await t.error('LREM', 's', '0', 'a');
    });
  });

  it('LTRIM, including the activity feed (LPUSH + LTRIM 0 49)', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
      await t.do('LTRIM', 'l', '1', '-2');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LTRIM', 'l', '-3', '100');
      await t.do('LRANGE', 'l', '0', '-1');
      await t.do('LTRIM', 'l', '2', '1');
      await t.do('EXISTS', 'l');
      await t.do('RPUSH', 'l', 'a', 'b');
      await t.do('LTRIM', 'l', '5', '10');
      await t.do('EXISTS', 'l');
      await t.do('LTRIM', 'nope', '0', '1');
      await t.error('LTRIM', 'nope', 'a', '1');
      await t.do('SET', 's', 'v');
      await t.error('LTRIM', 's', '0', '1');
      // The seed's activity feed: newest first, capped at 50 entries.
      for (let i = 0; i < 120; i++) {
        await t.do('LPUSH', 'feed:user:42', `event ${i}`);
        await t.do('LTRIM', 'feed:user:42', '0', '49');
      }
      await t.do('LLEN', 'feed:user:42');
      await t.do('LRANGE', 'feed:user:42', '0', '9');
      await t.do('LINDEX', 'feed:user:42', '-1');
    });
  });

  it('LPOS with RANK, COUNT, MAXLEN and their errors', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'x', 'a');
      await t.do('LPOS', 'l', 'a');
      await t.do('LPOS', 'l', 'c');
      await t.do('LPOS', 'l', 'zz');
      for (const rank of ['1', '2', '4', '5', '-1', '-2', '-4', '-5', '-9223372036854775808', '-9223372036854775807', '9223372036854775807']) {
        await t.do('LPOS', 'l', 'a', 'RANK', rank);
        await t.do('LPOS', 'l', 'a', 'RANK', rank, 'COUNT', '2');
        await t.do('LPOS', 'l', 'a', 'RANK', rank, 'COUNT', '0');
      }
      await t.do('LPOS', 'l', 'a', 'COUNT', '0');
      await t.do('LPOS', 'l', 'a', 'COUNT', '3');
      await t.do('LPOS', 'l', 'zz', 'COUNT', '3');
      await t.do('LPOS', 'l', 'a', 'MAXLEN', '4');
      await t.do('LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '5');
      await t.do('LPOS', 'l', 'a', 'RANK', '-1', 'COUNT', '0', 'MAXLEN', '3');
      await t.do('LPOS', 'l', 'x', 'MAXLEN', '7');
      await t.do('LPOS', 'l', 'x', 'MAXLEN', '8');
      await t.do('LPOS', 'l', 'a', 'rank', '2', 'rank', '3');
      await t.do('LPOS', 'nope', 'a');
      await t.do('LPOS', 'nope', 'a', 'COUNT', '1');
      await t.do('LPOS', 'nope', 'a', 'RANK', '2');
      await t.error('LPOS', 'l', 'a', 'RANK', '0');
      await t.error('LPOS', 'l', 'a', 'RANK', 'x');
      await t.error('LPOS', 'l', 'a', 'COUNT', '-1');
      await t.error('LPOS', 'l', 'a', 'COUNT', 'x');
      await t.error('LPOS', 'l', 'a', 'MAXLEN', '-1');
      await t.error('LPOS', 'l', 'a', 'MAXLEN', 'x');
      await t.error('LPOS', 'l', 'a', 'COUNT');
      await t.error('LPOS', 'l', 'a', 'FOO', '1');
      await t.error('LPOS', 'nope', 'a', 'RANK', '0');
      await t.do('SET', 's', 'v');
      await t.error('LPOS', 's', 'a');
      await t.error('LPOS', 's', 'a', 'COUNT', '1');
    });
  });

  it('LMOVE and RPOPLPUSH, including within one list and towards the wrong type', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'src', 'a', 'b', 'c');
      await t.do('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT');
      await t.do('LMOVE', 'src', 'dst', 'right', 'left');
      await t.do('LRANGE', 'dst', '0', '-1');
      await t.do('RPOPLPUSH', 'dst', 'src');
      await t.do('LRANGE', 'src', '0', '-1');
      await t.do('LMOVE', 'src', 'src', 'LEFT', 'RIGHT');
      await t.do('LRANGE', 'src', '0', '-1');
      await t.do('RPUSH', 'one', 'x');
      await t.do('RPOPLPUSH', 'one', 'one');
      await t.do('LRANGE', 'one', '0', '-1');
      await t.do('LMOVE', 'nope', 'dst', 'LEFT', 'LEFT');
      await t.do('RPOPLPUSH', 'nope', 'dst');
      await t.do('SET', 's', 'v');
      await t.error('LMOVE', 'src', 's', 'LEFT', 'LEFT');
      await t.error('LMOVE', 's', 'dst', 'LEFT', 'LEFT');
      await t.error('RPOPLPUSH', 'src', 's');
      await t.do('LMOVE', 'nope', 's', 'LEFT', 'LEFT');
      await t.do('LRANGE', 'src', '0', '-1');
      await t.error('LMOVE', 'src', 'dst', 'UP', 'LEFT');
      await t.error('LMOVE', 'nope', 'dst', 'LEFT', 'DOWN');
      await t.do('LMOVE', 'one', 'fresh', 'RIGHT', 'LEFT');
      await t.do('EXISTS', 'one');
      await t.do('LRANGE', 'fresh', '0', '-1');
    });
  });

  it('LMPOP: numkeys, LEFT|RIGHT, COUNT and errors', async () => {
    await bothProtocols(servers, async (t) => {
      await t.do('RPUSH', 'b', '1', '2', '3', '4', '5');
      await t.do('LMPOP', '2', 'a', 'b', 'LEFT');
      await t.do('LMPOP', '2', 'a', 'b', 'right', 'COUNT', '2');
      await t.do('LMPOP', '1', 'b', 'LEFT', 'count', '10');
      await t.do('EXISTS', 'b');
      await t.do('LMPOP', '2', 'a', 'b', 'LEFT');
      await t.error('LMPOP', '0', 'a', 'LEFT');
      await t.error('LMPOP', '-1', 'a', 'LEFT');
      await t.error('LMPOP', 'x', 'a', 'LEFT');
      await t.error('LMPOP', '3', 'a', 'LEFT');
      await t.error('LMPOP', '1', 'a', 'MIDDLE');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'COUNT', '0');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'COUNT', '-1');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'COUNT', 'x');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '1');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'COUNT');
      await t.error('LMPOP', '1', 'a', 'LEFT', 'FOO');
      await t.error('LMPOP', '1', 'a');
      await t.do('SET', 's', 'v');
      await t.do('RPUSH', 'c', 'x');
      await t.error('LMPOP', '2', 's', 'c', 'LEFT');
      await t.do('LMPOP', '2', 'c', 's', 'LEFT');
      await t.do('COMMAND', 'GETKEYS', 'LMPOP', '2', 'a', 'b', 'LEFT');
      await t.do('COMMAND', 'GETKEYS', 'BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '3');
    });
  });

  it('COPY, RENAME and MOVE carry lists', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    await t.do('RPUSH', 'l', 'a', 'b');
    await t.do('COPY', 'l', 'l2');
    await t.do('RPUSH', 'l2', 'c');
    await t.do('LRANGE', 'l', '0', '-1');
    await t.do('LRANGE', 'l2', '0', '-1');
    await t.do('RENAME', 'l2', 'l3');
    await t.do('MOVE', 'l3', '1');
    await t.do('SELECT', '1');
    await t.do('LRANGE', 'l3', '0', '-1');
    await t.do('SELECT', '0');
    await t.unordered('SCAN', '0', 'TYPE', 'list');
  });

  it('binary-safe elements', async () => {
    const t = await servers.pair();
    await t.do('FLUSHALL');
    const bin = Buffer.from([0, 255, 13, 10, 128, 7]);
    await t.do('RPUSH', 'l', bin, '', bin);
    await t.do('LRANGE', 'l', '0', '-1');
    await t.do('LPOS', 'l', bin, 'COUNT', '0');
    await t.do('LREM', 'l', '0', '');
    await t.do('LINSERT', 'l', 'BEFORE', bin, Buffer.from([1, 2]));
    await t.do('LRANGE', 'l', '0', '-1');
  });
});

describe('List (engine)', () => {
  it('grows and shrinks as a ring buffer, with inserts and removals on both halves', () => {
    const l = new List();
    const model: string[] = [];
    for (let i = 0; i < 100; i++) {
      l.pushFront(`f${i}`);
      model.unshift(`f${i}`);
      l.pushBack(`b${i}`);
      model.push(`b${i}`);
    }
    l.insertAt(3, 'x');
    model.splice(3, 0, 'x');
    l.insertAt(190, 'y');
    model.splice(190, 0, 'y');
    assert.deepEqual(l.slice(0, l.size - 1), model);
    assert.equal(l.remove('x', 0, true), 1);
    model.splice(3, 1);
    for (let i = 0; i < 120; i++) {
      assert.equal(l.popFront(), model.shift());
      if (i % 2) assert.equal(l.popBack(), model.pop());
    }
    assert.deepEqual(l.slice(0, l.size - 1), model);
    l.trim(2, 5);
    assert.deepEqual(l.slice(0, l.size - 1), model.slice(2, 6));
    assert.equal(l.clone().size, 4);
  });
});
