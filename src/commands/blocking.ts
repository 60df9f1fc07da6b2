import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import type { ServerContext } from './server-context.js';
import { ERR, sanitizeError } from './errors.js';
import { ReplyError } from './reply.js';
import { isKeyword, parseInt64 } from './args.js';
import { moveElement, notifyPopped, parseEnd, popRangeWithKey, writeList } from './lists.js';
import { NOTIFY, notifyIn } from './notifications.js';
import { mpopKeys, parseMinMax, parseMpop } from './numkeys.js';
import type { Database } from '../engine/database.js';
import type { KeyListener } from '../engine/keyspace.js';
import { type LongDouble, parseLongDouble } from '../engine/long-double.js';
import { List } from '../engine/list.js';
import { ZSet } from '../engine/zset.js';
import { Stream } from '../engine/stream.js';
import { formatDouble } from '../engine/double-format.js';
import { writeTyped } from './lookup.js';

/**
 * Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) and the
 * machinery behind them, Redis's blocked.c:
 *
 * - A command that finds no data calls `block()`: the client waits on its keys, first come first
 *   served per key, until data arrives, its timeout passes, CLIENT UNBLOCK, or it disconnects.
 *   While blocked, the connection holds back the client's further input (src/server/blocking.ts).
 * - Any change to a key somebody waits on marks the key ready (a keyspace listener, installed only
 *   while someone is blocked, so it costs nothing otherwise). Ready keys are served by
 *   `afterCommand()`, which the connection calls after each top-level command, as Redis calls
 *   handleClientsBlockedOnKeys after call(): a transaction or a script is one command, so clients
 *   are served after EXEC or EVAL, never in the middle.
 * - XREAD/XREADGROUP (streams.ts) block through the same `block()` with a readiness check of their
 *   own: reading does not consume a stream, so every waiter whose check passes is served.
 * - Clients that cannot block get the timeout reply at once: inside MULTI (Client.multiQueued ≥ 0),
 *   while `denyBlocking()` runs (EXEC and scripts wrap their commands in it), and embedded clients,
 *   whose synchronous API cannot wait (they behave like a blocking command inside MULTI).
 */

type WaitType = 'list' | 'zset' | 'stream';

/** Serves a waiter from `key`, which holds a non-empty value of its type; writes its reply. */
type Serve = (db: Database, key: string, value: List | ZSet | Stream | undefined) => void;

interface Waiter {
  readonly client: Client;
  readonly db: Database;
  readonly keys: readonly string[];
  readonly type: WaitType;
  readonly serve: Serve;
  /** Stream waiters: whether the stream (undefined: gone) now has what the client waits for. */
  readonly wants?: (key: string, stream: Stream | undefined) => boolean;
  timer: NodeJS.Timeout | null;
}

