import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedClient } from '../../embedded.js';
import { toMs, type Duration } from '../duration.js';
import { createStore, type RedisClientLike, type Store } from '../stores/index.js';
import { taggedKey } from '../stores/keys.js';
import { acquireScript, extendScript, releaseScript } from './scripts.js';

export interface LockOptions {
  /**
   * How long the lock outlives a holder that stops extending it (crashed, partitioned, stuck in a
   * GC pause). Too short and a slow but healthy holder loses the lock mid-work; too long and a dead
   * holder blocks everyone. Default 10 s.
   */
  ttl?: Duration;
  /** How long acquire() keeps trying before it throws LockTimeoutError. 0 = one attempt. Default 5 s. */
  wait?: Duration;
  /**
   * Pause between attempts (randomised ±50% so waiters don't retry in lockstep, and never longer
   * than the holder's remaining TTL). Default 50 ms.
   */
  retryDelay?: Duration;
  /** Gives up waiting when aborted (acquire() rejects with an AbortError). */
  signal?: AbortSignal;
}

export interface WithLockOptions extends LockOptions {
  /**
   * While `fn` runs, extend the lock every `extendEvery` (default ttl/3), so work longer than the
   * TTL keeps the lock, yet a crashed process loses it after one TTL. Default true.
   */
  autoExtend?: boolean;
  extendEvery?: Duration;
}

export interface LocksOptions extends LockOptions {
  /** Key prefix (default `lock:`): `lock:{name}` holds the token, `lock:{name}:fence` the fencing counter. */
  prefix?: string;
}

/** acquire() waited `wait` without getting the lock. */
export class LockTimeoutError extends Error {
  constructor(readonly lockName: string) {
    super(`could not acquire lock "${lockName}" in time`);
    this.name = 'LockTimeoutError';
  }
}

/** The lock expired or was taken over while its holder still worked (extension found another token). */
export class LockLostError extends Error {
  constructor(readonly lockName: string) {
    super(`lock "${lockName}" was lost before the work finished`);
    this.name = 'LockLostError';
  }
}

/** A held lock. Only this object's token can release or extend it. */
export class Lock {
  private readonly lost = new AbortController();

  constructor(
    private readonly locks: Locks,
    readonly name: string,
    readonly key: string,
    readonly token: string,
    /**
     * Fencing token: strictly greater than that of every earlier holder of this lock name. Pass it
     * with each write to the protected resource and have the resource refuse a fence lower than
     * the highest it has seen: a holder that paused past its TTL then cannot overwrite newer work.
     */
    readonly fence: number,
    /** The TTL it was acquired with (ms): what extend() renews by default. */
    readonly ttl: number,
    /** Local estimate (ms since epoch) of when the lock expires; measured from before the request, so never late. */
    public validUntil: number,
  ) {}

  /** Aborted (with a LockLostError) once the lock is known to be lost. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  /** Deletes the lock if it still holds our token; false if it had expired or was taken over. */
  async release(): Promise<boolean> {
    const ok = (await this.locks.store.run(releaseScript, [this.key], [this.token])) === 1;
    if (ok) this.locks.counts.released++;
    return ok;
  }

  /** Sets the TTL to `ttl` (default: the one it was acquired with) if the lock still holds our token; false (and the signal aborts) if not. */
  async extend(ttl: Duration = this.ttl): Promise<boolean> {
    const ms = Math.ceil(toMs(ttl));
    const sent = Date.now();
    const ok = (await this.locks.store.run(extendScript, [this.key], [this.token, ms])) === 1;
    if (ok) {
      this.validUntil = sent + ms;
      this.locks.counts.extended++;
    } else {
      this.markLost();
    }
    return ok;
  }

  /** @internal */
  markLost(): void {
    if (this.lost.signal.aborted) return;
    this.locks.counts.lost++;
    this.lost.abort(new LockLostError(this.name));
  }
}

/**
 * Mutual exclusion over a store, safe across processes: a lock is a key holding a random token,
 * taken with SET NX PX, released and extended only by compare-and-delete / compare-and-pexpire
 * scripts, so no process can release another's lock, and a crashed holder's lock expires.
 *
 * ```ts
 * const locks = new Locks(store);
 * await locks.withLock('invoice:42', async (lock) => { await pay(42, lock.fence); });
 * ```
 */
export class Locks {
  readonly store: Store;
  readonly prefix: string;
  readonly ttl: number;
  private readonly defaults: Required<Omit<LockOptions, 'signal' | 'ttl'>>;
  /** @internal Counters behind stats(); Lock objects report releases, extensions and losses here. */
  readonly counts = { acquired: 0, contended: 0, timeouts: 0, released: 0, extended: 0, lost: 0 };

