import { EventEmitter } from 'node:events';
import { EmbeddedClient, Engine } from '../../embedded.js';
import { ErrorReply, StatusReply, type ReplyValue } from '../../commands/reply.js';
import type { ServerContext } from '../../commands/server-context.js';
import type { Database } from '../../engine/database.js';
import type { KeyListener } from '../../engine/keyspace.js';
import type { Script, SetOptions, Store, StoreReply, Subscription, SyncCall, Tracking, TrackingListener } from './types.js';

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 JS string → the engine's latin1 byte string (ASCII passes through unchanged). */
function toBytes(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/** The engine's latin1 byte string → UTF-8 JS string. */
function fromBytes(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

function toStoreReply(v: ReplyValue): StoreReply {
  if (v === null || typeof v === 'number') return v;
  if (typeof v === 'string') return fromBytes(v);
  if (v instanceof StatusReply) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(toStoreReply);
  if (v instanceof Set) return [...v].map(toStoreReply);
  if (v instanceof Map) return [...v].flatMap(([k, x]) => [toStoreReply(k), toStoreReply(x)]);
  throw v as ErrorReply;
}

/** Local pub/sub per engine: embedded clients have no push channel, so SUBSCRIBE is refused there. */
const buses = new WeakMap<ServerContext, EventEmitter>();
function busOf(context: ServerContext): EventEmitter {
  let bus = buses.get(context);
  if (!bus) {
    bus = new EventEmitter();
    bus.setMaxListeners(0);
    buses.set(context, bus);
  }
  return bus;
}

export interface EmbeddedStoreOptions {
  /**
   * 'native' (default): scripts with a JS twin run it (synchronous, so atomic); others go to the
   * engine's EVALSHA/EVAL. 'lua': always the engine's Lua, exactly what Redis would run.
   */
  scripts?: 'native' | 'lua';
}

/**
 * The store over an in-process engine (`new Engine()` by default). Every call is synchronous
 * underneath: nothing interleaves with a script, a SET NX or a compare-and-delete.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly cluster = false;
  readonly client: EmbeddedClient;
  private readonly scripts: 'native' | 'lua';
  private readonly trackers = new Set<KeyListener>();
  readonly call: SyncCall = (...args) => toStoreReply(this.client.call(...args.map((a) => (typeof a === 'string' ? toBytes(a) : a))));

  private cron: NodeJS.Timeout | null = null;

  constructor(engine?: EmbeddedClient, options: EmbeddedStoreOptions = {}) {
    this.client = engine ?? new Engine();
    this.scripts = options.scripts ?? 'native';
    if (engine === undefined) {
      // Our own engine has no server cron: run its active expiry as the server would (10 Hz,
      // 25% of the period at most), or entries never read again would stay in memory forever.
      const keyspace = this.client.context.keyspace;
      this.cron = setInterval(() => keyspace.activeExpireCycle(25), 100);
      this.cron.unref();
    }
  }

  now(): number {
    return this.client.context.keyspace.clock.now();
  }

  async get(key: string): Promise<string | null> {
    return this.call('GET', key) as string | null;
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    return keys.length === 0 ? [] : (this.call('MGET', ...keys) as (string | null)[]);
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const args: (string | number)[] = ['SET', key, value];
    if (options.px !== undefined) args.push('PX', Math.max(1, Math.ceil(options.px)));
    if (options.nx) args.push('NX');
    return this.call(...args) !== null;
  }

  async unlink(keys: string[]): Promise<number> {
    return keys.length === 0 ? 0 : (this.call('UNLINK', ...keys) as number);
  }

  async run(script: Script, keys: string[], args: (string | number)[]): Promise<StoreReply> {
    return this.runSync(script, keys, args);
  }

  /** The script, synchronously (the toolkit's embedded fast paths call this directly). */
  runSync(script: Script, keys: string[], args: (string | number)[]): StoreReply {
    if (script.native && this.scripts === 'native') return script.native(this.call, keys, args.map(String));
    try {
      return this.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof ErrorReply) || !e.message.startsWith('NOSCRIPT')) throw e;
      return this.call('EVAL', script.lua, keys.length, ...keys, ...args);
    }
  }

  async command(args: (string | number)[]): Promise<StoreReply> {
    return this.call(...args);
  }

  async *scan(pattern: string, count = 1000): AsyncIterable<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = this.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', count) as [string, string[]];
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }

  async publish(channel: string, message: string): Promise<void> {
    this.call('PUBLISH', channel, message); // reaches TCP subscribers when the engine is shared with a server
    busOf(this.client.context).emit(channel, message);
  }

  /** In-process: nothing to disconnect, so `onDisconnect` is never called. */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<Subscription> {
    const bus = busOf(this.client.context);
    bus.on(channel, onMessage);
    return { close: async () => void bus.off(channel, onMessage) };
  }

  /** Invalidation straight from the keyspace's change events, synchronously with the write. */
  async track(prefixes: string[], listener: TrackingListener): Promise<Tracking | null> {
    const keyspace = this.client.context.keyspace;
    const bytePrefixes = prefixes.map(toBytes);
    const ours = (db: Database) => db === this.client.client.db;
    const tracker: KeyListener = {
      keyModified: (db, key) => {
        if (ours(db) && bytePrefixes.some((p) => key.startsWith(p))) listener.invalidate([fromBytes(key)]);
      },
      databaseChanged: (db) => {
        if (ours(db)) listener.invalidate(null);
      },
    };
    keyspace.addListener(tracker);
    this.trackers.add(tracker);
    return {
      close: async () => {
        keyspace.removeListener(tracker);
        this.trackers.delete(tracker);
      },
    };
  }

  async close(): Promise<void> {
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    for (const t of this.trackers) this.client.context.keyspace.removeListener(t);
    this.trackers.clear();
  }
}
