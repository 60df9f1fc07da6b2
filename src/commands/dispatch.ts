import type { Client } from './client.js';
import { ERR, sanitizeError } from './errors.js';
import { ReplyError } from './reply.js';
import { EVICT_FAIL } from '../engine/keyspace.js';
import { systemClock } from '../engine/clock.js';
import type { Command } from './table.js';
import { abortTransaction, flagTransaction, queueCommand, queuedDenyOom } from './transactions.js';
import { trackingAfterCommand, trackingBeforeCommand } from './tracking.js';

/**
 * The one path every command takes, as Redis's processCommand(): look the command up, check
 * arity and authentication, then run its handler. Checks that belong to every command live here
 * and nowhere else.
 */
export function execute(client: Client, args: string[]): void {
  const ks = client.server.keyspace;
  const cmd = lookupCommand(client, args);
  if (cmd === undefined) return;
  client.lastCommand = cmd.fullname;
  // A command queued inside MULTI runs nothing now, so it reads no clock (EXEC takes the time
  // snapshot its commands run at; the read that brought the command stamped the client).
  const queued = client.multiQueued !== -1 && !cmd.runsInsideMulti;
  if (!queued) {
    const now = ks.tick();
    // On the system clock the command's instant is the interaction's wall time: one clock read.
    client.lastInteraction = ks.clock === systemClock ? now : Date.now();
  }

  if (!client.authenticated && !cmd.noauth) {
    reject(client, cmd, ERR.noAuth);
    return;
  }
  if (client.multiQueued !== -1 && cmd.noMulti) {
    reject(client, cmd, 'ERR Command not allowed inside a transaction');
    return;
  }
  // maxmemory: evict before any command while over the limit; refuse what would add data.
  if (ks.maxmemory !== 0 && outOfMemory(client, cmd)) return;
  // A RESP2 client in subscribed mode can only read Pub/Sub messages, so only these may run.
  if (client.protocol === 2 && client.subscriptions + client.patternSubscriptions + client.shardSubscriptions !== 0 && !SUBSCRIBED_MODE_OK.has(cmd.fullname)) {
    reject(client, cmd, `ERR Can't execute '${cmd.fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    return;
  }

  // A script is running past busy-reply-threshold: only commands flagged allow_busy may run.
  if (client.server.busyScript !== null && !cmd.flags.includes('allow_busy')) {
    reject(client, cmd, client.server.busyScript);
    return;
  }

  if (queued) {
    queueCommand(client, cmd, args);
    return;
  }
  call(client, cmd, args);
}

/**
 * Runs a command whose checks passed and counts it (Redis's call()): top-level commands and each
 * command EXEC runs. Errors the handler throws become error replies. Returns the time it ended,
 * which EXEC passes as the next command's `start` (one clock read per command instead of two).
 */
export function call(client: Client, cmd: Command, args: string[], start = performance.now()): number {
  const server = client.server;
  const ks = server.keyspace;
  ks.noTouch = client.noTouch;
  // Client-side caching: remember the keys a tracking client reads, hold its own invalidations.
  const tracking = client.tracking;
  if (tracking) trackingBeforeCommand(client);
  try {
    cmd.handler!(client, args);
  } catch (e) {
    if (e instanceof ReplyError) {
      client.reply.error(sanitizeError(e.message));
      cmd.failedCalls++;
      server.stats.totalErrorReplies++;
    } else {
      // A bug, not a user error: answer like Redis would rather than crash the server.
      console.error(`stickynote: internal error in '${cmd.fullname}':`, e);
      client.reply.error(`ERR internal error in '${cmd.fullname}': ${sanitizeError(String((e as Error)?.message ?? e))}`);
      cmd.failedCalls++;
      server.stats.totalErrorReplies++;
    }
  } finally {
    ks.noTouch = false;
  }
  if (tracking) trackingAfterCommand(client, cmd, args);
  const end = performance.now();
  cmd.usec += (end - start) * 1000;
  cmd.calls++;
  server.stats.totalCommandsProcessed++;
  return end;
}

/** Inside MULTI every command is refused while out of memory, except these (queuing costs memory). */
const OOM_EXEMPT_IN_MULTI = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * processCommand's maxmemory step: while used memory is over maxmemory, evict by the policy
 * (bounded work, engine/keyspace.ts performEvictions) before any command. If memory could not be
 * freed, refuse denyoom commands, EXEC of a transaction that queued one, and anything queued
 * inside MULTI, with Redis's OOM error; reads and deletes still run. Returns true if refused.
 */
function outOfMemory(client: Client, cmd: Command): boolean {
  const ks = client.server.keyspace;
  if (!ks.overMaxmemory) return false;
  if (ks.performEvictions() !== EVICT_FAIL) return false;
  const exec = cmd.fullname === 'exec';
  const refuse = cmd.denyoom || (exec && queuedDenyOom(client)) || (client.multiQueued !== -1 && !OOM_EXEMPT_IN_MULTI.has(cmd.fullname));
  if (!refuse) return false;
  if (exec) {
    // execCommandAbort: the transaction is discarded and EXEC answers why.
    abortTransaction(client);
    cmd.rejectedCalls++;
    client.reply.error(`EXECABORT Transaction discarded because of: ${ERR.oom}`);
    client.server.stats.totalErrorReplies++;
    return true;
  }
  reject(client, cmd, ERR.oom);
  return true;
}

const SUBSCRIBED_MODE_OK = new Set(['subscribe', 'ssubscribe', 'psubscribe', 'unsubscribe', 'sunsubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

function reject(client: Client, cmd: Command | null, message: string): void {
  // Any command refused while queuing makes EXEC fail with EXECABORT (Redis's flagTransaction).
  if (client.multiQueued !== -1) flagTransaction(client);
  client.reply.error(sanitizeError(message));
  client.server.stats.totalErrorReplies++;
  if (cmd) cmd.rejectedCalls++;
}

/**
 * Finds the command (or subcommand) for `args`, replying with Redis's exact error text when
 * there is none or when the arity is wrong.
 */
export function lookupCommand(client: Client, args: string[]): Command | undefined {
  const table = client.server.commands;
  const name = args[0];
  let cmd = table.lookup(name);
  if (cmd !== undefined && cmd.subcommands !== null && args.length >= 2) {
    const sub = cmd.subcommands.get(args[1].toLowerCase());
    if (sub === undefined) {
      reject(client, null, `ERR unknown subcommand '${cstr(args[1]).slice(0, 128)}'. Try ${cstr(name).toUpperCase()} HELP.`);
      return undefined;
    }
    cmd = sub;
  }
  if (cmd === undefined) {
    let list = '';
    for (let i = 1; i < args.length && list.length < 128; i++) list += `'${cstr(args[i]).slice(0, 128 - list.length)}' `;
    reject(client, null, `ERR unknown command '${cstr(name).slice(0, 128)}', with args beginning with: ${list}`);
    return undefined;
  }
  const arity = cmd.arity;
  if ((arity > 0 && arity !== args.length) || args.length < -arity || cmd.handler === null) {
    reject(client, cmd, ERR.wrongArgs(cmd.fullname));
    return undefined;
  }
  return cmd;
}

/** An argument as Redis's printf("%s") shows it: up to its first NUL byte. */
function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}
