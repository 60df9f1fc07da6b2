import type { KeyListener } from '../engine/keyspace.js';
import { parseInt64 } from './args.js';
import type { Client } from './client.js';
import { ERR, cstr } from './errors.js';
import { ReplyError } from './reply.js';
import type { ServerContext } from './server-context.js';
import type { Command, CommandDef } from './table.js';

/**
 * Client-side caching (Redis 7.0's tracking.c). A client in tracking mode is told when keys it
 * read may have changed: in default mode the server remembers which clients read which keys
 * (one table for all databases, as Redis) and sends an invalidation when such a key is written,
 * expires or is evicted; in BCAST mode every change to a key under one of the client's prefixes
 * is announced, batched per prefix at the end of the batch of commands. Messages are RESP3
 * pushes `>2 invalidate [keys]`, or, for a RESP2 client redirecting to a subscribed connection,
 * `message __redis__:invalidate [keys]`. FLUSHDB/FLUSHALL send a null invalidation.
 */

/** Per-client tracking options (Redis keeps them as CLIENT_TRACKING_* flags). */
interface TrackingState {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  /** BCAST prefixes, sorted as Redis's radix tree lists them. */
  prefixes: string[];
}

/** A BCAST prefix: its clients and the keys changed under it since the last broadcast. */
interface Prefix {
  clients: Set<Client>;
  /** Changed key → the client whose command changed it (for NOLOOP), or null. */
  keys: Map<string, Client | null>;
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';

export class Tracking {
  /** Key → ids of clients that read it (ids, like Redis: a reconnecting id is never reused). */
  private readonly table = new Map<string, Set<number>>();
  private readonly states = new Map<Client, TrackingState>();
  private readonly prefixes = new Map<string, Prefix>();
  /** The tracking client whose command is running: its own invalidations wait for its reply. */
  private current: Client | null = null;
  /** Nesting of tracked commands (EXEC runs its queued commands inside its own). */
  private depth = 0;
  private pendingOwn: (string | null)[] = [];
  private broadcastQueued = false;
  /** Set while a flush empties databases: the null invalidation already covered every key. */
  private flushing = false;

  constructor(private readonly server: ServerContext) {
    const listener: KeyListener = { keyModified: (_db, key) => this.invalidateKey(key) };
    server.keyspace.addListener(listener);
    server.clientResetHooks.push((c) => this.disable(c));
  }

  stateOf(c: Client): TrackingState | undefined {
    return this.states.get(c);
  }

  enable(c: Client, redirect: number, options: Omit<TrackingState, 'caching' | 'brokenRedirect' | 'prefixes'>, prefixes: string[]): void {
    const old = this.states.get(c);
    const state: TrackingState = { ...options, caching: false, brokenRedirect: false, prefixes: old?.prefixes ?? [] };
    this.states.set(c, state);
    c.tracking = true;
    c.trackingRedirect = redirect;
    if (!options.bcast) return;
    for (const p of prefixes.length === 0 ? [''] : prefixes) {
      if (!state.prefixes.includes(p)) state.prefixes.push(p);
      let entry = this.prefixes.get(p);
      if (entry === undefined) this.prefixes.set(p, (entry = { clients: new Set(), keys: new Map() }));
      entry.clients.add(c);
    }
    state.prefixes.sort(compareBytes);
  }

  disable(c: Client): void {
    const state = this.states.get(c);
    if (state === undefined) return;
    for (const p of state.prefixes) {
      const entry = this.prefixes.get(p)!;
      entry.clients.delete(c);
      if (entry.clients.size === 0) this.prefixes.delete(p);
    }
    this.states.delete(c);
    c.tracking = false;
    c.trackingRedirect = -1;
  }

  // ---- around each command of a tracking client (called by dispatch) ----------------------------

  beforeCommand(c: Client): void {
    if (this.depth++ === 0) this.current = c;
  }