/** setTimeout's longest delay; longer timeouts re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

export class Blocking {
  private readonly waiting = new Map<Database, Map<string, Waiter[]>>();
  private readonly byClient = new Map<Client, Waiter>();
  private readonly resumers = new WeakMap<Client, () => void>();
  private ready: { db: Database; key: string }[] = [];
  private readonly readyKeys = new Map<Database, Set<string>>();
  private serving = false;
  private listening = false;
  private denied = 0;
  private readonly listener: KeyListener = {
    keyModified: (db, key) => this.signal(db, key),
    databaseChanged: (db) => {
      const keys = this.waiting.get(db);
      if (keys !== undefined) for (const key of keys.keys()) this.signal(db, key);
    },
  };

  constructor(private readonly server: ServerContext) {}

  /**
   * Lets `client` block: `resume` is called once it is unblocked (its reply is written), to send
   * the reply and run the input that waited. Connections call this; embedded clients do not.
   */
  attach(client: Client, resume: () => void): void {
    this.resumers.set(client, resume);
  }

  /** Forgets a disconnected client, wherever it waits. */
  detach(client: Client): void {
    const w = this.byClient.get(client);
    if (w !== undefined) this.remove(w);
    this.resumers.delete(client);
  }

  /** Runs `fn` with blocking commands answering at once (EXEC, scripts). */
  denyBlocking<T>(fn: () => T): T {
    this.denied++;
    try {
      return fn();
    } finally {
      this.denied--;
    }
  }

  canBlock(client: Client): boolean {
    return this.denied === 0 && client.multiQueued === -1 && this.resumers.has(client);
  }

  /** Number of clients blocked on keys. */
  get blockedCount(): number {
    return this.byClient.size;
  }

  /** Blocks `client` on `keys` (duplicates ignored) for `timeoutMs` (0 = forever). */
  block(client: Client, keys: readonly string[], type: WaitType, timeoutMs: number, serve: Serve, wants?: (key: string, stream: Stream | undefined) => boolean): void {
    const w: Waiter = { client, db: client.db, keys: [...new Set(keys)], type, serve, wants, timer: null };
    let perDb = this.waiting.get(w.db);
    if (perDb === undefined) this.waiting.set(w.db, (perDb = new Map()));
    for (const key of w.keys) {
      const queue = perDb.get(key);
      if (queue === undefined) perDb.set(key, [w]);
      else queue.push(w);
    }
    this.byClient.set(client, w);
    client.blocked = true;
    if (timeoutMs > 0) this.arm(w, Date.now() + timeoutMs);
    if (!this.listening) {
      this.server.keyspace.addListener(this.listener);
      this.listening = true;
    }
  }

  /** Serves the clients waiting on keys that changed during the command that just ran. */
  afterCommand(): void {
    if (this.ready.length === 0 || this.serving) return;
    this.serving = true;
    try {
      // Serving may make more keys ready (BLMOVE pushes): loop until none is left.
      while (this.ready.length !== 0) {
        const batch = this.ready;
        this.ready = [];
        for (const { db, key } of batch) {
          this.readyKeys.get(db)!.delete(key);
          this.serveKey(db, key);
        }
      }
    } finally {
      this.serving = false;
    }
  }

  /**
   * CLIENT UNBLOCK: answers the client as if it timed out, or with an UNBLOCKED error. Returns
   * whether it was blocked.
   */
  unblock(client: Client, error: boolean): boolean {
    const w = this.byClient.get(client);
    if (w === undefined) return false;
    this.remove(w);
    if (error) {
      client.reply.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
      this.server.stats.totalErrorReplies++;
    } else {
      client.reply.nullArray();
    }
    this.resumers.get(client)?.();
    return true;
  }

  private signal(db: Database, key: string): void {
    if (this.waiting.get(db)?.has(key) !== true) return;
    let keys = this.readyKeys.get(db);
    if (keys === undefined) this.readyKeys.set(db, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    this.ready.push({ db, key });
  }

  /**
   * Serves waiters on one key in the order they blocked, while it holds data: a waiter for
   * another type goes to the back of the queue (Redis rotates it), and stays blocked.
   */
  private serveKey(db: Database, key: string): void {
    let queue = this.waiting.get(db)?.get(key);
    if (queue === undefined) return;
    this.server.keyspace.tick();
    const current = db.peek(key);
    if (current instanceof Stream) return this.serveStream(db, key, queue, current);
    if (queue.some((w) => w.type === 'stream')) {
      // The stream is gone (deleted or replaced): XREADGROUP readers are answered with an error.
      this.serveStream(db, key, queue, undefined);
      queue = this.waiting.get(db)?.get(key);
      if (queue === undefined) return;
    }
    for (let n = queue.length; n > 0 && queue.length > 0; n--) {
      const value = db.peek(key);
      if (!(value instanceof List || value instanceof ZSet) || value.size === 0) return;
      const w = queue[0];
      if (w.type !== value.type) {
        queue.push(queue.shift()!);
        continue;
      }
      this.remove(w);
      try {
        w.serve(db, key, value);
      } catch (e) {
        if (!(e instanceof ReplyError)) throw e;
        // BLMOVE towards a key of another type: the client gets WRONGTYPE, the element stays.
        w.client.reply.error(sanitizeError(e.message));
        this.server.stats.totalErrorReplies++;
      }
      this.resumers.get(w.client)?.();
    }
  }

  /** Streams are not consumed: every waiter that wants the new entries is served, in order. */
  private serveStream(db: Database, key: string, queue: readonly Waiter[], stream: Stream | undefined): void {
    for (const w of [...queue]) {
      if (w.type !== 'stream' || !w.wants!(key, stream)) continue;
      this.remove(w);
      try {
        w.serve(db, key, stream);
      } catch (e) {
        if (!(e instanceof ReplyError)) throw e;
        w.client.reply.error(sanitizeError(e.message));
        this.server.stats.totalErrorReplies++;
      }
      this.resumers.get(w.client)?.();
    }
  }

  private arm(w: Waiter, deadline: number): void {
    const delay = Math.max(0, deadline - Date.now());
    w.timer = setTimeout(() => {
      if (delay === MAX_TIMER) return this.arm(w, deadline);
      this.remove(w);
      w.client.reply.nullArray();
      this.resumers.get(w.client)?.();
    }, Math.min(delay, MAX_TIMER));
    w.timer.unref();
  }

  /** Takes a waiter off every queue and marks its client unblocked. */
  private remove(w: Waiter): void {
    const perDb = this.waiting.get(w.db)!;
    for (const key of w.keys) {
      const queue = perDb.get(key)!;
      if (queue.length === 1) perDb.delete(key);
      else queue.splice(queue.indexOf(w), 1);
    }
    if (perDb.size === 0) this.waiting.delete(w.db);
    if (w.timer !== null) clearTimeout(w.timer);
    this.byClient.delete(w.client);
    w.client.blocked = false;
    if (this.byClient.size === 0 && this.listening) {
      this.server.keyspace.removeListener(this.listener);
      this.listening = false;
    }
  }
}

