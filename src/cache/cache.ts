import { performance } from 'node:perf_hooks';
import { type Duration, toMs } from './duration.js';
import { type Entry, decodeEntry, encodeEntry, jsonSerializer } from './entry.js';
import { Core, type Flight, type Served, token } from './core.js';
import { type CacheEvents, type CacheOptions, type CacheStats, type EntryOptions, type GetOrSetOptions, type Loader, type LoaderContext, type Resolved, type SetOptions, resolve } from './options.js';
import { createStore } from './stores/index.js';
import { escapeGlob, taggedKey } from './stores/keys.js';
import { commitWithLease, releaseLease, writeAndRevoke } from './stores/scripts.js';
import type { Store, StoreReply } from './stores/types.js';

export type { CacheEvents, CacheOptions, CacheStats, EntryOptions, GetOrSetOptions, Loader, LoaderContext, SetOptions } from './options.js';

export class CacheTimeoutError extends Error {
  constructor(key: string, ms: number) {
    super(`cache loader for '${key}' did not finish within ${ms} ms`);
    this.name = 'CacheTimeoutError';
  }
}


const valueOf = <T>(e: Entry) => (e.negative ? undefined : e.value) as T;

class Ctx<T> implements LoaderContext<T> {
  readonly controller = new AbortController();
  skipped = false;
  constructor(
    readonly key: string,
    readonly stale: T | undefined,
    public ttl: number,
  ) {}
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  setTtl(ttl: Duration): void {
    this.ttl = toMs(ttl);
  }
  skip(): void {
    this.skipped = true;
  }
}


/**
 * Cache-aside over a Store, correct under concurrency: single-flight per key in a process, a load
 * lease across processes, stale-while-revalidate and grace, XFetch early refresh, tags, and
 * invalidations that a slow reader cannot undo. See docs/cache.md.
 */
export class Cache {
  private readonly defaults: Resolved;

  /** @internal use createCache() */
  constructor(
    private readonly core: Core,
    readonly prefix: string,
    defaults: Resolved,
  ) {
    this.defaults = defaults;
  }

  get store(): Store {
    return this.core.store;
  }

  /** A view whose keys live under `<prefix><name>:`, with its own defaults; clear() clears only it. */
  namespace(name: string, defaults: EntryOptions = {}): Cache {
    if (name.includes('{') || name.length === 0) throw new TypeError(`invalid namespace: '${name}'`);
    return new Cache(this.core, this.prefix + name + ':', resolve(defaults, this.defaults));
  }

  /** Resolves once the landing subscription and (with L1) invalidation delivery are set up. */
  async ready(): Promise<void> {
    await this.core.listen();
    await this.core.ready();
  }

  stats(): CacheStats {
    const s = { ...this.core.stats };
    if (this.core.l1) {
      s.l1Size = this.core.l1.size;
      s.l1Invalidations = this.core.l1.invalidations;
      s.l1Flushes = this.core.l1.flushes;
      s.l1Evictions = this.core.l1.evictions;
    }
    return s;
  }

  on<K extends keyof CacheEvents>(event: K, listener: (data: CacheEvents[K]) => void): this {
    this.core.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof CacheEvents>(event: K, listener: (data: CacheEvents[K]) => void): this {
    this.core.emitter.off(event, listener);
    return this;
  }

  private options(o: SetOptions | undefined): Resolved {
    return o === undefined ? this.defaults : resolve(o, this.defaults);
  }

  private name(key: string): string {
    return taggedKey(this.prefix, key);
  }

  /** The value of `key`, loading it with `loader` on a miss (once, however many callers ask). */
  async getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    const o = this.options(options);
    const name = this.name(key);
    const core = this.core;
    const running = core.flights.get(name);
    if (running !== undefined && !running.refresh) {
      // This key is being loaded here already: while one caller waits for the refresh, the
      // others get the stale value at once; on a miss they join the load without reading.
      const stale = running.stale;
      if (stale !== null && core.store.now() < stale.staleUntil) return this.servedStale(key, stale, 'refreshing');
      core.stats.misses++;
      core.emit('miss', { key });
      return this.settle<T>(key, running.promise, null, o);
    }
    const now = core.store.now();
    let entry: Entry | null;
    if (core.l1 === null) {
      // The hit path without an L1: one await on the store's GET, the entry decoded once here,
      // no further async frames (each costs promises and microtask hops on every hit).
      entry = this.live(await core.store.get(name), now);
      if (entry !== null && entry.tags !== null && !(await this.tagsCurrent(entry.tags))) entry = null;
    } else {
      entry = await this.read(name, now);
    }
    if (entry !== null && now < entry.freshUntil) {
      core.stats.hits++;
      core.emit('hit', { key });
      if (o.beta !== undefined && now - entry.delta * o.beta * Math.log(Math.random()) >= entry.freshUntil) {
        this.flight(key, name, loader, o, entry, true).catch(() => {});
      }
      return valueOf<T>(entry);
    }
    if (entry === null) {
      core.stats.misses++;
      core.emit('miss', { key });
    }
    return this.settle<T>(key, this.flight(key, name, loader, o, entry, false), entry, o);
  }

