import type { CommandDef, ExtraSpec } from './table.js';
import type { Client } from './client.js';
import { ERR, cstr } from './errors.js';
import { integerArg, parseInt64 } from './args.js';
import { ReplyError, type ReplySink } from './reply.js';
import { trackingRedirectBroken } from './tracking.js';
import { watchedKeyTouched } from './transactions.js';

/** The version HELLO and INFO report: stickynote answers as the Redis release it is compatible with. */
export const REDIS_VERSION = '7.0.15';

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const BAD_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

/** Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT … */
export const connectionCommands: CommandDef[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: (c, args) => c.reply.bulk(args[1]) },
  {
    name: 'select',
    handler(c, args) {
      const n = integerArg(args[1], ERR.notInteger);
      // Redis reads the index as a C int before the database range check.
      if (n < -2147483648 || n > 2147483647) throw new ReplyError(ERR.intRange);
      if (n < 0 || n >= c.server.keyspace.dbs.length) throw new ReplyError(ERR.dbIndexOutOfRange);
      c.select(n);
      c.reply.status('OK');
    },
  },
  {
    name: 'quit',
    handler(c) {
      c.reply.status('OK');
      c.closeAfterReply = true;
    },
  },
  {
    name: 'reset',
    handler(c) {
      resetClient(c);
      c.reply.status('RESET');
    },
  },
  { name: 'auth', handler: auth },
  { name: 'hello', handler: hello },
  { name: 'client|id', handler: (c) => c.reply.integer(c.id) },
  {
    name: 'client|setname',
    handler(c, args) {
      setName(c, args[2]);
      c.reply.status('OK');
    },
  },
  { name: 'client|getname', handler: (c) => c.reply.bulk(c.name === '' ? null : c.name) },
  { name: 'client|info', handler: (c) => c.reply.verbatim(clientInfoString(c) + '\n') },
  { name: 'client|list', handler: clientList },
  { name: 'client|kill', handler: clientKill },
  {
    name: 'client|no-evict',
    handler(c, args) {
      c.noEvict = onOff(args[2]);
      c.reply.status('OK');
    },
  },
  {
    name: 'client|no-touch',
    extra: clientExtra(3, 'Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.', '7.2.0'),
    handler(c, args) {
      c.noTouch = onOff(args[2]);
      c.reply.status('OK');
    },
  },
  {
    name: 'client|setinfo',
    extra: clientExtra(4, 'Set client or connection specific info', '7.2.0'),
    handler: clientSetInfo,
  },
  { name: 'client|help', handler: (c) => replyHelp(c.reply, 'CLIENT', CLIENT_HELP) },
];

