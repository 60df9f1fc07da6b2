import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Config } from '../src/config/config.js';
import { startServer, type StickyServer } from '../src/server/server.js';
import { RawClient, encodeCommand } from './support/raw-client.js';
import { exchange, exchangeBoth, type Exchange } from './support/raw-exchange.js';
import { startRedis, type RunningServer } from './support/servers.js';

/** A real redis-server and an in-process stickynote started with the same settings. */
function serverPair(args: string[] = []): { redis: RunningServer; ours: StickyServer } {
  const s = {} as { redis: RunningServer; ours: StickyServer };
  before(async () => {
    s.redis = await startRedis(args);
    const config = new Config();
    for (let i = 0; i < args.length; i += 2) config.set(args[i].replace(/^--/, ''), args[i + 1], true);
    s.ours = await startServer({ config, port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await s.ours?.close();
    await s.redis?.stop();
  });
  return s;
}

type Case = string | Buffer | (string | Buffer)[];

/** Sends each case's raw bytes to both servers (all cases at once) and compares bytes and closing. */
async function sameAsRedis(s: { redis: RunningServer; ours: StickyServer }, cases: Case[], opts: { idleMs?: number; gapMs?: number } = {}): Promise<Exchange[]> {
  const results = await Promise.all(
    cases.map(async (c) => {
      const parts = Array.isArray(c) ? c : [c];
      const [r, o] = await exchangeBoth([s.redis.port, s.ours.port], parts, opts);
      return { c, r, o };
    }),
  );
  for (const { c, r, o } of results) {
    const label = JSON.stringify(Array.isArray(c) ? c.map(show) : show(c));
    assert.equal(o.reply, r.reply, `reply to ${label}`);
    assert.equal(o.closed, r.closed, `connection closed after ${label} (redis: ${r.closed})`);
  }
  return results.map((x) => x.r);
}

function show(b: string | Buffer): string {
  const s = typeof b === 'string' ? b : b.toString('latin1');
  return s.length > 80 ? `${s.slice(0, 40)}…(${s.length} bytes)…${s.slice(-20)}` : s;
}

describe('protocol: inline commands as Redis reads them', () => {
  const s = serverPair();

  it('plain inline commands, line endings and blank lines', async () => {
    await sameAsRedis(s, [
      'PING\r\n',
      'PING\n',
      'ping\r\n',
      '  PING  \r\n',
      '\r\n',
      '\n',
      '   \r\n',
      '\t \r\n',
      '\r\n\r\nPING\r\n\nPING\n',
      'PING',
      'PING\r',
      'ECHO a\rb\r\n',
      'ECHO a\r\rb\r\n',
      'PING\r\nPING\r\nPING\r\n',
      'ECHO \xff\xfe\x80\r\n',
      'ECHO a\x00b\r\n',
      '\x00\r\n',
      'ECHO ab\x00\n',
      'ECHO \x01\x02\r\n',
    ]);
  });

  it('quotes and escapes (sdssplitargs)', async () => {
    await sameAsRedis(s, [
      'ECHO "hello world"\r\n',
      'ECHO "a\\x41\\x4a\\x4A\\x00z"\r\n',
      'ECHO "\\xZZ\\x4"\r\n',
      'ECHO "\\x"\r\n',
      'ECHO "\\n\\r\\t\\b\\a\\\\\\"\\q\\ "\r\n',
      "ECHO 'a\\'b'\r\n",
      "ECHO 'a\\nb\\\\'\r\n",
      "ECHO 'it''s'\r\n",
      'ECHO "unbalanced\r\n',
      "ECHO 'x\r\n",
      'ECHO "a"b\r\n',
      'ECHO "a"\tb\r\n',
      'ECHO "a"\x0bb\r\n',
      'ECHO a"b c"d\r\n',
      "ECHO a'b c'\r\n",
      'ECHO a\x0bb\r\n',
      'ECHO a\x0cb\r\n',
      '\x0bECHO\x0ca\r\n',
      '\x0bECHO \x0b\r\n',
      'ECHO "tail\\\r\n',
      'ECHO ""\r\n',
      "ECHO ''\r\n",
      'ECHO "" ""\r\n',
      'ECHO """"\r\n',
      'SET "k\\x00ey" "v"\r\nGET "k\\x00ey"\r\n',
      'PING\r\nECHO "x\r\nPING\r\n',
    ]);
  });

  it('too big inline request', async () => {
    await sameAsRedis(s, [
      'A'.repeat(70000),
      'PING\r\n' + 'A'.repeat(66000),
      'ECHO ' + 'A'.repeat(65536 - 5),
      // A newline that arrives after Redis already holds more than 64 kB (it reads 16 kB at a time).
      'ECHO ' + 'A'.repeat(75000) + '\r\n',
      'ECHO ' + 'A'.repeat(81000) + '\r\n',
      'ECHO ' + 'A'.repeat(82000) + '\r\n',
      'ECHO ' + 'A'.repeat(200000) + '\r\n',
      'X'.repeat(20000) + '\r\nECHO ' + 'A'.repeat(90000) + '\r\n',
    ]);
  });

  it('RESP3 and other non-* first bytes are inline', async () => {
    await sameAsRedis(s, ['_\r\n', ',1.5\r\n', '#t\r\n', '%1\r\n', '~1\r\n', '+PING\r\n', '-ERR x\r\n', ':1\r\n', '$4\r\nPING\r\n', '>1\r\n']);
  });
});

describe('protocol: multibulk as Redis reads it', () => {
  const s = serverPair();

  it('valid frames, empty and negative counts', async () => {
    await sameAsRedis(s, [
      '*1\r\n$4\r\nPING\r\n',
      '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n',
      '*0\r\n',
      '*0\r\nPING\r\n',
      '*-1\r\n',
      '*-1\r\n*1\r\n$4\r\nPING\r\n',
      '*-5\r\nPING\r\n',
      '*-9223372036854775808\r\nPING\r\n',
      '*1\r\n$4\r\nPINGxx',
      '*1\r\n$4\r\nPING\r\r',
      '*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n',
      '*1\r\n$4\r\nPING',
      '*1\r\n$4\r\nPING\r',
      '*1\r',
      '*1\rX$4\r\nPING\r\n',
      '*1\r$4\r\nPING\r\n',
      '*2\r\n$4\r\nECHO\r\n$1\r\n\x00\r\n',
      '*1\r\n$4\rXPING\r\n',
      // Error texts show arguments as C strings: up to the first NUL.
      '*2\r\n$3\r\na\x00b\r\n$3\r\nc\x00d\r\n',
      '*2\r\n$6\r\nCONFIG\r\n$3\r\nx\x00y\r\n',
    ]);
  });

  it('invalid multibulk and bulk lengths', async () => {
    await sameAsRedis(s, [
      '*\r\n',
      '*abc\r\n',
      '*1x\r\n',
      '* 1\r\n',
      '*1 \r\n',
      '*+1\r\n$4\r\nPING\r\n',
      '*01\r\n$4\r\nPING\r\n',
      '*-0\r\n',
      '*-\r\n',
      '*2147483648\r\n',
      '*-9223372036854775809\r\n',
      '*9223372036854775808\r\n',
      '*99999999999999999999\r\n',
      '*999999999999999999999\r\n',
      '*1\n$4\r\nPING\r\n',
      '*1\r\n$+4\r\nPING\r\n',
      '*1\r\n$04\r\nPING\r\n',
      '*1\r\n$-1\r\n',
      '*1\r\n$-0\r\n',
      '*1\r\n$\r\n',
      '*1\r\n$ 4\r\nPING\r\n',
      '*1\r\n$4 \r\nPING\r\n',
      '*1\r\n$4x\r\nPING\r\n',
      '*1\r\n$4294967296\r\n',
      '*1\r\n$536870913\r\n',
      '*1\r\n$99999999999999999999\r\n',
      '*1\r\n$1\n\r\nx\r\n',
    ]);
  });

  it("expected '$', got 'X'", async () => {
    await sameAsRedis(s, [
      '*1\r\nPING\r\n',
      '*2\r\n*1\r\n',
      '*1\r\n\r\n\r\n',
      '*1\r\n\nx\r\n',
      '*1\r\n\xff\r\n',
      '*1\r\n%\r\n',
      '*1\r\n\x00\r\n',
      '*1\r\n$\x004\r\nPING\r\n',
      '*1\x00\r\n',
      '*2\r\n$4\r\nECHO\r\n:1\r\n',
    ]);
  });

  it('too big count strings', async () => {
    await sameAsRedis(s, [
      '*' + '1'.repeat(70000),
      '*1\r\n$' + '1'.repeat(70000),
      '*1\r\n$' + '1'.repeat(60000) + '\r\n',
      '*' + '1'.repeat(60000) + '\r\n',
      '*1\r\n$' + '1'.repeat(65000),
      '*' + '1'.repeat(81000) + '\r\n',
      '*' + '1'.repeat(90000) + '\r\n',
      '*1\r\n$' + '1'.repeat(200000) + '\r\n',
    ]);
  });

  it('commands before the bad bytes run and reply first; nothing runs after', async () => {
    const key = `proto:before:${process.pid}`;
    await sameAsRedis(s, [
      `SET ${key}:a 1\r\nINCR ${key}:a\r\n*1\r\n$x\r\nINCR ${key}:a\r\n`,
      `*3\r\n$3\r\nSET\r\n$${key.length + 2}\r\n${key}:b\r\n$1\r\n5\r\n*1\r\n$4\r\nPING\r\n*1\r\nXX\r\nPING\r\n`,
      `PING\r\nECHO "bad\r\nPING\r\n`,
    ]);
    for (const port of [s.redis.port, s.ours.port]) {
      const c = await RawClient.connect(port);
      assert.equal((await c.send('GET', `${key}:a`)).raw.toString(), '$1\r\n2\r\n');
      c.close();
    }
  });

  it('QUIT stops parsing: no protocol error after it', async () => {
    await sameAsRedis(s, ['QUIT\r\n*x\r\n', '*1\r\n$4\r\nQUIT\r\nPING\r\n', 'PING\r\nQUIT\r\nPING\r\n']);
  });

  it('frames split at every byte boundary', async () => {
    const stream = '*3\r\n$3\r\nSET\r\n$9\r\nproto:spl\r\n$5\r\na\r\nbc\r\nGET proto:spl\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\nECHO "q\\x41"\r\n';
    const cases: Case[] = [];
    for (let i = 1; i < stream.length; i++) cases.push([stream.slice(0, i), stream.slice(i)]);
    cases.push(stream.split(''));
    await sameAsRedis(s, cases, { gapMs: 2 });
  });

  it('binary-safe arguments: all 256 byte values, embedded CRLF', async () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const key = Buffer.concat([Buffer.from('proto:bin:'), all]);
    await sameAsRedis(s, [
      Buffer.concat([encodeCommand(['SET', key, all]), encodeCommand(['GET', key]), encodeCommand(['ECHO', '\r\n\r\n$3\r\n*1\r\n'])]),
      encodeCommand(['ECHO', all.subarray(0, 128)]),
    ]);
  });

  it('large arguments, whole and in pieces', async () => {
    const big = Buffer.alloc(200_000, 'x');
    big.write('start', 0);
    big.write('end', big.length - 3);
    const frame = encodeCommand(['ECHO', big]);
    const pieces: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 7001) pieces.push(frame.subarray(i, i + 7001));
    await sameAsRedis(s, [Buffer.concat([frame, encodeCommand(['PING'])]), pieces, [frame.subarray(0, 30), frame.subarray(30), Buffer.from('PING\r\n')]], {
      gapMs: 1,
    });
  });

  it('pipelines of thousands of commands: all replies, in order, one socket write per read', async () => {
    const n = 5000;
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) parts.push(encodeCommand(['ECHO', String(i)]));
    const data = Buffer.concat(parts);
    const before = { ...s.ours.io };
    const [r] = await sameAsRedis(s, [data]);
    const reads = s.ours.io.reads - before.reads;
    const writes = s.ours.io.writes - before.writes;
    assert.ok(writes <= reads, `${writes} writes for ${reads} reads`);
    assert.ok(reads < n / 10, `${reads} reads for ${n} commands`);
    let expected = '';
    for (let i = 0; i < n; i++) expected += `$${String(i).length}\r\n${i}\r\n`;
    assert.equal(r.reply, expected);
  });

  it('a big GET reply is not changed by a later command in the same batch', async () => {
    const key = `proto:mut:${process.pid}`;
    const value = 'v'.repeat(40_000);
    await sameAsRedis(s, [
      Buffer.concat([
        encodeCommand(['SET', key, value]),
        encodeCommand(['APPEND', key, 'x']),
        encodeCommand(['GET', key]),
        encodeCommand(['SETRANGE', key, '0', 'CHANGED']),
        encodeCommand(['GET', key]),
        encodeCommand(['DEL', key]),
      ]),
    ]);
  });
});

