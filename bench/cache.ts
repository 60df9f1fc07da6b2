/**
 * npm run bench:cache — the caching toolkit next to bentocache and cache-manager, in one run.
 *
 * 1. getOrSet hit path, ops/s: stickynote, bentocache and cache-manager on their in-memory stores, then
 *    on Redis stores against the same real redis-server (each with an ioredis connection of its own,
 *    `CONCURRENCY` requests in flight). cache-manager has no Redis store installed here (@keyv/redis
 *    is not a dependency), so it runs on Keyv with a four-method adapter over ioredis (GET, SET PX, DEL).
 * 2. The overhead of a Redis-backed getOrSet hit over a raw ioredis GET of the same key.
 * 3. The SQLite users demo (examples/db.ts): a skewed read workload from concurrent clients, without
 *    and with the cache: database queries and per-request p50/p99 latency.
 * 4. Rate limiter decisions/s next to rate-limiter-flexible (memory and Redis), limits set high so
 *    every decision is an admission (the common path).
 *
 * Each throughput figure is the best of `ROUNDS` timed runs, taken round-robin so that no library
 * always runs on a warmer machine. Results are printed as one table and written to bench/results/.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createCache, createStore, RateLimiter, type RateLimiterOptions } from '../src/cache/index.js';
import { UsersDb } from '../examples/db.js';
import { startRedis } from '../test/support/servers.js';
import { machineDescription, peerVersion, writeResults } from './support.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 1000);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const READS = Number(process.env.BENCH_READS ?? 20000);
const DB_LATENCY_MS = Number(process.env.BENCH_DB_LATENCY_MS ?? 2);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 20000);
/** BENCH_ONLY=redis-hit: only part 2 (stickynote's Redis hit vs a raw GET), printed, no results file. */
const ONLY = process.env.BENCH_ONLY;

