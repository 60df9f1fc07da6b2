/**
 * npm run bench:features — issue 5's features, stickynote-server against a real redis-server in
 * the same run (separate processes on free loopback ports, stopped by PID at the end).
 *
 * - PUBLISH: `redis-benchmark -c 50 PUBLISH ch msg` (unpipelined) while one subscriber connection
 *   reads every message; the run only counts once the subscriber has received all of them.
 * - MULTI/EXEC: redis-benchmark cannot send a transaction, so a small load generator here does:
 *   each of 50 connections writes MULTI, SET, INCR, SET, INCR, GET, EXEC in one write (as
 *   ioredis/node-redis send `multi()…exec()`), waits for the 7 replies, and repeats.
 * - EVALSHA: `redis-benchmark -c 50 EVALSHA <sha> 1 key:__rand_int__` of
 *   `return redis.call('INCR', KEYS[1])`; skipped (with a message) while the server has no EVALSHA.
 *
 * Each test runs Redis, stickynote, stickynote, Redis and reports the means and the ratio, and each
 * server's CPU time per operation (from /proc/<pid>/stat), which a busy machine disturbs less.
 * Targets (issue 5): PUBLISH ≥ 0.8x, MULTI/EXEC ≥ 0.8x, EVALSHA ≥ 0.5x.
 * BENCH_REQUESTS, BENCH_CLIENTS, BENCH_TESTS (publish,multi,evalsha), BENCH_TX_PIPELINE (transactions
 * per write, default 1) override the defaults.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { RawClient, encodeCommand } from '../test/support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from '../test/support/servers.js';
import { machineDescription, peerVersion, redisBenchmark, writeResults } from './support.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const TESTS = (process.env.BENCH_TESTS ?? 'publish,multi,evalsha').split(',');
/** Transactions per MULTI/EXEC run (7 commands each). */
const TRANSACTIONS = Math.max(1, Math.floor(REQUESTS / 2));
/** Transactions each connection writes at once (1: as a client's multi()…exec()). */
const TX_PIPELINE = Number(process.env.BENCH_TX_PIPELINE ?? 1);
const SCRIPT = "return redis.call('INCR', KEYS[1])";

interface Row {
  test: string;
  unit: string;
  target: number;
  redis: number;
  stickynote: number;
  ratio: number;
  /** Server CPU (user + system) per operation, µs: steadier than throughput on a busy machine. */
  redisCpuUs: number;
  stickynoteCpuUs: number;
}

// ---- PUBLISH with one subscriber ----------------------------------------------------------------

const MESSAGE_BYTES = encodeReplyMessage('ch', 'msg');

/** The bytes of one RESP2 message push, to count deliveries without parsing. */
function encodeReplyMessage(channel: string, message: string): number {
  return `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${message.length}\r\n${message}\r\n`.length;
}

/** A connection subscribed to `ch` that counts the bytes of the messages it receives. */
async function subscriber(port: number): Promise<{ received: () => number; close: () => void }> {
  const socket = net.createConnection({ port, host: '127.0.0.1' });
  let bytes = 0;
  let confirmed = false;
  const confirmation = `*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n`.length;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!confirmed && bytes >= confirmation) {
        confirmed = true;
        bytes -= confirmation;
        resolve();
      }
    });
    socket.write(encodeCommand(['SUBSCRIBE', 'ch']));
  });
  return { received: () => bytes / MESSAGE_BYTES, close: () => socket.destroy() };
}

