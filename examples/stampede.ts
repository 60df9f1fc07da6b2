/**
 * npm run example:stampede — the seed's cache stampede: a hot key expires and 10,000 requests for it
 * arrive at once. Each strategy starts from the expired key and prints how many queries reached the
 * SQLite database and how long the requests took:
 *
 * - naive cache-aside (the seed's Part 4 get_user): every request misses and queries the database;
 * - the seed's SETNX lock (Part 3 get_heavy_data): one request loads, the others sleep 100 ms and retry;
 * - stickynote getOrSet: single-flight in the process plus a load lease across processes; waiters are
 *   told when the value lands;
 * - getOrSet with grace: the expired value is served while one request refreshes it.
 *
 * On a server (REDIS_PORT=…), naive and getOrSet run again with the requests spread over PROCESSES
 * (default 4) processes released at once, as on several app servers: in-process single-flight alone
 * would give one query per process; the load lease gives one in all.
 *
 * REQUESTS (default 10000), DB_LATENCY_MS (default 20: an expensive query).
 */
import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createCache, type Store } from '../src/cache/index.js';
import { UsersDb, type User } from './db.js';
import { envInt, exampleStore } from './store.js';

const HOT_ID = 1;

interface Outcome {
  strategy: string;
  queries: number;
  p50: number;
  p99: number;
  totalMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Fires `n` concurrent requests and measures each one. */
async function storm(n: number, request: () => Promise<unknown>): Promise<{ latencies: number[]; totalMs: number }> {
  const started = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: n }, async () => {
      const t = performance.now();
      await request();
      return performance.now() - t;
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), totalMs: performance.now() - started };
}

/** The seed's Part 4 get_user: GET, on a miss query the database and SET with a TTL. */
async function naive(store: Store, db: UsersDb, key: string): Promise<User | undefined> {
  const cached = await store.get(key);
  if (cached !== null) return JSON.parse(cached) as User;
  const user = await db.getUser(HOT_ID);
  await store.set(key, JSON.stringify(user), { px: 300_000 });
  return user;
}

/** The seed's Part 3 get_heavy_data: SET lock NX EX 10; the winner loads, the others sleep 100 ms and retry. */
async function seedLock(store: Store, db: UsersDb, key: string): Promise<User | undefined> {
  for (;;) {
    const cached = await store.get(key);
    if (cached !== null) return JSON.parse(cached) as User;
    if (await store.set(`lock:${key}`, '1', { nx: true, px: 10_000 })) {
      const user = await db.getUser(HOT_ID);
      await store.set(key, JSON.stringify(user), { px: 300_000 });
      await store.unlink([`lock:${key}`]);
      return user;
    }
    await sleep(100);
  }
}

type Strategy = 'naive' | 'getOrSet';

/** What one worker process measured. */
interface WorkerReport {
  queries: number;
  latencies: number[];
}

/** The same storm from `processes` processes at once; each has its own database connection. */
async function acrossProcesses(strategy: Strategy, prefix: string, requests: number, processes: number): Promise<Omit<Outcome, 'strategy'>> {
  const workers = Array.from({ length: processes }, (_, w) =>
    fork(fileURLToPath(import.meta.url), ['worker', strategy, prefix, String(Math.floor(requests / processes) + (w < requests % processes ? 1 : 0))], { stdio: 'inherit' }),
  );
  // Each worker says 'ready', then sends its report; dying before either fails the run (no hang).
  const ready: Promise<void>[] = [];
  const reports: Promise<WorkerReport>[] = [];
  for (const w of workers) {
    const exited = new Promise<never>((_, reject) => w.once('exit', (code) => reject(new Error(`stampede worker exited with ${code}`))));
    exited.catch(() => {});
    ready.push(Promise.race([new Promise<void>((resolve) => w.on('message', (m) => m === 'ready' && resolve())), exited]));
    reports.push(Promise.race([new Promise<WorkerReport>((resolve) => w.on('message', (m: WorkerReport | 'ready') => m !== 'ready' && resolve(m))), exited]));
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    for (const w of workers) w.kill();
    throw e;
  }
  const started = performance.now();
  for (const w of workers) w.send('go'); // released together, as a burst hitting several app servers
  const done = await Promise.all(reports);
  const totalMs = performance.now() - started;
  const latencies = done.flatMap((d) => d.latencies).sort((a, b) => a - b);
  return { queries: done.reduce((a, d) => a + d.queries, 0), p50: percentile(latencies, 50), p99: percentile(latencies, 99), totalMs };
}

