/**
 * A separate process for the toolkit's cross-process tests: `node toolkit-worker.js <port> <task>`.
 * - `limit <prefix> <calls>`: fires <calls> concurrent GCRA decisions on one id, prints the admitted count;
 * - `lock <prefix> <rounds>`: <rounds> times, under withLock, reads a counter key, waits, writes it +1
 *   (a lost update without mutual exclusion); prints the fences it held as JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Locks } from '../../src/cache/locks/index.js';
import { RateLimiter } from '../../src/cache/ratelimit/index.js';

const [port, task, prefix, count] = process.argv.slice(2);
const client = new Redis({ port: Number(port), host: '127.0.0.1' });
try {
  if (task === 'limit') {
    const rl = new RateLimiter(client, { algorithm: 'gcra', limit: 25, period: '1h', prefix });
    const results = await Promise.all(Array.from({ length: Number(count) }, () => rl.limit('shared')));
    console.log(results.filter((r) => r.allowed).length);
  } else if (task === 'lock') {
    const locks = new Locks(client, { prefix, retryDelay: 2, wait: '30s' });
    const fences: number[] = [];
    for (let i = 0; i < Number(count); i++) {
      await locks.withLock('counter', async (lock) => {
        fences.push(lock.fence);
        const n = Number((await client.get(`${prefix}value`)) ?? 0);
        await sleep(1);
        await client.set(`${prefix}value`, String(n + 1));
      });
    }
    console.log(JSON.stringify(fences));
  }
} finally {
  client.disconnect();
}
