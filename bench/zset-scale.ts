/**
 * Sorted-set scaling check: time per ZADD and per ZRANK on a 1K-member and on a 1M-member sorted
 * set. With an O(log n) structure the 1M case stays within 2x of the 1K case. Prints, not a test:
 *
 *   npx tsc -p . && node dist/bench/zset-scale.js
 *
 * 1. Over TCP, one request at a time (what a client sees), stickynote-server and a real
 *    redis-server side by side in the same run.
 * 2. In process through the embedded engine (no socket): the data structure's own cost, where the
 *    1M set no longer fits the CPU caches, so this ratio also shows memory latency, not only log n.
 */
import { Engine } from '../src/embedded.js';
import { RawClient } from '../test/support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from '../test/support/servers.js';

const SIZES = [1_000, 1_000_000];
const TCP_OPS = 20_000;
const EMBEDDED_OPS = 200_000;
const BATCH = 1000;

interface Result {
  zadd: number;
  zrank: number;
}

/** ZADD arguments for members [from, to) with random scores. */
function zaddArgs(key: string, from: number, to: number): string[] {
  const args = ['ZADD', key];
  for (let j = from; j < to; j++) args.push(String(Math.random() * 1e9), `member:${j}`);
  return args;
}

/** Nanoseconds per call of `op(i)`, awaited one at a time. */
async function timeOps(ops: number, op: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await op(i);
  return Number(process.hrtime.bigint() - start) / ops;
}

async function measureTcp(port: number, size: number): Promise<Result> {
  const client = await RawClient.connect(port);
  const key = `z${size}`;
  await client.send('DEL', key);
  for (let i = 0; i < size; i += BATCH) await client.send(...zaddArgs(key, i, Math.min(size, i + BATCH)));
  // ZADD gives existing members new random scores, so the set keeps its size.
  const zadd = await timeOps(TCP_OPS, (i) => client.send('ZADD', key, String(Math.random() * 1e9), `member:${(i * 7919) % size}`));
  const zrank = await timeOps(TCP_OPS, (i) => client.send('ZRANK', key, `member:${(i * 104729) % size}`));
  await client.send('DEL', key);
  client.close();
  return { zadd, zrank };
}

async function measureEmbedded(size: number): Promise<Result> {
  const engine = new Engine();
  const key = `z${size}`;
  for (let i = 0; i < size; i += BATCH) engine.call(...zaddArgs(key, i, Math.min(size, i + BATCH)));
  const zadd = await timeOps(EMBEDDED_OPS, (i) => engine.call('ZADD', key, String(Math.random() * 1e9), `member:${(i * 7919) % size}`));
  const zrank = await timeOps(EMBEDDED_OPS, (i) => engine.call('ZRANK', key, `member:${(i * 104729) % size}`));
  return { zadd, zrank };
}

function printTable(title: string, small: Result, large: Result): void {
  console.log(`\n${title}`);
  const row = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(6) : c.padStart(11))).join(' '));
  row(['op', '1K ns/op', '1M ns/op', '1M/1K']);
  for (const op of ['zadd', 'zrank'] as const) {
    row([op.toUpperCase(), small[op].toFixed(0), large[op].toFixed(0), (large[op] / small[op]).toFixed(2)]);
  }
}

async function main(): Promise<void> {
  const servers: [string, RunningServer][] = [
    ['redis-server', await startRedis()],
    ['stickynote-server', await startStickynoteProcess()],
  ];
  try {
    for (const [name, server] of servers) {
      const [small, large] = [await measureTcp(server.port, SIZES[0]), await measureTcp(server.port, SIZES[1])];
      printTable(`${name} over TCP, unpipelined`, small, large);
    }
  } finally {
    for (const [, server] of servers) await server.stop();
  }
  printTable('stickynote embedded engine (no socket)', await measureEmbedded(SIZES[0]), await measureEmbedded(SIZES[1]));
}

void main();