  /** trackingRememberKeys + the end of Redis's call(): own invalidations go after the reply. */
  afterCommand(c: Client, cmd: Command, args: string[]): void {
    const state = this.states.get(c);
    if (state !== undefined) {
      if (cmd.readonly && !state.bcast && !(state.optin && !state.caching) && !(state.optout && state.caching)) {
        for (const i of cmd.keyIndexes(args)) this.remember(c, args[i]);
      }
      // CLIENT CACHING applies to the next command (a whole transaction); CLIENT subcommands keep it.
      if (this.depth === 1 && c.multiQueued === -1 && !cmd.fullname.startsWith('client|')) state.caching = false;
    }
    if (--this.depth > 0) return;
    this.current = null;
    if (this.pendingOwn.length > 0) {
      const pending = this.pendingOwn;
      this.pendingOwn = [];
      for (const key of pending) this.send(c, key);
    }
  }

  private remember(c: Client, key: string): void {
    let ids = this.table.get(key);
    if (ids === undefined) this.table.set(key, (ids = new Set()));
    ids.add(c.id);
    const max = this.server.config.typed.trackingTableMaxKeys;
    if (max > 0 && this.table.size > max) this.evictOldest(this.table.size - max);
  }

  /** Over tracking-table-max-keys: forget the oldest keys, telling their readers to drop them. */
  private evictOldest(n: number): void {
    for (const key of this.table.keys()) {
      if (n-- <= 0) break;
      this.invalidateKey(key, false);
    }
  }

  // ---- invalidation ---------------------------------------------------------------------------

  /** trackingInvalidateKey: `key` changed (written, deleted, expired or evicted). */
  invalidateKey(key: string, bcast = true): void {
    if (this.flushing) return;
    if (bcast && this.prefixes.size > 0) this.rememberForBroadcast(key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (target === undefined || !target.tracking) continue;
      const state = this.states.get(target)!;
      if (state.bcast) continue;
      if (target === this.current) {
        if (!state.noloop) this.pendingOwn.push(key);
      } else {
        this.send(target, key);
      }
    }
  }

  /** FLUSHDB/FLUSHALL: a null invalidation to every tracking client, and the table is emptied. */
  flush(run: () => void): void {
    for (const c of this.states.keys()) {
      if (c === this.current) this.pendingOwn.push(null);
      else this.send(c, null);
    }
    this.table.clear();
    this.flushing = true;
    try {
      run();
    } finally {
      this.flushing = false;
    }
  }

  private rememberForBroadcast(key: string): void {
    for (const [prefix, entry] of this.prefixes) {
      if (!key.startsWith(prefix)) continue;
      entry.keys.set(key, this.current);
      if (!this.broadcastQueued) {
        this.broadcastQueued = true;
        // Like Redis's beforeSleep: after the batch of commands being processed.
        queueMicrotask(() => this.broadcast());
      }
    }
  }

  /** trackingBroadcastInvalidationMessages: each prefix's changed keys, in byte order. */
  private broadcast(): void {
    this.broadcastQueued = false;
    for (const prefix of [...this.prefixes.keys()].sort(compareBytes)) {
      const entry = this.prefixes.get(prefix)!;
      if (entry.keys.size === 0) continue;
      const keys = [...entry.keys.keys()].sort(compareBytes);
      for (const c of entry.clients) {
        const noloop = this.states.get(c)!.noloop;
        const own = noloop ? keys.filter((k) => entry.keys.get(k) !== c) : keys;
        if (own.length > 0) this.send(c, own);
      }
      entry.keys.clear();
    }
  }

