import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { parseLong } from './args.js';
import { numkeysKeys } from './numkeys.js';
import { replyHelp } from './connection.js';
import { blockingOf } from './blocking.js';
import { type Script, type ScriptVm, busyVmOf, overMaxmemory, scriptVmOf } from '../scripting/vm.js';

/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c). The Lua VM and the bridge to
 * the command table live in src/scripting/.
 */

const NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** numkeys as evalGenericCommand checks it. */
function numkeysOf(args: string[]): number {
  const n = parseLong(args[2]);
  if (n === null) throw new ReplyError(ERR.notInteger);
  if (n > args.length - 3) throw new ReplyError("ERR Number of keys can't be greater than number of args");
  if (n < 0) throw new ReplyError("ERR Number of keys can't be negative");
  return n;
}

function runScript(c: Client, vm: ScriptVm, args: string[], script: Script, numkeys: number, ro: boolean): void {
  const flags = script.flags;
  // A shebang script may write unless it says no-writes; the _RO commands refuse it up front.
  if (ro && !flags.compat && !flags.noWrites) throw new ReplyError('ERR Can not execute a script with write flag using *_ro command.');
  // A shebang script that may write is a denyoom command (evalGetCommandFlags).
  if (!flags.compat && !flags.noWrites && !flags.allowOom && overMaxmemory(c.server)) throw new ReplyError(ERR.oom);
  // Blocking commands called by a script answer at once, as inside MULTI.
  blockingOf(c.server).denyBlocking(() => vm.run(c, script, args, 3, numkeys, ro || flags.noWrites));
}

function evalGeneric(c: Client, args: string[], ro: boolean): void {
  const numkeys = numkeysOf(args);
  const vm = scriptVmOf(c.server);
  runScript(c, vm, args, vm.load(args[1]), numkeys, ro);
}

function evalshaGeneric(c: Client, args: string[], ro: boolean): void {
  const sha = args[1];
  if (sha.length !== 40) throw new ReplyError(NOSCRIPT);
  const numkeys = numkeysOf(args);
  const vm = scriptVmOf(c.server);
  const script = vm.scripts.get(sha) ?? vm.scripts.get(sha.toLowerCase());
  if (script === undefined) throw new ReplyError(NOSCRIPT);
  runScript(c, vm, args, script, numkeys, ro);
}

function scriptLoad(c: Client, args: string[]): void {
  c.reply.bulk(scriptVmOf(c.server).load(args[2]).sha);
}

function scriptExists(c: Client, args: string[]): void {
  const scripts = scriptVmOf(c.server).scripts;
  c.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const sha = args[i];
    c.reply.integer(scripts.has(sha) || scripts.has(sha.toLowerCase()) ? 1 : 0);
  }
}

function scriptFlush(c: Client, args: string[]): void {
  const mode = args.length === 3 ? args[2].toLowerCase() : '';
  if (args.length > 3 || (args.length === 3 && mode !== 'sync' && mode !== 'async')) {
    throw new ReplyError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  scriptVmOf(c.server).reset();
  c.reply.status('OK');
}

function scriptKill(c: Client): void {
  const vm = busyVmOf(c.server);
  const error = vm === null ? 'NOTBUSY No scripts in execution right now.' : vm.kill(true);
  if (error !== null) throw new ReplyError(error);
  c.reply.status('OK');
}

/** SCRIPT DEBUG: NO is accepted; the Lua debugger (YES/SYNC) is not available here. */
function scriptDebug(c: Client, args: string[]): void {
  if (c.multiQueued !== -1) throw new ReplyError('ERR SCRIPT DEBUG must be called outside a pipeline');
  const mode = args[2].toLowerCase();
  if (mode === 'no') {
    c.reply.status('OK');
    return;
  }
  if (mode === 'yes' || mode === 'sync') throw new ReplyError('ERR SCRIPT DEBUG YES/SYNC is not supported: stickynote has no Lua debugger');
  throw new ReplyError('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

const evalKeys = numkeysKeys(2);

export const scriptingCommands: CommandDef[] = [
  { name: 'eval', handler: (c, a) => evalGeneric(c, a, false), keys: evalKeys },
  { name: 'eval_ro', handler: (c, a) => evalGeneric(c, a, true), keys: evalKeys },
  { name: 'evalsha', handler: (c, a) => evalshaGeneric(c, a, false), keys: evalKeys },
  { name: 'evalsha_ro', handler: (c, a) => evalshaGeneric(c, a, true), keys: evalKeys },
  { name: 'script|load', handler: scriptLoad },
  { name: 'script|exists', handler: scriptExists },
  { name: 'script|flush', handler: scriptFlush },
  { name: 'script|kill', handler: scriptKill },
  { name: 'script|debug', handler: scriptDebug },
  { name: 'script|help', handler: (c) => replyHelp(c.reply, 'SCRIPT', SCRIPT_HELP) },
];
