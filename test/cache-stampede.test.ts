import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { createCache } from '../src/cache/index.js';
import { startCluster, type RunningCluster } from './support/cluster.js';
import { run, waitUntil } from './support/process.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * Stampede across processes: 4 child processes (this file, run in child mode) × 500 concurrent
 * getOrSet on one cold key share one server; the loader counts its calls in the server.
 * Exactly one load must happen in all.
 */

interface ChildSpec {
  port: number;
  cluster: boolean;
  prefix: string;
  callers: number;
}

const PROCESSES = 4;
const CALLERS = 500;

async function child(spec: ChildSpec): Promise<void> {
  const client = spec.cluster ? new Cluster([{ host: '127.0.0.1', port: spec.port }]) : new Redis({ port: spec.port, host: '127.0.0.1' });
  const cache = createCache({ store: client, prefix: spec.prefix });
  await cache.ready();
  const counter = `${spec.prefix}#loads`;
  await client.incr(`${spec.prefix}#ready`);
  while ((await client.exists(`${spec.prefix}#go`)) === 0) await new Promise((r) => setTimeout(r, 2));
  let local = 0;
  const loader = async () => {
    local++;
    await client.incr(counter);
    await new Promise((r) => setTimeout(r, 100)); // a slow query
    return { rows: [1, 2, 3] };
  };
  const results = await Promise.all(Array.from({ length: spec.callers }, () => cache.getOrSet('report', loader)));
  const ok = results.every((r) => r.rows.length === 3);
  process.stdout.write(JSON.stringify({ local, ok, leaseWaits: cache.stats().leaseWaits }) + '\n');
  await cache.close();
  client.disconnect();
}

async function stampede(port: number, cluster: boolean, prefix: string): Promise<{ loads: number; locals: number[] }> {
  const admin = cluster ? new Cluster([{ host: '127.0.0.1', port }]) : new Redis({ port, host: '127.0.0.1' });
  try {
    const spec: ChildSpec = { port, cluster, prefix, callers: CALLERS };
    const env = { ...process.env, SN_CACHE_CHILD: JSON.stringify(spec) };
    let exited = '';
    const children = Array.from({ length: PROCESSES }, () =>
      run(process.execPath, [fileURLToPath(import.meta.url)], { env, timeoutMs: 30_000 }).then((r) => {
        if (r.code !== 0) exited ||= `child exited with ${r.code ?? r.signal}: ${r.stderr}`;
        return r;
      }),
    );
    await waitUntil(async () => {
      if (exited) throw new Error(exited);
      return Number(await admin.get(`${prefix}#ready`)) === PROCESSES;
    }, 20_000);
    await admin.set(`${prefix}#go`, '1');
    const done = await Promise.all(children);
    const locals = done.map((r) => {
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim()) as { local: number; ok: boolean };
      assert.ok(out.ok);
      return out.local;
    });
    return { loads: Number(await admin.get(`${prefix}#loads`)), locals };
  } finally {
    admin.disconnect();
  }
}

if (process.env.SN_CACHE_CHILD) {
  await child(JSON.parse(process.env.SN_CACHE_CHILD) as ChildSpec);
} else {
  describe(`stampede: ${PROCESSES} processes × ${CALLERS} callers on a cold key`, () => {
    let redis: RunningServer;
    let sticky: RunningServer;
    let cluster: RunningCluster;

    before(async () => {
      [redis, sticky, cluster] = await Promise.all([startRedis(), startStickynoteProcess(), startCluster()]);
    });
    after(async () => {
      await Promise.all([redis?.stop(), sticky?.stop(), cluster?.stop()]);
    });

    test('Redis 7.0: exactly one loader call', async () => {
      const { loads, locals } = await stampede(redis.port, false, 'st1:');
      assert.equal(loads, 1);
      assert.equal(locals.reduce((a, b) => a + b, 0), 1);
    });

    test('stickynote-server: exactly one loader call', async () => {
      const { loads, locals } = await stampede(sticky.port, false, 'st2:');
      assert.equal(loads, 1);
      assert.equal(locals.reduce((a, b) => a + b, 0), 1);
    });

    test('Redis Cluster (3 masters): exactly one loader call', async () => {
      const { loads, locals } = await stampede(cluster.nodes[0].port, true, 'st3:');
      assert.equal(loads, 1);
      assert.equal(locals.reduce((a, b) => a + b, 0), 1);
    });

    test('naive cache-aside on Redis (control): every process loads', async () => {
      // The seed's GET → load → SET, with in-process single-flight but no lease across processes.
      const client = new Redis({ port: redis.port, host: '127.0.0.1' });
      try {
        let loads = 0;
        const naive = async () => {
          const hit = await client.get('naive');
          if (hit !== null) return hit;
          loads++;
          await new Promise((r) => setTimeout(r, 50));
          await client.set('naive', 'v', 'PX', 60_000);
          return 'v';
        };
        await Promise.all(Array.from({ length: 100 }, naive));
        assert.ok(loads > 1, `naive: ${loads} loads`);
      } finally {
        client.disconnect();
      }
      // Ours, same shape: one cache per "process", one load in all.
      const clients = Array.from({ length: 4 }, () => new Redis({ port: redis.port, host: '127.0.0.1' }));
      const caches = clients.map((c) => createCache({ store: c, prefix: 'st4:' }));
      let loads = 0;
      const loader = async () => {
        loads++;
        await new Promise((r) => setTimeout(r, 50));
        return 'v';
      };
      await Promise.all(caches.flatMap((c) => Array.from({ length: 25 }, () => c.getOrSet('k', loader))));
      assert.equal(loads, 1);
      for (const c of caches) await c.close();
      for (const c of clients) c.disconnect();
    });
  });
}