/** A worker process: connects, says ready, fires its share on 'go', reports its queries and latencies. */
async function worker(strategy: Strategy, prefix: string, requests: number, latencyMs: number): Promise<void> {
  process.on('disconnect', () => process.exit(1)); // the parent is gone
  const db = new UsersDb({ users: 10, latencyMs });
  const backend = exampleStore();
  const cache = createCache({ store: backend.store, prefix: `${prefix}cache:` });
  await cache.ready();
  const request =
    strategy === 'naive'
      ? () => naive(backend.store, db, `${prefix}naive-procs:user:${HOT_ID}`)
      : () => cache.getOrSet(`procs:user:${HOT_ID}`, () => db.getUser(HOT_ID), { ttl: '5m' });
  process.send!('ready');
  await new Promise((r) => process.once('message', r));
  const { latencies } = await storm(requests, request);
  process.send!({ queries: db.queries, latencies } satisfies WorkerReport);
  await cache.close();
  await backend.close();
  db.close();
  process.disconnect();
}

export async function runStampede(requests: number, latencyMs: number, log = console.log): Promise<Outcome[]> {
  const db = new UsersDb({ users: 10, latencyMs });
  const backend = exampleStore();
  const store = backend.store;
  const prefix = `stampede:${process.pid}:`;
  const outcomes: Outcome[] = [];
  /** `settle`: waits for work the requests left running in the background before counting queries. */
  const measure = async (strategy: string, expire: () => Promise<void>, request: () => Promise<unknown>, settle?: () => Promise<void>) => {
    await expire();
    const before = db.queries;
    const { latencies, totalMs } = await storm(requests, request);
    await settle?.();
    outcomes.push({ strategy, queries: db.queries - before, p50: percentile(latencies, 50), p99: percentile(latencies, 99), totalMs });
  };
  const cache = createCache({ store, prefix: `${prefix}cache:` });
  try {
    log(`${requests} concurrent requests for one expired hot key; the query takes ${latencyMs} ms; cache on the ${backend.describe}\n`);
    const naiveKey = `${prefix}naive:user:${HOT_ID}`;
    await measure('naive cache-aside (seed Part 4)', () => store.unlink([naiveKey]).then(() => {}), () => naive(store, db, naiveKey));
    const lockKey = `${prefix}lock:user:${HOT_ID}`;
    await measure('SETNX lock + sleep 100 ms (seed Part 3)', () => store.unlink([lockKey]).then(() => {}), () => seedLock(store, db, lockKey));
    const key = `user:${HOT_ID}`;
    await measure('stickynote getOrSet', () => cache.delete(key).then(() => {}), () => cache.getOrSet(key, () => db.getUser(HOT_ID), { ttl: '5m' }));
    const graceKey = `grace:user:${HOT_ID}`;
    await measure(
      'stickynote getOrSet, grace (serve stale)',
      async () => {
        // Written with a 1 ms TTL and a minute of grace: expired, but still servable while one request refreshes.
        await cache.set(graceKey, await db.getUser(HOT_ID), { ttl: 1, grace: '1m', jitter: false });
        await sleep(5);
      },
      () => cache.getOrSet(graceKey, () => db.getUser(HOT_ID), { ttl: '5m', grace: '1m' }),
      () => sleep(latencyMs + 20), // the one refresh runs in the background
    );
    const processes = envInt('PROCESSES', 4);
    if (store.kind === 'redis' && processes > 1) {
      await store.unlink([`${prefix}naive-procs:user:${HOT_ID}`]);
      outcomes.push({ strategy: `naive cache-aside, ${processes} processes`, ...(await acrossProcesses('naive', prefix, requests, processes)) });
      await cache.delete(`procs:user:${HOT_ID}`);
      outcomes.push({ strategy: `stickynote getOrSet, ${processes} processes`, ...(await acrossProcesses('getOrSet', prefix, requests, processes)) });
    }
  } finally {
    await cache.close();
    await backend.close();
    db.close();
  }
  const rows = outcomes.map((o) => [o.strategy, String(o.queries), o.p50.toFixed(1), o.p99.toFixed(1), o.totalMs.toFixed(0)]);
  const head = ['strategy', 'DB queries', 'p50 ms', 'p99 ms', 'total ms'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log(line(head));
  for (const r of rows) log(line(r));
  return outcomes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const latencyMs = Number(process.env.DB_LATENCY_MS ?? 20);
  if (process.argv[2] === 'worker') await worker(process.argv[3] as Strategy, process.argv[4], Number(process.argv[5]), latencyMs);
  else await runStampede(envInt('REQUESTS', 10_000), latencyMs);
}
