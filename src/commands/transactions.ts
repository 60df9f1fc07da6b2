import type { Client } from './client.js';
import type { Command, CommandDef } from './table.js';
import type { ServerContext } from './server-context.js';
import type { Database } from '../engine/database.js';
import type { KeyListener } from '../engine/keyspace.js';
import { ReplyError } from './reply.js';
import { blockingOf } from './blocking.js';
import { call } from './dispatch.js';

/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
 *
 * - Inside MULTI, dispatch queues every command that passed its checks (`queueCommand`) and any
 *   command it refuses flags the transaction (`flagTransaction`), so EXEC answers EXECABORT.
 *   Client.multiQueued is the queue length, or -1 outside MULTI (CLIENT LIST's multi= field).
 * - EXEC runs the queue as one command: each queued command through dispatch's `call`, with
 *   blocking commands answering at once; clients blocked on keys it pushed are served after it.
 * - WATCH: a per-database table key → watchers, fed by a keyspace listener installed only while
 *   some client watches, so writes cost nothing when nobody does. A touched key marks its
 *   watchers dirty (EXEC replies with a null array) and unwatches them at once.
 */

interface Queued {
  readonly cmd: Command;
  readonly args: string[];
}

interface WatchedKey {
  readonly client: Client;
  readonly db: Database;
  readonly key: string;
  /** The key had expired (but was still stored) when WATCH was called: its removal is no change. */
  expired: boolean;
}

/** One client's transaction state (Redis's mstate, watched_keys and DIRTY flags). */
interface TxState {
  queue: Queued[];
  /** A command was refused while queuing: EXEC aborts (CLIENT_DIRTY_EXEC). */
  dirtyExec: boolean;
  /** A watched key changed: EXEC fails (CLIENT_DIRTY_CAS). */
  dirtyCas: boolean;
  /** A denyoom command was queued: EXEC is refused while out of memory (mstate.cmd_flags). */
  denyOom: boolean;
  watched: WatchedKey[];
}

const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.';

/**
 * Clients' transaction state (a client belongs to one server, so one table for all servers: one
 * lookup per queued command).
 */
const states = new WeakMap<Client, TxState>();

/** The transaction state of `c`, created at its first MULTI or WATCH. */
function stateOf(c: Client): TxState {
  let s = states.get(c);
  if (s === undefined) states.set(c, (s = { queue: [], dirtyExec: false, dirtyCas: false, denyOom: false, watched: [] }));
  return s;
}

/** The WATCH table of one server. */
class Transactions {
  private readonly watchers = new Map<Database, Map<string, WatchedKey[]>>();
  private watchCount = 0;
  private listening = false;
  private readonly listener: KeyListener = {
    keyModified: (db, key) => this.touch(db, key),
    databasesSwapped: (a, b) => {
      this.touchSwapped(a, b);
      this.touchSwapped(b, a);
    },
  };

  constructor(private readonly server: ServerContext) {
    server.clientResetHooks.push((c) => this.reset(c));
  }

  /** Ends the transaction and forgets watched keys (Redis's discardTransaction). */
  discard(c: Client, s: TxState): void {
    s.queue = [];
    s.dirtyExec = false;
    s.dirtyCas = false;
    s.denyOom = false;
    c.multiQueued = -1;
    this.unwatchAll(s);
  }

  /** RESET or disconnect. */
  private reset(c: Client): void {
    const s = states.get(c);
    if (s !== undefined) this.discard(c, s);
    else c.multiQueued = -1;
  }

  watch(c: Client, s: TxState, key: string): void {
    const db = c.db;
    for (const w of s.watched) if (w.db === db && w.key === key) return;
    const w: WatchedKey = { client: c, db, key, expired: db.isExpired(key) };
    s.watched.push(w);
    let keys = this.watchers.get(db);
    if (keys === undefined) this.watchers.set(db, (keys = new Map()));
    const list = keys.get(key);
    if (list === undefined) keys.set(key, [w]);
    else list.push(w);
    this.watchCount++;
    if (!this.listening) {
      this.server.keyspace.addListener(this.listener);
      this.listening = true;
    }
  }

  unwatchAll(s: TxState): void {
    if (s.watched.length === 0) return;
    for (const w of s.watched) {
      const keys = this.watchers.get(w.db)!;
      const list = keys.get(w.key)!;
      list.splice(list.indexOf(w), 1);
      if (list.length === 0) keys.delete(w.key);
      if (keys.size === 0) this.watchers.delete(w.db);
    }
    this.watchCount -= s.watched.length;
    s.watched = [];
    if (this.watchCount === 0 && this.listening) {
      this.server.keyspace.removeListener(this.listener);
      this.listening = false;
    }
  }

  /** A watched key not expired at WATCH time whose TTL has passed since fails EXEC. */
  watchedKeyExpired(s: TxState): boolean {
    for (const w of s.watched) if (!w.expired && w.db.isExpired(w.key)) return true;
    return false;
  }

  /** Redis's touchWatchedKey: `key` was written, deleted or expired. */
  private touch(db: Database, key: string): void {
    const list = this.watchers.get(db)?.get(key);
    if (list === undefined) return;
    const dirty: WatchedKey[] = [];
    for (const w of list) {
      if (w.expired && !db.holds(key)) {
        // The key that had expired is now gone: logically nothing changed.
        w.expired = false;
        continue;
      }
      dirty.push(w);
    }
    for (const w of dirty) this.markDirty(w.client);
  }

  /**
   * Redis's touchAllWatchedKeysInDb(emptied, replacedWith) for SWAPDB, seen after the swap: the
   * watchers of `db` lost the contents now in `other` and got those now in `db`.
   */
  private touchSwapped(db: Database, other: Database): void {
    const keys = this.watchers.get(db);
    if (keys === undefined) return;
    const dirty: Client[] = [];
    for (const [key, list] of keys) {
      const existedBefore = other.holds(key);
      const existsNow = db.holds(key);
      if (!existedBefore && !existsNow) continue;
      for (const w of list) {
        if (w.expired) {
          if (!existsNow) {
            w.expired = false;
            continue;
          }
          if (db.isExpired(key)) continue;
        } else if (!existedBefore && db.isExpired(key)) {
          // A missing key replaced by an expired one: still logically missing.
          w.expired = true;
          continue;
        }
        dirty.push(w.client);
      }
    }
    for (const c of dirty) this.markDirty(c);
  }

  private markDirty(c: Client): void {
    const s = states.get(c)!;
    s.dirtyCas = true;
    // No need to watch further: EXEC will fail whatever happens next.
    this.unwatchAll(s);
  }
}

const registries = new WeakMap<ServerContext, Transactions>();

function transactionsOf(server: ServerContext): Transactions {
  let t = registries.get(server);
  if (t === undefined) registries.set(server, (t = new Transactions(server)));
  return t;
}

/** Dispatch: a command that passed its checks inside MULTI waits for EXEC. */
export function queueCommand(c: Client, cmd: Command, args: string[]): void {
  const s = stateOf(c);
  // After an error nothing will run: stop holding commands (as Redis's queueMultiCommand).
  if (!s.dirtyExec && !s.dirtyCas) {
    s.queue.push({ cmd, args });
    if (cmd.denyoom) s.denyOom = true;
  }
  c.multiQueued = s.queue.length;
  c.reply.status('QUEUED');
}

/** A watched key was touched, so EXEC will fail (CLIENT_DIRTY_CAS: CLIENT LIST's d flag). */
export function watchedKeyTouched(c: Client): boolean {
  return states.get(c)?.dirtyCas === true;
}

/** The open transaction queued a denyoom command (dispatch's OOM check refuses its EXEC). */
export function queuedDenyOom(c: Client): boolean {
  return states.get(c)?.denyOom === true;
}

/** Dispatch: EXEC refused before it ran (out of memory) ends the transaction as Redis's execCommandAbort. */
export function abortTransaction(c: Client): void {
  transactionsOf(c.server).discard(c, stateOf(c));
}

/** Dispatch: a command was refused inside MULTI, so EXEC must abort. */
export function flagTransaction(c: Client): void {
  stateOf(c).dirtyExec = true;
}

function multi(c: Client): void {
  if (c.multiQueued !== -1) throw new ReplyError('ERR MULTI calls can not be nested');
  // The queue and DIRTY_EXEC were cleared when the last transaction ended; WATCH state carries over.
  c.multiQueued = 0;
  c.reply.status('OK');
}

function exec(c: Client): void {
  if (c.multiQueued === -1) throw new ReplyError('ERR EXEC without MULTI');
  const tx = transactionsOf(c.server);
  const s = stateOf(c);
  if (tx.watchedKeyExpired(s)) s.dirtyCas = true;
  if (s.dirtyExec || s.dirtyCas) {
    const abort = s.dirtyExec;
    tx.discard(c, s);
    if (abort) throw new ReplyError(EXECABORT);
    c.reply.nullArray();
    return;
  }
  tx.unwatchAll(s);
  const queue = s.queue;
  c.reply.array(queue.length);
  // multiQueued stays set while the commands run, as CLIENT_MULTI does (CLIENT LIST shows x).
  blockingOf(c.server).denyBlocking(() => {
    // Each command's end time is the next one's start: one clock read per command.
    let t = performance.now();
    for (const q of queue) t = call(c, q.cmd, q.args, t);
  });
  tx.discard(c, s);
}

function discard(c: Client): void {
  if (c.multiQueued === -1) throw new ReplyError('ERR DISCARD without MULTI');
  const tx = transactionsOf(c.server);
  tx.discard(c, stateOf(c));
  c.reply.status('OK');
}

function watch(c: Client, args: string[]): void {
  if (c.multiQueued !== -1) throw new ReplyError('ERR WATCH inside MULTI is not allowed');
  const tx = transactionsOf(c.server);
  const s = stateOf(c);
  // Already dirty: EXEC will fail anyway, no point in watching more.
  if (!s.dirtyCas) for (let i = 1; i < args.length; i++) tx.watch(c, s, args[i]);
  c.reply.status('OK');
}

function unwatch(c: Client): void {
  const tx = transactionsOf(c.server);
  const s = stateOf(c);
  tx.unwatchAll(s);
  s.dirtyCas = false;
  c.reply.status('OK');
}

export const transactionCommands: CommandDef[] = [
  { name: 'multi', handler: multi },
  { name: 'exec', handler: exec },
  { name: 'discard', handler: discard },
  { name: 'watch', handler: watch },
  { name: 'unwatch', handler: unwatch },
];