  /** What a caller gets from a flight, with its soft (having `entry`, stale) and hard timeouts. */
  private async settle<T>(key: string, flight: Promise<Served>, entry: Entry | null, o: Resolved): Promise<T> {
    let result: Served | null;
    if (entry !== null && o.softTimeout !== undefined) {
      result = await this.within(flight, o.softTimeout);
      if (result === null) return this.servedStale(key, entry, 'softTimeout');
    } else if (o.hardTimeout !== undefined) {
      // Bounds the whole call, waiting for another process's lease included.
      result = await this.within(flight, o.hardTimeout);
      if (result === null) {
        if (entry !== null) return this.servedStale(key, entry, 'hardTimeout');
        throw new CacheTimeoutError(key, o.hardTimeout);
      }
    } else {
      result = await flight;
    }
    if (result.stale !== undefined) return this.servedStale(key, result.entry, result.stale);
    return valueOf<T>(result.entry);
  }

  /** The flight's entry, or null if `ms` passed first (the flight goes on). */
  private within(flight: Promise<Served>, ms: number): Promise<Served | null> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([flight, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]).finally(() => clearTimeout(timer));
  }

  private servedStale<T>(key: string, entry: Entry, reason: CacheEvents['stale']['reason']): T {
    this.core.stats.staleServed++;
    this.core.emit('stale', { key, reason });
    return valueOf<T>(entry);
  }

  /** The one load of `name` in this process: joins the one in progress or starts it. */
  private flight<T>(key: string, name: string, loader: Loader<T>, o: Resolved, stale: Entry | null, force: boolean): Promise<Served> {
    const flights = this.core.flights;
    const running = flights.get(name);
    if (running) return running.promise;
    const flight: Flight = {
      promise: this.lease(key, name, loader, o, stale, force).finally(() => {
        if (flights.get(name) === flight) flights.delete(name);
      }),
      stale,
      refresh: force,
    };
    flights.set(name, flight);
    return flight.promise;
  }

  /**
   * Across processes: take the load lease (SET NX PX, random token) or wait for the holder's
   * value to land (landing message, bounded polling). A stale value is served instead of waiting.
   */
  private async lease<T>(key: string, name: string, loader: Loader<T>, o: Resolved, stale: Entry | null, force: boolean): Promise<Served> {
    const core = this.core;
    const leaseKey = name + ':lease';
    const mine = token();
    await core.listen().catch(() => {}); // without landing messages, waiters still poll
    const deadline = o.hardTimeout === undefined ? Infinity : performance.now() + o.hardTimeout;
    let waited = false;
    for (let first = true; ; first = false) {
      const waiter = core.waiter(name);
      try {
        // Every flight starts right after its caller read the key: read again only after waiting.
        if (!first) {
          const now = core.store.now();
          const current = await this.read(name, now);
          if (current !== null && now < current.freshUntil) return { entry: current };
          if (current !== null) stale = current;
        }
        if (await core.store.set(leaseKey, mine, { nx: true, px: core.leaseTtl })) {
          // The previous holder may have committed (and so ended its lease) between our read and
          // our SET NX: look again before loading a second time.
          const now = core.store.now();
          const landed = await this.read(name, now, true);
          if (landed !== null && now < landed.freshUntil && !(force && landed.freshUntil === stale?.freshUntil)) {
            await this.endLease(name, leaseKey, mine);
            return { entry: landed };
          }
          return await this.load(key, name, leaseKey, mine, loader, o, stale);
        }
        if (stale !== null) return force ? { entry: stale } : { entry: stale, stale: 'refreshing' };
        if (!waited) {
          waited = true;
          core.stats.leaseWaits++;
          core.emit('leaseWait', { key });
        }
        const left = deadline - performance.now();
        if (left <= 0) throw new CacheTimeoutError(key, o.hardTimeout!);
        await waiter.wait(Math.min(core.pollInterval, left));
      } finally {
        waiter.cancel();
      }
    }
  }

  /** Runs the loader under our lease and stores its value only if the lease is still ours. */
  private async load<T>(key: string, name: string, leaseKey: string, mine: string, loader: Loader<T>, o: Resolved, stale: Entry | null): Promise<Served> {
    const core = this.core;
    let value: T;
    let ctx: Ctx<T>;
    let tags: [string, string][] | null = null;
    const started = performance.now();
    try {
      // Tag versions are read before loading: an invalidateTags() during the load makes this value stale.
      if (o.tags !== undefined && o.tags.length > 0) tags = await this.tagVersions(o.tags, true);
      ctx = new Ctx<T>(key, stale === null ? undefined : valueOf<T>(stale), o.ttl);
      core.stats.loads++;
      core.emit('load', { key });
      value = await this.bounded(key, loader(ctx), o.hardTimeout, ctx);
    } catch (error) {
      core.stats.loadErrors++;
      core.emit('loadError', { key, error });
      await this.endLease(name, leaseKey, mine);
      if (stale !== null && o.serveStaleOnError) return { entry: stale, stale: 'error' };
      throw error;
    }
    const ms = performance.now() - started;
    core.emit('loaded', { key, ms });
    const negative = value === undefined;
    const ttl = negative ? o.negativeTtl : ctx.ttl;
    const now = core.store.now();
    if (ttl === undefined || ctx.skipped) {
      await this.endLease(name, leaseKey, mine);
      return { entry: { negative, value, freshUntil: Infinity, staleUntil: Infinity, delta: ms, tags } };
    }
    const fresh = Math.round(ttl * (1 - o.jitter * Math.random()));
    const entry: Entry = { negative, value, freshUntil: now + fresh, staleUntil: now + fresh + o.grace, delta: Math.round(ms), tags };
    if (fresh + o.grace < 1) {
      await this.endLease(name, leaseKey, mine);
      return { entry };
    }
    let stored: StoreReply;
    try {
      const encoded = encodeEntry(entry, core.serializer);
      stored = await this.written(name, entry, () => core.store.run(commitWithLease, [name, leaseKey], [mine, encoded, fresh + o.grace]));
    } catch (e) {
      // Unserializable value or store failure: hand the key over now, not when the lease expires.
      await this.endLease(name, leaseKey, mine);
      throw e;
    }
    if (stored !== 1) {
      core.stats.refusedWrites++;
      core.emit('refused', { key });
    }
    await core.announce(name);
    return { entry };
  }

  /**
   * Runs a write of `entry` (a script answering 1 if it stored it), tells the other L1s, and keeps
   * the entry in ours unless an invalidation of the key arrived meanwhile (then a later write may
   * already have replaced it, and the next read fetches whichever won).
   */
  private async written(name: string, entry: Entry, write: () => Promise<StoreReply>): Promise<StoreReply> {
    const l1 = this.core.l1;
    l1?.begin(name);
    let stored: StoreReply;
    let clean = false;
    try {
      stored = await write();
    } finally {
      if (l1) clean = l1.end(name);
    }
    if (stored === 1) {
      this.core.changed([name]);
      if (clean) l1!.set(name, entry);
    }
    return stored;
  }

  /** The loader's result, or CacheTimeoutError (loader aborted) once the hard timeout passes. */
  private bounded<T>(key: string, loading: T | Promise<T>, ms: number | undefined, ctx: Ctx<T>): Promise<T> {
    if (ms === undefined) return Promise.resolve(loading);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ctx.controller.abort();
        reject(new CacheTimeoutError(key, ms));
      }, ms);
    });
    return Promise.race([Promise.resolve(loading), timeout]).finally(() => clearTimeout(timer));
  }

  /** Releases our lease (if still ours) and wakes the waiters, who then take over. */
  private async endLease(name: string, leaseKey: string, mine: string): Promise<void> {
    await this.core.store.run(releaseLease, [leaseKey], [mine]).catch(() => {});
    await this.core.announce(name);
  }

  /** The entry under `name` if present, unexpired and not invalidated by a tag; L1 first. */
  private async read(name: string, now: number, storeOnly = false): Promise<Entry | null> {
    const core = this.core;
    let e = storeOnly ? undefined : core.l1?.get(name);
    if (e !== undefined) {
      core.stats.l1Hits++;
    } else {
      const fetched = await this.fetch(name);
      if (fetched === null) return null;
      e = fetched;
    }
    if (now >= e.staleUntil) return null;
    if (e.tags !== null && !(await this.tagsCurrent(e.tags))) return null;
    return e;
  }

  /** GET and decode `name`, filling the L1 unless an invalidation raced the read. */
  private async fetch(name: string): Promise<Entry | null> {
    const core = this.core;
    const l1 = core.l1;
    l1?.begin(name);
    let raw: string | null;
    let keep = false;
    try {
      raw = await core.store.get(name);
    } finally {
      if (l1) keep = l1.end(name);
    }
    const e = this.decoded(raw);
    if (e !== null && keep) l1!.set(name, e);
    return e;
  }

  /** The stored text decoded, or null (absent, or not readable by our serializer: a miss, and the next load overwrites it). */
  private decoded(raw: string | null): Entry | null {
    if (raw === null) return null;
    try {
      return decodeEntry(raw, this.core.serializer);
    } catch {
      return null;
    }
  }

  /** decoded(), and null past its grace (tags are checked by the caller). */
  private live(raw: string | null, now: number): Entry | null {
    const e = this.decoded(raw);
    return e !== null && now < e.staleUntil ? e : null;
  }

  private tagKey(tag: string): string {
    return taggedKey(this.prefix + '#tag', tag);
  }

  /**
   * Current version of each tag. With `create`, a tag without one gets a random version first
   * (SET NX GET), so every entry records a real version: a tag key lost to eviction then reads
   * as a mismatch (stale), never as "not invalidated".
   */
  private async tagVersions(tags: string[], create: boolean): Promise<[string, string][]> {
    const core = this.core;
    return Promise.all(
      tags.map(async (tag): Promise<[string, string]> => {
        const k = this.tagKey(tag);
        const cached = core.l1?.tagVersion(k);
        if (cached !== undefined) return [tag, cached];
        core.l1?.begin(k);
        let v: string | null;
        let keep = false;
        try {
          if (create) {
            const fresh = token();
            v = ((await core.store.command(['SET', k, fresh, 'NX', 'GET'], k)) as string | null) ?? fresh;
          } else {
            v = await core.store.get(k);
          }
        } finally {
          if (core.l1) keep = core.l1.end(k);
        }
        if (v === null) return [tag, ''];
        if (keep) core.l1!.setTagVersion(k, v);
        return [tag, v];
      }),
    );
  }

  private async tagsCurrent(recorded: [string, string][]): Promise<boolean> {
    const current = await this.tagVersions(
      recorded.map((t) => t[0]),
      false,
    );
    return current.every(([, v], i) => v !== '' && v === recorded[i][1]);
  }

  /** The fresh value of `key` (undefined on a miss); `allowStale` also returns a value in grace. */
  async get<T>(key: string, options: { allowStale?: boolean } = {}): Promise<T | undefined> {
    const core = this.core;
    const now = core.store.now();
    const e = await this.read(this.name(key), now);
    if (e === null || (now >= e.freshUntil && !options.allowStale)) {
      core.stats.misses++;
      core.emit('miss', { key });
      return undefined;
    }
    core.stats.hits++;
    core.emit('hit', { key });
    return valueOf<T>(e);
  }

  /** True if `key` holds a fresh value (a cached "not found" is not a value). */
  async has(key: string): Promise<boolean> {
    const now = this.core.store.now();
    const e = await this.read(this.name(key), now);
    return e !== null && !e.negative && now < e.freshUntil;
  }

  /**
   * Writes `value` (a write-through after updating the database). Outstanding load leases on the
   * key are revoked, so a slower reader's older value cannot replace this one.
   */
  async set<T>(key: string, value: T, options?: SetOptions): Promise<void> {
    const core = this.core;
    const o = this.options(options);
    const name = this.name(key);
    const tags = o.tags !== undefined && o.tags.length > 0 ? await this.tagVersions(o.tags, true) : null;
    const now = core.store.now();
    const negative = value === undefined;
    const ttl = negative ? (o.negativeTtl ?? 0) : o.ttl;
    const fresh = Math.round(ttl * (1 - o.jitter * Math.random()));
    const entry: Entry = { negative, value, freshUntil: now + fresh, staleUntil: now + fresh + o.grace, delta: 0, tags };
    if (fresh + o.grace < 1) {
      await this.delete(key);
      return;
    }
    await this.written(name, entry, () => core.store.run(writeAndRevoke, [name, name + ':lease'], [encodeEntry(entry, core.serializer), fresh + o.grace]));
    await core.announce(name);
  }

  /**
   * Invalidates `key`: removes the value and its outstanding lease, so a load that started before
   * (and may have read the old data) cannot store its result. True if a value was removed.
   */
  async delete(key: string): Promise<boolean> {
    const name = this.name(key);
    const n = await this.core.store.unlink([name, name + ':lease']);
    this.core.changed([name]);
    this.core.emit('invalidate', { keys: [key] });
    return n > 0;
  }

  /**
   * Invalidates every entry tagged with any of `tags`: each tag gets a new version, and entries
   * recorded under an older one read as misses from now on (also those still being loaded).
   */
  async invalidateTags(tags: string[]): Promise<void> {
    const core = this.core;
    const names = tags.map((t) => this.tagKey(t));
    await Promise.all(names.map((k) => core.store.set(k, token())));
    core.changed(names);
    core.emit('invalidate', { tags });
  }

  /**
   * Deletes the entries whose key matches the glob `pattern` ('user:*'), with SCAN + UNLINK in
   * batches on every master (never KEYS). Their leases go too. Returns the number of entries.
   */
  async deleteMatching(pattern: string): Promise<number> {
    const match = escapeGlob(this.prefix) + '{' + pattern.replace(/%/g, '%25').replace(/\}/g, '%7D') + '}*';
    const n = await this.unlinkScan(match, true);
    this.core.emit('invalidate', { pattern });
    return n;
  }

  /** Deletes every entry of this cache (or of its namespace `namespace`), tags included. */
  async clear(namespace?: string): Promise<number> {
    const prefix = namespace === undefined ? this.prefix : this.prefix + namespace + ':';
    const n = await this.unlinkScan(escapeGlob(prefix) + '*', false);
    this.core.changed(null);
    this.core.emit('invalidate', { namespace: prefix });
    return n;
  }

  private async unlinkScan(match: string, announce: boolean): Promise<number> {
    let entries = 0;
    for await (const batch of this.core.store.scan(match)) {
      for (const k of batch) if (k.endsWith('}') && !k.includes('#tag{')) entries++;
      await this.core.store.unlink(batch);
      if (announce) this.core.changed(batch);
    }
    return entries;
  }

  /** Stops subscriptions and tracking (and the store if the cache created it). */
  async close(): Promise<void> {
    await this.core.close();
  }
}

/**
 * A cache: `createCache()` runs on a new embedded engine (no server); `createCache({ store: redis })`
 * on an ioredis/node-redis client (standalone or cluster) or any Store.
 */
export function createCache(options: CacheOptions = {}): Cache {
  const owns = options.store === undefined || !('run' in options.store && 'track' in options.store);
  const store = createStore(options.store);
  const prefix = options.prefix ?? 'sn:';
  if (prefix.includes('{')) throw new TypeError(`invalid prefix: '${prefix}'`);
  const core = new Core(store, owns, prefix, options.serializer ?? jsonSerializer, toMs(options.lease?.ttl ?? '10s'), toMs(options.lease?.pollInterval ?? '100ms'), options.l1, options.announceWrites === true);
  return new Cache(core, prefix, resolve(options));
}
