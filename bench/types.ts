/**
 * npm run bench:types — the data-type commands of issue 3, stickynote-server against a real
 * redis-server in the same run (both as separate processes on free loopback ports, stopped by PID).
 *
 * 1. redis-benchmark -n 100000 -c 50 (unpipelined) -t lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,
 *    zpopmin,lrange_100,lrange_300,lrange_600 against each server twice, in the order
 *    Redis, stickynote, stickynote, Redis, from an empty database each time; prints the mean
 *    requests/s and the ratio stickynote/Redis.
 * 2. Sorted-set scaling: time per ZADD (existing member, new score) and per ZRANK on a 1K-member
 *    and on a 1M-member sorted set, one request at a time over TCP, on both servers; an O(log n)
 *    structure keeps the 1M/1K ratio within 2x. Then the same through the embedded engine (no
 *    socket), which shows the structure's own cost.
 *
 * Results are also written as JSON to bench/results/types-<date>.json.
 * BENCH_TESTS, BENCH_REQUESTS, BENCH_CLIENTS, BENCH_ZSET_OPS override the defaults.
 */
import { Engine } from '../src/embedded.js';
import { RawClient } from '../test/support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from '../test/support/servers.js';
import { machineDescription, peerVersion, redisBenchmark, writeResults } from './support.js';

const TESTS = (process.env.BENCH_TESTS ?? 'lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_600').split(',');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const ZSET_SIZES = [1_000, 1_000_000];
const ZSET_OPS = Number(process.env.BENCH_ZSET_OPS ?? 20000);
const EMBEDDED_OPS = 200_000;
const BATCH = 1000;

// ---- redis-benchmark ------------------------------------------------------------------------

/** Runs redis-benchmark on an empty database; returns requests/s per test (LRANGE_100, …). */
async function typesBenchmark(port: number): Promise<Map<string, number>> {
  const c = await RawClient.connect(port);
  await c.send('FLUSHALL');
  c.close();
  return redisBenchmark(port, ['-n', String(REQUESTS), '-c', String(CLIENTS), '-r', '100000', '-t', TESTS.join(',')]);
}

interface Throughput {
  redis: number;
  stickynote: number;
  ratio: number;
}

async function throughput(redis: RunningServer, ours: RunningServer): Promise<Record<string, Throughput>> {
  // Alternate the order so neither server always runs on a warmer (or busier) machine.
  const r1 = await typesBenchmark(redis.port);
  const o1 = await typesBenchmark(ours.port);
  const o2 = await typesBenchmark(ours.port);
  const r2 = await typesBenchmark(redis.port);
  const table: Record<string, Throughput> = {};
  console.log(`redis-benchmark -n ${REQUESTS} -c ${CLIENTS} -P 1 (mean of 2 runs each)`);
  console.log('  test           redis rps   stickynote rps   ratio');
  for (const [name] of r1) {
    const r = ((r1.get(name) ?? 0) + (r2.get(name) ?? 0)) / 2;
    const o = ((o1.get(name) ?? 0) + (o2.get(name) ?? 0)) / 2;
    table[name] = { redis: r, stickynote: o, ratio: o / r };
    const flag = o / r < 0.9 ? '  < 0.9x' : '';
    console.log(`  ${name.padEnd(12)} ${r.toFixed(0).padStart(11)} ${o.toFixed(0).padStart(16)}   ${(o / r).toFixed(2)}x${flag}`);
  }
  return table;
}

// ---- sorted-set scaling ---------------------------------------------------------------------

interface ZsetTimes {
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

async function zsetOverTcp(port: number, size: number): Promise<ZsetTimes> {
  const client = await RawClient.connect(port);
  const key = `z${size}`;
  await client.send('DEL', key);
  for (let i = 0; i < size; i += BATCH) await client.send(...zaddArgs(key, i, Math.min(size, i + BATCH)));
  // ZADD gives existing members new random scores, so the set keeps its size.
  const zadd = await timeOps(ZSET_OPS, (i) => client.send('ZADD', key, String(Math.random() * 1e9), `member:${(i * 7919) % size}`));
  const zrank = await timeOps(ZSET_OPS, (i) => client.send('ZRANK', key, `member:${(i * 104729) % size}`));
  await client.send('DEL', key);
  client.close();
  return { zadd, zrank };
}

async function zsetEmbedded(size: number): Promise<ZsetTimes> {
  const engine = new Engine();
  const key = `z${size}`;
  for (let i = 0; i < size; i += BATCH) engine.call(...zaddArgs(key, i, Math.min(size, i + BATCH)));
  const zadd = await timeOps(EMBEDDED_OPS, (i) => engine.call('ZADD', key, String(Math.random() * 1e9), `member:${(i * 7919) % size}`));
  const zrank = await timeOps(EMBEDDED_OPS, (i) => engine.call('ZRANK', key, `member:${(i * 104729) % size}`));
  return { zadd, zrank };
}

type ZsetRow = { small: ZsetTimes; large: ZsetTimes };

function printZset(rows: Record<string, ZsetRow>): void {
  console.log(`\nsorted set scaling: ns per op, 1K vs 1M members (${ZSET_OPS} ops over TCP, ${EMBEDDED_OPS} embedded)`);
  console.log('  server              op       1K ns/op    1M ns/op   1M/1K');
  for (const [name, { small, large }] of Object.entries(rows)) {
    for (const op of ['zadd', 'zrank'] as const) {
      console.log(`  ${name.padEnd(19)} ${op.toUpperCase().padEnd(6)} ${small[op].toFixed(0).padStart(10)} ${large[op].toFixed(0).padStart(11)}   ${(large[op] / small[op]).toFixed(2)}x`);
    }
  }
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = machineDescription();
  const peer = peerVersion();
  console.log(`bench:types ${date}\nmachine: ${machine}\npeer: ${peer}\n`);
  const results: Record<string, unknown> = { date, machine, peer };

  const servers: RunningServer[] = [];
  try {
    const redis = await startRedis();
    servers.push(redis);
    const ours = await startStickynoteProcess();
    servers.push(ours);
    results.throughput = await throughput(redis, ours);

    const zset: Record<string, ZsetRow> = {};
    // Alternate here too: Redis small/large, then stickynote large/small.
    const redisSmall = await zsetOverTcp(redis.port, ZSET_SIZES[0]);
    const redisLarge = await zsetOverTcp(redis.port, ZSET_SIZES[1]);
    const oursLarge = await zsetOverTcp(ours.port, ZSET_SIZES[1]);
    const oursSmall = await zsetOverTcp(ours.port, ZSET_SIZES[0]);
    zset['redis-server'] = { small: redisSmall, large: redisLarge };
    zset['stickynote-server'] = { small: oursSmall, large: oursLarge };
    for (const s of servers.splice(0)) await s.stop();
    zset['stickynote embedded'] = { small: await zsetEmbedded(ZSET_SIZES[0]), large: await zsetEmbedded(ZSET_SIZES[1]) };
    printZset(zset);
    results.zsetScaling = zset;
  } finally {
    for (const s of servers) await s.stop();
  }
  console.log(`\nwrote ${writeResults('types', date, results)}`);
}

await main();