describe('protocol: a client that does not read', () => {
  let ours: StickyServer;
  before(async () => (ours = await startServer({ port: 0, host: '127.0.0.1' })));
  after(() => ours.close());

  it('reading pauses past the output high-water mark and resumes as the client drains: every reply arrives, in order', async () => {
    const value = Buffer.alloc(1024 * 1024, 'v');
    const gets = 100; // ~100 MB of replies, past the 64 MB at which the server stops reading
    const socket = net.createConnection({ port: ours.port, host: '127.0.0.1' });
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    socket.write(encodeCommand(['SET', 'bp', value]));
    // The first 70 replies put the server past its high-water mark while we read nothing, so it stops
    // reading; the rest of the requests arrive after that and are only read once we drain.
    for (let i = 0; i < 70; i++) socket.write(encodeCommand(['GET', 'bp']));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 70; i < gets; i++) socket.write(encodeCommand(['GET', 'bp']));
    socket.write(encodeCommand(['ECHO', 'last']));
    await new Promise((r) => setTimeout(r, 100));
    const header = Buffer.from(`$${value.length}\r\n`);
    const expected = 5 + gets * (header.length + value.length + 2) + '$4\r\nlast\r\n'.length;
    const chunks: Buffer[] = [];
    let got = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if ((got += c.length) >= expected) resolve();
      });
      socket.on('error', reject);
      socket.resume();
    });
    socket.destroy();
    const all = Buffer.concat(chunks);
    assert.equal(all.length, expected);
    assert.equal(all.subarray(0, 5).toString(), '+OK\r\n');
    const one = Buffer.concat([header, value, Buffer.from('\r\n')]);
    for (let i = 0; i < gets; i++) assert.ok(all.subarray(5 + i * one.length, 5 + (i + 1) * one.length).equals(one), `reply ${i}`);
    assert.equal(all.subarray(all.length - 10).toString(), '$4\r\nlast\r\n');
  });
});

