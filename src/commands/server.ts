import type { CommandDef } from './table.js';
import type { Command } from './table.js';
import type { Client } from './client.js';
import { ERR } from './errors.js';
import { parseInt64 } from './args.js';
import { ReplyError } from './reply.js';
import { type Meta, docsField, writeMeta } from './metadata.js';
import { replyHelp } from './connection.js';
import { infoText, selectSections } from './info.js';
import { ConfigError } from '../config/config.js';
import { stringMatch } from '../engine/glob.js';
import { isIntString, objectEncoding } from '../engine/memory.js';
import { RawString, type Value } from '../engine/values.js';

/** Server commands: INFO, CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG … */
export const serverCommands: CommandDef[] = [
  { name: 'info', handler: (c, args) => c.reply.verbatim(infoText(c, selectSections(args.slice(1)))) },
  {
    name: 'time',
    handler(c) {
      const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      c.reply.array(2);
      c.reply.bulk(String(Math.floor(us / 1e6)));
      c.reply.bulk(String(us % 1e6));
    },
  },
  { name: 'config|get', handler: configGet },
  { name: 'config|set', handler: configSet },
  {
    name: 'config|resetstat',
    handler(c) {
      c.server.resetStats();
      c.reply.status('OK');
    },
  },
  { name: 'config|rewrite', handler: configRewrite },
  { name: 'config|help', handler: (c) => replyHelp(c.reply, 'CONFIG', CONFIG_HELP) },
  { name: 'command', handler: (c) => replyCommandInfos(c, [...c.server.commands.all()]) },
  { name: 'command|count', handler: (c) => c.reply.integer(c.server.commands.size) },
  { name: 'command|list', handler: commandList },
  {
    name: 'command|info',
    handler(c, args) {
      if (args.length === 2) replyCommandInfos(c, [...c.server.commands.all()]);
      else replyCommandInfos(c, args.slice(2).map((n) => lookupByFullname(c, n)));
    },
  },
  { name: 'command|docs', handler: commandDocs },
  { name: 'command|getkeys', handler: (c, args) => commandGetKeys(c, args, false) },
  { name: 'command|getkeysandflags', handler: (c, args) => commandGetKeys(c, args, true) },
  { name: 'command|help', handler: (c) => replyHelp(c.reply, 'COMMAND', COMMAND_HELP) },
  { name: 'shutdown', handler: shutdown },
  { name: 'debug', handler: debug },
];

// ---- CONFIG ---------------------------------------------------------------------------------------

function configGet(c: Client, args: string[]): void {
  const pairs = c.server.config.match(args.slice(2));
  c.reply.map(pairs.length);
  for (const [name, value] of pairs) {
    c.reply.bulk(name);
    c.reply.bulk(value);
  }
}

function configSet(c: Client, args: string[]): void {
  if (args.length % 2 !== 0) throw new ReplyError(ERR.syntax);
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([args[i], args[i + 1]]);
  try {
    c.server.config.setMany(pairs);
  } catch (e) {
    if (e instanceof ConfigError) throw new ReplyError(`ERR ${e.message}`);
    throw e;
  }
  c.reply.status('OK');
}

function configRewrite(c: Client): void {
  const file = c.server.configFile;
  if (file === '') throw new ReplyError('ERR The server is running without a config file');
  try {
    c.server.config.rewrite(file);
  } catch (e) {
    throw new ReplyError(`ERR Rewriting config file: ${(e as Error).message}`);
  }
  c.reply.status('OK');
}

const CONFIG_HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

// ---- COMMAND --------------------------------------------------------------------------------------

/** "get" or "config|get" (any case) → the command, or undefined. */
function lookupByFullname(c: Client, name: string): Command | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf('|');
  if (bar === -1) return c.server.commands.get(lower);
  return c.server.commands.get(lower.slice(0, bar))?.subcommands?.get(lower.slice(bar + 1));
}

/** A container's COMMAND INFO / DOCS subcommand list holds only the subcommands we implement. */
function infoMeta(cmd: Command): Meta {
  if (cmd.subcommands === null) return cmd.info;
  const info = [...(cmd.info as Meta[])];
  const subs = [...cmd.subcommands.values()].map((s) => s.info);
  const original = info[9];
  info[9] = original !== null && typeof original === 'object' && 'set' in original ? { set: subs } : subs;
  return info;
}