const USER = { id: 1, name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro', tags: ['math', 'engines'], createdAt: '1815-12-10T00:00:00.000Z' };
const loader = async () => USER;
const RAW_GET = 'raw ioredis GET';
const RAW_GET_PARSE = 'raw ioredis GET + JSON.parse';

/** A getOrSet hit for key number `i` (the keys were filled beforehand). */
type HitFn = (i: number) => Promise<unknown>;

interface Contender {
  name: string;
  group: 'memory' | 'redis';
  fill(): Promise<void>;
  hit: HitFn;
  close(): Promise<void>;
}

/**
 * ops/s of `hit` over `RUN_MS`, with `concurrency` callers each awaiting its previous call. The
 * clock is read every 64 calls rather than set by a timer: an in-memory hit resolves through
 * microtasks only, and a timer would never get to fire.
 */
async function throughput(hit: HitFn, concurrency: number): Promise<number> {
  let ops = 0;
  let stop = false;
  const started = performance.now();
  const deadline = started + RUN_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      // Workers stride over the keys so that no two ask for the same key at once (a library that
      // coalesces concurrent reads of one key would otherwise save round trips the others make).
      let i = worker;
      while (!stop) {
        await hit(i % KEYS);
        i += concurrency;
        if ((++ops & 63) === 0 && performance.now() >= deadline) stop = true;
      }
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

/** cache-manager's Redis store: Keyv over ioredis with the four methods Keyv calls. */
function keyvIoredis(client: Redis) {
  return {
    get: async (key: string) => (await client.get(key)) ?? undefined,
    set: async (key: string, value: string, ttl?: number) => void (ttl ? await client.set(key, value, 'PX', ttl) : await client.set(key, value)),
    delete: async (key: string) => (await client.del(key)) > 0,
    clear: async () => {},
  };
}

async function contenders(port: number): Promise<Contender[]> {
  const list: Contender[] = [];
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis({ port, host: '127.0.0.1' });
    connections.push(c);
    return c;
  };
  const key = (i: number) => `user:${i}`;
  const fillWith = (hit: HitFn) => async () => {
    for (let i = 0; i < KEYS; i++) await hit(i);
  };

  // Every library gets its TTL as a default at creation, so the hit path is measured, not option parsing.
  const sticky = createCache({ prefix: 'bench:sn:', ttl: '1h' });
  const stickyHit: HitFn = (i) => sticky.getOrSet(key(i), loader);
  list.push({ name: 'stickynote (embedded engine)', group: 'memory', fill: fillWith(stickyHit), hit: stickyHit, close: () => sticky.close() });

  const bentoMem = new BentoCache({ default: 'm', ttl: '1h', stores: { m: bentostore().useL1Layer(memoryDriver({ maxItems: 100_000 })) } });
  const bentoMemHit: HitFn = (i) => bentoMem.getOrSet({ key: key(i), factory: loader });
  list.push({ name: 'bentocache (memory)', group: 'memory', fill: fillWith(bentoMemHit), hit: bentoMemHit, close: () => bentoMem.disconnectAll() });

  const cmMem = createCacheManager({ stores: [new Keyv()], ttl: 3_600_000 });
  const cmMemHit: HitFn = (i) => cmMem.wrap(key(i), loader);
  list.push({ name: 'cache-manager (memory, Keyv)', group: 'memory', fill: fillWith(cmMemHit), hit: cmMemHit, close: () => cmMem.disconnect() });

  const stickyRedis = createCache({ store: connect(), prefix: 'bench:sn:', ttl: '1h' });
  const stickyRedisHit: HitFn = (i) => stickyRedis.getOrSet(key(i), loader);
  list.push({ name: 'stickynote (Redis)', group: 'redis', fill: fillWith(stickyRedisHit), hit: stickyRedisHit, close: () => stickyRedis.close() });

  const bentoRedis = new BentoCache({ default: 'r', ttl: '1h', stores: { r: bentostore().useL2Layer(redisDriver({ connection: connect(), prefix: 'bench:bento' })) } });
  const bentoRedisHit: HitFn = (i) => bentoRedis.getOrSet({ key: key(i), factory: loader });
  list.push({ name: 'bentocache (Redis)', group: 'redis', fill: fillWith(bentoRedisHit), hit: bentoRedisHit, close: () => bentoRedis.disconnectAll() });

  const cmRedis = createCacheManager({ stores: [new Keyv({ store: keyvIoredis(connect()), namespace: 'bench:cm' })], ttl: 3_600_000 });
  const cmRedisHit: HitFn = (i) => cmRedis.wrap(key(i), loader);
  list.push({ name: 'cache-manager (Redis, Keyv)', group: 'redis', fill: fillWith(cmRedisHit), hit: cmRedisHit, close: () => cmRedis.disconnect() });

  // The floor: the same values fetched with a plain GET (and, for reference, GET + JSON.parse).
  const raw = connect();
  const rawKeys = Array.from({ length: KEYS }, (_, i) => `bench:raw:${i}`);
  const rawFill = async () => void (await Promise.all(rawKeys.map((k) => raw.set(k, JSON.stringify(USER)))));
  list.push({ name: RAW_GET_PARSE, group: 'redis', fill: rawFill, hit: async (i) => JSON.parse((await raw.get(rawKeys[i]))!), close: async () => {} });
  list.push({ name: RAW_GET, group: 'redis', fill: rawFill, hit: (i) => raw.get(rawKeys[i]), close: async () => {} });

  const closeAll = list.map((c) => c.close);
  list[list.length - 1].close = async () => {
    await Promise.allSettled(closeAll.slice(0, -1).map((f) => f()));
    for (const c of connections) c.disconnect();
  };
  return list;
}

/**
 * Median latency (ms) of `a` and of `b`, called alternately one at a time (a b b a …): on a shared
 * machine, noise then falls on both alike, which separate timed runs cannot promise.
 */
async function pairedLatency(a: HitFn, b: HitFn, samples: number): Promise<[number, number]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const timed = async (f: HitFn, i: number, out: number[]) => {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  };
  for (let k = 0; k < samples; k++) {
    const i = k % KEYS;
    if (k % 2 === 0) {
      await timed(a, i, ta);
      await timed(b, i, tb);
    } else {
      await timed(b, i, tb);
      await timed(a, i, ta);
    }
  }
  return [percentile(ta.sort((x, y) => x - y), 50), percentile(tb.sort((x, y) => x - y), 50)];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface DemoResult {
  variant: string;
  reads: number;
  dbQueries: number;
  p50Ms: number;
  p99Ms: number;
  readsPerSec: number;
}

/** The users demo's workload: READS skewed reads from 50 clients, each read timed. */
async function usersDemo(variant: string, read: (db: UsersDb, id: number) => Promise<unknown>): Promise<DemoResult> {
  const db = new UsersDb({ users: 1000, latencyMs: DB_LATENCY_MS });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < READS) {
        next++;
        const id = Math.random() < 0.8 ? 1 + Math.floor(Math.random() * 200) : 1 + Math.floor(Math.random() * 1000);
        const t = performance.now();
        await read(db, id);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  db.close();
  return { variant, reads: READS, dbQueries: db.queries, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), readsPerSec: READS / (ms / 1000) };
}

