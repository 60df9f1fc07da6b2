import { hashSlot } from './keys.js';
import type { Script, SetOptions, Store, StoreReply, Subscription, Tracking, TrackingListener } from './types.js';

/*
 * The user's client is typed structurally (the shapes we call), so the toolkit imports neither
 * ioredis nor node-redis at runtime and works with whichever the application already has.
 */

type Arg = string | number;
type Listener = (...args: unknown[]) => void;

/** ioredis `Redis` or `Cluster`. */
export interface IoredisLike {
  call(command: string, ...args: Arg[]): Promise<unknown>;
  get(key: string): Promise<string | null>;
  duplicate(...args: never[]): IoredisLike;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  disconnect(): void;
  status?: string;
  isCluster?: boolean;
  nodes?(role?: 'master' | 'slave' | 'all'): IoredisLike[];
}

/** node-redis (`@redis/client`) client from `createClient()`. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(overrides?: object): NodeRedisClientLike;
  connect(): Promise<unknown>;
  subscribe(channels: string, listener: (message: string, channel: string) => void): Promise<void>;
  on(event: string, listener: Listener): unknown;
  destroy(): void;
  readonly options?: { socket?: object };
}

/** node-redis cluster from `createCluster()`. */
export interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  readonly masters: object[];
  nodeClient(node: never): Promise<NodeRedisClientLike>;
  duplicate(): NodeRedisClusterLike;
  connect(): Promise<unknown>;
  subscribe(channels: string, listener: (message: string, channel: string) => void): Promise<void>;
  on(event: string, listener: Listener): unknown;
  destroy(): void;
}

export type RedisClientLike = IoredisLike | NodeRedisClientLike | NodeRedisClusterLike;

/** One server connection that can run a command (a master of a cluster, or the only server). */
interface NodeConn {
  send(args: Arg[]): Promise<unknown>;
}

/** What differs between ioredis and node-redis, standalone and cluster. */
interface Driver {
  readonly cluster: boolean;
  send(args: Arg[], key: string | undefined): Promise<unknown>;
  /** GET, the hit path: no argument array, no reply conversion. */
  get(key: string): Promise<string | null>;
  masters(): Promise<NodeConn[]>;
  subscriber(channel: string, onMessage: (message: string) => void, onDisconnect: () => void): Promise<() => void>;
  /** A connection of its own per master with BCAST tracking; `lost` fires once if it closes. */
  trackers(prefixes: string[], onKeys: (keys: string[] | null) => void, lost: () => void): Promise<(() => void)[]>;
}

function isNodeRedisCluster(c: RedisClientLike): c is NodeRedisClusterLike {
  return 'masters' in c && typeof (c as NodeRedisClusterLike).nodeClient === 'function';
}

function isNodeRedisClient(c: RedisClientLike): c is NodeRedisClientLike {
  return typeof (c as NodeRedisClientLike).sendCommand === 'function' && typeof (c as IoredisLike).call !== 'function';
}

const strs = (args: Arg[]) => args.map(String);

/** All closers, or (closing the ones that did open) the first failure. */
async function settleAll(opening: Promise<() => void>[]): Promise<(() => void)[]> {
  const results = await Promise.allSettled(opening);
  const failed = results.find((r) => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<() => void>).value);
  for (const r of results) if (r.status === 'fulfilled') r.value();
  throw failed.reason;
}

function bcast(prefixes: string[]): string[] {
  return prefixes.flatMap((p) => ['PREFIX', p]);
}