async function publishRun(port: number): Promise<number> {
  const sub = await subscriber(port);
  try {
    const rps = redisBenchmark(port, ['-n', String(REQUESTS), '-c', String(CLIENTS), 'PUBLISH', 'ch', 'msg']).get('PUBLISH') ?? 0;
    // Throughput only counts if every message reached the subscriber.
    const deadline = Date.now() + 10000;
    while (sub.received() < REQUESTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (sub.received() !== REQUESTS) throw new Error(`subscriber on port ${port} got ${sub.received()} of ${REQUESTS} messages`);
    return rps;
  } finally {
    sub.close();
  }
}

// ---- MULTI/EXEC load generator -------------------------------------------------------------------

/** Returns the offset after the reply starting at `pos`, or -1 if the buffer ends inside it. */
function skipReply(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const type = buf[pos];
  const cr = buf.indexOf(13, pos);
  if (cr === -1 || cr + 1 >= buf.length) return -1;
  const next = cr + 2;
  switch (type) {
    case 0x24: {
      // '$' bulk
      const n = Number(buf.latin1Slice(pos + 1, cr));
      if (n < 0) return next;
      return next + n + 2 <= buf.length ? next + n + 2 : -1;
    }
    case 0x2a: {
      // '*' array
      const n = Number(buf.latin1Slice(pos + 1, cr));
      let p = next;
      for (let i = 0; i < n && p !== -1; i++) p = skipReply(buf, p);
      return p;
    }
    case 0x2d: // '-'
      throw new Error(`error reply: ${buf.latin1Slice(pos, cr)}`);
    default:
      return next;
  }
}

/** One transaction: MULTI, five commands, EXEC — 7 replies. */
function transaction(conn: number): Buffer {
  return Buffer.concat([
    encodeCommand(['MULTI']),
    encodeCommand(['SET', `tx:${conn}:a`, 'value-a']),
    encodeCommand(['INCR', `tx:${conn}:n`]),
    encodeCommand(['SET', `tx:${conn}:b`, 'value-b']),
    encodeCommand(['INCR', `tx:${conn}:m`]),
    encodeCommand(['GET', `tx:${conn}:a`]),
    encodeCommand(['EXEC']),
  ]);
}
const REPLIES_PER_TX = 7;

/**
 * Runs `total` transactions spread over `connections` connections, TX_PIPELINE transactions in
 * flight per connection; returns transactions per second.
 */
function transactionLoad(port: number, connections: number, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const sockets: net.Socket[] = [];
    const begin = process.hrtime.bigint();
    const finish = (err?: Error) => {
      for (const s of sockets) s.destroy();
      if (err) reject(err);
      else resolve(done / (Number(process.hrtime.bigint() - begin) / 1e9));
    };
    for (let i = 0; i < connections; i++) {
      const tx = Buffer.concat(Array<Buffer>(TX_PIPELINE).fill(transaction(i)));
      const socket = net.createConnection({ port, host: '127.0.0.1' });
      sockets.push(socket);
      socket.setNoDelay(true);
      let pending: Buffer | null = null;
      let replies = 0;
      const send = () => {
        if (started >= total) return;
        started += TX_PIPELINE;
        socket.write(tx);
      };
      socket.on('connect', () => {
        send();
      });
      socket.on('error', (e) => finish(e));
      socket.on('data', (chunk: Buffer) => {
        const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
        let pos = 0;
        for (;;) {
          let next: number;
          try {
            next = skipReply(buf, pos);
          } catch (e) {
            finish(e as Error);
            return;
          }
          if (next === -1) break;
          pos = next;
          if (++replies === REPLIES_PER_TX * TX_PIPELINE) {
            replies = 0;
            done += TX_PIPELINE;
            if (done >= total) {
              finish();
              return;
            }
            send();
          }
        }
        pending = pos === buf.length ? null : buf.subarray(pos);
      });
    }
  });
}

async function multiRun(port: number): Promise<number> {
  // Warm the connections' code paths and check the transaction is answered, not refused.
  const c = await RawClient.connect(port);
  c.writeRaw(transaction(0));
  for (let i = 0; i < REPLIES_PER_TX - 1; i++) await c.read();
  const exec = await c.read();
  c.close();
  if (exec.reply.t !== 'array' || exec.reply.v?.length !== 5) throw new Error(`EXEC on port ${port} answered ${exec.raw.toString('latin1')}`);
  return transactionLoad(port, CLIENTS, TRANSACTIONS);
}

// ---- EVALSHA ----------------------------------------------------------------------------------------

/** Loads the script; returns its SHA1, or the server's error if it has no scripting. */
async function loadScript(port: number): Promise<{ sha: string } | { error: string }> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.send('SCRIPT', 'LOAD', SCRIPT);
    if (r.reply.t !== 'bulk' || r.reply.v === null) return { error: r.raw.toString('latin1').trim() };
    const check = await c.send('EVALSHA', r.reply.v, '1', 'bench:probe');
    if (check.reply.t !== 'int') return { error: check.raw.toString('latin1').trim() };
    return { sha: r.reply.v };
  } finally {
    c.close();
  }
}

function evalshaRun(port: number, sha: string): number {
  return redisBenchmark(port, ['-n', String(REQUESTS), '-c', String(CLIENTS), '-r', '100000', 'EVALSHA', sha, '1', 'key:__rand_int__']).get('EVALSHA') ?? 0;
}

// ---- driver -----------------------------------------------------------------------------------------