interface LimiterRow {
  name: string;
  store: 'memory' | 'redis';
  inFlight: number;
  opsPerSec: number;
  ratio: string;
}

/** Decisions/s of our limiters and rate-limiter-flexible's on the same store kinds, round-robin, best of ROUNDS. */
async function limiterBench(port: number): Promise<LimiterRow[]> {
  const id = (i: number) => `id:${i}`;
  const huge = { fixed: { algorithm: 'fixed-window', limit: 1e9, window: '1h' }, gcra: { algorithm: 'gcra', limit: 1e9, period: '1h' } } as const;
  const conns: Redis[] = [];
  const connect = () => {
    const c = new Redis({ port, host: '127.0.0.1' });
    conns.push(c);
    return c;
  };
  const embedded = createStore();
  const ours = (store: Parameters<typeof createStore>[0], o: RateLimiterOptions, p: string) => {
    const rl = new RateLimiter(createStore(store), { ...o, prefix: p });
    return (i: number) => rl.limit(id(i));
  };
  const rlfMem = new RateLimiterMemory({ points: 1e9, duration: 3600 });
  const rlfRedis = new RateLimiterRedis({ storeClient: connect(), points: 1e9, duration: 3600, keyPrefix: 'bench:rlf' });
  const runs: { name: string; store: 'memory' | 'redis'; inFlight: number; decide: HitFn; peer: boolean }[] = [
    { name: 'stickynote fixed window (embedded)', store: 'memory', inFlight: 1, decide: ours(embedded, huge.fixed, 'bench:fw:'), peer: false },
    { name: 'stickynote GCRA (embedded)', store: 'memory', inFlight: 1, decide: ours(embedded, huge.gcra, 'bench:gcra:'), peer: false },
    { name: 'rate-limiter-flexible (memory)', store: 'memory', inFlight: 1, decide: (i) => rlfMem.consume(id(i)), peer: true },
    { name: 'stickynote fixed window (Redis)', store: 'redis', inFlight: CONCURRENCY, decide: ours(connect(), huge.fixed, 'bench:fw:'), peer: false },
    { name: 'stickynote GCRA (Redis)', store: 'redis', inFlight: CONCURRENCY, decide: ours(connect(), huge.gcra, 'bench:gcra:'), peer: false },
    { name: 'rate-limiter-flexible (Redis)', store: 'redis', inFlight: CONCURRENCY, decide: (i) => rlfRedis.consume(id(i)), peer: true },
  ];
  const best = new Map<string, number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < runs.length; k++) {
        const r = runs[(k + round) % runs.length];
        best.set(r.name, Math.max(best.get(r.name) ?? 0, await throughput(r.decide, r.inFlight)));
      }
    }
  } finally {
    for (const c of conns) c.disconnect();
  }
  return runs.map((r) => {
    const peer = best.get(runs.find((x) => x.peer && x.store === r.store)!.name)!;
    const ops = best.get(r.name)!;
    return { name: r.name, store: r.store, inFlight: r.inFlight, opsPerSec: ops, ratio: r.peer ? '' : `${(ops / peer).toFixed(2)}x rate-limiter-flexible` };
  });
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** Part 2 alone, for quick before/after comparisons: ours and the raw GETs, round-robin, then paired latency. */
async function redisHitOnly(list: Contender[]): Promise<void> {
  const pick = (name: string) => list.find((c) => c.name === name)!;
  const runs = [pick('stickynote (Redis)'), pick(RAW_GET), pick(RAW_GET_PARSE)];
  await runs[0].fill();
  await runs[1].fill();
  const rows: string[][] = [];
  for (const inFlight of [1, CONCURRENCY]) {
    const best = [0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < runs.length; k++) {
        const j = (k + round) % runs.length;
        best[j] = Math.max(best[j], await throughput(runs[j].hit, inFlight));
      }
    }
    rows.push(...runs.map((c, j) => [c.name, String(inFlight), Math.round(best[j]).toLocaleString('en-US'), j === 0 ? '' : `stickynote hit: ${pct(best[j] / best[0] - 1)} time`]));
  }
  const [rawLatency, oursLatency] = await pairedLatency(runs[1].hit, runs[0].hit, LATENCY_SAMPLES);
  console.log(`Redis hit overhead (${KEYS} keys, best of ${ROUNDS} x ${RUN_MS} ms)`);
  console.log(table(['contender', 'in flight', 'ops/s', 'overhead'], rows));
  console.log(`median latency, one in flight, ${LATENCY_SAMPLES} alternating pairs: raw GET ${(rawLatency * 1000).toFixed(1)} us, getOrSet hit ${(oursLatency * 1000).toFixed(1)} us (${pct(oursLatency / rawLatency - 1)})`);
}