function docsMeta(cmd: Command): Meta {
  const docs = cmd.docs;
  if (cmd.subcommands === null || docs === null || typeof docs !== 'object' || !('m' in docs)) return docs;
  const m = [...docs.m];
  const subs: Meta[] = [];
  for (const sub of cmd.subcommands.values()) subs.push(sub.fullname, sub.docs);
  const at = m.indexOf('subcommands');
  if (at === -1) m.push('subcommands', { m: subs });
  else m[at + 1] = { m: subs };
  return { m };
}

function replyCommandInfos(c: Client, cmds: (Command | undefined)[]): void {
  c.reply.array(cmds.length);
  for (const cmd of cmds) {
    if (cmd === undefined) c.reply.bulk(null);
    else writeMeta(c.reply, infoMeta(cmd));
  }
}

function commandDocs(c: Client, args: string[]): void {
  const cmds = args.length === 2 ? [...c.server.commands.all()] : args.slice(2).map((n) => lookupByFullname(c, n));
  const found = cmds.filter((x): x is Command => x !== undefined);
  c.reply.map(found.length);
  for (const cmd of found) {
    c.reply.bulk(cmd.fullname);
    writeMeta(c.reply, docsMeta(cmd));
  }
}

function aclCategories(cmd: Command): string[] {
  const set = (cmd.info as Meta[])[6] as { set: { s: string }[] };
  return set.set.map((x) => x.s.toLowerCase());
}

function commandList(c: Client, args: string[]): void {
  let keep: (cmd: Command) => boolean = () => true;
  if (args.length === 5 && args[2].toLowerCase() === 'filterby') {
    const type = args[3].toLowerCase();
    const arg = args[4];
    if (type === 'module') keep = () => false;
    else if (type === 'aclcat') keep = (cmd) => aclCategories(cmd).includes(`@${arg.toLowerCase()}`);
    else if (type === 'pattern') keep = (cmd) => stringMatch(arg, cmd.fullname, true);
    else throw new ReplyError(ERR.syntax);
  } else if (args.length !== 2) {
    throw new ReplyError(ERR.syntax);
  }
  const names: string[] = [];
  for (const cmd of c.server.commands.all()) {
    if (keep(cmd)) names.push(cmd.fullname);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) if (keep(sub)) names.push(sub.fullname);
  }
  c.reply.array(names.length);
  for (const n of names) c.reply.bulk(n);
}

/** A field of a metadata map ({m: [k, v, …]}). */
function field(m: Meta | undefined, name: string): Meta | undefined {
  return m === undefined ? undefined : docsField(m, name);
}

interface KeyRef {
  pos: number;
  flags: string[];
}

/**
 * Key positions from the command's key specs (db.c getKeysUsingKeySpecs): each spec finds where
 * its keys begin (an index or after a keyword) and how far they run (a range or a key count).
 * Returns null when the arguments make a spec invalid.
 */
