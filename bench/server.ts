/**
 * npm run bench:server — stickynote-server and a real redis-server side by side, in one run.
 *
 * 1. redis-benchmark -q -n 200000 -c 50 -t set,get,incr,mset against both, unpipelined and with -P 16,
 *    alternating which server goes first; prints requests/s and the ratio ours/Redis.
 * 2. Loads 1M keys (SET key:<n> with 16-byte values: one value for all, then a distinct value per key)
 *    into fresh servers and prints RSS per key.
 *
 * Both servers run as separate processes on free loopback ports and are stopped by PID at the end.
 * Results are also written as JSON to bench/results/.
 */
import { readFileSync } from 'node:fs';
import { RawClient, encodeCommand } from '../test/support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from '../test/support/servers.js';
import { machineDescription, peerVersion, redisBenchmark, writeResults } from './support.js';

const TESTS = (process.env.BENCH_TESTS ?? 'set,get,incr,mset').split(',');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const KEYS = Number(process.env.BENCH_KEYS ?? 1000000);

/** redis-benchmark's requests/s per test name (upper case, as redis-benchmark names them). */
function serverBenchmark(port: number, pipeline: number): Map<string, number> {
  return redisBenchmark(port, ['-n', String(REQUESTS), '-c', String(CLIENTS), '-P', String(pipeline), '-r', '100000', '-t', TESTS.join(',')]);
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Loads `n` keys through one pipelined connection, in batches, and waits for every reply. */
async function loadKeys(port: number, n: number, valueOf: (j: number) => string): Promise<void> {
  const c = await RawClient.connect(port);
  const batch = 10000;
  for (let i = 0; i < n; i += batch) {
    const parts: Buffer[] = [];
    const end = Math.min(n, i + batch);
    for (let j = i; j < end; j++) parts.push(encodeCommand(['SET', `key:${j}`, valueOf(j)]));
    c.writeRaw(Buffer.concat(parts));
    for (let j = i; j < end; j++) await c.read(60000);
  }
  c.close();
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = machineDescription();
  const redisVersion = peerVersion();
  console.log(`bench:server ${date}\nmachine: ${machine}\npeer: ${redisVersion}\n`);

  const results: Record<string, unknown> = { date, machine, peer: redisVersion, throughput: {}, memory: {} };
  const servers: RunningServer[] = [];
  try {
    const redis = await startRedis();
    const ours = await startStickynoteProcess();
    servers.push(redis, ours);

    for (const pipeline of [1, 16]) {
      // Alternate the order so neither server always runs on a warmer machine.
      const first = serverBenchmark(redis.port, pipeline);
      const oursRps = serverBenchmark(ours.port, pipeline);
      const second = serverBenchmark(redis.port, pipeline);
      const oursRps2 = serverBenchmark(ours.port, pipeline);
      console.log(`redis-benchmark -n ${REQUESTS} -c ${CLIENTS} -P ${pipeline}`);
      console.log('  test       redis rps   stickynote rps   ratio');
      const table: Record<string, { redis: number; stickynote: number; ratio: number }> = {};
      for (const [name] of first) {
        const r = ((first.get(name) ?? 0) + (second.get(name) ?? 0)) / 2;
        const o = ((oursRps.get(name) ?? 0) + (oursRps2.get(name) ?? 0)) / 2;
        table[name] = { redis: r, stickynote: o, ratio: o / r };
        console.log(`  ${name.padEnd(8)} ${r.toFixed(0).padStart(11)} ${o.toFixed(0).padStart(16)}   ${(o / r).toFixed(2)}x`);
      }
      (results.throughput as Record<string, unknown>)[`P${pipeline}`] = table;
      console.log('');
    }
  } finally {
    for (const s of servers.splice(0)) await s.stop();
  }

  // Memory: RSS per key after loading KEYS keys with 16-byte values into fresh servers. Twice:
  // with one value for every key (the load), and with a distinct value per key, because
  // the parser hands back one shared string for a short argument it has just seen, so identical
  // values cost us nothing per key, while Redis allocates each.
  const loads = [
    { label: 'same 16-byte value', valueOf: () => 'v'.repeat(16) },
    { label: 'distinct 16-byte values', valueOf: (j: number) => `v${String(j).padStart(15, '0')}` },
  ];
  try {
    for (const load of loads) {
      const mem: Record<string, { rssBefore: number; rssAfter: number; perKeyTotal: number; perKeyDelta: number }> = {};
      for (const name of ['redis', 'stickynote'] as const) {
        const s = name === 'redis' ? await startRedis() : await startStickynoteProcess();
        servers.push(s);
        await settle();
        const before = rssBytes(s.pid!);
        await loadKeys(s.port, KEYS, load.valueOf);
        await settle();
        const after = rssBytes(s.pid!);
        mem[name] = { rssBefore: before, rssAfter: after, perKeyTotal: after / KEYS, perKeyDelta: (after - before) / KEYS };
        await s.stop();
        servers.pop();
      }
      (results.memory as Record<string, unknown>)[load.label] = mem;
      console.log(`RSS after SET key:<n> x ${KEYS}, ${load.label}`);
      console.log('  server       RSS MB   bytes/key (total RSS)   bytes/key (growth)');
      for (const [name, m] of Object.entries(mem)) {
        console.log(`  ${name.padEnd(11)} ${(m.rssAfter / 2 ** 20).toFixed(1).padStart(7)} ${m.perKeyTotal.toFixed(1).padStart(22)} ${m.perKeyDelta.toFixed(1).padStart(20)}`);
      }
      console.log(`  ratio stickynote/redis: ${(mem.stickynote.perKeyTotal / mem.redis.perKeyTotal).toFixed(2)}x (total), ${(mem.stickynote.perKeyDelta / mem.redis.perKeyDelta).toFixed(2)}x (growth)\n`);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  console.log(`wrote ${writeResults('server', date, results)}`);
}

await main();
