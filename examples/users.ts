/**
 * npm run example:users — the seed's Python cookbook as a TypeScript service on a real SQLite database:
 *
 * 1. cache-aside reads (getOrSet: try the cache, on a miss query the database and store with a TTL),
 * 2. invalidate on write (update the database, then delete the cached entry at once),
 * 3. a 100-requests-per-minute rate limit per client (the seed's INCR+EXPIRE, atomic),
 * 4. a skewed read workload from concurrent clients: database queries vs. requests.
 *
 * Sizes: USERS (default 1000), READS (default 20000), CLIENTS (default 50), DB_LATENCY_MS (default 2).
 * REDIS_PORT=6379 runs it on a Redis-protocol server instead of the embedded engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCache, RateLimiter, type Cache } from '../src/cache/index.js';
import { UsersDb, type User } from './db.js';
import { envInt, exampleStore } from './store.js';

export class UsersService {
  constructor(
    private readonly db: UsersDb,
    private readonly cache: Cache,
  ) {}

  /** Cache-aside: the cache first; on a miss one database query, stored for 5 minutes. */
  getUser(id: number): Promise<User | undefined> {
    // Unknown ids are cached briefly too, so a client asking for missing users cannot bypass the cache.
    return this.cache.getOrSet(`user:${id}`, () => this.db.getUser(id), { ttl: '5m', negativeTtl: '30s' });
  }

  /** Invalidate on write: the database first, then the cached copy is deleted immediately. */
  async updateUser(id: number, fields: { name: string; plan: string }): Promise<void> {
    await this.db.updateUserFields(id, fields);
    await this.cache.delete(`user:${id}`);
  }
}

type Response<T> = { status: 200; body: T } | { status: 429; retryAfterMs: number };

/** An API endpoint behind a per-client limit of 100 requests per minute. */
async function handle<T>(limiter: RateLimiter, clientId: string, work: () => Promise<T>): Promise<Response<T>> {
  const decision = await limiter.limit(clientId);
  if (!decision.allowed) return { status: 429, retryAfterMs: decision.retryAfter };
  return { status: 200, body: await work() };
}

/** A user id, 80% of the time among the 20% hottest users. */
function skewedId(users: number): number {
  const hot = Math.max(1, Math.floor(users / 5));
  return Math.random() < 0.8 ? 1 + Math.floor(Math.random() * hot) : 1 + Math.floor(Math.random() * users);
}

async function main(): Promise<void> {
  const users = envInt('USERS', 1000);
  const reads = envInt('READS', 20_000);
  const clients = envInt('CLIENTS', 50);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stickynote-users-'));
  const db = new UsersDb({ path: path.join(dir, 'users.db'), users, latencyMs: Number(process.env.DB_LATENCY_MS ?? 2) });
  const backend = exampleStore();
  const prefix = `users-example:${process.pid}:`;
  const cache = createCache({ store: backend.store, prefix });
  const limiter = new RateLimiter(backend.store, { algorithm: 'fixed-window', limit: 100, window: '1m', prefix: `${prefix}rl:` });
  const service = new UsersService(db, cache);
  console.log(`users service: SQLite ${path.join(dir, 'users.db')} (${users} users), cache on the ${backend.describe}\n`);

  try {
    console.log('1. cache-aside');
    const first = await service.getUser(42);
    console.log(`   getUser(42) -> ${JSON.stringify(first)}   database queries: ${db.queries} (miss)`);
    await service.getUser(42);
    console.log(`   getUser(42) again                                database queries: ${db.queries} (hit)`);

    console.log('2. invalidate on write');
    await service.updateUser(42, { name: 'Ada Lovelace', plan: 'pro' });
    const updated = await service.getUser(42);
    console.log(`   updateUser(42) then getUser(42) -> ${updated?.name} (${updated?.plan})   database queries: ${db.queries} (update + reload)`);

    console.log('3. rate limit: 100 requests per minute per client');
    const statuses = new Map<number, number>();
    let retryAfter = 0;
    for (let i = 0; i < 120; i++) {
      const r = await handle(limiter, 'client:alice', () => service.getUser(1 + (i % 10)));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429 && retryAfter === 0) retryAfter = r.retryAfterMs;
    }
    console.log(`   alice sent 120: ${statuses.get(200) ?? 0} x 200, ${statuses.get(429) ?? 0} x 429 (Retry-After ${Math.ceil(retryAfter / 1000)} s)`);
    const bob = await handle(limiter, 'client:bob', () => service.getUser(7));
    console.log(`   bob, meanwhile: ${bob.status}`);

    console.log(`4. workload: ${reads} reads from ${clients} concurrent clients, 80% on the hottest 20% of users`);
    const before = { queries: db.queries, ...cache.stats() };
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < reads) {
          next++;
          await service.getUser(skewedId(users));
        }
      }),
    );
    const ms = performance.now() - started;
    const stats = cache.stats();
    const queries = db.queries - before.queries;
    const hits = stats.hits - before.hits;
    console.log(`   ${reads} reads -> ${queries} database queries (${((100 * hits) / reads).toFixed(1)}% cache hits), ${Math.round(reads / (ms / 1000))} reads/s`);
    console.log(`   without the cache: ${reads} database queries`);
  } finally {
    await cache.close();
    await backend.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
