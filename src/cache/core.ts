import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Entry, Serializer } from './entry.js';
import { L1 } from './l1.js';
import type { CacheEvents, CacheOptions, CacheStats } from './options.js';
import type { Store, Subscription, Tracking } from './stores/types.js';

/** A random token: lease owners, tag versions, instance ids. */
export const token = () => randomBytes(12).toString('base64url');

/** A flight's outcome: the entry to serve, and why if it is a stale one. */
export interface Served {
  entry: Entry;
  stale?: 'refreshing' | 'error';
}

/**
 * A load in progress in this process: `stale` is the value it replaces, if any; `refresh` if
 * that value is still fresh (an XFetch early refresh).
 */
export interface Flight {
  promise: Promise<Served>;
  stale: Entry | null;
  refresh: boolean;
}

/** A lease waiter: woken by a landing message or after the poll interval. */
export interface Waiter {
  wait(ms: number): Promise<void>;
  cancel(): void;
}


/**
 * What all namespaces of one cache share: the store, the in-process flights, the landing
 * channel, the L1 and its coherence, counters and events.
 */
export class Core {
  readonly stats: CacheStats = { hits: 0, misses: 0, staleServed: 0, loads: 0, loadErrors: 0, leaseWaits: 0, refusedWrites: 0, l1Hits: 0, l1Size: 0, l1Invalidations: 0, l1Flushes: 0, l1Evictions: 0 };
  readonly emitter = new EventEmitter();
  readonly flights = new Map<string, Flight>();
  readonly l1: L1 | null;
  readonly id = token();
  private readonly waiters = new Map<string, Set<() => void>>();
  private landing: Promise<Subscription> | null = null;
  private bus: Subscription | null = null;
  private tracking: Tracking | null = null;
  private coherence: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | null = null;
  /** Bumped by lost(): a setup that straddles a loss must not declare the L1 coherent. */
  private generation = 0;
  closed = false;

  constructor(
    readonly store: Store,
    readonly ownsStore: boolean,
    readonly root: string,
    readonly serializer: Serializer,
    readonly leaseTtl: number,
    readonly pollInterval: number,
    l1: CacheOptions['l1'],
    private readonly announceWrites: boolean,
  ) {
    this.emitter.setMaxListeners(0);
    this.l1 = l1 ? new L1(typeof l1 === 'object' ? (l1.maxEntries ?? 10_000) : 10_000) : null;
    if (this.l1) this.coherence = this.startCoherence();
  }

  emit<K extends keyof CacheEvents>(event: K, data: CacheEvents[K]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, data);
  }

  get landingChannel(): string {
    return this.root + '__landed';
  }

  private get busChannel(): string {
    return this.root + '__inv';
  }

  /** Subscribes (once) to the channel on which loaders announce that a value landed. */
  listen(): Promise<Subscription> {
    this.landing ??= this.store
      .subscribe(this.landingChannel, (name) => {
        const set = this.waiters.get(name);
        if (set) for (const wake of set) wake();
      })
      .catch((e: unknown) => {
        this.landing = null; // the next flight tries again
        throw e;
      });
    return this.landing;
  }

  waiter(name: string): Waiter {
    let wake: () => void = () => {};
    const woken = new Promise<void>((r) => (wake = r));
    let set = this.waiters.get(name);
    if (!set) this.waiters.set(name, (set = new Set()));
    set.add(wake);
    let timer: NodeJS.Timeout | undefined;
    return {
      wait: (ms) => Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, ms)))]),
      cancel: () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(name) === set) this.waiters.delete(name);
      },
    };
  }

  announce(name: string): Promise<void> {
    return this.store.publish(this.landingChannel, name).catch(() => {});
  }

  /** Keys this instance changed: other instances on the pub/sub bus drop them from their L1. */
  changed(names: string[] | null): void {
    if (names === null) this.l1?.flush();
    else this.l1?.invalidate(names);
    if (this.bus || this.announceWrites) void this.store.publish(this.busChannel, this.id + '|' + (names === null ? '*' : JSON.stringify(names))).catch(() => {});
  }

  /**
   * L1 coherence: server-assisted (CLIENT TRACKING BCAST on our prefix) where the server has it,
   * else the pub/sub bus. The L1 is used only once invalidations are flowing.
   */
  private async startCoherence(): Promise<void> {
    const l1 = this.l1!;
    const generation = this.generation;
    try {
      this.tracking = await this.store.track([this.root], {
        invalidate: (names) => l1.invalidate(names),
        lost: () => this.lost(),
      });
      if (this.tracking === null) {
        this.bus = await this.store.subscribe(
          this.busChannel,
          (msg) => {
            const bar = msg.indexOf('|');
            if (msg.slice(0, bar) === this.id) return;
            const body = msg.slice(bar + 1);
            l1.invalidate(body === '*' ? null : (JSON.parse(body) as string[]));
          },
          () => this.lost(),
        );
      }
      if (this.closed || generation !== this.generation) return this.stopCoherence();
      l1.coherent = true;
    } catch {
      this.lost();
    }
  }

  /** Invalidations may have been missed: drop the L1, stop using it, set coherence up again. */
  private lost(): void {
    const l1 = this.l1!;
    this.generation++;
    l1.coherent = false;
    l1.flush();
    this.tracking = null;
    void this.bus?.close().catch(() => {});
    this.bus = null;
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed) this.coherence = this.startCoherence();
    }, 500);
    this.retry.unref();
  }

  private async stopCoherence(): Promise<void> {
    await this.tracking?.close();
    await this.bus?.close();
    this.tracking = this.bus = null;
  }

  ready(): Promise<void> {
    return this.coherence;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.l1) this.l1.coherent = false;
    await this.coherence;
    await this.stopCoherence();
    if (this.landing) await (await this.landing).close();
    if (this.ownsStore) await this.store.close();
  }
}
