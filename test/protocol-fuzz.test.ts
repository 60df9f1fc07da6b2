import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Config } from '../src/config/config.js';
import { RespParser } from '../src/server/resp-parser.js';
import { ServerContext } from '../src/commands/server-context.js';
import { REDIS_METADATA } from '../src/commands/redis-metadata.generated.js';
import { startServer, type StickyServer } from '../src/server/server.js';
import { encodeCommand, RawClient } from './support/raw-client.js';
import { exchangeBoth } from './support/raw-exchange.js';
import { startRedis, type RunningServer } from './support/servers.js';

// ---- generators ---------------------------------------------------------------------------

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a).toString('latin1'));
/** Mostly short binary arguments, sometimes one big enough for the parser's big-argument path. */
const binaryArg = fc.oneof(
  { weight: 20, arbitrary: bytes(24) },
  { weight: 1, arbitrary: fc.integer({ min: 30_000, max: 70_000 }).map((n) => 'x'.repeat(n - 3) + 'end') },
);
const token = fc.stringMatching(/^[A-Za-z0-9_:.-]{1,12}$/);

/** One request and the arguments it must parse to (null: a request Redis ignores). */
interface Item {
  wire: string;
  args: string[] | null;
}

const multibulk = fc.array(binaryArg, { minLength: 1, maxLength: 4 }).map((args): Item => ({ wire: encodeCommand(args).toString('latin1'), args }));
const inline = fc
  .tuple(fc.array(token, { minLength: 1, maxLength: 4 }), fc.constantFrom('\r\n', '\n'), fc.constantFrom(' ', '  ', '\t'))
  .map(([args, eol, sep]): Item => ({ wire: args.join(sep) + eol, args }));
/** Inline with "double-quoted" arguments: every non-alphanumeric byte written as \xHH. */
const quoted = fc.array(bytes(12), { minLength: 1, maxLength: 3 }).map(
  (args): Item => ({
    wire: args.map((a) => `"${a.replace(/[^A-Za-z0-9]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`).join(' ') + '\r\n',
    args,
  }),
);
const ignored = fc.constantFrom<Item>(
  { wire: '\r\n', args: null },
  { wire: '\n', args: null },
  { wire: '   \r\n', args: null },
  { wire: '*0\r\n', args: null },
  { wire: '*-1\r\n', args: null },
);
const stream = fc.array(fc.oneof({ weight: 4, arbitrary: multibulk }, { weight: 2, arbitrary: inline }, { weight: 2, arbitrary: quoted }, { weight: 1, arbitrary: ignored }), {
  minLength: 1,
  maxLength: 12,
});

/** Cuts `data` at the given points (taken modulo its length). */
function cut(data: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (data.length ? p % data.length : 0)))].filter((p) => p > 0).sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    parts.push(data.subarray(prev, p));
    prev = p;
  }
  parts.push(data.subarray(prev));
  return parts;
}

type Mutation = [number, number, 'set' | 'del' | 'ins'];
const mutations = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom<Mutation[2]>('set', 'del', 'ins')), { minLength: 1, maxLength: 4 });

function mutate(data: Buffer, muts: Mutation[]): Buffer {
  const b = [...data];
  for (const [i, v, op] of muts) {
    const at = b.length ? i % b.length : 0;
    if (op === 'set' && b.length) b[at] = v;
    else if (op === 'del') b.splice(at, 1);
    else b.splice(at, 0, v);
  }
  return Buffer.from(b);
}

/** Random bytes, biased towards the protocol's own characters so they reach deeper states. */
const garbage = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(...Buffer.from('*$\r\n\r\n0123456789- "\'\\x')),
  ),
  { maxLength: 120 },
).map((a) => Buffer.from(a));
const hostile = fc.oneof(garbage, fc.tuple(stream, mutations).map(([items, muts]) => mutate(Buffer.from(items.map((i) => i.wire).join(''), 'latin1'), muts)));

// ---- unit level: the parser alone ------------------------------------------------------------

type Event = ['command', string[]] | ['error', string | null];

/**
 * Feeds the pieces to a fresh parser and records what it reports. Each piece goes through one
 * reused buffer that is scribbled over after every feed, as the server's shared read buffer is:
 * the parser must not keep a reference to what it was fed.
 */
function parse(pieces: Buffer[], limits = { protoMaxBulkLen: 512 * 1024 * 1024, clientQueryBufferLimit: 1024 * 1024 * 1024 }): Event[] {
  const events: Event[] = [];
  const parser = new RespParser(
    {
      command: (args) => events.push(['command', args]),
      protocolError: (message) => events.push(['error', message]),
      authRequired: () => false,
    },
    limits,
  );
  const borrowed = Buffer.alloc(Math.max(0, ...pieces.map((p) => p.length)));
  for (const p of pieces) {
    p.copy(borrowed);
    parser.feed(borrowed.subarray(0, p.length));
    borrowed.fill(0xee);
  }
  return events;
}

