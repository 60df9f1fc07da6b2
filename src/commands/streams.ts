import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import { ERR, cstr } from './errors.js';
import { ReplyError } from './reply.js';
import { isKeyword, parseInt64 } from './args.js';
import { readTyped, typed, writeTyped } from './lookup.js';
import { NOTIFY, notify, notifyIn } from './notifications.js';
import { blockingOf } from './blocking.js';
import { replyHelp } from './connection.js';
import type { Database } from '../engine/database.js';
import {
  Consumer,
  ConsumerGroup,
  ENTRIES_READ_INVALID,
  ID_MAX,
  type IdMap,
  type PendingEntry,
  Stream,
  type StreamEntry,
  type StreamId,
  formatId,
  idMs,
  idSeq,
  makeId,
} from '../engine/stream.js';

/**
 * Stream commands (Redis 7.0's t_stream.c): XADD, XRANGE, XREAD, consumer groups… Entry IDs are
 * BigInts (engine/stream.ts); argument parsing and every error text follow t_stream.c.
 */

const U64_MAX = (1n << 64n) - 1n;
const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
/** A blocked XREAD without COUNT gets at most this many entries per stream (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;

// ---- ID parsing ------------------------------------------------------------------------------

/** C's isspace. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Redis's string2ull: string2ll if it fits (negative values refused), else strtoull, which
 * allows leading spaces and a sign (a '-' wraps around) and refuses overflow and empty input.
 */
function string2ull(s: string): bigint | null {
  const ll = parseInt64(s);
  if (ll !== null) return ll < 0n ? null : ll;
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const start = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === start || i !== s.length) return null;
  const v = BigInt(s.slice(start));
  if (v > U64_MAX) return null;
  return neg ? (U64_MAX + 1n - v) & U64_MAX : v;
}

/** Result of parsing an ID: the ID and whether its sequence was given (not `ms-*`). */
interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/**
 * Redis's streamGenericParseIDOrReply: `ms[-seq]`, `-`/`+` unless strict, `ms-*` when
 * `allowAutoSeq` (XADD). A missing sequence is `missingSeq`.
 */
