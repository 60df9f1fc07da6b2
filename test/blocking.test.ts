import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { differentialServers } from './support/differential.js';
import { RawClient, encodeCommand, type RawReply } from './support/raw-client.js';

type Servers = ReturnType<typeof differentialServers>;

/**
 * Runs a multi-client scenario against real Redis and against stickynote and asserts both
 * transcripts (the exact reply bytes the scenario records) are equal.
 */
async function onBoth(servers: Servers, scenario: (s: Scenario) => Promise<void>): Promise<void> {
  const transcripts: string[][] = [];
  for (const port of [servers.redis.port, servers.ours.port]) {
    const s = new Scenario(port);
    try {
      const ctl = await s.client();
      await ctl.send('FLUSHALL');
      await scenario(s);
    } finally {
      s.close();
    }
    transcripts.push(s.log);
  }
  assert.deepEqual(transcripts[1], transcripts[0]);
}

class Scenario {
  readonly log: string[] = [];
  private clients: RawClient[] = [];
  constructor(readonly port: number) {}

  async client(): Promise<RawClient> {
    const c = await RawClient.connect(this.port);
    this.clients.push(c);
    return c;
  }

  /** Sends a command and records its reply. */
  async do(c: RawClient, ...args: string[]): Promise<void> {
    this.record(await c.send(...args));
  }

  record(r: RawReply): void {
    this.log.push(r.raw.toString('latin1'));
  }

  /** Sends a command expected to block; call `await` on the result to record its eventual reply. */
  start(c: RawClient, ...args: string[]): () => Promise<void> {
    const p = c.send(...args);
    p.catch(() => {}); // a client closed while blocked never gets its reply
    return async () => this.record(await p);
  }