function keysFromSpecs(cmd: Command, args: string[]): KeyRef[] | null {
  const specsMeta = (cmd.info as Meta[])[8];
  const specs = Array.isArray(specsMeta) ? specsMeta : ((specsMeta as { set: Meta[] } | null)?.set ?? []);
  const argc = args.length;
  const out: KeyRef[] = [];
  for (const spec of specs) {
    const flags = ((field(spec, 'flags') as { set: { s: string }[] } | undefined)?.set ?? []).map((f) => f.s);
    const begin = field(spec, 'begin_search');
    const bspec = field(begin, 'spec');
    let first: number;
    if (field(begin, 'type') === 'index') {
      first = field(bspec, 'index') as number;
    } else if (field(begin, 'type') === 'keyword') {
      const keyword = (field(bspec, 'keyword') as string).toLowerCase();
      const startfrom = field(bspec, 'startfrom') as number;
      first = -1;
      if (startfrom >= 0) {
        for (let i = startfrom; i < argc; i++) if (args[i].toLowerCase() === keyword) ((first = i + 1), (i = argc));
      } else {
        for (let i = argc + startfrom; i > 0; i--) if (args[i].toLowerCase() === keyword) ((first = i + 1), (i = 0));
      }
      if (first === -1) continue;
    } else {
      return null;
    }
    const find = field(spec, 'find_keys');
    const fspec = field(find, 'spec');
    let last: number;
    let step: number;
    if (field(find, 'type') === 'range') {
      const lastkey = field(fspec, 'lastkey') as number;
      const limit = field(fspec, 'limit') as number;
      step = field(fspec, 'keystep') as number;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + Math.floor((argc - first) / limit) + lastkey;
    } else if (field(find, 'type') === 'keynum') {
      const idx = first + (field(fspec, 'keynumidx') as number);
      if (idx >= argc) return null;
      const n = parseInt64(args[idx]);
      if (n === null || n < 1n) return null;
      first += field(fspec, 'firstkey') as number;
      last = first + Number(n) - 1;
      step = field(fspec, 'keystep') as number;
    } else {
      return null;
    }
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) break;
      out.push({ pos: i, flags });
    }
  }
  return out;
}

function commandGetKeys(c: Client, args: string[], withFlags: boolean): void {
  const target = args.slice(2);
  let cmd = c.server.commands.get(target[0].toLowerCase());
  if (cmd?.subcommands && target.length >= 2) cmd = cmd.subcommands.get(target[1].toLowerCase()) ?? cmd;
  if (cmd === undefined || cmd.handler === null) throw new ReplyError('ERR Invalid command specified');
  const specs = (cmd.info as Meta[])[8];
  const hasSpecs = Array.isArray(specs) ? specs.length > 0 : ((specs as { set: Meta[] } | null)?.set.length ?? 0) > 0;
  if (!hasSpecs && cmd.firstKey <= 0 && cmd.movableKeys === null) throw new ReplyError('ERR The command has no key arguments');
  if ((cmd.arity > 0 && cmd.arity !== target.length) || target.length < -cmd.arity) {
    throw new ReplyError('ERR Invalid number of arguments specified for command');
  }
  let keys: KeyRef[] | null;
  if (cmd.movableKeys !== null) {
    const flags = keysFromSpecs(cmd, target)?.[0]?.flags ?? [];
    keys = cmd.movableKeys(target).map((pos) => ({ pos, flags }));
  } else {
    keys = keysFromSpecs(cmd, target);
  }
  if (keys === null || keys.length === 0) {
    if (cmd.flags.includes('no_mandatory_keys')) {
      c.reply.array(0);
      return;
    }
    throw new ReplyError('ERR Invalid arguments specified for command');
  }
  c.reply.array(keys.length);
  for (const k of keys) {
    if (k.flags.includes('variable_flags')) k.flags = variableKeyFlags(cmd, target);
    if (!withFlags) {
      c.reply.bulk(target[k.pos]);
      continue;
    }
    c.reply.array(2);
    c.reply.bulk(target[k.pos]);
    c.reply.set(k.flags.length);
    for (const f of k.flags) c.reply.status(f);
  }
}

/** Flags of SET / BITFIELD keys depend on whether a GET is among the arguments (t_string.c setGetKeys). */
function variableKeyFlags(cmd: Command, args: string[]): string[] {
  const hasGet = args.some((a, i) => i > 1 && a.toLowerCase() === 'get');
  if (cmd.fullname === 'set') return hasGet ? ['RW', 'access', 'update'] : ['OW', 'update'];
  return hasGet ? ['RW', 'access', 'update'] : ['RW', 'update'];
}

const COMMAND_HELP = [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
];

// ---- SHUTDOWN ------------------------------------------------------------------------------------

