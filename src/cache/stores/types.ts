import { createHash } from 'node:crypto';

/** A reply as the stores return it: Lua's conversions (integers, strings, nil, tables). */
export type StoreReply = string | number | null | StoreReply[];

/** Runs one command synchronously on the embedded engine (strings are UTF-8 JS strings). */
export type SyncCall = (...args: (string | number)[]) => StoreReply;

/**
 * A Lua script with its SHA1, run with EVALSHA (EVAL on NOSCRIPT). `native` is the same operation
 * in JS for the embedded engine: it runs synchronously between two commands of nobody else, so it
 * is atomic exactly as the script is on Redis.
 */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  readonly native?: (call: SyncCall, keys: string[], args: string[]) => StoreReply;
}

export function defineScript(name: string, lua: string, native?: Script['native']): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex'), native };
}

export interface SetOptions {
  /** Expire after this many milliseconds (SET … PX). */
  px?: number;
  /** Only set if the key does not exist (SET … NX). */
  nx?: boolean;
}

/** An open subscription; `close()` unsubscribes. */
export interface Subscription {
  close(): Promise<void>;
}

/**
 * What a store tells an L1 cache about keys under its tracked prefixes. `invalidate(null)` means
 * "everything" (FLUSHALL, a lost connection): the L1 must be dropped, not trusted.
 */
export interface TrackingListener {
  invalidate(keys: string[] | null): void;
  /**
   * A tracking connection was lost: invalidations may have been missed and no more will come.
   * The tracking is closed; the L1 must be dropped and tracking set up again.
   */
  lost(): void;
}

export interface Tracking {
  close(): Promise<void>;
}

/**
 * The operations the caching toolkit needs from a Redis-protocol store. Keys and values are
 * UTF-8 strings. Multi-key calls (`mget`, `unlink`) may span cluster slots: the store splits them.
 */
export interface Store {
  readonly kind: 'embedded' | 'redis';
  /** True on a Redis Cluster: multi-key scripts must keep their keys in one slot. */
  readonly cluster: boolean;
  /** The store's clock in ms (the embedded engine's injectable clock; Date.now() for Redis). */
  now(): number;
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  /** SET with PX/NX; false when NX refused the write. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** UNLINK (DEL where UNLINK is missing); the number of keys removed. */
  unlink(keys: string[]): Promise<number>;
  /** Runs a script: EVALSHA with EVAL on NOSCRIPT (Redis), `native` or the same Lua (embedded). */
  run(script: Script, keys: string[], args: (string | number)[]): Promise<StoreReply>;
  /** Any other command, routed by its first key (`key` undefined: any node). */
  command(args: (string | number)[], key?: string): Promise<StoreReply>;
  /** SCAN MATCH `pattern` over every master; batches of keys as SCAN returns them. Never KEYS. */
  scan(pattern: string, count?: number): AsyncIterable<string[]>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * Subscribes on a separate connection (the store's own one stays usable). `onDisconnect` is
   * called when that connection drops: messages sent meanwhile are lost even if it resubscribes.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onDisconnect?: () => void): Promise<Subscription>;
  /**
   * Server-assisted invalidation of keys under `prefixes` (CLIENT TRACKING BCAST), or null when
   * the server does not support it.
   */
  track(prefixes: string[], listener: TrackingListener): Promise<Tracking | null>;
  /** Closes what the store opened itself (subscriber and tracking connections), not the user's client. */
  close(): Promise<void>;
}
