import type { EmbeddedClient } from '../embedded.js';
import { type Duration, toMs } from './duration.js';
import type { Serializer } from './entry.js';
import type { RedisClientLike } from './stores/redis.js';
import type { Store } from './stores/types.js';

/** Options of one entry; each can be set per cache (defaults) and per call. */
export interface EntryOptions {
  /** How long a value is fresh (ms or '5m'). Default '5m'. */
  ttl?: Duration;
  /**
   * Share of the TTL taken off at random (0..1; false = none). Default 0.1: keys written together
   * don't all expire together and stampede the database together.
   */
  jitter?: number | false;
  /**
   * How long past its TTL a value is kept as stale. Stale values are served while one caller
   * reloads (other processes, `softTimeout`) and when the loader fails. Default false (none).
   */
  grace?: Duration | false;
  /** With grace: serve the stale value when the loader throws (default true). */
  serveStaleOnError?: boolean;
  /**
   * With a stale value at hand: wait this long for the loader, then serve the stale value and let
   * the load finish in the background. 0 = stale-while-revalidate. Default: wait for the loader.
   */
  softTimeout?: Duration;
  /** Give up on a loader after this long: CacheTimeoutError (or the stale value), loader aborted. */
  hardTimeout?: Duration;
  /**
   * Cache "not found" (the loader returned undefined) for this long. Default false: absence is not
   * cached, every call asks the loader again.
   */
  negativeTtl?: Duration | false;
  /**
   * Probabilistic early recompute (XFetch) with this beta (1 is the paper's choice; higher refreshes
   * earlier). A hit close to expiry starts a background refresh, so a hot key never expires under
   * load. Default false.
   */
  earlyRefresh?: number | false;
}

export interface SetOptions extends EntryOptions {
  /** Tags for invalidateTags(). */
  tags?: string[];
}

export type GetOrSetOptions = SetOptions;

export interface CacheOptions extends EntryOptions {
  /**
   * Where entries live: nothing (a new embedded engine), an `Engine`/session, an ioredis
   * `Redis`/`Cluster`, a node-redis client/cluster, or a Store.
   */
  store?: Store | EmbeddedClient | RedisClientLike;
  /** Prefix of every key (default 'sn:'). */
  prefix?: string;
  serializer?: Serializer;
  lease?: {
    /** Lifetime of a load lease: a loader that dies holding it blocks others this long (default '10s'). */
    ttl?: Duration;
    /** Waiters re-check this often if no landing message arrives (default '100ms'). */
    pollInterval?: Duration;
  };
  /** In-process tier in front of the store (true: 10,000 entries). Default false. */
  l1?: boolean | { maxEntries?: number };
  /**
   * Publish this cache's writes on the invalidation bus even without an L1 of its own. Only
   * needed where the server has no CLIENT TRACKING and other instances run an L1: there, a writer
   * that does not announce its writes leaves their L1s stale. Default false.
   */
  announceWrites?: boolean;
}

/** What the loader may read and decide. */
export interface LoaderContext<T> {
  readonly key: string;
  /** The stale value being replaced, if any. */
  readonly stale: T | undefined;
  /** Aborted when the hard timeout passes. */
  readonly signal: AbortSignal;
  /** TTL for this value, in ms: adaptive TTL from what was loaded. */
  ttl: number;
  /** Sets `ttl` from a Duration ('10s'). */
  setTtl(ttl: Duration): void;
  /** Don't cache this result (it is still returned). */
  skip(): void;
}

export type Loader<T> = (ctx: LoaderContext<T>) => T | Promise<T>;

export interface CacheStats {
  hits: number;
  misses: number;
  /** Stale values served (grace: during a refresh, after a soft timeout, on loader error). */
  staleServed: number;
  /** Loader calls. */
  loads: number;
  loadErrors: number;
  /** Loads that waited for another process's lease. */
  leaseWaits: number;
  /** Loaded values not stored because an invalidation revoked their lease meanwhile. */
  refusedWrites: number;
  l1Hits: number;
  l1Size: number;
  l1Invalidations: number;
  l1Flushes: number;
  /** L1 entries dropped to stay within `maxEntries`. */
  l1Evictions: number;
}

export interface CacheEvents {
  hit: { key: string };
  miss: { key: string };
  stale: { key: string; reason: 'refreshing' | 'softTimeout' | 'hardTimeout' | 'error' };
  load: { key: string };
  loaded: { key: string; ms: number };
  loadError: { key: string; error: unknown };
  leaseWait: { key: string };
  refused: { key: string };
  invalidate: { keys?: string[]; tags?: string[]; pattern?: string; namespace?: string };
}

/** Options with defaults applied and durations in ms. */
export interface Resolved {
  ttl: number;
  jitter: number;
  grace: number;
  serveStaleOnError: boolean;
  softTimeout: number | undefined;
  hardTimeout: number | undefined;
  negativeTtl: number | undefined;
  beta: number | undefined;
  tags: string[] | undefined;
}

/** `o` over `base` (or the built-in defaults), validated. */
export function resolve(o: SetOptions, base?: Resolved): Resolved {
  if (o.jitter !== undefined && o.jitter !== false && !(o.jitter >= 0 && o.jitter <= 1)) throw new TypeError(`jitter must be between 0 and 1, got ${o.jitter}`);
  if (o.earlyRefresh !== undefined && o.earlyRefresh !== false && !(o.earlyRefresh > 0)) throw new TypeError(`earlyRefresh (XFetch beta) must be positive, got ${o.earlyRefresh}`);
  return {
    ttl: o.ttl !== undefined ? toMs(o.ttl) : (base?.ttl ?? 300_000),
    jitter: o.jitter !== undefined ? (o.jitter === false ? 0 : o.jitter) : (base?.jitter ?? 0.1),
    grace: o.grace !== undefined ? (o.grace === false ? 0 : toMs(o.grace)) : (base?.grace ?? 0),
    serveStaleOnError: o.serveStaleOnError ?? base?.serveStaleOnError ?? true,
    softTimeout: o.softTimeout !== undefined ? toMs(o.softTimeout) : base?.softTimeout,
    hardTimeout: o.hardTimeout !== undefined ? toMs(o.hardTimeout) : base?.hardTimeout,
    negativeTtl: o.negativeTtl !== undefined ? (o.negativeTtl === false ? undefined : toMs(o.negativeTtl)) : base?.negativeTtl,
    beta: o.earlyRefresh !== undefined ? (o.earlyRefresh === false ? undefined : o.earlyRefresh) : base?.beta,
    tags: o.tags,
  };
}
