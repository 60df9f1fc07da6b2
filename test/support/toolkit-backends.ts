import { createClient } from '@redis/client';
import { Cluster, Redis } from 'ioredis';
import { EmbeddedStore } from '../../src/cache/stores/embedded.js';
import { RedisStore } from '../../src/cache/stores/redis.js';
import type { Store } from '../../src/cache/stores/types.js';
import { Engine } from '../../src/embedded.js';
import { ManualClock } from '../../src/engine/clock.js';
import { startCluster } from './cluster.js';
import { startRedis, startStickynoteProcess } from './servers.js';

/**
 * The stores the toolkit's rate limiters and locks are tested on: the embedded engine (with a
 * ManualClock; JS twins and the engine's own Lua), stickynote-server, Redis 7.0 through ioredis and node-redis, and a 3-master Redis
 * Cluster. Each `connect()` opens a store on a connection of its own, as another process would.
 */
export interface Backend {
  name: string;
  connect(): Promise<Store>;
  /** The engine's clock on the embedded backend (server backends run on real time). */
  clock?: ManualClock;
}

export interface Backends {
  list: Backend[];
  close(): Promise<void>;
}

export async function startBackends(options: { cluster?: boolean; nodeRedis?: boolean } = {}): Promise<Backends> {
  const stops: (() => Promise<void> | void)[] = [];
  const list: Backend[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const clock = new ManualClock(1_700_000_000_000);
    const engine = new Engine({ clock });
    list.push({ name: 'embedded', clock, connect: async () => new EmbeddedStore(engine.session()) });
    // The same engine running the Lua scripts themselves (its own EVAL) instead of their JS twins.
    list.push({ name: 'embedded (Lua)', clock, connect: async () => new EmbeddedStore(engine.session(), { scripts: 'lua' }) });

    const ioredisOn = (port: number) => async () => {
      const c = new Redis({ port, host: '127.0.0.1' });
      stops.push(() => c.disconnect());
      return new RedisStore(c);
    };
    const [ours, redis, cluster] = await Promise.all([startStickynoteProcess(), startRedis(), options.cluster === false ? undefined : startCluster()]);
    stops.push(() => ours.stop(), () => redis.stop());
    if (cluster) stops.push(() => cluster.stop());

    list.push({ name: 'stickynote-server', connect: ioredisOn(ours.port) });
    list.push({ name: `redis ${redis.version}`, connect: ioredisOn(redis.port) });
    if (options.nodeRedis !== false) {
      list.push({
        name: `redis ${redis.version} (node-redis)`,
        connect: async () => {
          const c = createClient({ socket: { port: redis.port, host: '127.0.0.1' } });
          await c.connect();
          stops.push(() => c.destroy());
          return new RedisStore(c);
        },
      });
    }
    if (cluster) {
      list.push({
        name: 'redis cluster (3 masters)',
        connect: async () => {
          const c = new Cluster(cluster.nodes);
          stops.push(() => c.disconnect());
          return new RedisStore(c);
        },
      });
    }
    return { list, close };
  } catch (e) {
    await close();
    throw e;
  }
}