const managers = new WeakMap<ServerContext, Blocking>();

/** The blocking state of a server (created on first use). */
export function blockingOf(server: ServerContext): Blocking {
  let b = managers.get(server);
  if (b === undefined) managers.set(server, (b = new Blocking(server)));
  return b;
}

// ---- timeouts -------------------------------------------------------------------------------

const LLONG_MIN = -(2n ** 63n);
const LLONG_MAX = 2n ** 63n - 1n;

/**
 * Redis 7.0's getTimeoutFromObjectOrReply in seconds: a long double (strtold rules), times 1000,
 * rounded up with ceill and converted to a long long (x87 turns anything out of range, infinities
 * included, into LLONG_MIN, hence "negative"). Returns milliseconds, 0 for "forever".
 */
function parseTimeout(arg: string): number {
  const v = parseLongDouble(arg);
  if (v === null) throw new ReplyError('ERR timeout is not a float or out of range');
  const ms = v === 'inf' || v === '-inf' ? LLONG_MIN : toMillis(v);
  if (ms < 0n) throw new ReplyError('ERR timeout is negative');
  return Number(ms);
}

/** (long long)ceill(v * 1000.0L): the product rounded to 64 significant bits, then ceiled. */
function toMillis(v: LongDouble): bigint {
  let m = v.m * 1000n;
  let e = v.e;
  const bits = m.toString(2).length;
  if (bits > 64) {
    const s = BigInt(bits - 64);
    const q = m >> s;
    const rest = m - (q << s);
    const half = 1n << (s - 1n);
    m = rest > half || (rest === half && (q & 1n) === 1n) ? q + 1n : q;
    e += bits - 64;
  }
  if (e > 64) return LLONG_MIN;
  let whole = e >= 0 ? m << BigInt(e) : m >> BigInt(-e);
  const exact = e >= 0 || whole << BigInt(-e) === m;
  // ceil rounds a positive fraction up and a negative one towards zero.
  if (!exact && !v.neg) whole++;
  if (whole > LLONG_MAX) return LLONG_MIN;
  return v.neg ? -whole : whole;
}

// ---- list commands --------------------------------------------------------------------------

/** BLPOP/BRPOP: [key, element] from the first non-empty list, else wait on all of them. */
function blockingPop(front: boolean) {
  return (c: Client, args: string[]): void => {
    const timeout = parseTimeout(args[args.length - 1]);
    const keys = args.slice(1, -1);
    for (const key of keys) {
      const list = writeList(c.db, key);
      if (list !== undefined) {
        replyPopped(c, c.db, key, list, front);
        return;
      }
    }
    blockOrNull(c, keys, 'list', timeout, (db, key, value) => replyPopped(c, db, key, value as List, front));
  };
}

function replyPopped(c: Client, db: Database, key: string, list: List, front: boolean): void {
  const value = list.pop(front)!;
  c.reply.array(2);
  c.reply.bulk(key);
  c.reply.bulk(value);
  db.modified(key);
  notifyPopped(c, db, key, list, front);
}

function blockOrNull(c: Client, keys: readonly string[], type: WaitType, timeout: number, serve: Serve): void {
  const b = blockingOf(c.server);
  if (b.canBlock(c)) b.block(c, keys, type, timeout, serve);
  else c.reply.nullArray();
}

function blmoveGeneric(c: Client, src: string, dst: string, from: boolean, to: boolean, timeoutArg: string): void {
  const timeout = parseTimeout(timeoutArg);
  const srcList = writeList(c.db, src);
  if (srcList !== undefined) {
    moveElement(c, c.db, src, srcList, dst, writeList(c.db, dst), from, to);
    return;
  }
  const b = blockingOf(c.server);
  if (!b.canBlock(c)) {
    // Redis answers a null bulk here, but a null array when a blocked BLMOVE times out.
    c.reply.bulk(null);
    return;
  }
  b.block(c, [src], 'list', timeout, (db, key, value) => {
    moveElement(c, db, key, value as List, dst, writeList(db, dst), from, to);
  });
}

function blmove(c: Client, args: string[]): void {
  const from = parseEnd(args[3]);
  const to = parseEnd(args[4]);
  blmoveGeneric(c, args[1], args[2], from, to, args[5]);
}

function brpoplpush(c: Client, args: string[]): void {
  blmoveGeneric(c, args[1], args[2], false, true, args[3]);
}

