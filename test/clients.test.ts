/**
 * Real clients, unchanged, against stickynote-server (the real binary) and against real Redis:
 * ioredis, @redis/client (RESP2 and RESP3), redis-cli (argument, stdin, --pipe, -r, -x, -3 modes)
 * and redis-py. Each scenario runs against both servers and the results must be equal.
 */
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import { PYTHON, run, spawnBinOnFreePort, type BinProcess, type RunResult } from './support/process.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

let redis: RunningServer;
let sticky: RunningServer;

before(async () => {
  [redis, sticky] = await Promise.all([startRedis(), startStickynoteProcess()]);
});
after(async () => {
  await Promise.all([redis?.stop(), sticky?.stop()]);
});

/** Runs a scenario against Redis and stickynote; asserts equal results and returns stickynote's. */
async function both<T>(scenario: (port: number) => Promise<T>): Promise<T> {
  const theirs = await scenario(redis.port);
  const ours = await scenario(sticky.port);
  assert.deepEqual(ours, theirs, 'stickynote gives the same results as Redis');
  return ours;
}

/** Error replies surfaced by a client, reduced to their message for comparison. */
function caught(e: unknown): string {
  return `error: ${(e as Error).message}`;
}

describe('ioredis', () => {
  async function connect(port: number): Promise<Redis> {
    // enableReadyCheck (the default) sends INFO and fails the connection on an error reply.
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    await c.connect();
    return c;
  }

  it('connects through the INFO ready check; SET/GET/INCR/DEL and error replies', async () => {
    await both(async (port) => {
      const c = await connect(port);
      try {
        const out: unknown[] = [c.status];
        out.push(await c.set('io:a', 'hello'));
        out.push(await c.get('io:a'));
        out.push(await c.get('io:missing'));
        out.push(await c.set('io:n', '41'));
        out.push(await c.incr('io:n'));
        out.push(await c.incrby('io:n', 10));
        out.push(await c.incr('io:a').catch(caught));
        out.push(await c.set('io:a', 'x', 'EX', 0).catch(caught));
        out.push(await c.set('io:nx', '1', 'EX', 100, 'NX'));
        out.push(await c.set('io:nx', '2', 'EX', 100, 'NX'));
        out.push(await c.del('io:a', 'io:n', 'io:nx', 'io:missing'));
        return out;
      } finally {
        c.disconnect();
      }
    });
  });

  it('pipeline: replies in order, errors in place', async () => {
    const out = await both(async (port) => {
      const c = await connect(port);
      try {
        const res = await c.pipeline().set('io:p', '1').incr('io:p').get('io:p').incr('io:nonint-src').set('io:s', 'abc').incr('io:s').del('io:p', 'io:s', 'io:nonint-src').exec();
        return res?.map(([err, value]) => (err ? caught(err) : value));
      } finally {
        c.disconnect();
      }
    });
    assert.deepEqual(out, ['OK', 2, '2', 1, 'OK', 'error: ERR value is not an integer or out of range', 3]);
  });

  it('binary-safe values: every byte value round-trips through getBuffer', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await both(async (port) => {
      const c = await connect(port);
      try {
        await c.set(Buffer.from([0xff, 0x00, 0x0d, 0x0a]), bytes);
        const back = await c.getBuffer(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
        assert.ok(back !== null && back.equals(bytes), 'value bytes preserved');
        const utf8 = 'grüße 👋';
        await c.set('io:utf8', utf8);
        return [back?.length, await c.get('io:utf8'), await c.strlen('io:utf8')];
      } finally {
        c.disconnect();
      }
    });
  });

  it('expire, ttl, pttl, persist', async () => {
    const out = await both(async (port) => {
      const c = await connect(port);
      try {
        await c.set('io:t', 'v');
        const r: unknown[] = [await c.ttl('io:t'), await c.expire('io:t', 100), await c.ttl('io:t')];
        const pttl = await c.pttl('io:t');
        r.push(pttl > 99000 && pttl <= 100000);
        r.push(await c.persist('io:t'), await c.ttl('io:t'), await c.ttl('io:none'), await c.expire('io:none', 10));
        await c.del('io:t');
        return r;
      } finally {
        c.disconnect();
      }
    });
    assert.deepEqual(out, [-1, 1, 100, true, 1, -1, -2, 0]);
  });

  it('scanStream with match visits every matching key once', async () => {
    const out = await both(async (port) => {
      const c = await connect(port);
      try {
        const p = c.pipeline();
        for (let i = 0; i < 120; i++) p.set(`scanio:${i}`, i);
        for (let i = 0; i < 30; i++) p.set(`other:${i}`, i);
        await p.exec();
        const seen: string[] = [];
        await new Promise<void>((resolve, reject) => {
          const s = c.scanStream({ match: 'scanio:*', count: 17 });
          s.on('data', (keys: string[]) => seen.push(...keys));
          s.on('end', resolve);
          s.on('error', reject);
        });
        return [...new Set(seen)].sort();
      } finally {
        c.disconnect();
      }
    });
    assert.equal(out.length, 120);
  });
});

