/**
 * npm run bench:hitratio — replays the traces in ../shared/traces/ (read in place) through each
 * eviction policy at the README's cache sizes, and through a real redis-server 7.0 with
 * allkeys-lru and allkeys-lfu sized to the same resident key count (bytes for cloudPhysicsIO).
 * Prints one table and writes bench/results/hitratio-<date>.json.
 *
 * Simulated policies see a virtual clock of 100k requests/s (about the rate of the Redis
 * replay), which is what Redis's 1 s LRU clock and LFU decay see in the real replay.
 *
 * Redis replay: each request is one EVALSHA of a script doing GET and, on a miss, SET (value of
 * the trace's size, built server-side), so the order of GET/SET is exactly the trace's while
 * requests are pipelined in batches of 100. Redis evicts before each command as usual.
 * Sizing: bisection on maxmemory; each probe does FLUSHALL, sets maxmemory, inserts 1.5 x
 * capacity fresh keys (1.1 x for bytes) (same key/value shape as the trace's) and reads DBSIZE; we keep the
 * smallest maxmemory holding `capacity` keys. Then FLUSHALL and replay; about 400 times during
 * the replay DBSIZE is sampled and, once Redis evicts, maxmemory is corrected by half the error
 * (Redis's own overhead drifts: query buffer, dict tables). The table shows the mean resident
 * count. For bytes, the same with the sum of resident value sizes (STRLEN over all keys).
 * Env: REDIS_PREFIX_ORM (default: all 5M requests) limits the orm-busy replay through Redis to a prefix;
 * our policies are also run on that prefix for the comparison (marked * in the table).
 * BENCH_TRACES=gli,oltp runs only the traces whose file name contains one of the words.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { ExactLru, RandomPolicy, RedisLfu, S3Fifo, SampledLru, WTinyLfu, seededRng, type EvictionPolicy } from '../src/engine/eviction/index.js';
import { simulate } from '../src/engine/eviction/simulate.js';
import { RawClient } from '../test/support/raw-client.js';
import { startRedis } from '../test/support/servers.js';
import { readInt32Gz, readInt32Xz, readLirs, readOracleGeneral, xzAvailable, type Trace } from './traces.js';

const MiB = 1 << 20;
const RATE = 100_000;
const BATCH = 100;
const INT_VALUE_SIZE = 8;
/** About what Redis 7 spends per small string key (dict entry, key sds, embstr value). */
const INT_KEY_BYTES = 80;
const ORM_PREFIX = Number(process.env.REDIS_PREFIX_ORM ?? 5_000_000);

interface SizeSpec {
  capacity: number;
  label: string;
  publishedLru: number | null;
  publishedWTinyLfu: string;
}

interface TraceSpec {
  load: () => Trace;
  sizes: SizeSpec[];
  redisPrefix?: number;
}

const size = (capacity: number, label: string, publishedLru: number | null, publishedWTinyLfu: string): SizeSpec => ({ capacity, label, publishedLru, publishedWTinyLfu });

const TRACES: TraceSpec[] = [
  { load: () => readLirs('gli.trace.gz', 'glimpse'), sizes: [size(500, '500', 0.95, '33.08'), size(1000, '1000', 11.21, '50.57'), size(2000, '2000', 57.41, '57.96')] },
  { load: () => readInt32Gz('trace-oltp.trc.bin.gz', 'OLTP'), sizes: [size(1000, '1000', 32.83, '40.01'), size(2000, '2000', 42.47, '46.09'), size(10000, '10000', 60.7, '-')] },
  {
    load: () => readInt32Xz('orm-busy.trace.xz', 'orm-busy'),
    sizes: [size(625, '625', 70.84, '(57.13 na)'), size(5000, '5000', 85.46, '(83.15 na)'), size(20000, '20000', 93.6, '(94.40 na)')],
    redisPrefix: ORM_PREFIX,
  },
  {
    load: () => readOracleGeneral('cloudPhysicsIO.oracleGeneral.bin', 'cloudPhysicsIO'),
    sizes: [size(128 * MiB, '128MiB', 18.0, '-'), size(512 * MiB, '512MiB', 28.23, '-'), size(1024 * MiB, '1GiB', 37.03, '-')],
  },
];

/** Our policies, fresh for one replay; `now` is the virtual clock. */
function policies(capacity: number, weighted: boolean, now: () => number): EvictionPolicy[] {
  return [
    new ExactLru(),
    new SampledLru(seededRng(11), now),
    new RedisLfu(seededRng(12), now),
    new RandomPolicy(seededRng(13)),
    new S3Fifo(capacity),
    new WTinyLfu(capacity, seededRng(14), { weighted }),
  ];
}