describe('protocol fuzz: RespParser', () => {
  it('any valid command stream parses to its commands, split at any bytes', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (items, points) => {
        const data = Buffer.from(items.map((i) => i.wire).join(''), 'latin1');
        const expected: Event[] = items.filter((i) => i.args !== null).map((i) => ['command', i.args!]);
        assert.deepEqual(parse(cut(data, points)), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a stream fed one byte at a time parses like a stream fed whole', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(multibulk, inline, quoted, ignored), { minLength: 1, maxLength: 6 }), (items) => {
        const data = Buffer.from(items.map((i) => i.wire).join(''), 'latin1');
        if (data.length > 5000) return;
        const bytewise = [...data].map((b) => Buffer.from([b]));
        assert.deepEqual(parse(bytewise), parse([data]));
      }),
      { numRuns: 100 },
    );
  });

  it('garbage and mutated streams: never throws, same commands and errors however split, nothing after an error', () => {
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 8 }), (data, points) => {
        const whole = parse([data]);
        assert.deepEqual(parse(cut(data, points)), whole);
        const errorAt = whole.findIndex((e) => e[0] === 'error');
        assert.ok(errorAt === -1 || errorAt === whole.length - 1, 'an error is the last event');
      }),
      { numRuns: 1000 },
    );
  });

  it('the query buffer limit holds however the data is split', () => {
    const limits = { protoMaxBulkLen: 2 * 1024 * 1024, clientQueryBufferLimit: 1024 * 1024 };
    fc.assert(
      fc.property(fc.integer({ min: 900_000, max: 1_200_000 }), fc.array(fc.nat(), { maxLength: 6 }), (size, points) => {
        const data = encodeCommand(['SET', 'k', Buffer.alloc(size, 'v')]);
        const events = parse(cut(data, points), limits);
        // Redis drops the client once it holds more than the limit of one argument (payload + CRLF).
        if (size + 2 > limits.clientQueryBufferLimit) assert.deepEqual(events, [['error', null]]);
        else assert.equal(events.length === 1 && events[0][0] === 'command' && (events[0][1] as string[])[2].length, size);
      }),
      { numRuns: 30 },
    );
  });
});

// ---- end to end: the same bytes to Redis and to stickynote ------------------------------------

const implemented = new Set([...new ServerContext().commands.all()].map((c) => c.name));
const unimplemented = new Set(Object.keys(REDIS_METADATA).filter((name) => !implemented.has(name)));

/** Whether any command in `data` is one Redis has and stickynote does not implement yet. */
function namesUnimplemented(data: Buffer): boolean {
  return parse([data]).some((e) => e[0] === 'command' && unimplemented.has(e[1][0].toLowerCase()));
}

describe('protocol fuzz: server against Redis', () => {
  let redis: RunningServer;
  let ours: StickyServer;
  before(async () => {
    redis = await startRedis();
    ours = await startServer({ config: new Config(), port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await ours?.close();
    await redis?.stop();
  });

  /** Only ECHO and PING, so every reply is a pure function of the request. */
  const echoItem = fc.oneof(
    binaryArg.map((a): Item => ({ wire: encodeCommand(['ECHO', a]).toString('latin1'), args: ['ECHO', a] })),
    token.map((t): Item => ({ wire: `ECHO ${t}\r\n`, args: ['ECHO', t] })),
    bytes(10).map((a): Item => ({ wire: `ECHO "${a.replace(/[^A-Za-z0-9]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)}"\n`, args: ['ECHO', a] })),
    fc.constant<Item>({ wire: 'PING\r\n', args: ['PING'] }),
    ignored,
  );

  it('valid streams split at random bytes get the same replies as from Redis', async () => {
    const mismatches: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.noShrink(fc.array(fc.tuple(fc.array(echoItem, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 })), { minLength: 8, maxLength: 8 })), async (cases) => {
        await Promise.all(
          cases.map(async ([items, points]) => {
            const parts = cut(Buffer.from(items.map((i) => i.wire).join(''), 'latin1'), points);
            const [r, o] = await exchangeBoth([redis.port, ours.port], parts, { gapMs: 1, idleMs: 150 });
            if (o.reply !== r.reply || o.closed !== r.closed) {
              mismatches.push(`stream ${JSON.stringify(items.map((i) => i.wire.slice(0, 60)))}: redis ${JSON.stringify(r).slice(0, 300)}, ours ${JSON.stringify(o).slice(0, 300)}`);
            }
          }),
        );
      }),
      { numRuns: 6 },
    );
    assert.deepEqual(mismatches, []);
  });

  it('garbage and mutated streams get the same bytes and the same closing as from Redis; the server stays up', async () => {
    const mismatches: string[] = [];
    await fc.assert(
      // One write per input: a server that closes while the client is still sending resets the
      // connection, and the client may then lose the reply (splits are covered by the parser tests).
      fc.asyncProperty(fc.noShrink(fc.array(hostile, { minLength: 25, maxLength: 25 })), async (cases) => {
        await Promise.all(
          cases.map(async (data) => {
            // Random tokens can spell a Redis command we do not implement yet (e.g. EVAL): not a protocol difference.
            if (namesUnimplemented(data)) return;
            const [r, o] = await exchangeBoth([redis.port, ours.port], [data], { idleMs: 150 });
            if (o.reply !== r.reply || o.closed !== r.closed) {
              mismatches.push(`input ${JSON.stringify(data.toString('latin1').slice(0, 300))}: redis ${JSON.stringify(r).slice(0, 300)}, ours ${JSON.stringify(o).slice(0, 300)}`);
            }
          }),
        );
      }),
      { numRuns: 16 },
    );
    assert.deepEqual(mismatches, []);
    const c = await RawClient.connect(ours.port);
    assert.equal((await c.send('PING')).raw.toString(), '+PONG\r\n');
    c.close();
    // Every fuzz connection is gone again: nothing leaked.
    for (let i = 0; i < 100 && ours.context.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ours.context.clients.size, 0);
  });
});