describe('@redis/client (node-redis)', () => {
  for (const RESP of [2, 3] as const) {
    it(`RESP${RESP}: handshake (${RESP === 3 ? 'HELLO 3 + ' : ''}CLIENT SETINFO), basic commands, sendCommand`, async () => {
      await both(async (port) => {
        const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
        c.on('error', () => {});
        await c.connect();
        try {
          const out: unknown[] = [];
          out.push(await c.set(`nr${RESP}:a`, 'v1'));
          out.push(await c.get(`nr${RESP}:a`));
          out.push(await c.get(`nr${RESP}:missing`));
          out.push(await c.set(`nr${RESP}:a`, 'v2', { GET: true } as never).catch(caught));
          out.push(await c.incr(`nr${RESP}:n`));
          out.push(await c.incrBy(`nr${RESP}:n`, 5));
          out.push(await c.expire(`nr${RESP}:n`, 50));
          out.push(await c.ttl(`nr${RESP}:n`));
          out.push(await c.sendCommand(['PING']));
          out.push(await c.sendCommand(['ECHO', 'raw']));
          out.push(await c.sendCommand(['GET', `nr${RESP}:missing`]));
          out.push(await c.sendCommand(['INCR', `nr${RESP}:a`]).catch(caught));
          out.push(await c.sendCommand(['NOSUCH', 'x']).catch(caught));
          out.push(await c.del([`nr${RESP}:a`, `nr${RESP}:n`]));
          return out;
        } finally {
          c.destroy();
        }
      });
    });

    it(`RESP${RESP}: scanIterator with MATCH`, async () => {
      const out = await both(async (port) => {
        const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
        c.on('error', () => {});
        await c.connect();
        try {
          for (let i = 0; i < 40; i++) await c.set(`nrscan${RESP}:${i}`, String(i));
          const seen = new Set<string>();
          for await (const keys of c.scanIterator({ MATCH: `nrscan${RESP}:*`, COUNT: 7 })) for (const k of keys) seen.add(k);
          return [...seen].sort();
        } finally {
          c.destroy();
        }
      });
      assert.equal(out.length, 40);
    });
  }
});

