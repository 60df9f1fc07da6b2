import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import type { ServerContext } from './server-context.js';
import { ERR, cstr } from './errors.js';
import { ReplyError } from './reply.js';
import { parseLong } from './args.js';
import { numkeysKeys } from './numkeys.js';
import { replyHelp } from './connection.js';
import { blockingOf } from './blocking.js';
import { stringMatch } from '../engine/glob.js';
import { BUSY_EVAL, type LoadedFunction, busyVmOf, functionVmOf, overMaxmemory } from '../scripting/vm.js';

/**
 * Redis 7 functions (functions.c, function_lua.c): FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/
 * STATS/KILL and FCALL/FCALL_RO. Libraries live in their own Lua VM (functionVmOf), as in Redis.
 */

interface Library {
  readonly name: string;
  readonly code: string;
  readonly functions: LoadedFunction[];
}

/** A server's libraries and the function name index across them. */
class Libraries {
  readonly byName = new Map<string, Library>();
  readonly functions = new Map<string, { fn: LoadedFunction; library: Library }>();

  constructor(private readonly server: ServerContext) {}

  /** FUNCTION LOAD: returns the library name (functionsCreateWithLibraryCtx). */
  load(code: string, replace: boolean): string {
    const { engine, name, body } = parseMetadata(code);
    if (engine.toLowerCase() !== 'lua') throw new ReplyError(`ERR Engine '${engine}' not found`);
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      throw new ReplyError('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
    }
    const old = this.byName.get(name);
    if (old !== undefined && !replace) throw new ReplyError(`ERR Library '${name}' already exists`);
    const vm = functionVmOf(this.server);
    const fns = vm.loadLibrary(body);
    if (fns.length === 0) throw new ReplyError('ERR No functions registered');
    for (const fn of fns) {
      const existing = this.functions.get(fn.name);
      if (existing !== undefined && existing.library !== old) {
        vm.release(fns);
        throw new ReplyError(`ERR Function ${fn.name} already exists`);
      }
    }
    if (old !== undefined) this.remove(old);
    const library: Library = { name, code, functions: fns };
    this.byName.set(name, library);
    for (const fn of fns) this.functions.set(fn.name, { fn, library });
    return name;
  }

  remove(library: Library): void {
    this.byName.delete(library.name);
    for (const fn of library.functions) this.functions.delete(fn.name);
    functionVmOf(this.server).release(library.functions);
  }

  flush(): void {
    for (const library of [...this.byName.values()]) this.remove(library);
  }
}

/** The shebang of a library: `#!<engine> name=<name>` (functionExtractLibMetaData). */
function parseMetadata(code: string): { engine: string; name: string; body: string } {
  if (!code.startsWith('#!')) throw new ReplyError('ERR Missing library metadata');
  // strchr(code, '\n') on a C string: a NUL before the first newline hides it.
  const end = code.indexOf('\n');
  const nul = code.indexOf('\0');
  if (end === -1 || (nul !== -1 && nul < end)) throw new ReplyError('ERR Invalid library metadata');
  const parts = code.slice(0, end).split(/[ \t\r]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new ReplyError('ERR Invalid library metadata');
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) throw new ReplyError('ERR Invalid metadata value, name argument was given multiple times');
      name = part.slice(5);
      continue;
    }
    throw new ReplyError(`ERR Invalid metadata value given: ${part}`);
  }
  if (name === null) throw new ReplyError('ERR Library name was not given');
  // The shebang's newline stays, so line numbers in errors match the code.
  return { engine, name, body: code.slice(end) };
}

const registries = new WeakMap<ServerContext, Libraries>();

function librariesOf(server: ServerContext): Libraries {
  let l = registries.get(server);
  if (l === undefined) registries.set(server, (l = new Libraries(server)));
  return l;
}

/** INFO memory's function figures, without creating the registry. */
export function functionsInfoOf(server: ServerContext): { functions: number; libraries: number; codeBytes: number } {
  const l = registries.get(server);
  let codeBytes = 0;
  for (const lib of l?.byName.values() ?? []) codeBytes += lib.code.length;
  return { functions: l?.functions.size ?? 0, libraries: l?.byName.size ?? 0, codeBytes };
}

