/**
 * Sorted-set scaling check: ZADD then ZRANK per operation on a 1K-member and a 1M-member sorted
 * set, through the embedded engine (command dispatch included). With an O(log n) skiplist the
 * per-op time at 1M stays within 2x of the 1K case. Prints both; not a test.
 *
 *   npx tsc -p . && node dist/bench/zset-scale.js
 */
import { Engine } from '../src/embedded.js';

const OPS = 200_000;

function fill(engine: Engine, key: string, n: number): void {
  const batch = 1000;
  for (let i = 0; i < n; i += batch) {
    const args: string[] = [];
    for (let j = i; j < Math.min(n, i + batch); j++) args.push(String(Math.random() * 1e9), `member:${j}`);
    engine.call('ZADD', key, ...args);
  }
}

/** Nanoseconds per op of `op(i)` over OPS iterations. */
function time(op: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) op(i);
  return Number(process.hrtime.bigint() - start) / OPS;
}

function measure(size: number): { zadd: number; zrank: number } {
  const engine = new Engine();
  const key = `z${size}`;
  fill(engine, key, size);
  // ZADD updates existing members to new random scores, so the set keeps its size.
  const zadd = time((i) => engine.call('ZADD', key, String(Math.random() * 1e9), `member:${i % size}`));
  const zrank = time((i) => engine.call('ZRANK', key, `member:${(i * 7919) % size}`));
  return { zadd, zrank };
}

const small = measure(1_000);
const large = measure(1_000_000);
const rows = [
  ['op', '1K ns/op', '1M ns/op', 'ratio'],
  ['ZADD', small.zadd.toFixed(0), large.zadd.toFixed(0), (large.zadd / small.zadd).toFixed(2)],
  ['ZRANK', small.zrank.toFixed(0), large.zrank.toFixed(0), (large.zrank / small.zrank).toFixed(2)],
];
for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(6) : c.padStart(10))).join(' '));