/** Hit ratio (%) of each policy on the first `n` requests. */
function simulateAll(t: Trace, capacity: number, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  let now = 0;
  const keys = n < t.keys.length ? t.keys.subarray(0, n) : t.keys;
  for (const p of policies(capacity, t.sizes !== null, () => now)) {
    const r = simulate(p, keys, t.hashes, t.sizes, capacity, (i) => {
      now = (i * 1000) / RATE;
    });
    out[p.name] = (100 * r.hits) / r.requests;
  }
  return out;
}

// ---- Redis replay ---------------------------------------------------------------------------

const SCRIPT = "if redis.call('GET', KEYS[1]) then return 1 end redis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1]))) return 0";
const RESIDENT_BYTES = "local s = 0 for _, k in ipairs(redis.call('KEYS', '*')) do s = s + redis.call('STRLEN', k) end return s";

/** A pipelining connection that only expects integer replies (the script's 0/1 and DBSIZE). */
class IntPipe {
  private pending = 0;
  private values: number[] = [];
  private partial = '';
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static connect(port: number): Promise<IntPipe> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host: '127.0.0.1' }, () => resolve(new IntPipe(s)));
      s.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    const text = this.partial + chunk.toString('latin1');
    let start = 0;
    for (let nl = text.indexOf('\r\n'); nl !== -1; nl = text.indexOf('\r\n', start)) {
      const line = text.slice(start, nl);
      start = nl + 2;
      // An OOM error (a sizing probe below Redis's own baseline) counts as a miss.
      if (line.startsWith('-OOM')) this.values.push(0);
      else if (line[0] === ':') this.values.push(Number(line.slice(1)));
      else throw new Error(`unexpected reply from Redis: ${line}`);
    }
    this.partial = text.slice(start);
    if (this.values.length >= this.pending && this.wake) this.wake();
  }

  /** Sends pre-encoded commands and resolves with their integer replies. */
  async run(payload: string, count: number): Promise<number[]> {
    this.pending = count;
    this.values = [];
    const done = new Promise<void>((r) => (this.wake = r));
    this.socket.write(payload, 'latin1');
    if (this.values.length < count) await done;
    this.wake = null;
    return this.values;
  }

  close(): void {
    this.socket.destroy();
  }
}

function bulk(s: string): string {
  return `$${s.length}\r\n${s}\r\n`;
}

async function info(c: RawClient, field: string, section = 'memory'): Promise<number> {
  const r = await c.send('INFO', section);
  const m = new RegExp(`${field}:(\\d+)`).exec(String((r.reply as { v: string }).v));
  return Number(m?.[1] ?? NaN);
}

async function intReply(c: RawClient, ...args: string[]): Promise<number> {
  const r = await c.send(...args);
  if (r.reply.t !== 'int') throw new Error(`${args[0]}: ${JSON.stringify(r.reply)}`);
  return Number(r.reply.v);
}

interface RedisRun {
  hitRatio: number;
  requests: number;
  maxmemory: number;
  /** Mean resident keys (or value bytes) sampled during the replay once the cache was full. */
  residentMean: number;
  residentMin: number;
  residentMax: number;
  seconds: number;
}

class RedisReplay {
  private sha = '';
  private constructor(
    private readonly ctl: RawClient,
    private readonly pipe: IntPipe,
    private readonly t: Trace,
    private readonly weighted: boolean,
  ) {}

  static async open(port: number, t: Trace): Promise<RedisReplay> {
    const r = new RedisReplay(await RawClient.connect(port), await IntPipe.connect(port), t, t.sizes !== null);
    const loaded = await r.ctl.send('SCRIPT', 'LOAD', SCRIPT);
    r.sha = String((loaded.reply as { v: string }).v);
    return r;
  }

  close(): void {
    this.ctl.close();
    this.pipe.close();
  }

  private sizeOf(id: number): number {
    return this.t.sizes ? this.t.sizes[id] : INT_VALUE_SIZE;
  }

  private command(key: string, valueSize: number): string {
    return `*5\r\n$7\r\nEVALSHA\r\n$40\r\n${this.sha}\r\n$1\r\n1\r\n${bulk(key)}${bulk(String(valueSize))}`;
  }