function ioredisDriver(client: IoredisLike): Driver {
  const cluster = client.isCluster === true;
  // A Cluster knows its masters only once it is ready: before that, nodes() is empty.
  const masters = async (): Promise<IoredisLike[]> => {
    if (!cluster) return [client];
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve as Listener));
    const nodes = client.nodes!('master');
    if (nodes.length === 0) throw new Error('the Redis Cluster client knows no masters');
    return nodes;
  };
  return {
    cluster,
    send: (args) => client.call(String(args[0]), ...args.slice(1)),
    get: (key) => client.get(key),
    masters: async () => (await masters()).map((n) => ({ send: (args: Arg[]) => n.call(String(args[0]), ...args.slice(1)) })),
    async subscriber(channel, onMessage, onDisconnect) {
      // After a reconnect, ioredis re-subscribes by itself but leaves that SUBSCRIBE's promise
      // without a handler: closing the connection while it is in flight is an unhandled rejection
      // in the user's process. So a standalone subscriber re-subscribes itself, errors handled.
      // (A Cluster's duplicate takes startup nodes, not options, and resubscribes through its own
      // subscriber.)
      const sub = cluster ? client.duplicate() : client.duplicate({ autoResubscribe: false } as never);
      sub.on('error', () => {});
      sub.on('close', onDisconnect as Listener);
      sub.on('message', ((ch: string, msg: string) => {
        if (ch === channel) onMessage(msg);
      }) as Listener);
      await sub.subscribe(channel);
      if (!cluster) sub.on('ready', (() => void sub.subscribe(channel).catch(() => {})) as Listener);
      return () => sub.disconnect();
    },
    async trackers(prefixes, onKeys, lost) {
      // ioredis drops RESP3 `invalidate` pushes, so: RESP2, tracking redirected to the connection
      // itself, invalidations as messages on __redis__:invalidate. No reconnects: a lost tracker
      // means lost invalidations, and the cache must drop its L1 and start over.
      return settleAll(
        (await masters()).map(async (node) => {
          const t = node.duplicate({ protocol: 2, retryStrategy: () => null, autoResubscribe: false, enableReadyCheck: false, enableOfflineQueue: true } as never);
          t.on('error', (() => {}) as Listener);
          t.on('close', lost as Listener);
          try {
            const id = await t.call('CLIENT', 'ID');
            await t.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...bcast(prefixes));
            t.on('messageBuffer', ((ch: Buffer, msg: Buffer[] | null) => {
              if (String(ch) === '__redis__:invalidate') onKeys(msg === null ? null : msg.map((k) => k.toString('utf8')));
            }) as Listener);
            await t.subscribe('__redis__:invalidate');
          } catch (e) {
            t.disconnect();
            throw e;
          }
          return () => t.disconnect();
        }),
      );
    },
  };
}

function nodeRedisTracker(node: NodeRedisClientLike, prefixes: string[], onKeys: (keys: string[] | null) => void, lost: () => void): Promise<() => void> {
  // RESP3 with node-redis's own `invalidate` events; no reconnects (see ioredis above).
  const t = node.duplicate({ RESP: 3, emitInvalidate: true, socket: { ...node.options?.socket, reconnectStrategy: false } });
  let keys: string[] = [];
  let scheduled = false;
  // Without reconnects, node-redis reports a dropped socket as an error (and a close as `end`).
  t.on('error', lost);
  t.on('end', lost);
  t.on('invalidate', ((key: Buffer | null) => {
    if (key === null) return onKeys(null);
    // node-redis emits one event per key: hand them over as one batch.
    keys.push(key.toString('utf8'));
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        const batch = keys;
        keys = [];
        onKeys(batch);
      });
    }
  }) as Listener);
  return (async () => {
    try {
      await t.connect();
      await t.sendCommand(['CLIENT', 'TRACKING', 'OFF']); // emitInvalidate turned default tracking on
      await t.sendCommand(['CLIENT', 'TRACKING', 'ON', 'BCAST', ...bcast(prefixes)]);
    } catch (e) {
      t.destroy();
      throw e;
    }
    return () => t.destroy();
  })();
}

function nodeRedisClientDriver(client: NodeRedisClientLike): Driver {
  return {
    cluster: false,
    send: (args) => client.sendCommand(strs(args)),
    get: (key) => client.sendCommand(['GET', key]) as Promise<string | null>,
    masters: async () => [{ send: (args: Arg[]) => client.sendCommand(strs(args)) }],
    subscriber: (channel, onMessage, onDisconnect) => nodeRedisSubscriber(client, channel, onMessage, onDisconnect),
    async trackers(prefixes, onKeys, lost) {
      return [await nodeRedisTracker(client, prefixes, onKeys, lost)];
    },
  };
}

/** Subscribes on a duplicate of a node-redis client or cluster (a subscribed connection runs nothing else). */
async function nodeRedisSubscriber(
  client: NodeRedisClientLike | NodeRedisClusterLike,
  channel: string,
  onMessage: (message: string) => void,
  onDisconnect: () => void,
): Promise<() => void> {
  const sub = client.duplicate();
  sub.on('error', onDisconnect);
  await sub.connect();
  await sub.subscribe(channel, (m) => onMessage(m));
  return () => sub.destroy();
}

function nodeRedisClusterDriver(client: NodeRedisClusterLike): Driver {
  const nodes = () => {
    if (client.masters.length === 0) throw new Error('the node-redis cluster knows no masters (connect() it first)');
    return Promise.all(client.masters.map((m) => client.nodeClient(m as never)));
  };
  return {
    cluster: true,
    send: (args, key) => client.sendCommand(key, false, strs(args)),
    get: (key) => client.sendCommand(key, false, ['GET', key]) as Promise<string | null>,
    masters: async () => (await nodes()).map((n) => ({ send: (args: Arg[]) => n.sendCommand(strs(args)) })),
    subscriber: (channel, onMessage, onDisconnect) => nodeRedisSubscriber(client, channel, onMessage, onDisconnect),
    async trackers(prefixes, onKeys, lost) {
      return settleAll((await nodes()).map((n) => nodeRedisTracker(n, prefixes, onKeys, lost)));
    },
  };
}