function shutdown(c: Client, args: string[]): void {
  let save = false;
  let nosave = false;
  let other = false;
  let abort = false;
  for (let i = 1; i < args.length; i++) {
    const opt = args[i].toLowerCase();
    if (opt === 'nosave') nosave = true;
    else if (opt === 'save') save = true;
    else if (opt === 'now' || opt === 'force') other = true;
    else if (opt === 'abort') abort = true;
    else throw new ReplyError(ERR.syntax);
  }
  if ((abort && (save || nosave || other)) || (save && nosave)) throw new ReplyError(ERR.syntax);
  // We never delay a shutdown (no replicas to wait for), so there is never one to abort.
  if (abort) throw new ReplyError('ERR No shutdown in progress.');
  const stop = c.server.shutdown;
  if (stop === null) throw new ReplyError('ERR Errors trying to SHUTDOWN. Check logs.');
  c.closeAfterReply = true;
  stop();
}

// ---- DEBUG ----------------------------------------------------------------------------------------

const DEBUG_REFUSED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

/** Redis's islocalClient: loopback TCP, or (here) the embedded API. */
function isLocal(c: Client): boolean {
  return c.addr === '' || c.addr.startsWith('127.') || c.addr.startsWith('::1') || c.addr.startsWith('::ffff:127.');
}

/** DEBUG is refused unless enable-debug-command allows it, as in Redis 7.0. */
function debugAllowed(c: Client): boolean {
  const mode = c.server.config.typed.enableDebugCommand;
  return mode === 'yes' || (mode === 'local' && isLocal(c));
}

function debug(c: Client, args: string[]): void {
  if (!debugAllowed(c)) throw new ReplyError(DEBUG_REFUSED);
  const sub = args[1].toLowerCase();
  if (sub === 'help' && args.length === 2) {
    replyHelp(c.reply, 'DEBUG', DEBUG_HELP);
  } else if (sub === 'sleep' && args.length === 3) {
    sleepSync(parseFloat(args[2]) || 0);
    c.reply.status('OK');
  } else if (sub === 'object' && args.length === 3) {
    const value = c.db.peek(args[2]);
    if (value === undefined) throw new ReplyError(ERR.noSuchKey);
    c.reply.status(debugObject(c, args[2], value));
  } else {
    throw new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${args[1]}'. Try DEBUG HELP.`);
  }
}

/** Blocks the whole server, as Redis's DEBUG SLEEP does. */
function sleepSync(seconds: number): void {
  const ms = seconds * 1000;
  if (!(ms > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Bytes of an RDB length prefix. */
function rdbLenSize(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Approximate rdbSavedObjectLen: exact for strings without LZF compression. */
function serializedLength(v: Value): number {
  // rdbSaveRawString tries the integer encoding for any string of at most 11 bytes.
  const text = typeof v === 'string' ? v : v instanceof RawString && v.length <= 11 ? v.toString() : null;
  if (text !== null && isIntString(text)) {
    const n = Number(text);
    if (n >= -128 && n <= 127) return 2;
    if (n >= -32768 && n <= 32767) return 3;
    if (n >= -2147483648 && n <= 2147483647) return 5;
  }
  if (typeof v === 'string' || v instanceof RawString) return rdbLenSize(v.length) + v.length;
  return rdbLenSize(v.size) + v.size * 9;
}

/** A stable pseudo-address per key, since V8 hides real ones. */
function pseudoAddress(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `0x7f${(h >>> 0).toString(16).padStart(8, '0')}0`;
}

function debugObject(c: Client, key: string, v: Value): string {
  const encoding = objectEncoding(v);
  const policy = c.server.config.typed.maxmemoryPolicy;
  const shared =
    encoding === 'int' &&
    Number(v) >= 0 &&
    Number(v) < 10000 &&
    (c.server.config.typed.maxmemory === 0 || !/lru|lfu/.test(policy));
  const idle = c.db.idleSeconds(key);
  const lru = (c.server.keyspace.lruClock - idle) & 0xffffff;
  let out =
    `Value at:${pseudoAddress(key)} refcount:${shared ? 2147483647 : 1} encoding:${encoding}` +
    ` serializedlength:${serializedLength(v)} lru:${lru} lru_seconds_idle:${idle}`;
  if (encoding === 'quicklist' && typeof v === 'object' && !(v instanceof RawString)) {
    out += ` ql_nodes:1 ql_avg_node:${v.size.toFixed(2)} ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:${v.size * 9}`;
  }
  return out;
}

/** The DEBUG subcommands we implement, in Redis's help wording. */
const DEBUG_HELP = [
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
];