  /**
   * sendTrackingMessage: one invalidation (a key, a list of keys, or null for a flush) to `c` or
   * to the client it redirects to.
   */
  private send(c: Client, keys: string | string[] | null): void {
    let target = c;
    const redirect = c.trackingRedirect;
    if (redirect > 0) {
      const redir = this.server.clients.get(redirect);
      if (redir === undefined) {
        this.states.get(c)!.brokenRedirect = true;
        if (c.protocol === 3) {
          c.reply.push(2);
          c.reply.bulk('tracking-redir-broken');
          c.reply.integer(redirect);
          c.deliver?.();
        }
        return;
      }
      target = redir;
    }
    const r = target.reply;
    if (target.protocol === 3) {
      r.push(2);
      r.bulk('invalidate');
    } else if (redirect > 0 && target.subscriptions + target.patternSubscriptions + target.shardSubscriptions > 0) {
      r.push(3);
      r.bulk('message');
      r.bulk(INVALIDATE_CHANNEL);
    } else {
      // RESP2 without redirection: the connection cannot carry out-of-band messages.
      return;
    }
    if (keys === null) {
      // Redis writes the null of the tracking client's protocol, whatever the target speaks.
      if (c.protocol === 3) r.nullArray();
      else r.bulk(null);
    } else if (typeof keys === 'string') {
      r.array(1);
      r.bulk(keys);
    } else {
      r.array(keys.length);
      for (const k of keys) r.bulk(k);
    }
    target.deliver?.();
  }
}

/** Byte order (keys are latin1 strings, one char per byte), as Redis's radix tree sorts. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const registries = new WeakMap<ServerContext, Tracking>();

/** The tracking state of a server, created when a client first enables tracking. */
export function trackingOf(server: ServerContext): Tracking {
  let t = registries.get(server);
  if (t === undefined) registries.set(server, (t = new Tracking(server)));
  return t;
}

/** The client it redirects invalidations to has gone (CLIENT LIST's R flag). */
export function trackingRedirectBroken(c: Client): boolean {
  return trackingOf(c.server).stateOf(c)?.brokenRedirect === true;
}

/** Dispatch's hooks around a command of a client with tracking on. */
export function trackingBeforeCommand(c: Client): void {
  trackingOf(c.server).beforeCommand(c);
}

export function trackingAfterCommand(c: Client, cmd: Command, args: string[]): void {
  trackingOf(c.server).afterCommand(c, cmd, args);
}

/** Runs a FLUSHDB/FLUSHALL with the null invalidation Redis sends instead of one per key. */
export function flushWithTracking(server: ServerContext, run: () => void): void {
  const t = registries.get(server);
  if (t === undefined) run();
  else t.flush(run);
}

// ---- commands -------------------------------------------------------------------------------------

const E = {
  oneRedirect: 'ERR A client can only redirect to a single other client',
  noRedirectTarget: 'ERR The client ID you want redirect to does not exist',
  prefixNeedsBcast: 'ERR PREFIX option requires BCAST mode to be enabled',
  bcastSwitch:
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
  bcastOptinOptout: 'ERR OPTIN and OPTOUT are not compatible with BCAST',
  optinAndOptout: "ERR You can't specify both OPTIN mode and OPTOUT mode",
  optSwitch:
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
  cachingNotTracking: 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
  cachingYes: 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
  cachingNo: 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
};

function overlaps(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** checkPrefixCollisionsOrReply: a client's prefixes must not be prefixes of one another. */
function checkPrefixes(existing: readonly string[], prefixes: readonly string[]): void {
  for (let i = 0; i < prefixes.length; i++) {
    for (const old of existing) {
      if (overlaps(old, prefixes[i])) {
        throw new ReplyError(`ERR Prefix '${cstr(prefixes[i])}' overlaps with an existing prefix '${cstr(old)}'. Prefixes for a single client must not overlap.`);
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlaps(prefixes[i], prefixes[j])) {
        throw new ReplyError(`ERR Prefix '${cstr(prefixes[i])}' overlaps with another provided prefix '${cstr(prefixes[j])}'. Prefixes for a single client must not overlap.`);
      }
    }
  }
}

function clientTracking(c: Client, args: string[]): void {
  let redirect = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < args.length; j++) {
    const opt = args[j].toLowerCase();
    const more = j < args.length - 1;
    if (opt === 'redirect' && more) {
      j++;
      if (redirect !== 0) throw new ReplyError(E.oneRedirect);
      const id = parseInt64(args[j]);
      if (id === null) throw new ReplyError(ERR.notInteger);
      if (!c.server.clients.has(Number(id))) throw new ReplyError(E.noRedirectTarget);
      redirect = Number(id);
    } else if (opt === 'bcast') {
      opts.bcast = true;
    } else if (opt === 'optin') {
      opts.optin = true;
    } else if (opt === 'optout') {
      opts.optout = true;
    } else if (opt === 'noloop') {
      opts.noloop = true;
    } else if (opt === 'prefix' && more) {
      prefixes.push(args[++j]);
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const mode = args[2].toLowerCase();
  if (mode === 'off') {
    trackingOf(c.server).disable(c);
    c.reply.status('OK');
    return;
  }
  if (mode !== 'on') throw new ReplyError(ERR.syntax);
  const tracking = trackingOf(c.server);
  const state = tracking.stateOf(c);
  if (!opts.bcast && prefixes.length > 0) throw new ReplyError(E.prefixNeedsBcast);
  if (state !== undefined && state.bcast !== opts.bcast) throw new ReplyError(E.bcastSwitch);
  if (opts.bcast && (opts.optin || opts.optout)) throw new ReplyError(E.bcastOptinOptout);
  if (opts.optin && opts.optout) throw new ReplyError(E.optinAndOptout);
  if ((opts.optin && state?.optout) || (opts.optout && state?.optin)) throw new ReplyError(E.optSwitch);
  if (opts.bcast) checkPrefixes(state?.prefixes ?? [], prefixes);
  // Invalidations need a connection that can receive them between commands.
  if (c.deliver === null) throw new ReplyError('ERR CLIENT TRACKING is not supported by embedded clients');
  tracking.enable(c, redirect, opts, prefixes);
  c.reply.status('OK');
}

function clientCaching(c: Client, args: string[]): void {
  const state = c.tracking ? trackingOf(c.server).stateOf(c) : undefined;
  if (state === undefined) throw new ReplyError(E.cachingNotTracking);
  const opt = args[2].toLowerCase();
  if (opt === 'yes') {
    if (!state.optin) throw new ReplyError(E.cachingYes);
  } else if (opt === 'no') {
    if (!state.optout) throw new ReplyError(E.cachingNo);
  } else {
    throw new ReplyError(ERR.syntax);
  }
  state.caching = true;
  c.reply.status('OK');
}

/** addReplyTrackingInfo. */
function clientTrackingInfo(c: Client): void {
  const state = c.tracking ? trackingOf(c.server).stateOf(c) : undefined;
  const flags = [state ? 'on' : 'off'];
  if (state?.bcast) flags.push('bcast');
  if (state?.optin) {
    flags.push('optin');
    if (state.caching) flags.push('caching-yes');
  }
  if (state?.optout) {
    flags.push('optout');
    if (state.caching) flags.push('caching-no');
  }
  if (state?.noloop) flags.push('noloop');
  if (state?.brokenRedirect) flags.push('broken_redirect');
  const r = c.reply;
  r.map(3);
  r.bulk('flags');
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.integer(state ? c.trackingRedirect : -1);
  r.bulk('prefixes');
  const prefixes = state?.prefixes ?? [];
  r.array(prefixes.length);
  for (const p of prefixes) r.bulk(p);
}

export const trackingCommands: CommandDef[] = [
  { name: 'client|tracking', handler: clientTracking },
  { name: 'client|caching', handler: clientCaching },
  { name: 'client|getredir', handler: (c) => c.reply.integer(c.tracking ? c.trackingRedirect : -1) },
  { name: 'client|trackinginfo', handler: clientTrackingInfo },
];
