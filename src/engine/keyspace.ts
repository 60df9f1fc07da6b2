import { type Clock, systemClock } from './clock.js';
import { Database } from './database.js';
import { STARTUP_MEMORY } from './memory.js';
import { createPolicy, POLICY_NAMES, type EvictionPolicy, type PolicyName, type PolicyTuning } from './eviction/index.js';

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
  /** A key that did not exist was stored (Redis's dbAdd: the `new` keyspace event). */
  keyAdded?(db: Database, key: string): void;
  /** A reading lookup found no live key (Redis's lookupKeyRead miss: the `keymiss` event). */
  keyMissed?(db: Database, key: string): void;
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

/** performEvictions' outcome (Redis's EVICT_OK, EVICT_RUNNING, EVICT_FAIL). */
export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;

export interface KeyspaceOptions {
  databases?: number;
  clock?: Clock;
}

/** W-TinyLFU's budget when no maxmemory is set (its regions need some size): 1 GiB. */
const DEFAULT_BUDGET = 2 ** 30;

/** evictionTimeLimitUs: 50 µs per tenacity step up to 10, then +15% per step; 100 = no limit. */
function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return 500 * 1.15 ** (tenacity - 10);
  return Infinity;
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
  /** Set while a lookup must not announce a miss (Redis's LOOKUP_NONOTIFY: OBJECT). */
  noMissEvent = false;
  readonly stats: KeyspaceStats = {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    expiredTimeCapReached: 0,
    expiredStalePercent: 0,
  };
  /** Estimated bytes of all databases (keys, values, overhead; engine/memory.ts), kept by Database. */
  usedBytes = 0;
  /** Highest used_memory seen (sampled by the cron, INFO and MEMORY STATS). */
  peakMemory = STARTUP_MEMORY;
  /** maxmemory in bytes (0 = no limit). */
  maxmemory = 0;
  /** maxmemory-policy. */
  policyName = 'noeviction';
  /** maxmemory-eviction-tenacity (0..100). */
  evictionTenacity = 10;
  readonly tuning: PolicyTuning = { samples: 5, logFactor: 10, decayTime: 1 };
  /** Random numbers for the sampled policies (injectable so tests are deterministic). */
  rng: () => number = Math.random;
  /** Told of each evicted key (the `evicted` keyspace event). */
  onEvicted: ((db: Database, key: string) => void) | null = null;
  /** An eviction stopped at its time limit while still over maxmemory: the cron continues it. */
  evictionPending = false;
  private evictDb = 0;
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

  keyAdded(db: Database, key: string): void {
    for (const l of this.listeners) l.keyAdded?.(db, key);
  }

  keyMissed(db: Database, key: string): void {
    for (const l of this.listeners) l.keyMissed?.(db, key);
  }

  /** A key was evicted (Database.evictOne): counted, announced, and a modification for WATCH and tracking. */
  keyEvicted(db: Database, key: string): void {
    this.stats.evictedKeys++;
    this.onEvicted?.(db, key);
    this.keyModified(db, key);
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
    // Redis's eviction time proc: a large overshoot is drained a bounded slice at a time.
    if (this.evictionPending) this.performEvictions();
    this.sampleMemory();
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

  // ---- memory and eviction -----------------------------------------------------------------

  /** used_memory: the startup baseline plus the estimated dataset and per-key overhead. */
  get usedMemory(): number {
    return STARTUP_MEMORY + this.usedBytes;
  }

  /** used_memory, recording the peak. */
  sampleMemory(): number {
    const used = this.usedMemory;
    if (used > this.peakMemory) this.peakMemory = used;
    return used;
  }

  /** The same figure recomputed by walking every key and value (must equal usedMemory). */
  usedMemoryFromScratch(): number {
    let total = STARTUP_MEMORY;
    for (const db of this.dbs) total += db.bytesFromScratch();
    return total;
  }

  /** Whether a maxmemory limit is set and used memory is above it (Redis's getMaxmemoryState). */
  get overMaxmemory(): boolean {
    return this.maxmemory !== 0 && STARTUP_MEMORY + this.usedBytes > this.maxmemory;
  }

  /** A fresh policy object for the current maxmemory-policy (null for noeviction). */
  createPolicy(): EvictionPolicy | null {
    const name = this.policyName;
    if (!(POLICY_NAMES as readonly string[]).includes(name)) return null;
    const t = this.tuning;
    return createPolicy(name as PolicyName, {
      rng: this.rng,
      now: () => this.now,
      maxWeight: this.maxmemory > STARTUP_MEMORY ? this.maxmemory - STARTUP_MEMORY : DEFAULT_BUDGET,
      weighted: true,
      samples: t.samples,
      lfu: { logFactor: t.logFactor, decayTime: t.decayTime, samples: t.samples },
    });
  }

  /** Switches maxmemory-policy: every database gets a new policy tracking its current keys. */
  setPolicy(name: string): void {
    if (name === this.policyName) return;
    this.policyName = name;
    for (const db of this.dbs) db.attachPolicy(this.createPolicy());
  }

  /** maxmemory changed: policies that size regions from the budget (W-TinyLFU) follow. */
  setMaxmemory(bytes: number): void {
    this.maxmemory = bytes;
    const budget = bytes > STARTUP_MEMORY ? bytes - STARTUP_MEMORY : DEFAULT_BUDGET;
    for (const db of this.dbs) db.policy?.resize(budget);
  }

  /** maxmemory-samples, lfu-log-factor or lfu-decay-time changed. */
  tune(tuning: Partial<PolicyTuning>): void {
    Object.assign(this.tuning, tuning);
    for (const db of this.dbs) db.policy?.tune?.(this.tuning);
  }

  /**
   * Redis's performEvictions: while over maxmemory, evicts keys chosen by the policy (databases
   * taken in turn). Bounded: after every 16 keys the elapsed time is checked against the
   * tenacity's limit (500 µs by default); when it is used up while still over, the rest is left to
   * the cron (`evictionPending`) and EVICT_RUNNING returned, so one command never stalls the
   * loop. EVICT_FAIL when nothing can be evicted (noeviction, or no candidate left).
   */
  performEvictions(): number {
    if (!this.overMaxmemory) {
      this.evictionPending = false;
      return EVICT_OK;
    }
    if (this.dbs[0].policy === null) return EVICT_FAIL;
    const limitUs = evictionTimeLimitUs(this.evictionTenacity);
    const start = performance.now();
    const n = this.dbs.length;
    let freedKeys = 0;
    while (this.overMaxmemory) {
      let freed = -1;
      for (let i = 0; i < n && freed === -1; i++) {
        const db = this.dbs[this.evictDb];
        this.evictDb = (this.evictDb + 1) % n;
        if (db.size !== 0) freed = db.evictOne();
      }
      if (freed === -1) {
        this.evictionPending = false;
        return EVICT_FAIL;
      }
      if ((++freedKeys & 15) === 0 && (performance.now() - start) * 1000 > limitUs) {
        this.evictionPending = this.overMaxmemory;
        return this.evictionPending ? EVICT_RUNNING : EVICT_OK;
      }
    }
    this.evictionPending = false;
    return EVICT_OK;
  }

  resetStats(): void {
    const s = this.stats;
    s.keyspaceHits = s.keyspaceMisses = s.expiredKeys = s.evictedKeys = s.expiredTimeCapReached = 0;
    s.expiredStalePercent = 0;
  }
}
