import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DIRECT_WRITE, RespWriter } from '../src/server/resp-writer.js';

/** Everything the writer holds, as latin1, taken as the connection takes it. */
function drain(w: RespWriter): string {
  const out = w.take();
  if (out === null) return '';
  return (Array.isArray(out) ? Buffer.concat(out) : out).toString('latin1');
}

function writer(protocol: 2 | 3): RespWriter {
  const w = new RespWriter();
  w.protocol = protocol;
  return w;
}

/** Writes with `write` in both protocols and checks the bytes. */
function expectBytes(write: (w: RespWriter) => void, resp2: string, resp3: string): void {
  for (const [p, expected] of [
    [2, resp2],
    [3, resp3],
  ] as const) {
    const w = writer(p);
    write(w);
    assert.equal(w.size, expected.length, `size in RESP${p}`);
    assert.equal(drain(w), expected, `RESP${p}`);
    assert.equal(w.take(), null, 'take() resets the writer');
  }
}

describe('RespWriter: every reply type in RESP2 and RESP3', () => {
  it('simple strings and errors', () => {
    expectBytes((w) => w.status('OK'), '+OK\r\n', '+OK\r\n');
    expectBytes((w) => w.status(''), '+\r\n', '+\r\n');
    expectBytes((w) => w.error('ERR unknown command'), '-ERR unknown command\r\n', '-ERR unknown command\r\n');
  });

  it('integers, including negative and 64-bit bigint', () => {
    expectBytes((w) => w.integer(0), ':0\r\n', ':0\r\n');
    expectBytes((w) => w.integer(-42), ':-42\r\n', ':-42\r\n');
    expectBytes((w) => w.integer(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n');
    expectBytes((w) => w.integer(-9223372036854775808n), ':-9223372036854775808\r\n', ':-9223372036854775808\r\n');
  });

  it('bulk strings: latin1 strings and Buffers are byte-exact, null differs by protocol', () => {
    expectBytes((w) => w.bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n');
    expectBytes((w) => w.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n');
    expectBytes((w) => w.bulk('a\r\nb\x00\xff'), '$6\r\na\r\nb\x00\xff\r\n', '$6\r\na\r\nb\x00\xff\r\n');
    expectBytes((w) => w.bulk(Buffer.from([0, 13, 10, 255])), '$4\r\n\x00\r\n\xff\r\n', '$4\r\n\x00\r\n\xff\r\n');
    expectBytes((w) => w.bulk(null), '$-1\r\n', '_\r\n');
  });

  it('all 256 byte values round-trip in a bulk', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const s = all.toString('latin1');
    expectBytes((w) => w.bulk(s), `$256\r\n${s}\r\n`, `$256\r\n${s}\r\n`);
    expectBytes((w) => w.bulk(all), `$256\r\n${s}\r\n`, `$256\r\n${s}\r\n`);
  });

  it('aggregates: array, null array, map, set, push', () => {
    expectBytes((w) => (w.array(2), w.bulk('a'), w.integer(1)), '*2\r\n$1\r\na\r\n:1\r\n', '*2\r\n$1\r\na\r\n:1\r\n');
    expectBytes((w) => w.array(0), '*0\r\n', '*0\r\n');
    expectBytes((w) => w.nullArray(), '*-1\r\n', '_\r\n');
    expectBytes((w) => (w.map(1), w.bulk('k'), w.bulk('v')), '*2\r\n$1\r\nk\r\n$1\r\nv\r\n', '%1\r\n$1\r\nk\r\n$1\r\nv\r\n');
    expectBytes((w) => w.map(0), '*0\r\n', '%0\r\n');
    expectBytes((w) => (w.set(1), w.bulk('m')), '*1\r\n$1\r\nm\r\n', '~1\r\n$1\r\nm\r\n');
    expectBytes((w) => (w.push(2), w.bulk('message'), w.bulk('x')), '*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n', '>2\r\n$7\r\nmessage\r\n$1\r\nx\r\n');
  });

  it('doubles, booleans, big numbers', () => {
    expectBytes((w) => w.double('3.14'), '$4\r\n3.14\r\n', ',3.14\r\n');
    expectBytes((w) => w.double('inf'), '$3\r\ninf\r\n', ',inf\r\n');
    expectBytes((w) => w.double('-inf'), '$4\r\n-inf\r\n', ',-inf\r\n');
    expectBytes((w) => w.boolean(true), ':1\r\n', '#t\r\n');
    expectBytes((w) => w.boolean(false), ':0\r\n', '#f\r\n');
    expectBytes((w) => w.bigNumber('12345678901234567890'), '$20\r\n12345678901234567890\r\n', '(12345678901234567890\r\n');
  });

  it('verbatim strings', () => {
    expectBytes((w) => w.verbatim('# Server\r\n'), '$10\r\n# Server\r\n\r\n', '=14\r\ntxt:# Server\r\n\r\n');
    expectBytes((w) => w.verbatim('x', 'mkd'), '$1\r\nx\r\n', '=5\r\nmkd:x\r\n');
    expectBytes((w) => w.verbatim(''), '$0\r\n\r\n', '=4\r\ntxt:\r\n');
  });
});

describe('RespWriter: large values and batching', () => {
  for (const n of [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 99_999, 100_000, DIRECT_WRITE - 1, DIRECT_WRITE, 1_100_000]) {
    it(`bulk of ${n} bytes, string and Buffer, between small replies`, () => {
      const s = 'ab'.repeat(n).slice(0, n);
      const expected = `+OK\r\n$${n}\r\n${s}\r\n:7\r\n`;
      expectBytes((w) => (w.status('OK'), w.bulk(s), w.integer(7)), expected, expected);
      expectBytes((w) => (w.status('OK'), w.bulk(Buffer.from(s, 'latin1')), w.integer(7)), expected, expected);
      expectBytes((w) => w.verbatim(s), `$${n}\r\n${s}\r\n`, `=${n + 4}\r\ntxt:${s}\r\n`);
    });
  }

  it('a big Buffer reply is copied: changing the source afterwards does not change the reply', () => {
    const src = Buffer.alloc(40_000, 'a');
    const w = writer(2);
    w.bulk(src);
    src.fill('b');
    assert.equal(drain(w), `$40000\r\n${'a'.repeat(40_000)}\r\n`);
  });

  it('many small replies grow one buffer; take() hands it over once and starts afresh', () => {
    const w = writer(2);
    let expected = '';
    for (let i = 0; i < 20_000; i++) {
      w.integer(i);
      expected += `:${i}\r\n`;
    }
    const out = w.take();
    assert.ok(Buffer.isBuffer(out), 'small replies come out as a single Buffer');
    assert.equal(out.toString('latin1'), expected);
    w.status('OK');
    assert.equal(drain(w), '+OK\r\n');
  });

  it('what take() handed out never changes, whatever is written afterwards', () => {
    const w = writer(2);
    const taken: [Buffer | Buffer[], string][] = [];
    const text = (out: Buffer | Buffer[]) => (Array.isArray(out) ? Buffer.concat(out) : out).toString('latin1');
    for (let i = 0; i < 3000; i++) {
      w.status(`reply-${i}-`.repeat(1 + (i % 7)));
      if (i % 3 === 0) w.bulk('z'.repeat(i % 11 === 0 ? 20_000 : 10));
      const out = w.take()!;
      taken.push([out, text(out)]);
    }
    for (const [out, expected] of taken) assert.equal(text(out), expected);
  });

  it('big values come out as chunks in order', () => {
    const w = writer(2);
    const x = 'x'.repeat(DIRECT_WRITE);
    const z = 'z'.repeat(DIRECT_WRITE + 1000);
    w.array(3);
    w.bulk(x);
    w.bulk('y');
    w.bulk(z);
    const out = w.take();
    assert.ok(Array.isArray(out));
    assert.equal(Buffer.concat(out).toString('latin1'), `*3\r\n$${x.length}\r\n${x}\r\n$1\r\ny\r\n$${z.length}\r\n${z}\r\n`);
    assert.equal(w.size, 0);
  });

  it('recycle() after a complete write: the next batch reuses the buffers, and what is still unwritten is never overwritten', () => {
    const text = (out: Buffer | Buffer[]) => (Array.isArray(out) ? Buffer.concat(out) : out).toString('latin1');
    const a = writer(2);
    const b = writer(2);
    // A batch big enough to grow the buffer, written (recycled), then a second batch of another size.
    a.bulk('a'.repeat(200_000));
    const first = a.take()!;
    assert.equal(text(first), `$200000\r\n${'a'.repeat(200_000)}\r\n`);
    a.recycle(); // its grown buffer is now a spare, free for any writer
    // b takes the spare for its own big batch while it is still unwritten (no recycle yet)...
    b.bulk('b'.repeat(150_000));
    const pending = b.take()!;
    // ...and a's next big batch must not be given the buffer b's pending output lives in.
    a.bulk('c'.repeat(180_000));
    const next = a.take()!;
    assert.equal(text(pending), `$150000\r\n${'b'.repeat(150_000)}\r\n`);
    assert.equal(text(next), `$180000\r\n${'c'.repeat(180_000)}\r\n`);
    // After a recycle, small replies start again at the beginning of the writer's own buffer.
    a.recycle();
    a.status('OK');
    assert.equal(text(a.take()!), '+OK\r\n');
  });
});

describe('RespWriter: protocol follows the client session', () => {
  it('reads the protocol from the followed session, so a switch applies to the very next reply', () => {
    const session: { protocol: 2 | 3 } = { protocol: 2 };
    const w = new RespWriter();
    w.follow(session);
    w.bulk(null);
    session.protocol = 3;
    w.bulk(null);
    w.map(0);
    w.protocol = 2;
    assert.equal(session.protocol, 2, 'setting the writer protocol sets the session');
    w.map(0);
    assert.equal(drain(w), '$-1\r\n_\r\n%0\r\n*0\r\n');
  });
});