  /** `backend`: a Store, an ioredis/node-redis client or cluster, or an embedded Engine (see createStore). */
  constructor(backend: Store | EmbeddedClient | RedisClientLike, options: LocksOptions = {}) {
    this.store = createStore(backend);
    this.prefix = options.prefix ?? 'lock:';
    this.ttl = positiveMs('ttl', options.ttl ?? 10_000);
    this.defaults = { wait: options.wait ?? 5000, retryDelay: options.retryDelay ?? 50 };
  }

  /**
   * Since creation: locks acquired, attempts that found the lock held, acquire() timeouts, releases
   * and extensions that succeeded, and locks found lost (for metrics).
   */
  stats(): { acquired: number; contended: number; timeouts: number; released: number; extended: number; lost: number } {
    return { ...this.counts };
  }

  /** The key holding `name`'s token (the fencing counter is this key + ':fence', same slot). */
  key(name: string): string {
    return taggedKey(this.prefix, name);
  }

  /** One attempt: the lock, or null if someone holds it. */
  async tryAcquire(name: string, options: { ttl?: Duration } = {}): Promise<Lock | null> {
    const r = await this.attempt(name, positiveMs('ttl', options.ttl ?? this.ttl));
    return r.lock;
  }

  /** Waits up to `wait` for the lock; throws LockTimeoutError when it does not come. */
  async acquire(name: string, options: LockOptions = {}): Promise<Lock> {
    const ttl = positiveMs('ttl', options.ttl ?? this.ttl);
    const deadline = Date.now() + toMs(options.wait ?? this.defaults.wait);
    const delay = toMs(options.retryDelay ?? this.defaults.retryDelay);
    for (;;) {
      options.signal?.throwIfAborted();
      const { lock, holderTtl } = await this.attempt(name, ttl);
      if (lock) return lock;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.counts.timeouts++;
        throw new LockTimeoutError(name);
      }
      // Jittered, and no longer than the holder's TTL (a crashed holder's lock frees up then) or our deadline.
      const pause = Math.min(delay * (0.5 + Math.random()), holderTtl > 0 ? holderTtl + 1 : delay, left);
      await sleep(Math.max(1, pause), undefined, { signal: options.signal });
    }
  }

  /**
   * Runs `fn` holding the lock, extending it while `fn` runs, and releases it afterwards. If the
   * lock is lost meanwhile, `lock.signal` aborts (so `fn` can stop) and withLock rejects with
   * LockLostError even if `fn` finished: its work was not exclusive.
   */
  async withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, options: WithLockOptions = {}): Promise<T> {
    const lock = await this.acquire(name, options);
    const stop = options.autoExtend === false ? () => {} : this.keepAlive(lock, toMs(options.extendEvery ?? lock.ttl / 3));
    try {
      const result = await fn(lock);
      if (lock.signal.aborted) throw lock.signal.reason;
      return result;
    } finally {
      stop();
      await lock.release().catch(() => false); // an unreachable store lets the lock expire by itself
    }
  }

  private async attempt(name: string, ttl: number): Promise<{ lock: Lock | null; holderTtl: number }> {
    const key = this.key(name);
    const token = randomBytes(16).toString('hex');
    const sent = Date.now();
    const [ok, value] = (await this.store.run(acquireScript, [key, `${key}:fence`], [token, Math.ceil(ttl)])) as [number, number];
    if (ok === 1) {
      this.counts.acquired++;
      return { lock: new Lock(this, name, key, token, Number(value), ttl, sent + ttl), holderTtl: 0 };
    }
    this.counts.contended++;
    return { lock: null, holderTtl: Number(value) };
  }

  /** Extends `lock` every `every` ms until the returned stop function is called or the lock is lost. */
  private keepAlive(lock: Lock, every: number): () => void {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = async () => {
      try {
        if (!(await lock.extend())) return; // lost: extend() aborted the signal
      } catch {
        // The store did not answer: the lock may still be ours until it would have expired.
        if (Date.now() >= lock.validUntil) return lock.markLost();
      }
      if (!stopped) schedule();
    };
    const schedule = () => {
      timer = setTimeout(tick, Math.max(1, every));
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}

function positiveMs(name: string, d: Duration): number {
  const ms = toMs(d);
  if (!(ms > 0)) throw new RangeError(`${name} must be a positive duration, got ${String(d)}`);
  return ms;
}