describe('redis-cli', () => {
  function cli(port: number, args: string[], input?: string): Promise<RunResult> {
    return run('redis-cli', ['-p', String(port), ...args], { input, timeoutMs: 20000 });
  }

  /** Runs the same redis-cli invocation on both servers; stdout, stderr and exit code must match. */
  async function cliBoth(args: string[], input?: string): Promise<RunResult> {
    return both(async (port) => {
      const r = await cli(port, args, input);
      return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    });
  }

  it('commands as arguments (raw output when not a tty), errors', async () => {
    assert.equal((await cliBoth(['SET', 'cli:a', 'hello world'])).stdout, 'OK\n');
    assert.equal((await cliBoth(['GET', 'cli:a'])).stdout, 'hello world\n');
    await cliBoth(['GET', 'cli:none']);
    await cliBoth(['INCR', 'cli:a']);
    await cliBoth(['NOSUCHCMD']);
    await cliBoth(['GET']);
    await cliBoth(['DEL', 'cli:a', 'cli:none']);
  });

  it('--raw and --no-raw formatting', async () => {
    await cliBoth(['SET', 'cli:nl', 'line1\nline2 "q"']);
    assert.equal((await cliBoth(['--raw', 'GET', 'cli:nl'])).stdout, 'line1\nline2 "q"\n');
    assert.equal((await cliBoth(['--no-raw', 'GET', 'cli:nl'])).stdout, '"line1\\nline2 \\"q\\""\n');
    await cliBoth(['--no-raw', 'GET', 'cli:none']);
    await cliBoth(['--no-raw', 'INCR', 'cli:count']);
    await cliBoth(['--no-raw', 'INCR', 'cli:nl']);
    await cliBoth(['DEL', 'cli:nl', 'cli:count']);
  });

  it('-3 (RESP3 via HELLO 3)', async () => {
    await cliBoth(['-3', '--no-raw', 'SET', 'cli3:a', '1']);
    await cliBoth(['-3', '--no-raw', 'GET', 'cli3:a']);
    await cliBoth(['-3', '--no-raw', 'GET', 'cli3:none']);
    await cliBoth(['-3', '--no-raw', 'INCR', 'cli3:a']);
    await cliBoth(['-3', 'GET', 'cli3:none']);
    await cliBoth(['-3', 'DEL', 'cli3:a']);
  });

  it('commands piped on stdin, one per line', async () => {
    const r = await cliBoth([], 'SET cli:s 1\nINCR cli:s\nINCRBY cli:s 40\nGET cli:s\nGET cli:none\nDEL cli:s\n');
    assert.equal(r.stdout, 'OK\n2\n42\n42\n\n1\n');
  });

  it('-x reads the last argument from stdin', async () => {
    await cliBoth(['-x', 'SET', 'cli:x'], 'from stdin\n');
    assert.equal((await cliBoth(['GET', 'cli:x'])).stdout, 'from stdin\n\n');
    await cliBoth(['DEL', 'cli:x']);
  });

  it('-r N repeats a command', async () => {
    assert.equal((await cliBoth(['-r', '5', 'INCR', 'cli:r'])).stdout, '1\n2\n3\n4\n5\n');
    await cliBoth(['DEL', 'cli:r']);
  });

  it('-n selects a database', async () => {
    await cliBoth(['-n', '3', 'SET', 'cli:db3', 'x']);
    await cliBoth(['GET', 'cli:db3']);
    assert.equal((await cliBoth(['-n', '3', 'GET', 'cli:db3'])).stdout, 'x\n');
    await cliBoth(['-n', '3', 'DEL', 'cli:db3']);
  });

  it('--pipe mass insertion (RESP on stdin, ECHO marker at the end)', async () => {
    let proto = '';
    const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    for (let i = 0; i < 2000; i++) proto += cmd('SET', `pipe:${i}`, `value-${i}`);
    proto += cmd('INCR', 'pipe:0'); // one error reply
    const r = await cliBoth(['--pipe'], proto);
    assert.match(r.stdout, /errors: 1, replies: 2001/);
    assert.equal((await cliBoth(['GET', 'pipe:1999'])).stdout, 'value-1999\n');
  });

  it('--scan --pattern', async () => {
    for (const port of [redis.port, sticky.port]) await cli(port, [], Array.from({ length: 30 }, (_, i) => `SET cliscan:${i} ${i}`).join('\n'));
    const out = await both(async (port) => (await cli(port, ['--scan', '--pattern', 'cliscan:*'])).stdout.split('\n').filter(Boolean).sort());
    assert.equal(out.length, 30);
  });

  it('INFO has the sections and fields clients read', async () => {
    const r = await cli(sticky.port, ['INFO']);
    assert.equal(r.code, 0);
    for (const field of ['# Server', 'redis_version:', 'redis_mode:standalone', 'tcp_port:', 'uptime_in_seconds:', '# Clients', 'connected_clients:', '# Memory', 'used_memory:', 'maxmemory_policy:', '# Stats', '# Keyspace']) {
      assert.ok(r.stdout.includes(field), `INFO lacks ${field}`);
    }
    assert.match(r.stdout, /\r\ndb0:keys=\d+,expires=\d+,avg_ttl=\d+\r\n/);
  });

  it('--bigkeys summarizes the keyspace', async () => {
    const r = await cli(sticky.port, ['--bigkeys']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Sampled \d+ keys in the keyspace!/);
    assert.match(r.stdout, /Biggest string found '.*' has \d+ bytes/);
  });

  it('--stat prints live statistics', async () => {
    // --stat never exits by itself: let it print a few lines, then stop it. stdbuf makes redis-cli
    // flush each line, or the kill would lose its block-buffered output.
    const r = await run('stdbuf', ['-oL', 'redis-cli', '-p', String(sticky.port), '--stat', '-i', '0.1'], { timeoutMs: 1500 });
    assert.match(r.stdout, /------- data ------ --------------------- load -------------------- - child -/);
    assert.match(r.stdout, /keys\s+mem\s+clients\s+blocked\s+requests\s+connections/);
    assert.match(r.stdout, /\n\d+\s+\S+\s+\d+\s+\d+\s+\d+ \(\+\d+\)\s+\d+/);
  });
});