function parseIdGeneric(arg: string, missingSeq: bigint, strict: boolean, allowAutoSeq: boolean): ParsedId {
  if (arg.length > 127) throw new ReplyError(INVALID_ID);
  if (arg === '-' || arg === '+') {
    if (strict) throw new ReplyError(INVALID_ID);
    return { id: arg === '-' ? 0n : ID_MAX, seqGiven: true };
  }
  const nul = arg.indexOf('\0');
  const buf = nul === -1 ? arg : arg.slice(0, nul);
  const dot = buf.indexOf('-');
  if (dot === -1) {
    const ms = string2ull(buf);
    if (ms === null) throw new ReplyError(INVALID_ID);
    return { id: makeId(ms, missingSeq), seqGiven: true };
  }
  const ms = string2ull(buf.slice(0, dot));
  if (ms === null) throw new ReplyError(INVALID_ID);
  const rest = buf.slice(dot + 1);
  if (allowAutoSeq && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = string2ull(rest);
  if (seq === null) throw new ReplyError(INVALID_ID);
  return { id: makeId(ms, seq), seqGiven: true };
}

/** streamParseIDOrReply: `-` and `+` allowed. */
function parseId(arg: string, missingSeq: bigint): StreamId {
  return parseIdGeneric(arg, missingSeq, false, false).id;
}

/** streamParseStrictIDOrReply: `-` and `+` refused. */
function parseStrictId(arg: string, missingSeq = 0n): StreamId {
  return parseIdGeneric(arg, missingSeq, true, false).id;
}

/** streamParseIntervalIDOrReply: an ID, or `(ID` for an exclusive bound. */
function parseIntervalId(arg: string, missingSeq: bigint): { id: StreamId; exclusive: boolean } {
  if (arg.length > 1 && arg[0] === '(') return { id: parseStrictId(arg.slice(1), missingSeq), exclusive: true };
  return { id: parseId(arg, missingSeq), exclusive: false };
}

/** getLongLongFromObjectOrReply. */
function longLongArg(arg: string, error: string = ERR.notInteger): bigint {
  const v = parseInt64(arg);
  if (v === null) throw new ReplyError(error);
  return v;
}

function clampCount(v: bigint): number {
  return v < 0n ? 0 : Number(v);
}

// ---- replies ---------------------------------------------------------------------------------

function replyEntry(c: Client, e: StreamEntry): void {
  c.reply.array(2);
  c.reply.bulk(formatId(e.id));
  c.reply.array(e.fields.length);
  for (const f of e.fields) c.reply.bulk(f);
}

function replyEntries(c: Client, entries: readonly StreamEntry[]): void {
  c.reply.array(entries.length);
  for (const e of entries) replyEntry(c, e);
}

// ---- lookups ---------------------------------------------------------------------------------

function readStream(db: Database, key: string): Stream | undefined {
  return readTyped(db, key, Stream);
}

function writeStream(db: Database, key: string): Stream | undefined {
  return writeTyped(db, key, Stream);
}

function nodeConfig(c: Client): [number, number] {
  const cfg = c.server.config;
  return [Number(cfg.get('stream-node-max-entries') ?? 100), Number(cfg.get('stream-node-max-bytes') ?? 4096)];
}

// ---- XADD / XTRIM ----------------------------------------------------------------------------

interface TrimArgs {
  strategy: 'none' | 'maxlen' | 'minid';
  maxLen: number;
  minId: StreamId;
  approx: boolean;
  limit: number;
}

interface AddArgs extends TrimArgs {
  /** Index of the ID argument (XADD) or args.length (XTRIM). */
  idPos: number;
  id: ParsedId | null;
  noMkStream: boolean;
}

/** Redis's streamParseAddOrTrimArgsOrReply. */
function parseAddOrTrim(c: Client, args: string[], xadd: boolean): AddArgs {
  const a: AddArgs = { strategy: 'none', maxLen: 0, minId: 0n, approx: false, limit: 0, idPos: args.length, id: null, noMkStream: false };
  let limitGiven = false;
  let i = 2;
  for (; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    const opt = args[i];
    if (xadd && opt === '*') break;
    if (isKeyword(opt, 'maxlen') && moreArgs > 0) {
      if (a.strategy !== 'none') throw new ReplyError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      a.approx = false;
      const next = args[i + 1];
      if (moreArgs >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (moreArgs >= 2 && next === '=') i++;
      const maxLen = longLongArg(args[i + 1]);
      if (maxLen < 0n) throw new ReplyError('ERR The MAXLEN argument must be >= 0.');
      a.maxLen = Number(maxLen);
      i++;
      a.strategy = 'maxlen';
    } else if (isKeyword(opt, 'minid') && moreArgs > 0) {
      if (a.strategy !== 'none') throw new ReplyError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      a.approx = false;
      const next = args[i + 1];
      if (moreArgs >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (moreArgs >= 2 && next === '=') i++;
      a.minId = parseStrictId(args[i + 1]);
      i++;
      a.strategy = 'minid';
    } else if (isKeyword(opt, 'limit') && moreArgs > 0) {
      const limit = longLongArg(args[i + 1]);
      if (limit < 0n) throw new ReplyError('ERR The LIMIT argument must be >= 0.');
      a.limit = Number(limit);
      limitGiven = true;
      i++;
    } else if (xadd && isKeyword(opt, 'nomkstream')) {
      a.noMkStream = true;
    } else if (xadd) {
      a.id = parseIdGeneric(opt, 0n, true, true);
      break;
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  a.idPos = i;
  if (a.limit !== 0 && a.strategy === 'none') throw new ReplyError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && a.strategy === 'none') throw new ReplyError('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (limitGiven) {
    if (!a.approx) throw new ReplyError('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (a.approx) {
    const nodeMax = nodeConfig(c)[0];
    a.limit = 100 * nodeMax;
    if (a.limit <= 0 || a.limit > 10000) a.limit = 10000;
  } else {
    a.limit = 0;
  }
  return a;
}

function trimStream(s: Stream, a: TrimArgs): number {
  if (a.strategy === 'none') return 0;
  return s.trim(a.maxLen, a.strategy === 'minid' ? a.minId : null, a.approx, a.limit);
}

/** streamNextID: the current millisecond, or the last ID's successor if the clock is behind. */
function nextId(last: StreamId, now: number): StreamId {
  const ms = BigInt(now);
  if (ms > idMs(last)) return makeId(ms, 0n);
  return incrId(last)!;
}

/** streamIncrID; null past the last possible ID. */
function incrId(id: StreamId): StreamId | null {
  return id === ID_MAX ? null : id + 1n;
}

/** streamDecrID; null below 0-0. */
function decrId(id: StreamId): StreamId | null {
  return id === 0n ? null : id - 1n;
}

function xadd(c: Client, args: string[]): void {
  const a = parseAddOrTrim(c, args, true);
  const fieldPos = a.idPos + 1;
  const n = args.length - fieldPos;
  if (n < 2 || n % 2 === 1) throw new ReplyError(ERR.wrongArgs('xadd'));
  if (a.id !== null && a.id.seqGiven && a.id.id === 0n) throw new ReplyError('ERR The ID specified in XADD must be greater than 0-0');
  const db = c.db;
  const key = args[1];
  let s = writeStream(db, key);
  if (s === undefined) {
    if (a.noMkStream) {
      c.reply.bulk(null);
      return;
    }
    s = new Stream();
    db.set(key, s, false);
  }
  if (s.lastId === ID_MAX) throw new ReplyError('ERR The stream has exhausted the last possible ID, unable to add more items');
  let id: StreamId;
  if (a.id === null) id = nextId(s.lastId, c.server.keyspace.now);
  else if (a.id.seqGiven) id = a.id.id;
  else if (idMs(s.lastId) === idMs(a.id.id)) {
    if (idSeq(s.lastId) === U64_MAX) throw new ReplyError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    id = s.lastId + 1n;
  } else id = a.id.id;
  if (id <= s.lastId) {
    throw new ReplyError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  }
  const [maxEntries, maxBytes] = nodeConfig(c);
  s.append(id, args.slice(fieldPos), maxEntries, maxBytes);
  c.reply.bulk(formatId(id));
  notify(c, NOTIFY.stream, 'xadd', key);
  if (a.strategy !== 'none' && trimStream(s, a) > 0) notify(c, NOTIFY.stream, 'xtrim', key);
  db.modified(key);
}

function xtrim(c: Client, args: string[]): void {
  // Redis parses the options before it looks the key up: a bad option beats a missing key.
  const a = parseAddOrTrim(c, args, false);
  const s = writeStream(c.db, args[1]);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const deleted = trimStream(s, a);
  if (deleted > 0) {
    notify(c, NOTIFY.stream, 'xtrim', args[1]);
    c.db.modified(args[1]);
  }
  c.reply.integer(deleted);
}

// ---- XLEN / XRANGE / XDEL / XSETID -----------------------------------------------------------

function xlen(c: Client, args: string[]): void {
  const s = readStream(c.db, args[1]);
  c.reply.integer(s === undefined ? 0 : s.length);
}

function xrangeGeneric(rev: boolean) {
  return (c: Client, args: string[]): void => {
    const startArg = rev ? args[3] : args[2];
    const endArg = rev ? args[2] : args[3];
    const start = parseIntervalId(startArg, 0n);
    let startId = start.id;
    if (start.exclusive) {
      const next = incrId(startId);
      if (next === null) throw new ReplyError('ERR invalid start ID for the interval');
      startId = next;
    }
    const end = parseIntervalId(endArg, U64_MAX);
    let endId = end.id;
    if (end.exclusive) {
      const prev = decrId(endId);
      if (prev === null) throw new ReplyError('ERR invalid end ID for the interval');
      endId = prev;
    }
    let count = -1;
    for (let j = 4; j < args.length; j++) {
      if (isKeyword(args[j], 'count') && args.length - j - 1 >= 1) {
        count = clampCount(longLongArg(args[++j]));
      } else {
        throw new ReplyError(ERR.syntax);
      }
    }
    const s = readStream(c.db, args[1]);
    if (s === undefined) {
      c.reply.array(0);
      return;
    }
    // COUNT 0 answers a null array, but only once the key is known to hold a stream.
    if (count === 0) {
      c.reply.nullArray();
      return;
    }
    replyEntries(c, s.range(startId, endId, count, rev));
  };
}

function xdel(c: Client, args: string[]): void {
  const s = writeStream(c.db, args[1]);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids = args.slice(2).map((a) => parseStrictId(a));
  let deleted = 0;
  for (const id of ids) if (s.delete(id)) deleted++;
  if (deleted > 0) {
    c.db.modified(args[1]);
    notify(c, NOTIFY.stream, 'xdel', args[1]);
  }
  c.reply.integer(deleted);
}

function xsetid(c: Client, args: string[]): void {
  const id = parseStrictId(args[2]);
  let entriesAdded = -1n;
  let maxXdel = 0n;
  for (let i = 3; i < args.length; ) {
    const moreArgs = args.length - 1 - i;
    if (isKeyword(args[i], 'entriesadded') && moreArgs > 0) {
      entriesAdded = longLongArg(args[i + 1]);
      if (entriesAdded < 0n) throw new ReplyError('ERR entries_added must be positive');
      i += 2;
    } else if (isKeyword(args[i], 'maxdeletedid') && moreArgs > 0) {
      maxXdel = parseStrictId(args[i + 1]);
      if (id < maxXdel) throw new ReplyError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      i += 2;
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  const s = writeStream(c.db, args[1]);
  if (s === undefined) throw new ReplyError(ERR.noSuchKey);
  if (s.length > 0) {
    if (id < s.lastEntry()!.id) throw new ReplyError('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      throw new ReplyError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = Number(entriesAdded);
  if (maxXdel !== 0n) s.maxDeletedId = maxXdel;
  c.reply.status('OK');
  c.db.modified(args[1]);
  notify(c, NOTIFY.stream, 'xsetid', args[1]);
}

// ---- XREAD / XREADGROUP ----------------------------------------------------------------------

/** getTimeoutFromObjectOrReply in milliseconds: 0 = forever. */
function parseBlockTimeout(arg: string): number {
  const v = longLongArg(arg, 'ERR timeout is not an integer or out of range');
  if (v < 0n) throw new ReplyError('ERR timeout is negative');
  return Number(v);
}

/** What an XREADGROUP reads on behalf of: its group, consumer and NOACK. */
interface GroupRead {
  group: string;
  consumer: string;
  noack: boolean;
}

/** ">" in XREADGROUP: new entries (the group's last ID at serving time). */
const GT_NEW = ID_MAX;

function xread(c: Client, args: string[]): void {
  const xreadgroup = args[0].length === 10;
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let groupName: string | null = null;
  let consumerName = '';
  let noack = false;
  for (let i = 1; i < args.length; i++) {
    const moreArgs = args.length - i - 1;
    const o = args[i];
    if (isKeyword(o, 'block') && moreArgs > 0) {
      // Redis refuses BLOCK from scripts outright (other contexts just don't block).
      if (c.isScript) throw new ReplyError(`ERR ${args[0]} command is not allowed with BLOCK option from scripts`);
      timeout = parseBlockTimeout(args[++i]);
    } else if (isKeyword(o, 'count') && moreArgs > 0) {
      count = clampCount(longLongArg(args[++i]));
    } else if (isKeyword(o, 'streams') && moreArgs > 0) {
      streamsArg = i + 1;
      streamsCount = args.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        throw new ReplyError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamsCount /= 2;
      break;
    } else if (isKeyword(o, 'group') && moreArgs >= 2) {
      if (!xreadgroup) throw new ReplyError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = args[i + 1];
      consumerName = args[i + 2];
      i += 2;
    } else if (isKeyword(o, 'noack')) {
      if (!xreadgroup) throw new ReplyError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  if (streamsArg === 0) throw new ReplyError(ERR.syntax);
  if (xreadgroup && groupName === null) throw new ReplyError('ERR Missing GROUP option for XREADGROUP');

  const db = c.db;
  const keys = args.slice(streamsArg, streamsArg + streamsCount);
  const ids: StreamId[] = [];
  for (let k = 0; k < streamsCount; k++) {
    const key = keys[k];
    const arg = args[streamsArg + streamsCount + k];
    const s = typed(db.read(key), Stream);
    if (groupName !== null && s?.groups.get(groupName) === undefined) {
      throw new ReplyError(`NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(groupName)}' in XREADGROUP with GROUP option`);
    }
    if (arg === '$') {
      if (xreadgroup) {
        throw new ReplyError(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids.push(s === undefined ? 0n : s.lastId);
    } else if (arg === '>') {
      if (!xreadgroup) throw new ReplyError('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      ids.push(GT_NEW);
    } else {
      ids.push(parseStrictId(arg));
    }
  }
  const gr: GroupRead | null = groupName === null ? null : { group: groupName, consumer: consumerName, noack };

  // Serve synchronously what can be served; XREADGROUP creates its consumer in each group.
  const served: [string, Stream, StreamId, ReadGroup | null, boolean][] = [];
  for (let k = 0; k < streamsCount; k++) {
    const s = db.read(keys[k]) as Stream | undefined;
    if (s === undefined) continue;
    let gt = ids[k];
    let history = false;
    let serve = false;
    let read: ReadGroup | null = null;
    if (gr !== null) {
      const group = s.groups.get(gr.group)!;
      if (gt !== GT_NEW) {
        serve = true;
        history = true;
      } else if (s.length > 0 && s.lastEntry()!.id > group.lastId) {
        serve = true;
        gt = group.lastId;
      }
      read = { group, consumer: lookupOrCreateConsumer(c, db, keys[k], group, gr.consumer), noack: gr.noack };
    } else if (s.length > 0 && s.lastEntry()!.id > gt) {
      serve = true;
    }
    if (serve) served.push([keys[k], s, gt, read, history]);
  }
  if (served.length > 0) {
    if (c.protocol === 2) c.reply.array(served.length);
    else c.reply.map(served.length);
    for (const [key, s, gt, read, history] of served) {
      if (c.protocol === 2) c.reply.array(2);
      c.reply.bulk(key);
      replyRead(c, s, gt, count, read, history);
    }
    return;
  }
  if (timeout === -1) {
    c.reply.nullArray();
    return;
  }
  const b = blockingOf(c.server);
  if (!b.canBlock(c)) {
    c.reply.nullArray();
    return;
  }
  const gts = new Map<string, StreamId>();
  keys.forEach((k, i) => {
    if (!gts.has(k)) gts.set(k, ids[i]);
  });
  const blockCount = count !== 0 ? count : BLOCKED_DEFAULT_COUNT;
  const wantedAfter = (key: string, s: Stream): StreamId | null => {
    if (gr === null) return gts.get(key)!;
    const group = s.groups.get(gr.group);
    return group === undefined ? null : group.lastId;
  };
  b.block(
    c,
    keys,
    'stream',
    timeout,
    (db2, key, value) => {
      if (value === undefined) throw new ReplyError('UNBLOCKED the stream key no longer exists');
      const s = value as Stream;
      const gt = wantedAfter(key, s);
      if (gt === null) throw new ReplyError('NOGROUP the consumer group this client was blocked on no longer exists');
      let read: ReadGroup | null = null;
      if (gr !== null) {
        const group = s.groups.get(gr.group)!;
        read = { group, consumer: lookupOrCreateConsumer(c, db2, key, group, gr.consumer), noack: gr.noack };
      }
      if (c.protocol === 2) {
        c.reply.array(1);
        c.reply.array(2);
      } else c.reply.map(1);
      c.reply.bulk(key);
      replyRead(c, s, gt, blockCount, read, false);
    },
    // Ready when the stream has an ID past what the client has (XREAD's ID or the group's last
    // delivered one), or when its group (NOGROUP) or, for XREADGROUP, the key itself is gone.
    // Compares with the last ID, as Redis does.
    (key, s) => {
      if (s === undefined) return gr !== null;
      const gt = wantedAfter(key, s);
      return gt === null || s.lastId > gt;
    },
  );
}

interface ReadGroup {
  group: ConsumerGroup;
  consumer: Consumer;
  noack: boolean;
}

/** The entries after `gt` (XREAD, XREADGROUP >) or the consumer's pending entries after it (history). */
function replyRead(c: Client, s: Stream, gt: StreamId, count: number, read: ReadGroup | null, history: boolean): void {
  const start = incrId(gt);
  if (start === null) {
    c.reply.array(0);
    return;
  }
  if (read !== null && history) {
    replyFromConsumerPel(c, s, start, count, read.consumer);
    return;
  }
  const entries = s.range(start, ID_MAX, count === 0 ? -1 : count);
  c.reply.array(entries.length);
  const now = c.server.keyspace.now;
  for (const e of entries) {
    if (read !== null) deliverNew(s, read, e.id, now);
    replyEntry(c, e);
  }
}

/** A new entry delivered to a group's consumer: the group's last ID moves, the entry is pending. */
function deliverNew(s: Stream, read: ReadGroup, id: StreamId, now: number): void {
  const group = read.group;
  if (id > group.lastId) {
    if (group.entriesRead !== ENTRIES_READ_INVALID && !s.rangeHasTombstones(id)) group.entriesRead++;
    else if (s.entriesAdded > 0) group.entriesRead = s.estimateEntriesRead(id);
    group.lastId = id;
  }
  if (read.noack) return;
  const existing = group.pel.get(id);
  if (existing !== undefined) {
    existing.consumer.pel.delete(id);
    existing.consumer = read.consumer;
    existing.deliveryTime = now;
    existing.deliveryCount = 1;
    read.consumer.pel.set(id, existing);
  } else {
    const nack = { deliveryTime: now, deliveryCount: 1, consumer: read.consumer };
    group.pel.set(id, nack);
    read.consumer.pel.set(id, nack);
  }
}

/** streamReplyWithRangeFromConsumerPEL: pending entries from `start`, deleted ones with a null body. */
function replyFromConsumerPel(c: Client, s: Stream, start: StreamId, count: number, consumer: Consumer): void {
  const out: [StreamId, StreamEntry | undefined][] = [];
  for (const [id, nack] of consumer.pel.range(start, ID_MAX)) {
    if (count !== 0 && out.length >= count) break;
    const e = s.get(id);
    if (e !== undefined) {
      nack.deliveryTime = c.server.keyspace.now;
      nack.deliveryCount++;
    }
    out.push([id, e]);
  }
  c.reply.array(out.length);
  for (const [id, e] of out) {
    if (e !== undefined) replyEntry(c, e);
    else {
      c.reply.array(2);
      c.reply.bulk(formatId(id));
      c.reply.nullArray();
    }
  }
}

function lookupOrCreateConsumer(c: Client, db: Database, key: string, group: ConsumerGroup, name: string): Consumer {
  let consumer = group.consumers.get(name);
  if (consumer === undefined) {
    consumer = new Consumer(name, c.server.keyspace.now);
    group.consumers.set(name, consumer);
    notifyIn(c, db, NOTIFY.stream, 'xgroup-createconsumer', key);
  }
  consumer.seenTime = c.server.keyspace.now;
  return consumer;
}

// ---- XINFO -----------------------------------------------------------------------------------

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`);
}

/** Consumer groups and consumers in Redis's radix-tree order (bytes). */
function sortedByName<T>(map: ReadonlyMap<string, T>): [string, T][] {
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function xinfoKey(c: Client, args: string[]): Stream {
  const s = readStream(c.db, args[2]);
  if (s === undefined) throw new ReplyError(ERR.noSuchKey);
  return s;
}

function xinfoStream(c: Client, args: string[]): void {
  const s = xinfoKey(c, args);
  const opts = args.length - 3;
  let full = false;
  let count = 10;
  if (opts > 0) {
    if ((opts !== 1 && opts !== 3) || !isKeyword(args[3], 'full')) throw subcommandSyntaxError(args);
    full = true;
    if (opts === 3) {
      if (!isKeyword(args[4], 'count')) throw subcommandSyntaxError(args);
      const n = longLongArg(args[5]);
      count = n < 0n ? 10 : Number(n);
    }
  }
  c.reply.map(full ? 9 : 10);
  c.reply.bulk('length');
  c.reply.integer(s.length);
  c.reply.bulk('radix-tree-keys');
  c.reply.integer(s.radixKeys);
  c.reply.bulk('radix-tree-nodes');
  c.reply.integer(s.radixNodes);
  c.reply.bulk('last-generated-id');
  c.reply.bulk(formatId(s.lastId));
  c.reply.bulk('max-deleted-entry-id');
  c.reply.bulk(formatId(s.maxDeletedId));
  c.reply.bulk('entries-added');
  c.reply.integer(s.entriesAdded);
  c.reply.bulk('recorded-first-entry-id');
  c.reply.bulk(formatId(s.firstId));
  if (!full) {
    c.reply.bulk('groups');
    c.reply.integer(s.groups.size);
    c.reply.bulk('first-entry');
    const first = s.firstEntry();
    if (first === undefined) c.reply.bulk(null);
    else replyEntry(c, first);
    c.reply.bulk('last-entry');
    const last = s.lastEntry();
    if (last === undefined) c.reply.bulk(null);
    else replyEntry(c, last);
    return;
  }
  c.reply.bulk('entries');
  replyEntries(c, s.range(0n, ID_MAX, count === 0 ? -1 : count));
  c.reply.bulk('groups');
  c.reply.array(s.groups.size);
  for (const [name, g] of sortedByName(s.groups)) {
    c.reply.map(7);
    c.reply.bulk('name');
    c.reply.bulk(name);
    c.reply.bulk('last-delivered-id');
    c.reply.bulk(formatId(g.lastId));
    c.reply.bulk('entries-read');
    replyEntriesRead(c, g);
    c.reply.bulk('lag');
    replyLag(c, s, g);
    c.reply.bulk('pel-count');
    c.reply.integer(g.pel.size);
    c.reply.bulk('pending');
    const pending = pelHead(g.pel, count);
    c.reply.array(pending.length);
    for (const [id, nack] of pending) {
      c.reply.array(4);
      c.reply.bulk(formatId(id));
      c.reply.bulk(nack.consumer.name);
      c.reply.integer(nack.deliveryTime);
      c.reply.integer(nack.deliveryCount);
    }
    c.reply.bulk('consumers');
    c.reply.array(g.consumers.size);
    for (const [cname, consumer] of sortedByName(g.consumers)) {
      c.reply.map(4);
      c.reply.bulk('name');
      c.reply.bulk(cname);
      c.reply.bulk('seen-time');
      c.reply.integer(consumer.seenTime);
      c.reply.bulk('pel-count');
      c.reply.integer(consumer.pel.size);
      c.reply.bulk('pending');
      const mine = pelHead(consumer.pel, count);
      c.reply.array(mine.length);
      for (const [id, nack] of mine) {
        c.reply.array(3);
        c.reply.bulk(formatId(id));
        c.reply.integer(nack.deliveryTime);
        c.reply.integer(nack.deliveryCount);
      }
    }
  }
}

/** The first `count` pending entries in ID order (all with COUNT 0), without walking the rest. */
function pelHead(pel: IdMap<PendingEntry>, count: number): [StreamId, PendingEntry][] {
  const head: [StreamId, PendingEntry][] = [];
  for (const entry of pel.range(0n, ID_MAX)) {
    if (count !== 0 && head.length === count) break;
    head.push(entry);
  }
  return head;
}

function replyEntriesRead(c: Client, g: ConsumerGroup): void {
  if (g.entriesRead !== ENTRIES_READ_INVALID) c.reply.integer(g.entriesRead);
  else c.reply.bulk(null);
}

/** streamReplyWithCGLag: entries the group has yet to read, when it can be known. */
function replyLag(c: Client, s: Stream, g: ConsumerGroup): void {
  let lag: number | null = null;
  if (s.entriesAdded === 0) lag = 0;
  else if (g.entriesRead !== ENTRIES_READ_INVALID && !s.rangeHasTombstones(g.lastId)) lag = s.entriesAdded - g.entriesRead;
  else {
    const read = s.estimateEntriesRead(g.lastId);
    if (read !== ENTRIES_READ_INVALID) lag = s.entriesAdded - read;
  }
  if (lag === null) c.reply.bulk(null);
  else c.reply.integer(lag);
}

function xinfoGroups(c: Client, args: string[]): void {
  const s = xinfoKey(c, args);
  c.reply.array(s.groups.size);
  for (const [name, g] of sortedByName(s.groups)) {
    c.reply.map(6);
    c.reply.bulk('name');
    c.reply.bulk(name);
    c.reply.bulk('consumers');
    c.reply.integer(g.consumers.size);
    c.reply.bulk('pending');
    c.reply.integer(g.pel.size);
    c.reply.bulk('last-delivered-id');
    c.reply.bulk(formatId(g.lastId));
    c.reply.bulk('entries-read');
    replyEntriesRead(c, g);
    c.reply.bulk('lag');
    replyLag(c, s, g);
  }
}

function xinfoConsumers(c: Client, args: string[]): void {
  const s = xinfoKey(c, args);
  const g = s.groups.get(args[3]);
  if (g === undefined) throw new ReplyError(`NOGROUP No such consumer group '${cstr(args[3])}' for key name '${cstr(args[2])}'`);
  const now = c.server.keyspace.now;
  c.reply.array(g.consumers.size);
  for (const [name, consumer] of sortedByName(g.consumers)) {
    c.reply.map(3);
    c.reply.bulk('name');
    c.reply.bulk(name);
    c.reply.bulk('pending');
    c.reply.integer(consumer.pel.size);
    c.reply.bulk('idle');
    c.reply.integer(Math.max(0, now - consumer.seenTime));
  }
}

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

// ---- XGROUP ----------------------------------------------------------------------------------

function entriesReadArg(arg: string): number {
  const v = longLongArg(arg);
  if (v < 0n && v !== -1n) throw new ReplyError('ERR value for ENTRIESREAD must be positive or -1');
  return Number(v);
}

/** Redis's xgroupCommand: CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER. */
function xgroup(c: Client, args: string[]): void {
  const sub = args[1].toLowerCase();
  const db = c.db;
  const key = args[2];
  let mkstream = false;
  let entriesRead = ENTRIES_READ_INVALID;
  // Like Redis, the options of CREATE and SETID are all parsed (a bad ENTRIESREAD value
  // included) before the key is looked up; SETID's argument count is checked last.
  if (sub === 'create' || sub === 'setid') {
    for (let i = 5; i < args.length; ) {
      if (sub === 'create' && isKeyword(args[i], 'mkstream')) {
        mkstream = true;
        i++;
      } else if (isKeyword(args[i], 'entriesread') && i + 1 < args.length) {
        entriesRead = entriesReadArg(args[i + 1]);
        i += 2;
      } else throw subcommandSyntaxError(args);
    }
  }
  let s = writeStream(db, key);
  if (s === undefined && !(mkstream && sub === 'create')) {
    throw new ReplyError(
      'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    );
  }
  const groupName = args[3];
  const group = s?.groups.get(groupName);
  if (group === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
    throw new ReplyError(`NOGROUP No such consumer group '${cstr(groupName)}' for key name '${cstr(key)}'`);
  }
  switch (sub) {
    case 'create': {
      if (args.length > 8) throw subcommandSyntaxError(args);
      const id = args[4] === '$' ? (s?.lastId ?? 0n) : parseStrictId(args[4]);
      if (s === undefined) {
        s = new Stream();
        db.set(key, s, false);
      }
      if (s.addGroup(groupName, id, entriesRead) === null) throw new ReplyError('BUSYGROUP Consumer Group name already exists');
      c.reply.status('OK');
      notify(c, NOTIFY.stream, 'xgroup-create', key);
      return;
    }
    case 'setid': {
      if (args.length !== 5 && args.length !== 7) throw subcommandSyntaxError(args);
      const id = args[4] === '$' ? s!.lastId : parseId(args[4], 0n);
      group!.lastId = id;
      group!.entriesRead = entriesRead;
      c.reply.status('OK');
      notify(c, NOTIFY.stream, 'xgroup-setid', key);
      return;
    }
    case 'destroy':
      if (s!.deleteGroup(groupName)) {
        c.reply.integer(1);
        notify(c, NOTIFY.stream, 'xgroup-destroy', key);
        // Clients blocked in XREADGROUP on this group get NOGROUP.
        db.modified(key);
      } else c.reply.integer(0);
      return;
    case 'createconsumer': {
      const name = args[4];
      if (group!.consumers.has(name)) {
        c.reply.integer(0);
        return;
      }
      group!.consumers.set(name, new Consumer(name, c.server.keyspace.now));
      c.reply.integer(1);
      notify(c, NOTIFY.stream, 'xgroup-createconsumer', key);
      return;
    }
    case 'delconsumer': {
      const consumer = group!.consumers.get(args[4]);
      let pending = 0;
      if (consumer !== undefined) {
        pending = consumer.pel.size;
        for (const [id] of [...consumer.pel.range(0n, ID_MAX)]) group!.pel.delete(id);
        group!.consumers.delete(args[4]);
      }
      c.reply.integer(pending);
      notify(c, NOTIFY.stream, 'xgroup-delconsumer', key);
      return;
    }
  }
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ---------------------------------------------------

/** The group of a stream key, or undefined when the key or group is missing (WRONGTYPE throws). */
function groupOf(c: Client, key: string, name: string): [Stream, ConsumerGroup] | undefined {
  const s = readStream(c.db, key);
  const g = s?.groups.get(name);
  return g === undefined ? undefined : [s!, g];
}

function noGroup(key: string, group: string): ReplyError {
  return new ReplyError(`NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}'`);
}

function removePending(g: ConsumerGroup, id: StreamId): boolean {
  const nack = g.pel.get(id);
  if (nack === undefined) return false;
  g.pel.delete(id);
  nack.consumer.pel.delete(id);
  return true;
}

function xack(c: Client, args: string[]): void {
  const found = groupOf(c, args[1], args[2]);
  if (found === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids = args.slice(3).map((a) => parseStrictId(a));
  let acked = 0;
  for (const id of ids) if (removePending(found[1], id)) acked++;
  c.reply.integer(acked);
}

function xpending(c: Client, args: string[]): void {
  const justInfo = args.length === 3;
  if (args.length !== 3 && (args.length < 6 || args.length > 9)) throw new ReplyError(ERR.syntax);
  let start = 0n;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (args.length >= 6) {
    let idx = 3;
    if (isKeyword(args[3], 'idle')) {
      minIdle = Number(longLongArg(args[4]));
      if (args.length < 8) throw new ReplyError(ERR.syntax);
      idx += 2;
    }
    count = clampCount(longLongArg(args[idx + 2]));
    const s = parseIntervalId(args[idx], 0n);
    start = s.id;
    if (s.exclusive) {
      const next = incrId(start);
      if (next === null) throw new ReplyError('ERR invalid start ID for the interval');
      start = next;
    }
    const e = parseIntervalId(args[idx + 1], U64_MAX);
    end = e.id;
    if (e.exclusive) {
      const prev = decrId(end);
      if (prev === null) throw new ReplyError('ERR invalid end ID for the interval');
      end = prev;
    }
    if (idx + 3 < args.length) consumerName = args[idx + 3];
  }
  const found = groupOf(c, args[1], args[2]);
  if (found === undefined) throw noGroup(args[1], args[2]);
  const g = found[1];
  if (justInfo) {
    c.reply.array(4);
    c.reply.integer(g.pel.size);
    if (g.pel.size === 0) {
      c.reply.bulk(null);
      c.reply.bulk(null);
      c.reply.nullArray();
      return;
    }
    c.reply.bulk(formatId(g.pel.first()!));
    c.reply.bulk(formatId(g.pel.last()!));
    const withPending = sortedByName(g.consumers).filter(([, consumer]) => consumer.pel.size > 0);
    c.reply.array(withPending.length);
    for (const [name, consumer] of withPending) {
      c.reply.array(2);
      c.reply.bulk(name);
      c.reply.bulk(String(consumer.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const consumer = g.consumers.get(consumerName);
    if (consumer === undefined) {
      c.reply.array(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = c.server.keyspace.now;
  const out: [StreamId, string, number, number][] = [];
  for (const [id, nack] of pel.range(start, end)) {
    if (count === 0) break;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    count--;
    out.push([id, nack.consumer.name, Math.max(0, now - nack.deliveryTime), nack.deliveryCount]);
  }
  c.reply.array(out.length);
  for (const [id, name, idle, deliveries] of out) {
    c.reply.array(4);
    c.reply.bulk(formatId(id));
    c.reply.bulk(name);
    c.reply.integer(idle);
    c.reply.integer(deliveries);
  }
}

/** A claimed entry in XCLAIM/XAUTOCLAIM's reply: its ID (JUSTID), else the entry or a null. */
function replyClaimed(c: Client, s: Stream, id: StreamId, justId: boolean): void {
  if (justId) {
    c.reply.bulk(formatId(id));
    return;
  }
  const e = s.get(id);
  if (e === undefined) c.reply.bulk(null);
  else replyEntry(c, e);
}

/** Moves a pending entry to `consumer`. */
function claim(id: StreamId, nack: PendingEntry, consumer: Consumer): void {
  if (nack.consumer !== consumer) {
    nack.consumer.pel.delete(id);
    consumer.pel.set(id, nack);
    nack.consumer = consumer;
  }
}

function xclaim(c: Client, args: string[]): void {
  const found = groupOf(c, args[1], args[2]);
  if (found === undefined) throw noGroup(args[1], args[2]);
  const [s, g] = found;
  let minIdle = Number(longLongArg(args[4], 'ERR Invalid min-idle-time argument for XCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < args.length; j++) {
    let id: StreamId;
    try {
      id = parseStrictId(args[j]);
    } catch {
      break;
    }
    ids.push(id);
  }
  const now = c.server.keyspace.now;
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount = -1;
  let lastId = 0n;
  for (; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    const opt = args[j];
    if (isKeyword(opt, 'force')) force = true;
    else if (isKeyword(opt, 'justid')) justId = true;
    else if (isKeyword(opt, 'idle') && moreArgs > 0) {
      deliveryTime = now - Number(longLongArg(args[++j], 'ERR Invalid IDLE option argument for XCLAIM'));
    } else if (isKeyword(opt, 'time') && moreArgs > 0) {
      deliveryTime = Number(longLongArg(args[++j], 'ERR Invalid TIME option argument for XCLAIM'));
    } else if (isKeyword(opt, 'retrycount') && moreArgs > 0) {
      retryCount = Number(longLongArg(args[++j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM'));
    } else if (isKeyword(opt, 'lastid') && moreArgs > 0) {
      lastId = parseStrictId(args[++j]);
    } else {
      throw new ReplyError(`ERR Unrecognized XCLAIM option '${cstr(opt)}'`);
    }
  }
  if (lastId > g.lastId) g.lastId = lastId;
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | null = null;
  const claimed: StreamId[] = [];
  for (const id of ids) {
    let nack = g.pel.get(id);
    if (s.get(id) === undefined) {
      if (nack !== undefined) removePending(g, id);
      continue;
    }
    if (nack === undefined) {
      if (!force) continue;
      // FORCE: a new pending entry, claimed whatever the idle time.
      consumer ??= lookupOrCreateConsumer(c, c.db, args[1], g, args[3]);
      nack = { deliveryTime: now, deliveryCount: 1, consumer };
      g.pel.set(id, nack);
      consumer.pel.set(id, nack);
    } else {
      if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
      consumer ??= lookupOrCreateConsumer(c, c.db, args[1], g, args[3]);
      claim(id, nack, consumer);
    }
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    claimed.push(id);
  }
  c.reply.array(claimed.length);
  for (const id of claimed) replyClaimed(c, s, id, justId);
}

function xautoclaim(c: Client, args: string[]): void {
  let minIdle = Number(longLongArg(args[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const startArg = parseIntervalId(args[5], 0n);
  let start = startArg.id;
  if (startArg.exclusive) {
    const next = incrId(start);
    if (next === null) throw new ReplyError('ERR invalid start ID for the interval');
    start = next;
  }
  let count = 100;
  let justId = false;
  for (let j = 6; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    if (isKeyword(args[j], 'count') && moreArgs > 0) {
      // getRangeLongFromObjectOrReply(1, LONG_MAX / 16): one message for both failures.
      const v = parseInt64(args[j + 1]);
      if (v === null || v < 1n || v > (2n ** 63n - 1n) / 16n) throw new ReplyError('ERR COUNT must be > 0');
      count = Number(v);
      j++;
    } else if (isKeyword(args[j], 'justid')) justId = true;
    else throw new ReplyError(ERR.syntax);
  }
  const found = groupOf(c, args[1], args[2]);
  if (found === undefined) throw noGroup(args[1], args[2]);
  const [s, g] = found;
  let attempts = count * 10;
  const now = c.server.keyspace.now;
  const claimed: StreamId[] = [];
  const deleted: StreamId[] = [];
  let consumer: Consumer | null = null;
  const pending = [...g.pel.range(start, ID_MAX)];
  let i = 0;
  for (; attempts > 0 && count > 0 && i < pending.length; i++) {
    attempts--;
    const [id, nack] = pending[i];
    if (s.get(id) === undefined) {
      removePending(g, id);
      deleted.push(id);
      count--;
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= lookupOrCreateConsumer(c, c.db, args[1], g, args[3]);
    claim(id, nack, consumer);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    claimed.push(id);
    count--;
  }
  c.reply.array(3);
  c.reply.bulk(formatId(i < pending.length ? pending[i][0] : 0n));
  c.reply.array(claimed.length);
  for (const id of claimed) replyClaimed(c, s, id, justId);
  c.reply.array(deleted.length);
  for (const id of deleted) c.reply.bulk(formatId(id));
}

export const streamCommands: CommandDef[] = [
  { name: 'xadd', handler: xadd },
  { name: 'xtrim', handler: xtrim },
  { name: 'xlen', handler: xlen },
  { name: 'xrange', handler: xrangeGeneric(false) },
  { name: 'xrevrange', handler: xrangeGeneric(true) },
  { name: 'xdel', handler: xdel },
  { name: 'xsetid', handler: xsetid },
  { name: 'xread', handler: xread, keys: xreadKeys },
  { name: 'xinfo|stream', handler: xinfoStream },
  { name: 'xinfo|groups', handler: xinfoGroups },
  { name: 'xinfo|consumers', handler: xinfoConsumers },
  { name: 'xinfo|help', handler: (c) => replyHelp(c.reply, 'XINFO', XINFO_HELP) },
  { name: 'xreadgroup', handler: xread, keys: xreadKeys },
  { name: 'xgroup|create', handler: xgroup },
  { name: 'xgroup|setid', handler: xgroup },
  { name: 'xgroup|destroy', handler: xgroup },
  { name: 'xgroup|createconsumer', handler: xgroup },
  { name: 'xgroup|delconsumer', handler: xgroup },
  { name: 'xgroup|help', handler: (c) => replyHelp(c.reply, 'XGROUP', XGROUP_HELP) },
  { name: 'xack', handler: xack },
  { name: 'xpending', handler: xpending },
  { name: 'xclaim', handler: xclaim },
  { name: 'xautoclaim', handler: xautoclaim },
];

/** XREAD/XREADGROUP keys: the first half of what follows STREAMS. */
function xreadKeys(args: string[]): number[] {
  for (let i = 1; i < args.length; i++) {
    if (isKeyword(args[i], 'streams')) {
      const n = Math.floor((args.length - i - 1) / 2);
      return Array.from({ length: n }, (_, k) => i + 1 + k);
    }
  }
  return [];
}