function blmpop(c: Client, args: string[]): void {
  // Redis parses numkeys, the direction and COUNT before the timeout (args[1]).
  const spec = parseMpop(args, 2, parseEnd);
  const timeout = parseTimeout(args[1]);
  for (const key of spec.keys) {
    const list = writeList(c.db, key);
    if (list !== undefined) {
      popRangeWithKey(c, c.db, key, list, spec.front, spec.count);
      return;
    }
  }
  blockOrNull(c, spec.keys, 'list', timeout, (db, key, value) => popRangeWithKey(c, db, key, value as List, spec.front, spec.count));
}

// ---- sorted set commands --------------------------------------------------------------------

/** Removes and returns the member with the lowest (or highest) score. */
function popMember(z: ZSet, max: boolean): [string, number] {
  const list = z.list;
  const x = max ? list.tail : list.first();
  const member = list.memberOf(x);
  const score = list.scoreOf(x);
  z.remove(member);
  return [member, score];
}

/** BZPOPMIN/BZPOPMAX's reply: [key, member, score]. */
function replyZPopped(c: Client, db: Database, key: string, z: ZSet, max: boolean): void {
  const [member, score] = popMember(z, max);
  c.reply.array(3);
  c.reply.bulk(key);
  c.reply.bulk(member);
  c.reply.double(formatDouble(score));
  db.modified(key);
  notifyZPopped(c, db, key, z, max);
}

/** ZPOPMIN/ZPOPMAX's event, and `del` if the sorted set emptied. */
function notifyZPopped(c: Client, db: Database, key: string, z: ZSet, max: boolean): void {
  notifyIn(c, db, NOTIFY.zset, max ? 'zpopmax' : 'zpopmin', key);
  if (z.size === 0) notifyIn(c, db, NOTIFY.generic, 'del', key);
}

/** BZMPOP's reply: [key, [[member, score], …]]. */
function replyZPoppedRange(c: Client, db: Database, key: string, z: ZSet, max: boolean, count: number): void {
  const n = Math.min(count, z.size);
  const r = c.reply;
  r.array(2);
  r.bulk(key);
  r.array(n);
  for (let i = 0; i < n; i++) {
    const [member, score] = popMember(z, max);
    r.array(2);
    r.bulk(member);
    r.double(formatDouble(score));
  }
  db.modified(key);
  notifyZPopped(c, db, key, z, max);
}

function bzpop(max: boolean) {
  return (c: Client, args: string[]): void => {
    const timeout = parseTimeout(args[args.length - 1]);
    const keys = args.slice(1, -1);
    for (const key of keys) {
      const z = writeTyped(c.db, key, ZSet);
      if (z !== undefined) {
        replyZPopped(c, c.db, key, z, max);
        return;
      }
    }
    blockOrNull(c, keys, 'zset', timeout, (db, key, value) => replyZPopped(c, db, key, value as ZSet, max));
  };
}

function bzmpop(c: Client, args: string[]): void {
  // Redis parses numkeys, the direction and COUNT before the timeout (args[1]).
  const spec = parseMpop(args, 2, parseMinMax);
  const timeout = parseTimeout(args[1]);
  const max = spec.front;
  for (const key of spec.keys) {
    const z = writeTyped(c.db, key, ZSet);
    if (z !== undefined) {
      replyZPoppedRange(c, c.db, key, z, max, spec.count);
      return;
    }
  }
  blockOrNull(c, spec.keys, 'zset', timeout, (db, key, value) => replyZPoppedRange(c, db, key, value as ZSet, max, spec.count));
}

// ---- CLIENT UNBLOCK -------------------------------------------------------------------------

function clientUnblock(c: Client, args: string[]): void {
  if (args.length > 4) throw new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${args[1]}'. Try CLIENT HELP.`);
  let error = false;
  if (args.length === 4) {
    if (isKeyword(args[3], 'error')) error = true;
    else if (!isKeyword(args[3], 'timeout')) throw new ReplyError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const id = parseInt64(args[2]);
  if (id === null) throw new ReplyError(ERR.notInteger);
  const target = c.server.clients.get(Number(id));
  c.reply.integer(target !== undefined && blockingOf(c.server).unblock(target, error) ? 1 : 0);
}

export const blockingCommands: CommandDef[] = [
  { name: 'blpop', handler: blockingPop(true) },
  { name: 'brpop', handler: blockingPop(false) },
  { name: 'blmove', handler: blmove },
  { name: 'brpoplpush', handler: brpoplpush },
  { name: 'blmpop', handler: blmpop, keys: mpopKeys(2) },
  { name: 'bzpopmin', handler: bzpop(false) },
  { name: 'bzpopmax', handler: bzpop(true) },
  { name: 'bzmpop', handler: bzmpop, keys: mpopKeys(2) },
  { name: 'client|unblock', handler: clientUnblock },
];