describe('redis-py', () => {
  async function py(port: number, code: string): Promise<unknown> {
    const program = `import json, redis\nr = redis.Redis(port=${port}, decode_responses=True)\n${code}`;
    const res = await run(PYTHON, ['-'], { input: program, timeoutMs: 30000 });
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout.trim().split('\n').pop() ?? 'null');
  }

  it('pipeline without a transaction, errors returned in place', async () => {
    const out = await both((port) =>
      py(
        port,
        `p = r.pipeline(transaction=False)
p.set("py:a", "1").incr("py:a").incrby("py:a", 5).get("py:a").get("py:none").set("py:s", "x").incr("py:s").delete("py:a", "py:s")
res = p.execute(raise_on_error=False)
print(json.dumps([str(x) if isinstance(x, Exception) else x for x in res]))`,
      ),
    );
    assert.deepEqual(out, [true, 2, 7, '7', null, true, 'value is not an integer or out of range', 2]);
  });

  it('scan_iter(match=…, count=…) and mget', async () => {
    const out = await both((port) =>
      py(
        port,
        `for i in range(50): r.set(f"pyscan:{i}", i)
keys = sorted(set(r.scan_iter(match="pyscan:*", count=9)))
print(json.dumps([len(keys), r.mget("pyscan:1", "pyscan:none", "pyscan:49")]))`,
      ),
    );
    assert.deepEqual(out, [50, ['1', null, '49']]);
  });

  it('set options (ex, px, nx, xx, keepttl, get) and ttl', async () => {
    await both((port) =>
      py(
        port,
        `out = [r.set("py:o", "1", ex=100), r.set("py:o", "2", nx=True), r.set("py:o", "3", xx=True, keepttl=True), r.ttl("py:o"),
       r.set("py:o", "4", get=True), r.set("py:o2", "5", px=1500), 1000 < r.pttl("py:o2") <= 1500, r.delete("py:o", "py:o2")]
print(json.dumps(out))`,
      ),
    );
  });
});