describe('protocol: RESP2 and RESP3 per connection', () => {
  const s = serverPair();

  it('HELLO 3 is itself answered in RESP3; replies follow the protocol until HELLO 2', async () => {
    const pipeline = ['HELLO 3', 'GET proto:nokey', 'CONFIG GET maxclients', 'ECHO x', 'HELLO 2', 'GET proto:nokey', 'CONFIG GET maxclients', 'HELLO 3'];
    const replies: string[][] = [];
    for (const port of [s.redis.port, s.ours.port]) {
      const c = await RawClient.connect(port);
      c.writeRaw(pipeline.map((l) => `${l}\r\n`).join(''));
      const got: string[] = [];
      for (const cmd of pipeline) {
        const raw = (await c.read()).raw.toString('latin1');
        // HELLO's map names the server and its connection id: compare its shape only.
        got.push(cmd.startsWith('HELLO') ? raw.slice(0, raw.indexOf('\r\n')) : raw);
      }
      replies.push(got);
      c.close();
    }
    assert.deepEqual(replies[1], replies[0]);
    assert.deepEqual(replies[0].slice(0, 2), ['%7', '_\r\n']);
  });
});

describe('protocol: requirepass limits lengths before AUTH', () => {
  const s = serverPair(['--requirepass', 'secret']);

  it('unauthenticated multibulk and bulk lengths', async () => {
    await sameAsRedis(s, [
      '*11\r\n',
      '*10\r\n',
      '*1\r\n$16385\r\n',
      '*1\r\n$16384\r\n',
      encodeCommand(['ECHO', 'x'.repeat(16384)]),
      encodeCommand(['AUTH', 'secret', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']),
      Buffer.concat([encodeCommand(['AUTH', 'secret']), Buffer.from('*11\r\n$4\r\nPING\r\n')]),
      Buffer.concat([encodeCommand(['AUTH', 'secret']), encodeCommand(['ECHO', 'x'.repeat(20000)])]),
      Buffer.concat([encodeCommand(['AUTH', 'wrong']), Buffer.from('*1\r\n$16385\r\n')]),
      'PING\r\n*11\r\n',
    ]);
  });
});

describe('protocol: proto-max-bulk-len and client-query-buffer-limit', () => {
  const s = serverPair(['--client-query-buffer-limit', '1mb', '--proto-max-bulk-len', '2mb']);
  const MB = 1024 * 1024;

  const setFrame = (size: number) => Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$8\r\nproto:ql\r\n$${size}\r\n`), Buffer.alloc(size, 'q'), Buffer.from('\r\n')]);

  it('a bulk longer than proto-max-bulk-len is refused from its header', async () => {
    await sameAsRedis(s, [`*1\r\n$${2 * MB + 1}\r\n`, `*1\r\n$${4 * 1024 * MB}\r\n`]);
  });

  it('a bulk beyond the query buffer limit closes the client without a reply', async () => {
    await sameAsRedis(s, [['PING\r\n', setFrame(1.5 * MB)], setFrame(MB - 2), setFrame(MB - 1), setFrame(MB + 10)], { gapMs: 20 });
  });

  it('memory is reserved as data arrives, not as announced', async () => {
    const sock = net.createConnection({ port: s.ours.port, host: '127.0.0.1' });
    await new Promise((r) => sock.once('connect', r));
    const before = process.memoryUsage().arrayBuffers;
    sock.write(`*3\r\n$3\r\nSET\r\n$8\r\nproto:ql\r\n$${2 * MB}\r\n` + 'z'.repeat(40_000));
    await new Promise((r) => setTimeout(r, 100));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 1.5 * MB, `reserved ${grown} bytes for 40 kB received`);
    sock.destroy();
  });

  it('the server keeps serving other clients', async () => {
    await sameAsRedis(s, ['PING\r\n']);
  });
});

describe('protocol: maxclients', () => {
  const s = serverPair(['--maxclients', '2']);

  it('the client over the limit gets Redis error text and is closed', async () => {
    for (const port of [s.redis.port, s.ours.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      await a.send('PING');
      await b.send('PING');
      const third = await exchange(port, ['PING\r\n']);
      assert.deepEqual(third, { reply: '-ERR max number of clients reached\r\n', closed: true }, `port ${port}`);
      a.close();
      b.close();
    }
  });
});

describe('protocol: idle timeout', () => {
  const s = serverPair(['--timeout', '1']);

  it('closes a client idle for more than `timeout` seconds, without a reply', async () => {
    const results = await Promise.all(
      [s.redis.port, s.ours.port].map(async (port) => {
        const idle = await RawClient.connect(port);
        const busy = await RawClient.connect(port);
        await idle.send('PING');
        // Keep one client talking every 300 ms while the other stays idle.
        const started = Date.now();
        while (!idle.closed && Date.now() - started < 4500) {
          await busy.send('PING');
          await new Promise((r) => setTimeout(r, 300));
        }
        const r = { idleClosed: idle.closed, busyClosed: busy.closed, after: Date.now() - started };
        idle.close();
        busy.close();
        return r;
      }),
    );
    for (const r of results) {
      assert.equal(r.idleClosed, true);
      assert.equal(r.busyClosed, false);
      assert.ok(r.after >= 1000, `closed after ${r.after} ms`);
    }
  });
});