/** Metadata for the Redis 7.2 CLIENT subcommands Redis 7.0's table lacks. */
function clientExtra(arity: number, summary: string, since: string): ExtraSpec {
  return {
    arity,
    flags: ['noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary,
    since,
    aclCategories: ['@slow', '@connection'],
  };
}

function ping(c: Client, args: string[]): void {
  if (args.length > 2) throw new ReplyError(ERR.wrongArgs('ping'));
  // A RESP2 client in subscribe mode can only receive arrays (pubsub.c).
  if (isPubSub(c) && c.protocol === 2) {
    c.reply.array(2);
    c.reply.bulk('pong');
    c.reply.bulk(args.length === 2 ? args[1] : '');
  } else if (args.length === 2) {
    c.reply.bulk(args[1]);
  } else {
    c.reply.status('PONG');
  }
}

function isPubSub(c: Client): boolean {
  return c.subscriptions + c.patternSubscriptions + c.shardSubscriptions > 0;
}

/**
 * Checks credentials against the only user we have, "default", whose password is requirepass
 * (none configured: any password works, as for Redis's `nopass` default user).
 */
function authenticate(c: Client, user: string, pass: string): boolean {
  if (user !== 'default') return false;
  const required = c.server.config.typed.requirepass;
  if (required !== '' && pass !== required) return false;
  c.authenticated = true;
  return true;
}

function auth(c: Client, args: string[]): void {
  if (args.length > 3) throw new ReplyError(ERR.syntax);
  if (args.length === 2 && c.defaultUserNoPass) {
    throw new ReplyError(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const [user, pass] = args.length === 2 ? ['default', args[1]] : [args[1], args[2]];
  if (!authenticate(c, user, pass)) throw new ReplyError(WRONGPASS);
  c.reply.status('OK');
}

function hello(c: Client, args: string[]): void {
  let version = 0;
  if (args.length >= 2) {
    const v = parseInt64(args[1]);
    if (v === null) throw new ReplyError('ERR Protocol version is not an integer or out of range');
    if (v < 2n || v > 3n) throw new ReplyError('NOPROTO unsupported protocol version');
    version = Number(v);
  }
  for (let j = 2; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j].toLowerCase();
    if (opt === 'auth' && more >= 2) {
      if (!authenticate(c, args[j + 1], args[j + 2])) throw new ReplyError(WRONGPASS);
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      setName(c, args[j + 1]);
      j++;
    } else {
      throw new ReplyError(`ERR Syntax error in HELLO option '${cstr(args[j])}'`);
    }
  }
  if (!c.authenticated) {
    throw new ReplyError(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (version !== 0) c.setProtocol(version as 2 | 3);
  const r = c.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_VERSION);
  r.bulk('proto');
  r.integer(c.protocol);
  r.bulk('id');
  r.integer(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk('master');
  r.bulk('modules');
  r.array(0);
}

/** RESET: back to a fresh connection's state (networking.c clearClientConnectionState). */
export function resetClient(c: Client): void {
  for (const hook of c.server.clientResetHooks) hook(c);
  c.select(0);
  c.setProtocol(2);
  c.authenticated = c.defaultUserNoPass;
  c.name = '';
  c.noEvict = false;
  c.noTouch = false;
}

/** Client names and CLIENT SETINFO values must be printable ASCII without spaces. */
function validAttribute(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function setName(c: Client, name: string): void {
  if (!validAttribute(name)) throw new ReplyError(BAD_NAME);
  c.name = name;
}

function onOff(arg: string): boolean {
  const v = arg.toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new ReplyError(ERR.syntax);
}

function clientSetInfo(c: Client, args: string[]): void {
  const attr = args[2].toLowerCase();
  if (attr !== 'lib-name' && attr !== 'lib-ver') throw new ReplyError(`ERR Unrecognized option '${args[2]}'`);
  if (!validAttribute(args[3])) throw new ReplyError(`ERR ${args[2]} cannot contain spaces, newlines or special characters.`);
  if (attr === 'lib-name') c.libName = args[3];
  else c.libVersion = args[3];
  c.reply.status('OK');
}

// ---- CLIENT LIST / KILL ---------------------------------------------------------------------

type ClientType = 'normal' | 'replica' | 'master' | 'pubsub';

function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'pubsub':
      return 'pubsub';
    case 'master':
      return 'master';
    default:
      return null;
  }
}

function clientType(c: Client): ClientType {
  return isPubSub(c) ? 'pubsub' : 'normal';
}

/** Redis's per-connection reply buffer size, shown as rbs/rbp. */
const REPLY_BUFFER = 16384;

/** CLIENT LIST's flags, in the order of Redis 7.0's catClientInfoString. */
function clientFlags(c: Client): string {
  let f = '';
  if (isPubSub(c)) f += 'P';
  if (c.multiQueued >= 0) f += 'x';
  if (c.blocked) f += 'b';
  if (c.tracking) f += 't';
  if (c.tracking && trackingRedirectBroken(c)) f += 'R';
  if (watchedKeyTouched(c)) f += 'd';
  if (c.closeAfterReply) f += 'c';
  if (c.noEvict) f += 'e';
  if (c.noTouch) f += 'T';
  return f === '' ? 'N' : f;
}

/** One line of CLIENT LIST, in Redis 7.0's field order (networking.c catClientInfoString). */
export function clientInfoString(c: Client): string {
  const now = Date.now();
  const qbuf = c.queryBytes();
  const omem = c.outputBytes();
  const events = omem > 0 ? 'rw' : 'r';
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)}` +
    ` flags=${clientFlags(c)} db=${c.db.id} sub=${c.subscriptions} psub=${c.patternSubscriptions} ssub=${c.shardSubscriptions}` +
    ` multi=${c.multiQueued} qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=${REPLY_BUFFER} rbp=${REPLY_BUFFER}` +
    ` obl=0 oll=0 omem=${omem} tot-mem=${qbuf + omem + REPLY_BUFFER} events=${events} cmd=${c.lastCommand.toLowerCase()}` +
    ` user=default redir=${c.trackingRedirect} resp=${c.protocol}`
  );
}

function clientList(c: Client, args: string[]): void {
  let out = '';
  const clients = c.server.clients;
  if (args.length === 4 && args[2].toLowerCase() === 'type') {
    const type = clientTypeByName(args[3]);
    if (type === null) throw new ReplyError(`ERR Unknown client type '${cstr(args[3])}'`);
    for (const cl of clients.values()) if (clientType(cl) === type) out += clientInfoString(cl) + '\n';
  } else if (args.length > 3 && args[2].toLowerCase() === 'id') {
    for (let j = 3; j < args.length; j++) {
      const id = parseInt64(args[j]);
      if (id === null) throw new ReplyError('ERR Invalid client ID');
      const cl = clients.get(Number(id));
      if (cl) out += clientInfoString(cl) + '\n';
    }
  } else if (args.length !== 2) {
    throw new ReplyError(ERR.syntax);
  } else {
    for (const cl of clients.values()) out += clientInfoString(cl) + '\n';
  }
  c.reply.verbatim(out);
}

interface KillFilter {
  addr: string | null;
  laddr: string | null;
  type: ClientType | null;
  id: number;
  user: string | null;
  skipme: boolean;
}

function parseKillFilter(args: string[]): KillFilter {
  const f: KillFilter = { addr: null, laddr: null, type: null, id: 0, user: null, skipme: true };
  if (args.length === 3) {
    // Old form CLIENT KILL <addr>: may kill the caller itself.
    return { ...f, addr: args[2], skipme: false };
  }
  for (let i = 2; i < args.length; i += 2) {
    const opt = args[i].toLowerCase();
    if (i + 1 >= args.length) throw new ReplyError(ERR.syntax);
    const value = args[i + 1];
    if (opt === 'id') {
      const id = parseInt64(value);
      if (id === null || id < 1n) throw new ReplyError('ERR client-id should be greater than 0');
      f.id = Number(id);
    } else if (opt === 'type') {
      f.type = clientTypeByName(value);
      if (f.type === null) throw new ReplyError(`ERR Unknown client type '${cstr(value)}'`);
    } else if (opt === 'addr') {
      f.addr = value;
    } else if (opt === 'laddr') {
      f.laddr = value;
    } else if (opt === 'user') {
      if (value !== 'default') throw new ReplyError(`ERR No such user '${cstr(value)}'`);
      f.user = value;
    } else if (opt === 'skipme') {
      const v = value.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw new ReplyError(ERR.syntax);
      f.skipme = v === 'yes';
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return f;
}

function clientKill(c: Client, args: string[]): void {
  const f = parseKillFilter(args);
  let killed = 0;
  let killSelf = false;
  for (const cl of [...c.server.clients.values()]) {
    if (f.addr !== null && cl.addr !== f.addr) continue;
    if (f.laddr !== null && cl.laddr !== f.laddr) continue;
    if (f.type !== null && clientType(cl) !== f.type) continue;
    if (f.id !== 0 && cl.id !== f.id) continue;
    if (cl === c && f.skipme) continue;
    if (cl === c) killSelf = true;
    else cl.kill();
    killed++;
  }
  if (args.length === 3) {
    if (killed === 0) throw new ReplyError('ERR No such client');
    c.reply.status('OK');
  } else {
    c.reply.integer(killed);
  }
  if (killSelf) c.closeAfterReply = true;
}

// ---- HELP ---------------------------------------------------------------------------------------

/** Redis's addReplyHelp: a title line, the given lines, then HELP's own entry. */
export function replyHelp(reply: ReplySink, command: string, lines: readonly string[]): void {
  reply.array(lines.length + 3);
  reply.status(`${command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) reply.status(l);
  reply.status('HELP');
  reply.status('    Prints this help.');
}

/** Redis 7.0's CLIENT HELP text, word for word. */
const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
];