async function main(): Promise<void> {
  if (ONLY === 'redis-hit') {
    const redis = await startRedis();
    const list = await contenders(redis.port);
    try {
      await redisHitOnly(list);
    } finally {
      await list[list.length - 1].close();
      await redis.stop();
    }
    return;
  }
  const date = new Date().toISOString();
  const machine = machineDescription();
  const peer = peerVersion();
  console.log(`bench:cache ${date}\nmachine: ${machine}\npeer: ${peer}; bentocache, cache-manager (Keyv)\n`);
  const redis = await startRedis();
  try {
    const list = await contenders(redis.port);
    for (const c of list) await c.fill();
    // Series: the in-memory stores with one call in flight; the Redis stores with one (latency-bound:
    // what one request waits) and with CONCURRENCY (throughput-bound: what a busy server gets).
    const series = [
      { group: 'memory' as const, inFlight: 1 },
      { group: 'redis' as const, inFlight: 1 },
      { group: 'redis' as const, inFlight: CONCURRENCY },
    ];
    // The raw GETs run only with CONCURRENCY in flight: one in flight, they are compared by paired latency below.
    const isRaw = (name: string) => name === RAW_GET || name === RAW_GET_PARSE;
    const runs = series.flatMap((s) =>
      list.filter((c) => c.group === s.group && (s.inFlight > 1 || !isRaw(c.name))).map((c) => ({ c, inFlight: s.inFlight, id: `${c.name}@${s.inFlight}` })),
    );
    const best = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      // Round-robin, starting one further each round.
      for (let k = 0; k < runs.length; k++) {
        const r = runs[(k + round) % runs.length];
        best.set(r.id, Math.max(best.get(r.id) ?? 0, await throughput(r.c.hit, r.inFlight)));
      }
    }
    const byName = (name: string) => list.find((c) => c.name === name)!.hit;
    const [rawLatency, oursLatency] = await pairedLatency(byName(RAW_GET), byName('stickynote (Redis)'), LATENCY_SAMPLES);
    await list[list.length - 1].close();

    const hitRows: string[][] = [];
    const hitResults: Record<string, unknown>[] = [];
    const ratios: Record<string, number> = {};
    const overheads: Record<string, { vsRawGet: number; vsRawGetJsonParse: number }> = {};
    for (const s of series) {
      const ops = (name: string) => best.get(`${name}@${s.inFlight}`)!;
      const members = list.filter((c) => c.group === s.group && c.name !== RAW_GET && c.name !== RAW_GET_PARSE);
      const ours = ops(members[0].name);
      const fastestPeer = Math.max(...members.slice(1).map((c) => ops(c.name)));
      ratios[`${s.group}@${s.inFlight}`] = Number((ours / fastestPeer).toFixed(3));
      for (const c of members) {
        const ratio = c === members[0] ? `${(ours / fastestPeer).toFixed(2)}x fastest peer` : `${(ops(c.name) / ours).toFixed(2)}x ours`;
        hitRows.push([c.name, String(s.inFlight), Math.round(ops(c.name)).toLocaleString('en-US'), ratio]);
        hitResults.push({ name: c.name, store: s.group, inFlight: s.inFlight, opsPerSec: Math.round(ops(c.name)) });
      }
      if (s.group !== 'redis' || s.inFlight === 1) continue;
      // Overhead as extra time per hit: (1/ours) / (1/raw) - 1.
      const vsRaw = ops(RAW_GET) / ours - 1;
      const vsParse = ops(RAW_GET_PARSE) / ours - 1;
      overheads[`redis@${s.inFlight}`] = { vsRawGet: Number(vsRaw.toFixed(4)), vsRawGetJsonParse: Number(vsParse.toFixed(4)) };
      hitRows.push([RAW_GET, String(s.inFlight), Math.round(ops(RAW_GET)).toLocaleString('en-US'), `stickynote hit: ${pct(vsRaw)} time`]);
      hitRows.push([RAW_GET_PARSE, String(s.inFlight), Math.round(ops(RAW_GET_PARSE)).toLocaleString('en-US'), `stickynote hit: ${pct(vsParse)} time`]);
      for (const r of [RAW_GET, RAW_GET_PARSE]) hitResults.push({ name: r, store: 'redis', inFlight: s.inFlight, opsPerSec: Math.round(ops(r)) });
    }

    const latencyOverhead = oursLatency / rawLatency - 1;
    overheads['redis@1 (median latency, paired)'] = { vsRawGet: Number(latencyOverhead.toFixed(4)), vsRawGetJsonParse: NaN };
    console.log(`getOrSet hit path (${KEYS} keys, best of ${ROUNDS} x ${RUN_MS} ms)`);
    console.log(table(['contender', 'in flight', 'ops/s', 'ratio'], hitRows));
    console.log(
      `Redis hit latency, one in flight (median of ${LATENCY_SAMPLES} alternating pairs): raw ioredis GET ${(rawLatency * 1000).toFixed(1)} us, ` +
        `stickynote getOrSet hit ${(oursLatency * 1000).toFixed(1)} us (${pct(latencyOverhead)})`,
    );

    const limiterRows = await limiterBench(redis.port);
    console.log(`\nrate limiter decisions (${KEYS} ids, best of ${ROUNDS} x ${RUN_MS} ms)`);
    console.log(table(['limiter', 'in flight', 'decisions/s', 'ratio'], limiterRows.map((r) => [r.name, String(r.inFlight), Math.round(r.opsPerSec).toLocaleString('en-US'), r.ratio])));

    // The SQLite demo, without and with the cache (embedded and on the same redis-server).
    const demo: DemoResult[] = [];
    demo.push(await usersDemo('no cache', (db, id) => db.getUser(id)));
    const embedded = createCache({ prefix: 'demo:' });
    demo.push(await usersDemo('stickynote (embedded)', (db, id) => embedded.getOrSet(`user:${id}`, () => db.getUser(id), { ttl: '5m' })));
    await embedded.close();
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    const onRedis = createCache({ store: client, prefix: `demo:${Date.now()}:` });
    await onRedis.ready(); // connection and landing subscription up before the clock starts
    demo.push(await usersDemo('stickynote (Redis)', (db, id) => onRedis.getOrSet(`user:${id}`, () => db.getUser(id), { ttl: '5m' })));
    await onRedis.close();
    client.disconnect();

    console.log(`\nSQLite users demo: ${READS} reads from 50 clients, 80% on 20% of 1000 users, ${DB_LATENCY_MS} ms per query round trip`);
    console.log(
      table(
        ['variant', 'DB queries', 'p50 ms', 'p99 ms', 'reads/s'],
        demo.map((d) => [d.variant, String(d.dbQueries), d.p50Ms.toFixed(2), d.p99Ms.toFixed(2), Math.round(d.readsPerSec).toLocaleString('en-US')]),
      ),
    );

    const file = writeResults('cache', date, {
      date,
      machine,
      peer,
      settings: { keys: KEYS, runMs: RUN_MS, rounds: ROUNDS, concurrency: CONCURRENCY, reads: READS, dbLatencyMs: DB_LATENCY_MS },
      hitPath: hitResults,
      ratiosToFastestPeer: ratios,
      redisHitOverhead: overheads,
      sqliteDemo: demo,
      rateLimiters: limiterRows.map(({ name, store, inFlight, opsPerSec }) => ({ name, store, inFlight, opsPerSec: Math.round(opsPerSec) })),
    });
    console.log(`\nresults: ${file}`);
  } finally {
    await redis.stop();
  }
}

await main();