  /** Waits until exactly `n` clients are blocked (polls CLIENT LIST). */
  async waitBlocked(n: number): Promise<void> {
    const ctl = this.clients[0];
    for (let i = 0; i < 500; i++) {
      const r = await ctl.send('CLIENT', 'LIST');
      const blocked = String((r.reply as { v: unknown }).v)
        .split('\n')
        .filter((line) => / flags=\S*b/.test(line)).length;
      if (blocked === n) return;
      await new Promise((res) => setTimeout(res, 5));
    }
    throw new Error(`never saw ${n} blocked clients on port ${this.port}`);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

describe('blocking commands: differential against Redis 7.0', () => {
  const servers = differentialServers();

  it('answer at once when data is there; argument errors', async () => {
    for (const proto of ['2', '3']) {
      const t = await servers.pair();
      await t.do('FLUSHALL');
      if (proto === '3') await t.both('HELLO', '3');
      await t.do('RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f');
      await t.do('BLPOP', 'nope', 'l', '0');
      await t.do('BRPOP', 'l', 'nope', '0.5');
      await t.do('BLMOVE', 'l', 'd', 'LEFT', 'RIGHT', '0');
      await t.do('BRPOPLPUSH', 'l', 'd', '0');
      await t.do('BLMPOP', '0', '2', 'nope', 'l', 'RIGHT', 'COUNT', '5');
      await t.do('BLPOP', 'd', '0x10');
      // numkeys, the direction and COUNT are checked before the timeout.
      await t.error('BLMPOP', 'x', '0', 'l', 'LEFT');
      await t.error('BLMPOP', '-1', '1', 'l', 'UP');
      await t.error('BLMPOP', 'x', '1', 'l', 'LEFT', 'COUNT', '0');
      await t.error('BZMPOP', 'x', '0', 'z', 'MIN');
      await t.error('BZMPOP', '-1', '1', 'z', 'UP');
      await t.error('BZMPOP', 'x', '1', 'z', 'MAX', 'COUNT', '-1');
      await t.error('BZMPOP', '-1', '1', 'z', 'MAX');
      await t.do('BLPOP', 'd', '1e-3');
      await t.do('ZADD', 'z', '1', 'a', '2.5', 'b', '3', 'c', '-inf', 'm', 'inf', 'M');
      await t.do('BZPOPMIN', 'nope', 'z', '0');
      await t.do('BZPOPMAX', 'z', '0');
      await t.do('BZMPOP', '0', '2', 'nope', 'z', 'MIN', 'COUNT', '2');
      await t.do('BZMPOP', '0', '1', 'z', 'max');
      await t.do('SET', 's', 'v');
      await t.error('BLPOP', 'nope', 's', '0');
      await t.error('BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0');
      await t.do('RPUSH', 'd', 'x');
      await t.error('BLMOVE', 'd', 's', 'LEFT', 'LEFT', '0');
      await t.error('BLMPOP', '0', '1', 's', 'LEFT');
      await t.error('BZPOPMIN', 's', '0');
      await t.error('BZMPOP', '0', '1', 's', 'MIN');
      for (const bad of ['-1', 'abc', '1e400', 'inf', '-inf', 'nan', '', ' 1', '1 ', '0x', '1e5000', '9.3e15']) {
        await t.error('BLPOP', 'd', bad);
      }
      // (long double)-0.001 * 1000 is just above -1: truncated to 0, so "forever", not negative.
      await t.do('BLPOP', 'd', '-0.001');
      await t.error('BLMOVE', 'd', 'x', 'UP', 'LEFT', 'abc');
      await t.error('BLMOVE', 'd', 'x', 'LEFT', 'LEFT', 'abc');
      await t.error('BRPOPLPUSH', 'd', 'x', '-1');
      await t.error('BLMPOP', 'abc', '1', 'd', 'LEFT');
      await t.error('BLMPOP', '0', '0', 'd', 'LEFT');
      await t.error('BLMPOP', '0', '1', 'd', 'UP');
      await t.error('BLMPOP', '0', '1', 'd', 'LEFT', 'COUNT', '0');
      await t.error('BZMPOP', '0', '1', 'z', 'LEFT');
      await t.error('BZPOPMIN', 'z', '-1');
      await t.error('BLPOP', 'd');
      await t.error('CLIENT', 'UNBLOCK', 'x');
      await t.error('CLIENT', 'UNBLOCK', '1', 'foo');
      await t.error('CLIENT', 'UNBLOCK', '1', 'timeout', 'x');
      await t.do('CLIENT', 'UNBLOCK', '999999');
      await t.do('CLIENT', 'UNBLOCK', '999999', 'ERROR');
    }
  });

  it('clients are served in the order they blocked, by pushes from another client', async () => {
    await onBoth(servers, async (s) => {
      const [a, b, c, pusher] = [await s.client(), await s.client(), await s.client(), await s.client()];
      const ra = s.start(a, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      const rb = s.start(b, 'BRPOP', 'other', 'q', '0');
      await s.waitBlocked(2);
      const rc = s.start(c, 'BLPOP', 'q', '0');
      await s.waitBlocked(3);
      await s.do(pusher, 'LPUSH', 'q', 'x');
      await ra();
      await s.waitBlocked(2);
      await s.do(pusher, 'RPUSH', 'q', 'y', 'z', 'w');
      await rb();
      await rc();
      await s.do(pusher, 'LRANGE', 'q', '0', '-1');
    });
  });

  it('a push and a pop pipelined together: the blocked client is served between them', async () => {
    await onBoth(servers, async (s) => {
      const [a, pusher] = [await s.client(), await s.client()];
      const ra = s.start(a, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      pusher.writeRaw(Buffer.concat([encodeCommand(['RPUSH', 'q', 'v']), encodeCommand(['LPOP', 'q']), encodeCommand(['EXISTS', 'q'])]));
      for (let i = 0; i < 3; i++) s.record(await pusher.read());
      await ra();
    });
  });

  it('timeouts reply with a null array (RESP2 and RESP3), for every blocking command', async () => {
    await onBoth(servers, async (s) => {
      const a = await s.client();
      for (const proto of ['2', '3']) {
        if (proto === '3') await a.send('HELLO', '3');
        await s.do(a, 'BLPOP', 'q', '0.05');
        await s.do(a, 'BRPOP', 'q', 'r', '0.01');
        // 7.0 rounds up to whole milliseconds (ceill), so a tiny timeout still times out.
        await s.do(a, 'BLPOP', 'q', '0.0001');
        await s.do(a, 'BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0.02');
        await s.do(a, 'BRPOPLPUSH', 'q', 'd', '0.02');
        await s.do(a, 'BLMPOP', '0.02', '1', 'q', 'LEFT');
        await s.do(a, 'BZPOPMIN', 'z', '0.02');
        await s.do(a, 'BZPOPMAX', 'z', '0.02');
        await s.do(a, 'BZMPOP', '0.02', '2', 'z', 'y', 'MIN', 'COUNT', '3');
        await s.do(a, 'EXISTS', 'q', 'd', 'z');
      }
    });
  });

  it('pushes to another key or another database do not wake a client; SELECT then does', async () => {
    await onBoth(servers, async (s) => {
      const [a, pusher] = [await s.client(), await s.client()];
      const ra = s.start(a, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      await s.do(pusher, 'RPUSH', 'q2', 'x');
      await s.do(pusher, 'SELECT', '1');
      await s.do(pusher, 'RPUSH', 'q', 'x');
      await s.do(pusher, 'LLEN', 'q');
      await s.waitBlocked(1);
      await s.do(pusher, 'SELECT', '0');
      await s.do(pusher, 'RPUSH', 'q', 'y');
      await ra();
    });
  });

  it('BLMOVE chains: each move feeds the next waiter; LMOVE into a waited key wakes it', async () => {
    await onBoth(servers, async (s) => {
      const [a, b, c, pusher] = [await s.client(), await s.client(), await s.client(), await s.client()];
      const ra = s.start(a, 'BLMOVE', 'k1', 'k2', 'LEFT', 'RIGHT', '0');
      await s.waitBlocked(1);
      const rb = s.start(b, 'BRPOPLPUSH', 'k2', 'k3', '0');
      await s.waitBlocked(2);
      const rc = s.start(c, 'BLMPOP', '0', '2', 'k0', 'k3', 'LEFT', 'COUNT', '2');
      await s.waitBlocked(3);
      await s.do(pusher, 'RPUSH', 'k1', 'v1', 'v2');
      await ra();
      await rb();
      await rc();
      await s.do(pusher, 'LRANGE', 'k1', '0', '-1');
      await s.do(pusher, 'EXISTS', 'k2', 'k3');
      const ra2 = s.start(a, 'BLPOP', 'dst', '0');
      await s.waitBlocked(1);
      await s.do(pusher, 'LMOVE', 'k1', 'dst', 'LEFT', 'LEFT');
      await ra2();
      await s.do(pusher, 'EXISTS', 'k1', 'dst');
    });
  });

  it('a key of another type does not serve list waiters; BLMOVE towards the wrong type gets WRONGTYPE', async () => {
    await onBoth(servers, async (s) => {
      const [a, b, pusher] = [await s.client(), await s.client(), await s.client()];
      const ra = s.start(a, 'BLPOP', 'k', '0');
      await s.waitBlocked(1);
      await s.do(pusher, 'SET', 'k', 'str');
      await s.do(pusher, 'DEL', 'k');
      await s.do(pusher, 'ZADD', 'k', '1', 'm');
      await s.waitBlocked(1);
      await s.do(pusher, 'DEL', 'k');
      await s.do(pusher, 'RPUSH', 'k', 'v');
      await ra();
      const rb = s.start(b, 'BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0');
      await s.waitBlocked(1);
      await s.do(pusher, 'SET', 'dst', 'str');
      await s.do(pusher, 'RPUSH', 'src', 'x');
      await rb();
      await s.do(pusher, 'LRANGE', 'src', '0', '-1');
    });
  });

  it('list and sorted-set waiters on one key: each is served by its own type', async () => {
    await onBoth(servers, async (s) => {
      const [a, b, c, pusher] = [await s.client(), await s.client(), await s.client(), await s.client()];
      await c.send('HELLO', '3');
      const ra = s.start(a, 'BZPOPMIN', 'k', '0');
      await s.waitBlocked(1);
      const rb = s.start(b, 'BLPOP', 'k', '0');
      await s.waitBlocked(2);
      const rc = s.start(c, 'BZMPOP', '0', '1', 'k', 'MAX', 'COUNT', '5');
      await s.waitBlocked(3);
      await s.do(pusher, 'RPUSH', 'k', 'l1', 'l2');
      await rb();
      await s.do(pusher, 'DEL', 'k');
      await s.do(pusher, 'ZADD', 'k', '1.5', 'a', '2', 'b', '3', 'c');
      await ra();
      await rc();
      await s.do(pusher, 'EXISTS', 'k');
    });
  });

  it('CLIENT UNBLOCK with TIMEOUT and ERROR', async () => {
    await onBoth(servers, async (s) => {
      const [a, ctl] = [await s.client(), await s.client()];
      const id = String(((await a.send('CLIENT', 'ID')).reply as { v: unknown }).v);
      await s.do(ctl, 'CLIENT', 'UNBLOCK', id);
      const ra = s.start(a, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      await s.do(ctl, 'CLIENT', 'UNBLOCK', id);
      await ra();
      const rb = s.start(a, 'BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0');
      await s.waitBlocked(1);
      await s.do(ctl, 'CLIENT', 'UNBLOCK', id, 'timeout');
      await rb();
      const rc = s.start(a, 'BZPOPMAX', 'z', '0');
      await s.waitBlocked(1);
      await s.do(ctl, 'CLIENT', 'UNBLOCK', id, 'ERROR');
      await rc();
      await s.do(a, 'PING');
      await s.do(ctl, 'RPUSH', 'q', 'x');
      await s.do(ctl, 'LLEN', 'q');
    });
  });

  it('a client that disconnects while blocked is forgotten', async () => {
    await onBoth(servers, async (s) => {
      const [, a, b, pusher] = [await s.client(), await s.client(), await s.client(), await s.client()];
      s.start(a, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      const rb = s.start(b, 'BLPOP', 'q', '0');
      await s.waitBlocked(2);
      a.close();
      await s.waitBlocked(1);
      await s.do(pusher, 'RPUSH', 'q', 'x', 'y');
      await rb();
      await s.do(pusher, 'LRANGE', 'q', '0', '-1');
    });
  });

  it("a blocked client's pipelined commands wait until it is unblocked", async () => {
    await onBoth(servers, async (s) => {
      const [a, pusher] = [await s.client(), await s.client()];
      a.writeRaw(
        Buffer.concat([
          encodeCommand(['BLPOP', 'q', '0']),
          encodeCommand(['SET', 'marker', '1']),
          encodeCommand(['BLPOP', 'q2', '0']),
          encodeCommand(['PING']),
        ]),
      );
      await s.waitBlocked(1);
      await s.do(pusher, 'EXISTS', 'marker');
      await s.do(pusher, 'RPUSH', 'q', 'a');
      s.record(await a.read());
      s.record(await a.read());
      await s.waitBlocked(1);
      await s.do(pusher, 'EXISTS', 'marker');
      await s.do(pusher, 'RPUSH', 'q2', 'b');
      s.record(await a.read());
      s.record(await a.read());
    });
  });

  it('a served client in RESP3 gets RESP3 replies', async () => {
    await onBoth(servers, async (s) => {
      const [a, pusher] = [await s.client(), await s.client()];
      await a.send('HELLO', '3');
      const ra = s.start(a, 'BZPOPMAX', 'z', '0');
      await s.waitBlocked(1);
      await s.do(pusher, 'ZADD', 'z', '0.1', 'x', '2', 'y');
      await ra();
      const rb = s.start(a, 'BLMPOP', '0', '1', 'l', 'RIGHT', 'COUNT', '2');
      await s.waitBlocked(1);
      await s.do(pusher, 'RPUSH', 'l', '1', '2', '3');
      await rb();
    });
  });
});

describe('blocking commands on the embedded engine', () => {
  it('answer at once: data if there is some, else the timeout reply (the API is synchronous)', async () => {
    const { Engine } = await import('../src/embedded.js');
    const e = new Engine();
    assert.equal(e.call('BLPOP', 'q', '0'), null);
    assert.equal(e.call('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0'), null);
    assert.equal(e.call('BZPOPMIN', 'z', '0'), null);
    e.call('RPUSH', 'q', 'a');
    assert.deepEqual(e.call('BRPOP', 'q', '0'), ['q', 'a']);
  });
});

describe('embedded calls wake clients blocked over TCP', () => {
  it('an embedded RPUSH, ZADD or LMOVE serves a blocked TCP client at once', async () => {
    const { startServer } = await import('../src/server/server.js');
    const { EmbeddedClient } = await import('../src/embedded.js');
    const server = await startServer({ port: 0 });
    const s = new Scenario(server.context.tcpPort);
    try {
      const e = new EmbeddedClient(server.context);
      const tcp = await s.client();
      const waiter = await s.client();
      const list = s.start(waiter, 'BLPOP', 'q', '0');
      await s.waitBlocked(1);
      assert.equal(e.call('RPUSH', 'q', 'a', 'b'), 2);
      await list();
      const zset = s.start(waiter, 'BZPOPMIN', 'z', '0');
      await s.waitBlocked(1);
      e.call('ZADD', 'z', '1', 'm');
      await zset();
      // The element BLPOP left behind moves to where a second waiter waits.
      const moved = s.start(waiter, 'BLPOP', 'd', '0');
      await s.waitBlocked(1);
      e.call('LMOVE', 'q', 'd', 'LEFT', 'LEFT');
      await moved();
      assert.deepEqual(s.log, ['*2\r\n$1\r\nq\r\n$1\r\na\r\n', '*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n', '*2\r\n$1\r\nd\r\n$1\r\nb\r\n']);
      assert.equal((await tcp.send('EXISTS', 'q', 'd', 'z')).raw.toString(), ':0\r\n');
      e.close();
    } finally {
      s.close();
      await server.close();
    }
  });
});