/** User + system CPU time of a process so far, in µs (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10000;
}

interface Measured {
  rate: number;
  cpuUs: number;
}

/** Throughput of one run and the server's CPU per operation during it. */
async function measure(run: (port: number) => Promise<number> | number, server: RunningServer, ops: number): Promise<Measured> {
  const before = cpuMicros(server.pid!);
  const rate = await run(server.port);
  return { rate, cpuUs: (cpuMicros(server.pid!) - before) / ops };
}

/** Redis, us, us, Redis: neither server always runs on a warmer (or busier) machine. */
async function sideBySide(
  run: (port: number) => Promise<number> | number,
  redis: RunningServer,
  ours: RunningServer,
  ops: number,
): Promise<Pick<Row, 'redis' | 'stickynote' | 'ratio' | 'redisCpuUs' | 'stickynoteCpuUs'>> {
  const r1 = await measure(run, redis, ops);
  const o1 = await measure(run, ours, ops);
  const o2 = await measure(run, ours, ops);
  const r2 = await measure(run, redis, ops);
  const r = (r1.rate + r2.rate) / 2;
  const o = (o1.rate + o2.rate) / 2;
  return { redis: r, stickynote: o, ratio: o / r, redisCpuUs: (r1.cpuUs + r2.cpuUs) / 2, stickynoteCpuUs: (o1.cpuUs + o2.cpuUs) / 2 };
}

function printTable(rows: Row[]): void {
  console.log('  test                          unit        redis   stickynote   ratio   target        server CPU µs/op: redis  stickynote  ratio');
  for (const r of rows) {
    const mark = r.ratio >= r.target ? 'met    ' : 'NOT met';
    console.log(
      `  ${r.test.padEnd(29)} ${r.unit.padEnd(6)} ${r.redis.toFixed(0).padStart(10)} ${r.stickynote.toFixed(0).padStart(12)}   ${r.ratio.toFixed(2)}x   ≥${r.target}x ${mark}` +
        `${r.redisCpuUs.toFixed(1).padStart(24)} ${r.stickynoteCpuUs.toFixed(1).padStart(11)}  ${(r.redisCpuUs / r.stickynoteCpuUs).toFixed(2)}x`,
    );
  }
  console.log('  (CPU ratio: Redis µs/op over ours, so 1.0x means the same CPU per operation)');
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = machineDescription();
  const peer = peerVersion();
  console.log(`bench:features ${date}\nmachine: ${machine}\npeer: ${peer}\nrequests: ${REQUESTS}, clients: ${CLIENTS}\n`);
  const rows: Row[] = [];
  const skipped: Record<string, string> = {};
  const servers: RunningServer[] = [];
  try {
    const redis = await startRedis();
    servers.push(redis);
    const ours = await startStickynoteProcess();
    servers.push(ours);

    if (TESTS.includes('publish')) {
      rows.push({ test: 'PUBLISH ch msg (1 subscriber)', unit: 'rps', target: 0.8, ...(await sideBySide(publishRun, redis, ours, REQUESTS)) });
    }
    if (TESTS.includes('multi')) {
      rows.push({ test: 'MULTI + 5 cmds + EXEC', unit: 'tx/s', target: 0.8, ...(await sideBySide(multiRun, redis, ours, TRANSACTIONS)) });
    }
    if (TESTS.includes('evalsha')) {
      const theirs = await loadScript(redis.port);
      const mine = await loadScript(ours.port);
      if ('error' in mine) {
        skipped.evalsha = `stickynote has no working EVALSHA yet (${mine.error})`;
        console.log(`EVALSHA skipped: ${skipped.evalsha}\n`);
      } else if ('error' in theirs) {
        throw new Error(`Redis refused the script: ${theirs.error}`);
      } else {
        const run = (port: number) => evalshaRun(port, port === redis.port ? theirs.sha : mine.sha);
        rows.push({ test: 'EVALSHA INCR script', unit: 'rps', target: 0.5, ...(await sideBySide(run, redis, ours, REQUESTS)) });
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  console.log(`-c ${CLIENTS}, unpipelined (MULTI/EXEC: ${TX_PIPELINE} transaction(s) per write per connection), mean of 2 runs each`);
  printTable(rows);
  const file = writeResults('features', date, { date, machine, peer, requests: REQUESTS, clients: CLIENTS, txPipeline: TX_PIPELINE, results: rows, skipped });
  console.log(`\nwrote ${file}`);
}

await main();
