import { type Clock, systemClock } from './clock.js';
import { Database } from './database.js';

export interface KeyspaceStats {
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  evictedKeys: number;
  /** Times the active expiry cycle stopped because it used up its time budget. */
  expiredTimeCapReached: number;
  /** Share of expired keys among those sampled by the last cycle (estimate of stale keys left). */
  expiredStalePercent: number;
}

/** Told of every change to a key: WATCH, client tracking and keyspace notifications listen. */
export interface KeyListener {
  /** A key was written, deleted, or expired. */
  keyModified?(db: Database, key: string): void;
  /** A key was removed because its TTL passed. */
  keyExpired?(db: Database, key: string): void;
  /** A whole database changed at once (FLUSHDB/FLUSHALL/SWAPDB). */
  databaseChanged?(db: Database): void;
  /** SWAPDB exchanged the contents of `a` and `b` (called before databaseChanged of each). */
  databasesSwapped?(a: Database, b: Database): void;
}

/**
 * Expiry work of a value type below the key level (hash fields with TTLs), registered with
 * `addExpiryHook` and driven by `activeExpireCycle`, so the cron needs no knowledge of types.
 */
export interface ExpiryHook {
  /** Expires due parts, at most `maxItems` of them (bounded work per cycle); returns how many. */
  activeExpire(keyspace: Keyspace, maxItems: number): number;
  /** SWAPDB exchanged the contents of two databases: per-database state must follow. */
  databasesSwapped?(a: Database, b: Database): void;
}

export interface KeyspaceOptions {
  databases?: number;
  clock?: Clock;
}

/** Redis's ACTIVE_EXPIRE_CYCLE_* tuning at active-expire-effort 1. */
const KEYS_PER_LOOP = 20;
const ACCEPTABLE_STALE = 10;
/** Items (e.g. hash fields) each expiry hook may expire per cycle. */
const HOOK_ITEMS_PER_CYCLE = 1000;

/**
 * The whole data set: the numbered databases, the clock, statistics and change listeners.
 * Knows nothing about sockets or RESP.
 */
export class Keyspace {
  readonly dbs: Database[];
  readonly clock: Clock;
  /** Time of the command being executed (Redis caches it per command so one command sees one instant). */
  now: number;
  /** Seconds clock used for access times (OBJECT IDLETIME). */
  lruClock: number;
  /** When set, reads do not update access times (CLIENT NO-TOUCH). */
  noTouch = false;
  readonly stats: KeyspaceStats = {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    expiredTimeCapReached: 0,
    expiredStalePercent: 0,
  };
  private listeners: KeyListener[] = [];
  private expiryHooks: ExpiryHook[] = [];
  private expireDb = 0;

  constructor(options: KeyspaceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.now = this.clock.now();
    this.lruClock = Math.floor(this.now / 1000);
    const n = options.databases ?? 16;
    this.dbs = Array.from({ length: n }, (_, i) => new Database(i, this));
  }

  /** Reads the clock; called before each command. */
  tick(): number {
    this.now = this.clock.now();
    this.lruClock = Math.floor(this.now / 1000);
    return this.now;
  }

  /** Whether anyone wants to hear of each modified key (FLUSH then reports every key it removes). */
  get hasKeyListeners(): boolean {
    return this.listeners.some((l) => l.keyModified !== undefined);
  }

  addListener(listener: KeyListener): void {
    this.listeners.push(listener);
  }

  removeListener(listener: KeyListener): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }

  keyModified(db: Database, key: string): void {
    for (const l of this.listeners) l.keyModified?.(db, key);
  }

  keyExpired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    for (const l of this.listeners) {
      l.keyExpired?.(db, key);
      l.keyModified?.(db, key);
    }
  }

  addExpiryHook(hook: ExpiryHook): void {
    this.expiryHooks.push(hook);
  }

  databaseChanged(db: Database): void {
    for (const l of this.listeners) l.databaseChanged?.(db);
  }

  flushAll(): number {
    let n = 0;
    for (const db of this.dbs) {
      n += db.clear();
      this.databaseChanged(db);
    }
    return n;
  }

  swap(a: number, b: number): void {
    this.dbs[a].swapWith(this.dbs[b]);
    for (const hook of this.expiryHooks) hook.databasesSwapped?.(this.dbs[a], this.dbs[b]);
    for (const l of this.listeners) l.databasesSwapped?.(this.dbs[a], this.dbs[b]);
    this.databaseChanged(this.dbs[a]);
    this.databaseChanged(this.dbs[b]);
  }

  /**
   * Active expiry, in the manner of Redis's activeExpireCycle: walks the databases sampling keys
   * with a TTL, KEYS_PER_LOOP at a time, repeating on a database while more than ACCEPTABLE_STALE
   * percent of a sample had expired, and stopping when `budgetMs` is used up. Bounds both the time
   * per call and (over repeated calls) the share of expired keys left in memory. Then each expiry
   * hook expires a bounded number of due parts of values.
   */
  activeExpireCycle(budgetMs: number): void {
    const start = performance.now();
    this.tick();
    this.expireKeys(start, budgetMs);
    for (const hook of this.expiryHooks) hook.activeExpire(this, HOOK_ITEMS_PER_CYCLE);
  }

  private expireKeys(start: number, budgetMs: number): void {
    let totalSampled = 0;
    let totalExpired = 0;
    const n = this.dbs.length;
    for (let d = 0; d < n; d++) {
      const db = this.dbs[this.expireDb];
      this.expireDb = (this.expireDb + 1) % n;
      let iterations = 0;
      for (;;) {
        if (db.expiresCount === 0) break;
        const [sampled, expired] = db.expireSample(KEYS_PER_LOOP);
        totalSampled += sampled;
        totalExpired += expired;
        if ((++iterations & 15) === 0 && performance.now() - start > budgetMs) {
          this.stats.expiredTimeCapReached++;
          this.stats.expiredStalePercent = totalSampled ? (totalExpired * 100) / totalSampled : 0;
          return;
        }
        if (sampled === 0 || (expired * 100) / sampled <= ACCEPTABLE_STALE) break;
      }
    }
    this.stats.expiredStalePercent = totalSampled ? (totalExpired * 100) / totalSampled : 0;
  }

  resetStats(): void {
    const s = this.stats;
    s.keyspaceHits = s.keyspaceMisses = s.expiredKeys = s.evictedKeys = s.expiredTimeCapReached = 0;
    s.expiredStalePercent = 0;
  }
}