function fcall(c: Client, args: string[], ro: boolean): void {
  const entry = librariesOf(c.server).functions.get(args[1]);
  if (entry === undefined) throw new ReplyError('ERR Function not found');
  const numkeys = parseLong(args[2]);
  if (numkeys === null) throw new ReplyError('ERR Bad number of keys provided');
  if (numkeys > args.length - 3) throw new ReplyError("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
  const fn = entry.fn;
  const noWrites = fn.flags.includes('no-writes');
  if (ro && !noWrites) throw new ReplyError('ERR Can not execute a script with write flag using *_ro command.');
  if (!noWrites && !fn.flags.includes('allow-oom') && overMaxmemory(c.server)) {
    throw new ReplyError(ERR.oom);
  }
  const vm = functionVmOf(c.server);
  blockingOf(c.server).denyBlocking(() => vm.runFunction(c, fn, args, numkeys, ro || noWrites));
}

function functionLoad(c: Client, args: string[]): void {
  let replace = false;
  for (let i = 2; i < args.length - 1; i++) {
    if (args[i].toLowerCase() !== 'replace') throw new ReplyError(`ERR Unknown option given: ${cstr(args[i])}`);
    replace = true;
  }
  c.reply.bulk(librariesOf(c.server).load(args[args.length - 1], replace));
}

function functionList(c: Client, args: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < args.length; i++) {
    const a = args[i].toLowerCase();
    if (!withCode && a === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && a === 'libraryname') {
      if (i >= args.length - 1) throw new ReplyError('ERR library name argument was not given');
      pattern = args[++i];
      continue;
    }
    throw new ReplyError(`ERR Unknown argument ${cstr(args[i])}`);
  }
  const libs = [...librariesOf(c.server).byName.values()].filter((l) => pattern === null || stringMatch(pattern, l.name, true));
  const r = c.reply;
  r.array(libs.length);
  for (const lib of libs) {
    r.map(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(lib.name);
    r.bulk('engine');
    r.bulk('LUA');
    r.bulk('functions');
    r.array(lib.functions.length);
    for (const fn of lib.functions) {
      r.map(3);
      r.bulk('name');
      r.bulk(fn.name);
      r.bulk('description');
      r.bulk(fn.description);
      r.bulk('flags');
      r.set(fn.flags.length);
      for (const f of fn.flags) r.status(f);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(lib.code);
    }
  }
}

function functionDelete(c: Client, args: string[]): void {
  const libs = librariesOf(c.server);
  const lib = libs.byName.get(args[2]);
  if (lib === undefined) throw new ReplyError('ERR Library not found');
  libs.remove(lib);
  c.reply.status('OK');
}

function functionFlush(c: Client, args: string[]): void {
  if (args.length > 3) throw new ReplyError(ERR.subcommandSyntax(args));
  const mode = args.length === 3 ? args[2].toLowerCase() : '';
  if (args.length === 3 && mode !== 'sync' && mode !== 'async') {
    throw new ReplyError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  }
  librariesOf(c.server).flush();
  c.reply.status('OK');
}

function functionKill(c: Client): void {
  const vm = busyVmOf(c.server);
  const error = vm === null ? 'NOTBUSY No scripts in execution right now.' : vm.kill(false);
  if (error !== null) throw new ReplyError(error);
  c.reply.status('OK');
}

function functionStats(c: Client): void {
  // An EVAL script is running past busy-reply-threshold (FUNCTION STATS is allow_busy).
  if (busyVmOf(c.server)?.functions === false) throw new ReplyError(BUSY_EVAL);
  const libs = librariesOf(c.server);
  const running = functionVmOf(c.server).running;
  const r = c.reply;
  r.map(2);
  r.bulk('running_script');
  if (running === null) {
    r.bulk(null);
  } else {
    r.map(3);
    r.bulk('name');
    r.bulk(running.name);
    r.bulk('command');
    r.array(running.args.length);
    for (const a of running.args) r.bulk(a);
    r.bulk('duration_ms');
    r.integer(running.ms);
  }
  r.bulk('engines');
  r.map(1);
  r.bulk('LUA');
  r.map(2);
  r.bulk('libraries_count');
  r.integer(libs.byName.size);
  r.bulk('functions_count');
  r.integer(libs.functions.size);
}

// ---- DUMP / RESTORE: Redis's payload (RDB function opcodes, RDB version, CRC64) --------------

const RDB_OPCODE_FUNCTION2 = 245;
const RDB_VERSION = 10;

function functionDump(c: Client): void {
  const parts: Buffer[] = [];
  for (const lib of librariesOf(c.server).byName.values()) {
    parts.push(Buffer.from([RDB_OPCODE_FUNCTION2]), rdbString(Buffer.from(lib.code, 'latin1')));
  }
  const body = Buffer.concat(parts);
  const footer = Buffer.alloc(10);
  footer.writeUInt16LE(RDB_VERSION, 0);
  const withVersion = Buffer.concat([body, footer.subarray(0, 2)]);
  footer.writeBigUInt64LE(crc64(withVersion), 2);
  c.reply.bulk(Buffer.concat([withVersion, footer.subarray(2)]));
}

function functionRestore(c: Client, args: string[]): void {
  let policy = 'append';
  if (args.length > 4) throw new ReplyError(ERR.syntax);
  if (args.length === 4) {
    policy = args[3].toLowerCase();
    if (policy !== 'flush' && policy !== 'append' && policy !== 'replace') throw new ReplyError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  }
  const payload = Buffer.from(args[2], 'latin1');
  if (payload.length < 10) throw new ReplyError('ERR DUMP payload version or checksum are wrong');
  const version = payload.readUInt16LE(payload.length - 10);
  const crc = payload.readBigUInt64LE(payload.length - 8);
  if (version > RDB_VERSION || (crc !== 0n && crc !== crc64(payload.subarray(0, payload.length - 8)))) {
    throw new ReplyError('ERR DUMP payload version or checksum are wrong');
  }
  const codes: string[] = [];
  let pos = 0;
  const end = payload.length - 10;
  while (pos < end) {
    if (payload[pos] !== RDB_OPCODE_FUNCTION2) throw new ReplyError('ERR given type is not a function');
    const [code, next] = readRdbString(payload, pos + 1);
    codes.push(code.toString('latin1'));
    pos = next;
  }
  const libs = librariesOf(c.server);
  // Load into a scratch registry first so a failure leaves the libraries as they were.
  const saved = [...libs.byName.values()];
  if (policy === 'flush') libs.flush();
  try {
    for (const code of codes) {
      const { name } = parseMetadata(code);
      if (policy === 'append' && libs.byName.has(name)) throw new ReplyError(`ERR Library ${name} already exists`);
      libs.load(code, policy !== 'append');
    }
  } catch (e) {
    libs.flush();
    for (const lib of saved) libs.load(lib.code, true);
    throw e;
  }
  c.reply.status('OK');
}

/** rdbSaveRawString without compression: length encoding then the bytes. */
function rdbString(b: Buffer): Buffer {
  let header: Buffer;
  if (b.length < 64) header = Buffer.from([b.length]);
  else if (b.length < 16384) header = Buffer.from([0x40 | (b.length >> 8), b.length & 0xff]);
  else {
    header = Buffer.alloc(5);
    header[0] = 0x80;
    header.writeUInt32BE(b.length, 1);
  }
  return Buffer.concat([header, b]);
}

function readLength(b: Buffer, pos: number): [number, number, boolean] {
  const first = b[pos];
  const type = first >> 6;
  if (type === 0) return [first & 0x3f, pos + 1, false];
  if (type === 1) return [((first & 0x3f) << 8) | b[pos + 1], pos + 2, false];
  if (type === 3) return [first & 0x3f, pos + 1, true];
  if (first === 0x80) return [b.readUInt32BE(pos + 1), pos + 5, false];
  if (first === 0x81) return [Number(b.readBigUInt64BE(pos + 1)), pos + 9, false];
  throw new ReplyError('ERR DUMP payload version or checksum are wrong');
}

/** rdbGenericLoadStringObject: plain, integer-encoded or LZF-compressed strings. */
function readRdbString(b: Buffer, pos: number): [Buffer, number] {
  const [len, next, encoded] = readLength(b, pos);
  if (!encoded) return [b.subarray(next, next + len), next + len];
  if (len === 0) return [Buffer.from(String(b.readInt8(next))), next + 1];
  if (len === 1) return [Buffer.from(String(b.readInt16LE(next))), next + 2];
  if (len === 2) return [Buffer.from(String(b.readInt32LE(next))), next + 4];
  if (len === 3) {
    const [clen, p1] = readLength(b, next);
    const [ulen, p2] = readLength(b, p1);
    return [lzfDecompress(b.subarray(p2, p2 + clen), ulen), p2 + clen];
  }
  throw new ReplyError('ERR DUMP payload version or checksum are wrong');
}

/** LZF decompression (lzf_d.c). */
function lzfDecompress(input: Buffer, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    let ctrl = input[ip++];
    if (ctrl < 32) {
      ctrl++;
      input.copy(out, op, ip, ip + ctrl);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) len += input[ip++];
      ref -= input[ip++];
      len += 2;
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  return out;
}

/** Redis's crc64 (Jones polynomial, reflected), table-driven. */
let crcTable: BigUint64Array | null = null;
function crc64(b: Buffer): bigint {
  if (crcTable === null) {
    crcTable = new BigUint64Array(256);
    const poly = 0x95ac9329ac4bc9b5n;
    for (let i = 0; i < 256; i++) {
      let crc = BigInt(i);
      for (let j = 0; j < 8; j++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
      crcTable[i] = crc;
    }
  }
  let crc = 0n;
  for (const byte of b) crc = crcTable[Number((crc ^ BigInt(byte)) & 0xffn)] ^ (crc >> 8n);
  return crc;
}

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];

const fcallKeys = numkeysKeys(2);

export const functionCommands: CommandDef[] = [
  { name: 'fcall', handler: (c, a) => fcall(c, a, false), keys: fcallKeys },
  { name: 'fcall_ro', handler: (c, a) => fcall(c, a, true), keys: fcallKeys },
  { name: 'function|load', handler: functionLoad },
  { name: 'function|list', handler: functionList },
  { name: 'function|delete', handler: functionDelete },
  { name: 'function|flush', handler: functionFlush },
  { name: 'function|kill', handler: functionKill },
  { name: 'function|stats', handler: functionStats },
  { name: 'function|dump', handler: functionDump },
  { name: 'function|restore', handler: functionRestore },
  { name: 'function|help', handler: (c) => replyHelp(c.reply, 'FUNCTION', FUNCTION_HELP) },
];
