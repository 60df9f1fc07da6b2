import type { Database } from '../engine/database.js';
import type { ContainerValue } from '../engine/values.js';
import type { KeyListener } from '../engine/keyspace.js';
import type { Client } from './client.js';
import { publish } from './pubsub.js';
import type { ServerContext } from './server-context.js';

/**
 * Keyspace notifications (Redis's notify.c): a command that changes a key calls `notify` with the
 * event's class and name, and when `notify-keyspace-events` enables that class the event goes out
 * on `__keyspace@<db>__:<key>` (message: the event) and/or `__keyevent@<db>__:<event>` (message:
 * the key). Off by default; then a call costs one string comparison.
 */

/** Event classes, as the flag characters of notify-keyspace-events. */
export const NOTIFY = {
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 13, // d
  new: 1 << 14, // n
} as const;

const KEYSPACE = 1 << 0; // K
const KEYEVENT = 1 << 1; // E

const FLAG_BITS: Record<string, number> = {
  K: KEYSPACE,
  E: KEYEVENT,
  g: NOTIFY.generic,
  $: NOTIFY.string,
  l: NOTIFY.list,
  s: NOTIFY.set,
  h: NOTIFY.hash,
  z: NOTIFY.zset,
  x: NOTIFY.expired,
  e: NOTIFY.evicted,
  t: NOTIFY.stream,
  m: NOTIFY.keyMiss,
  d: NOTIFY.module,
  n: NOTIFY.new,
  A: NOTIFY.generic | NOTIFY.string | NOTIFY.list | NOTIFY.set | NOTIFY.hash | NOTIFY.zset | NOTIFY.expired | NOTIFY.evicted | NOTIFY.stream | NOTIFY.module,
};

/** The flags string last parsed and its bits (the config keeps the canonical string). */
let parsedText = '';
let parsedBits = 0;

function flagBits(text: string): number {
  if (text !== parsedText) {
    let bits = 0;
    for (const ch of text) bits |= FLAG_BITS[ch] ?? 0;
    parsedText = text;
    parsedBits = bits;
  }
  return parsedBits;
}

/** Publishes a keyspace event for `key` in database `dbId` if its class is enabled. */
export function notifyEvent(server: ServerContext, type: number, event: string, key: string, dbId: number): void {
  const text = server.config.typed.notifyKeyspaceEvents;
  if (text === '') return;
  const flags = flagBits(text);
  if ((flags & type) === 0) return;
  if (flags & KEYSPACE) publish(server, `__keyspace@${dbId}__:${key}`, event);
  if (flags & KEYEVENT) publish(server, `__keyevent@${dbId}__:${event}`, key);
}

/** A keyspace event caused by `c`'s command on `key` in its selected database. */
export function notify(c: Client, type: number, event: string, key: string): void {
  if (c.server.config.typed.notifyKeyspaceEvents === '') return;
  notifyEvent(c.server, type, event, key, c.db.id);
}

/** The same, for a key in another database (MOVE's destination, …). */
export function notifyIn(c: Client, db: Database, type: number, event: string, key: string): void {
  if (c.server.config.typed.notifyKeyspaceEvents === '') return;
  notifyEvent(c.server, type, event, key, db.id);
}

/** Hook for eviction: a key was evicted to stay under maxmemory. */
export function notifyEvicted(server: ServerContext, db: Database, key: string): void {
  notifyEvent(server, NOTIFY.evicted, 'evicted', key, db.id);
}

/**
 * The events the engine reports: `expired` for keys removed by their TTL (lazily or by the active
 * cycle), `new` when a key is added (Redis's dbAdd), `keymiss` when a reading lookup finds nothing.
 */
export function keyspaceEventsListener(server: ServerContext): KeyListener {
  return {
    keyExpired(db, key) {
      if (server.config.typed.notifyKeyspaceEvents !== '') notifyEvent(server, NOTIFY.expired, 'expired', key, db.id);
    },
    keyAdded(db, key) {
      if (server.config.typed.notifyKeyspaceEvents !== '') notifyEvent(server, NOTIFY.new, 'new', key, db.id);
    },
    keyMissed(db, key) {
      if (server.config.typed.notifyKeyspaceEvents !== '') notifyEvent(server, NOTIFY.keyMiss, 'keymiss', key, db.id);
    },
  };
}

/**
 * The end of a *STORE command (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE…): a non-empty result replaces `dst`
 * and is announced as `event`; an empty one deletes `dst` ("del"). Replies with the result's size.
 */
export function storeResult(c: Client, dst: string, result: ContainerValue, type: number, event: string): void {
  if (result.size > 0) {
    c.db.set(dst, result);
    notify(c, type, event, dst);
  } else if (c.db.delete(dst)) {
    notify(c, NOTIFY.generic, 'del', dst);
  }
  c.reply.integer(result.size);
}