  /** Runs the GET/SET-on-miss script for trace ids; returns the number of hits. */
  private async requests(ids: ArrayLike<number>, keyOf: (i: number) => string): Promise<number> {
    let hits = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const end = Math.min(ids.length, i + BATCH);
      let payload = '';
      for (let j = i; j < end; j++) payload += this.command(keyOf(j), this.sizeOf(ids[j]));
      for (const v of await this.pipe.run(payload, end - i)) hits += v;
    }
    return hits;
  }

  /** Resident count in the unit of the capacity: keys, or bytes of values. */
  private resident(): Promise<number> {
    return this.weighted ? intReply(this.ctl, 'EVAL', RESIDENT_BYTES, '0') : intReply(this.ctl, 'DBSIZE');
  }

  /** Distinct ids in first-appearance order are 0..unique-1; ids past the trace get synthetic keys. */
  private keyName(id: number): string {
    return id < this.t.unique ? String(this.t.originals[id]) : `s:${id}`;
  }

  /**
   * Finds the maxmemory at which `capacity` keys (or bytes) stay resident: bisection, each probe
   * starting from FLUSHALL (as the replay does) and inserting 1.5 x capacity fresh keys.
   */
  async size(capacity: number): Promise<{ maxmemory: number; perUnit: number }> {
    const base = await info(this.ctl, 'used_memory');
    // Redis needs more than the payload per key: start above the payload and widen if needed.
    let lo = this.weighted ? base + capacity : base;
    let hi = base + (this.weighted ? capacity * 1.25 : capacity * 200);
    while ((await this.probe(capacity, hi)) < capacity) hi += hi - base;
    for (let round = 0; round < (this.weighted ? 7 : 14) && hi - lo > 64; round++) {
      const mid = Math.round((lo + hi) / 2);
      const resident = await this.probe(capacity, mid);
      if (process.env.BENCH_DEBUG) console.error(`size ${capacity}: maxmemory ${mid} resident ${resident}`);
      if (resident < capacity) lo = mid;
      else hi = mid;
    }
    await this.ctl.send('FLUSHALL');
    // Marginal cost per key (or byte); for small keys the bisection's figure includes fixed overhead.
    const perUnit = (hi - base) / capacity;
    return { maxmemory: hi, perUnit: this.weighted ? perUnit : Math.min(perUnit, INT_KEY_BYTES) };
  }

  /** Resident keys (or bytes) after filling an empty Redis past `maxmemory`. */
  private async probe(capacity: number, maxmemory: number): Promise<number> {
    await this.ctl.send('FLUSHALL');
    await this.ctl.send('CONFIG', 'SET', 'maxmemory', String(maxmemory));
    let n = 0;
    for (let filled = 0; filled < capacity * (this.weighted ? 1.1 : 1.5); n++) filled += this.weighted ? this.t.sizes![n % this.t.unique] : 1;
    const ids = Int32Array.from({ length: n }, (_, i) => i % this.t.unique);
    await this.requests(ids, (i) => this.keyName(this.t.unique + i));
    return this.resident();
  }

  /**
   * Replays the first `n` requests. Between slices of about n/400 requests it samples the
   * resident count and, once Redis is evicting, nudges maxmemory by half the error times the
   * bytes per key: Redis's own overhead (query buffer, dict tables) drifts during a long replay,
   * and the point is to compare at the same resident count.
   */
  async replay(capacity: number, maxmemory: number, n: number, perUnit: number): Promise<RedisRun> {
    const start = Date.now();
    const keys = this.t.keys;
    const every = Math.max(BATCH, Math.floor(n / 400 / BATCH) * BATCH);
    const samples: number[] = [];
    let hits = 0;
    let limit = maxmemory;
    let evicted = 0;
    for (let i = 0; i < n; i += every) {
      const ids = keys.subarray(i, Math.min(n, i + every));
      hits += await this.requests(ids, (j) => String(this.t.originals[ids[j]]));
      const resident = await this.resident();
      // Only a cache at its limit (it evicted during this slice) says how many keys the limit holds.
      const total = await info(this.ctl, 'evicted_keys', 'stats');
      const evicting = total > evicted;
      evicted = total;
      if (!evicting && resident <= capacity) continue;
      samples.push(resident);
      // Half the error, at most 5% of the capacity per step, so jumps in Redis's overhead (a dict
      // table doubling) cannot swing the limit below what the keys need.
      const step = Math.max(-0.05, Math.min(0.05, (capacity - resident) / capacity / 2));
      limit = Math.round(limit + step * capacity * perUnit);
      await this.ctl.send('CONFIG', 'SET', 'maxmemory', String(limit));
    }
    const mean = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : NaN;
    return {
      hitRatio: (100 * hits) / n,
      requests: n,
      maxmemory,
      residentMean: mean,
      residentMin: samples.length ? Math.min(...samples) : NaN,
      residentMax: samples.length ? Math.max(...samples) : NaN,
      seconds: (Date.now() - start) / 1000,
    };
  }
}

