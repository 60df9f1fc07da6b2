/**
 * npm run bench:eviction — GET/SET throughput while maxmemory forces continuous eviction.
 *
 * redis-benchmark -t set,get over a keyspace (-r) far larger than what maxmemory holds, so after
 * the first fill every SET evicts. Runs, in one process lifetime each, alternating order:
 *   - stickynote with no limit (noeviction): the baseline;
 *   - stickynote with maxmemory and each eviction policy;
 *   - redis-server 7.0 with the same maxmemory and Redis's policies.
 * Prints requests/s with the ratios (ours evicting / ours unlimited, ours / Redis under the same
 * policy) and the evicted_keys each server reported, and writes JSON to bench/results/.
 * Env: BENCH_REQUESTS (default 300000), BENCH_CLIENTS (50), BENCH_KEYSPACE (1000000),
 * BENCH_MAXMEMORY (default 4mb: ~18k keys, so nearly every SET evicts), BENCH_VALUE (64 bytes), BENCH_ROUNDS (2).
 */
import { RawClient } from '../test/support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from '../test/support/servers.js';
import { machineDescription, peerVersion, redisBenchmark, writeResults } from './support.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const KEYSPACE = Number(process.env.BENCH_KEYSPACE ?? 1000000);
const MAXMEMORY = process.env.BENCH_MAXMEMORY ?? '4mb';
const VALUE = Number(process.env.BENCH_VALUE ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Run {
  server: 'stickynote' | 'redis';
  policy: string;
  maxmemory: string;
}

const RUNS: Run[] = [
  { server: 'stickynote', policy: 'noeviction', maxmemory: '0' },
  { server: 'stickynote', policy: 'allkeys-lru', maxmemory: MAXMEMORY },
  { server: 'redis', policy: 'allkeys-lru', maxmemory: MAXMEMORY },
  { server: 'stickynote', policy: 'allkeys-lfu', maxmemory: MAXMEMORY },
  { server: 'redis', policy: 'allkeys-lfu', maxmemory: MAXMEMORY },
  { server: 'stickynote', policy: 'allkeys-random', maxmemory: MAXMEMORY },
  { server: 'redis', policy: 'allkeys-random', maxmemory: MAXMEMORY },
  { server: 'stickynote', policy: 'allkeys-wtinylfu', maxmemory: MAXMEMORY },
];

interface Result {
  set: number;
  get: number;
  evicted: number;
  keys: number;
}

async function command(port: number, ...args: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  const r = await c.send(...args);
  c.close();
  return String((r.reply as { v: unknown }).v);
}

/** One measurement: a fresh dataset under the run's limit and policy, then redis-benchmark. */
async function measure(port: number, run: Run): Promise<Result> {
  await command(port, 'FLUSHALL');
  await command(port, 'CONFIG', 'SET', 'maxmemory', run.maxmemory);
  await command(port, 'CONFIG', 'SET', 'maxmemory-policy', run.policy);
  await command(port, 'CONFIG', 'RESETSTAT');
  const rps = redisBenchmark(port, ['-n', String(REQUESTS), '-c', String(CLIENTS), '-r', String(KEYSPACE), '-d', String(VALUE), '-t', 'set,get']);
  const info = await command(port, 'INFO', 'stats');
  const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? 0);
  const keys = Number(await command(port, 'DBSIZE'));
  return { set: rps.get('SET') ?? 0, get: rps.get('GET') ?? 0, evicted, keys };
}

function mean(rs: Result[]): Result {
  const avg = (f: (r: Result) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  return { set: avg((r) => r.set), get: avg((r) => r.get), evicted: avg((r) => r.evicted), keys: avg((r) => r.keys) };
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = machineDescription();
  const peer = peerVersion();
  console.log(`bench:eviction ${date}\nmachine: ${machine}\npeer: ${peer}`);
  console.log(`redis-benchmark -t set,get -n ${REQUESTS} -c ${CLIENTS} -r ${KEYSPACE} -d ${VALUE}, maxmemory ${MAXMEMORY}\n`);
  const servers: RunningServer[] = [];
  const samples = new Map<Run, Result[]>(RUNS.map((r) => [r, []]));
  try {
    const redis = await startRedis();
    const ours = await startStickynoteProcess();
    servers.push(redis, ours);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer machine.
      const order = round % 2 === 0 ? RUNS : [...RUNS].reverse();
      for (const run of order) samples.get(run)!.push(await measure(run.server === 'redis' ? redis.port : ours.port, run));
    }
  } finally {
    for (const s of servers) await s.stop();
  }

  const results = RUNS.map((run) => ({ ...run, ...mean(samples.get(run)!) }));
  const base = results[0];
  const redisOf = (policy: string) => results.find((r) => r.server === 'redis' && r.policy === policy);
  console.log('server       policy             SET rps    GET rps   evicted    keys   SET/unlimited  GET/unlimited  SET/Redis  GET/Redis');
  const table = results.map((r) => {
    const peerRun = r.server === 'stickynote' ? redisOf(r.policy) : undefined;
    const row = {
      ...r,
      setVsUnlimited: r.server === 'stickynote' ? r.set / base.set : null,
      getVsUnlimited: r.server === 'stickynote' ? r.get / base.get : null,
      setVsRedis: peerRun ? r.set / peerRun.set : null,
      getVsRedis: peerRun ? r.get / peerRun.get : null,
    };
    const x = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)}x`).padStart(13);
    console.log(
      `${r.server.padEnd(12)} ${r.policy.padEnd(17)} ${r.set.toFixed(0).padStart(8)} ${r.get.toFixed(0).padStart(10)} ${r.evicted.toFixed(0).padStart(9)} ${r.keys.toFixed(0).padStart(7)}  ${x(row.setVsUnlimited)}  ${x(row.getVsUnlimited)} ${x(row.setVsRedis)} ${x(row.getVsRedis)}`,
    );
    return row;
  });
  const config = { requests: REQUESTS, clients: CLIENTS, keyspace: KEYSPACE, maxmemory: MAXMEMORY, value: VALUE, rounds: ROUNDS };
  console.log(`\nwrote ${writeResults('eviction', date, { date, machine, peer, config, results: table })}`);
}

await main();