describe('clients authenticating and selecting a database on connect', () => {
  let authRedis: BinProcess;
  let authOurs: BinProcess;
  before(async () => {
    const args = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 'sekret', '--save', ''];
    [authRedis, authOurs] = await Promise.all([spawnBinOnFreePort(args, { cmd: 'redis-server' }), spawnBinOnFreePort(args)]);
  });
  after(async () => {
    await Promise.all([authRedis?.stop(), authOurs?.stop()]);
  });

  async function bothAuth<T>(scenario: (port: number) => Promise<T>): Promise<T> {
    const theirs = await scenario(authRedis.port);
    const ours = await scenario(authOurs.port);
    assert.deepEqual(ours, theirs, 'stickynote gives the same results as Redis');
    return ours;
  }

  it('ioredis: password, db and connectionName options', async () => {
    const out = await bothAuth(async (port) => {
      const bad = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      bad.on('error', () => {});
      const refused = await bad.connect().then(() => 'connected', caught);
      bad.disconnect();
      const c = new Redis({ port, host: '127.0.0.1', password: 'sekret', db: 2, connectionName: 'io-test', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      await c.connect();
      try {
        await c.set('auth:k', 'in db 2');
        const r = [refused, await c.client('GETNAME'), await c.get('auth:k'), await c.select(0), await c.get('auth:k')];
        await c.select(2);
        await c.del('auth:k');
        return r;
      } finally {
        c.disconnect();
      }
    });
    // Without a password the ready check's INFO gets NOAUTH and ioredis closes the connection.
    assert.deepEqual(out, ['error: Connection is closed.', 'io-test', 'in db 2', 'OK', null]);
  });

  for (const RESP of [2, 3] as const) {
    it(`@redis/client RESP${RESP}: password, database and name options`, async () => {
      const out = await bothAuth(async (port) => {
        const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false }, RESP, password: 'sekret', database: 3, name: `nr${RESP}` });
        c.on('error', () => {});
        await c.connect();
        try {
          await c.set('auth:nr', 'db3');
          const r = [await c.sendCommand(['CLIENT', 'GETNAME']), await c.get('auth:nr'), await c.sendCommand(['SELECT', '0']), await c.sendCommand(['GET', 'auth:nr'])];
          await c.sendCommand(['SELECT', '3']);
          await c.del('auth:nr');
          return r;
        } finally {
          c.destroy();
        }
      });
      assert.deepEqual(out, [`nr${RESP}`, 'db3', 'OK', null]);
    });
  }

  it('redis-cli -a, -u redis:// URL, and NOAUTH without a password', async () => {
    const cliRun = async (args: string[]) => {
      const r = await run('redis-cli', args, { timeoutMs: 20000 });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    };
    const out = await bothAuth(async (port) => [
      await cliRun(['-p', String(port), 'GET', 'x']),
      await cliRun(['-p', String(port), '-a', 'wrong', '--no-auth-warning', 'PING']),
      await cliRun(['-p', String(port), '-a', 'sekret', '--no-auth-warning', 'PING']),
      await cliRun(['-u', `redis://:sekret@127.0.0.1:${port}/5`, '--no-auth-warning', 'PING']), // 7.0's redis-cli drops an empty user's password
      await cliRun(['-u', `redis://default:sekret@127.0.0.1:${port}/5`, '--no-auth-warning', 'SET', 'cli:u', 'five']),
      await cliRun(['-u', `redis://default:sekret@127.0.0.1:${port}/5`, '--no-auth-warning', 'GET', 'cli:u']),
    ]);
    assert.equal(out[2].stdout, 'PONG\n');
    assert.equal(out[5].stdout, 'five\n');
  });

  it('redis-py: password and db', async () => {
    const program = (port: number) =>
      `import json, redis
r = redis.Redis(port=${port}, password="sekret", db=4, decode_responses=True)
out = [r.set("py:auth", "v"), r.get("py:auth"), r.client_setname("pyname"), r.client_getname()]
try:
    redis.Redis(port=${port}).ping()
except redis.exceptions.AuthenticationError as e:
    out.append("AuthenticationError: " + str(e))
print(json.dumps(out))`;
    const out = await bothAuth(async (port) => {
      const res = await run(PYTHON, ['-'], { input: program(port), timeoutMs: 30000 });
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout) as unknown;
    });
    assert.deepEqual(out, [true, 'v', true, 'pyname', 'AuthenticationError: Authentication required.']);
  });
});