async function redisRun(t: Trace, policy: string, capacity: number, n: number): Promise<RedisRun> {
  const server = await startRedis(['--maxmemory-policy', policy]);
  try {
    const r = await RedisReplay.open(server.port, t);
    try {
      const { maxmemory, perUnit } = await r.size(capacity);
      return await r.replay(capacity, maxmemory, n, perUnit);
    } finally {
      r.close();
    }
  } finally {
    await server.stop();
  }
}

// ---- table ------------------------------------------------------------------------------------

const SIM_COLUMNS = ['allkeys-lru', 'redis-lru', 'allkeys-lfu', 'allkeys-random', 'allkeys-s3fifo', 'allkeys-wtinylfu'];

function pad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = `${os.cpus().length}x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  console.log(`bench:hitratio ${date}\nmachine: ${machine}\npeer: ${redisVersion}\n`);
  if (!xzAvailable()) throw new Error('orm-busy needs the xz CLI (Debian package xz-utils)');

  const rows: Record<string, unknown>[] = [];
  const header = ['trace', 'size', 'pub LRU', 'pub WTLFU', ...SIM_COLUMNS, 'Redis lru', 'Redis lfu', 'resident(lru/lfu)'];
  const widths = [15, 7, 8, 10, 11, 9, 11, 14, 14, 16, 9, 9, 22];
  const line = (cells: string[]) => console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : pad(c, widths[i]))).join(' '));
  const out: string[][] = [];
  const only = process.env.BENCH_TRACES?.split(',');
  for (const spec of TRACES) {
    if (only && !only.some((n) => spec.load.toString().includes(n))) continue;
    const t = spec.load();
    const prefix = Math.min(spec.redisPrefix ?? t.keys.length, t.keys.length);
    for (const s of spec.sizes) {
      const sim = simulateAll(t, s.capacity, t.keys.length);
      const simPrefix = prefix < t.keys.length ? simulateAll(t, s.capacity, prefix) : sim;
      const lru = await redisRun(t, 'allkeys-lru', s.capacity, prefix);
      const lfu = await redisRun(t, 'allkeys-lfu', s.capacity, prefix);
      const fmt = (v: number) => v.toFixed(2);
      const star = prefix < t.keys.length ? '*' : '';
      const res = (r: RedisRun) => (t.sizes ? `${(r.residentMean / MiB).toFixed(0)}M` : r.residentMean.toFixed(0));
      const cells = [t.name, s.label, s.publishedLru?.toFixed(2) ?? '-', s.publishedWTinyLfu, ...SIM_COLUMNS.map((c) => fmt(sim[c])), fmt(lru.hitRatio) + star, fmt(lfu.hitRatio) + star, `${res(lru)}/${res(lfu)}`];
      out.push(cells);
      if (star) out.push(['', `${s.label}*`, '', '', ...SIM_COLUMNS.map((c) => fmt(simPrefix[c])), '', '', '']);
      rows.push({ trace: t.name, size: s.label, capacity: s.capacity, requests: t.keys.length, published: { lru: s.publishedLru, wtinylfu: s.publishedWTinyLfu }, simulated: sim, redisPrefix: prefix, simulatedOnRedisPrefix: simPrefix, redis: { 'allkeys-lru': lru, 'allkeys-lfu': lfu } });
      console.error(`done ${t.name} ${s.label}: redis ${lru.seconds.toFixed(0)}s + ${lfu.seconds.toFixed(0)}s`);
    }
  }
  line(header);
  for (const cells of out) line(cells);
  console.log(
    `\nHit ratios in %. pub = published (traces README; "na" = non-adaptive W-TinyLFU). redis-lru and allkeys-lfu are our` +
      ` simulations of Redis's sampled policies (virtual clock ${RATE / 1000}k requests/s); Redis lru/lfu = real ${redisVersion.split(' ')[2] ?? ''}` +
      ` replaying GET + SET-on-miss (one EVALSHA per request, pipelined by ${BATCH}), maxmemory sized by bisection and kept` +
      ` so the resident keys (bytes of values for cloudPhysicsIO) match the capacity; resident = mean during the replay.` +
      (ORM_PREFIX < 5_000_000 ? `\n* Redis replayed only the first ${ORM_PREFIX} orm-busy requests; the *-row gives our policies on that same prefix.` : ''),
  );
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/hitratio-${date.slice(0, 10)}.json`;
  writeFileSync(file, JSON.stringify({ date, machine, peer: redisVersion, virtualRate: RATE, batch: BATCH, rows }, null, 2) + '\n');
  console.log(`results: ${file}`);
}

await main();