function toReply(v: unknown): StoreReply {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(toReply);
  return String(v);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface RedisStoreOptions {
  /** Keys per SCAN call in scans (default 1000). */
  scanCount?: number;
}

/**
 * The store over a user's Redis client: ioredis (`Redis`, `Cluster`) or node-redis (`createClient`,
 * `createCluster`), against Redis, Valkey, stickynote-server or Redis Cluster. Multi-step
 * operations are Lua scripts; the user's client is never closed by us.
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly cluster: boolean;
  private readonly driver: Driver;
  private readonly closers = new Set<() => void>();
  private readonly scanCount: number;

  constructor(client: RedisClientLike, options: RedisStoreOptions = {}) {
    this.driver = isNodeRedisCluster(client) ? nodeRedisClusterDriver(client) : isNodeRedisClient(client) ? nodeRedisClientDriver(client) : ioredisDriver(client as IoredisLike);
    this.cluster = this.driver.cluster;
    this.scanCount = options.scanCount ?? 1000;
  }

  now(): number {
    return Date.now();
  }

  get(key: string): Promise<string | null> {
    return this.driver.get(key);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    if (!this.cluster) return toReply(await this.driver.send(['MGET', ...keys], keys[0])) as (string | null)[];
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const args: Arg[] = ['SET', key, value];
    if (options.px !== undefined) args.push('PX', Math.max(1, Math.ceil(options.px)));
    if (options.nx) args.push('NX');
    return (await this.driver.send(args, key)) !== null;
  }

  async unlink(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    if (!this.cluster) return Number(await this.driver.send(['UNLINK', ...keys], keys[0]));
    // One UNLINK per hash slot: a multi-key command must not cross slots.
    const bySlot = new Map<number, string[]>();
    for (const k of keys) {
      const s = hashSlot(k);
      const group = bySlot.get(s);
      if (group) group.push(k);
      else bySlot.set(s, [k]);
    }
    const counts = await Promise.all([...bySlot.values()].map((g) => this.driver.send(['UNLINK', ...g], g[0])));
    return counts.reduce<number>((a, n) => a + Number(n), 0);
  }

  async run(script: Script, keys: string[], args: Arg[]): Promise<StoreReply> {
    const key = keys[0];
    try {
      return toReply(await this.driver.send(['EVALSHA', script.sha, keys.length, ...keys, ...args], key));
    } catch (e) {
      if (!errorText(e).startsWith('NOSCRIPT')) throw e;
      return toReply(await this.driver.send(['EVAL', script.lua, keys.length, ...keys, ...args], key));
    }
  }

  async command(args: Arg[], key?: string): Promise<StoreReply> {
    return toReply(await this.driver.send(args, key));
  }

  async *scan(pattern: string, count = this.scanCount): AsyncIterable<string[]> {
    for (const node of await this.driver.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = toReply(await node.send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', count])) as [string, string[]];
        cursor = String(next);
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.driver.send(['PUBLISH', channel, message], undefined);
  }

  async subscribe(channel: string, onMessage: (message: string) => void, onDisconnect?: () => void): Promise<Subscription> {
    let closed = false;
    const stop = await this.driver.subscriber(channel, onMessage, () => {
      if (!closed) onDisconnect?.();
    });
    this.closers.add(stop);
    return {
      close: async () => {
        closed = true;
        this.closers.delete(stop);
        stop();
      },
    };
  }

  async track(prefixes: string[], listener: TrackingListener): Promise<Tracking | null> {
    let stops: (() => void)[] = [];
    let closed = false;
    const stop = () => {
      closed = true;
      this.closers.delete(stop);
      for (const s of stops) s();
    };
    const lost = () => {
      if (closed) return;
      stop();
      listener.lost();
    };
    try {
      stops = await this.driver.trackers(prefixes, (keys) => listener.invalidate(keys), lost);
    } catch (e) {
      // A server without CLIENT TRACKING (or BCAST): the caller falls back to its pub/sub bus.
      if (/unknown (sub)?command|syntax error|NOPERM|CLIENT TRACKING/i.test(errorText(e))) return null;
      throw e;
    }
    if (closed) {
      // A connection closed while the others were still being set up.
      for (const s of stops) s();
      listener.lost();
      return { close: async () => {} };
    }
    this.closers.add(stop);
    return { close: async () => stop() };
  }

  async close(): Promise<void> {
    for (const stop of this.closers) stop();
    this.closers.clear();
  }
}
