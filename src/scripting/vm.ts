import { createHash } from 'node:crypto';
import { Client } from '../commands/client.js';
import { call } from '../commands/dispatch.js';
import { ReplyError, type ReplySink } from '../commands/reply.js';
import { ERR, sanitizeError } from '../commands/errors.js';
import { blockingOf } from '../commands/blocking.js';
import { trackingAfterCommand, trackingBeforeCommand } from '../commands/tracking.js';
import type { ServerContext } from '../commands/server-context.js';
import type { Command } from '../commands/table.js';
import { formatDouble } from '../engine/double-format.js';
import { LuaSink } from './lua-sink.js';
import { LuaReplyWriter, errorMessage } from './lua-reply.js';
import {
  type LuaWasm,
  big,
  luaWasm,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_YIELD,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
} from './lua-wasm.js';
import { PRELUDE } from './prelude.js';
import { registerLibraries } from './libs.js';

/** Script flags from a `#!lua flags=…` shebang (Redis's SCRIPT_FLAG_*). */
export interface ScriptFlags {
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
  /** No shebang: Redis's "eval compatibility mode" (no flag checks before running). */
  compat: boolean;
}

/** A compiled script: its Lua function is kept in the registry under `ref`. */
export interface Script {
  readonly sha: string;
  readonly body: string;
  /** Registry reference of the compiled function (a lua_Integer, hence a BigInt). */
  readonly ref: bigint;
  readonly flags: ScriptFlags;
}

/** What the running script may do, read by redis.call. */
interface RunContext {
  caller: Client;
  readOnly: boolean;
  /** Name shown in error replies: the sha for EVAL, the function name for FCALL. */
  name: string;
  /** EVAL (SCRIPT KILL) or FCALL (FUNCTION KILL). */
  isEval: boolean;
  /** The script ran a write command: it can't be killed any more. */
  wrote: boolean;
  killed: boolean;
  /** performance.now() at the first hook run (0 before), for busy-reply-threshold. */
  start: number;
  /** The script may yield to the event loop (a TCP caller outside MULTI). */
  yieldable: boolean;
  /** The EVAL/FCALL command's arguments (FUNCTION STATS shows them). */
  args: string[];
  /** Used memory was over maxmemory when the script started (Redis's pre_command_oom_state). */
  oom: boolean;
  allowOom: boolean;
}

const REDIS_VERSION = '7.0.15';
const REDIS_VERSION_NUM = 0x07000f;
/** Instructions between two runs of the count hook (Redis's value). */
const HOOK_COUNT = 100000;
/** FUNCTION LOAD's limit on library code (function_lua.c LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
export const BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';

/** A function registered by a library being loaded (redis.register_function). */
export interface LoadedFunction {
  name: string;
  /** Registry reference of the callback. */
  ref: bigint;
  flags: string[];
  description: string | null;
}

/** A script that ran past busy-reply-threshold and yielded to the event loop. */
interface Suspended {
  caller: Client;
  name: string;
  /** The keyspace time when the script started: scripts see one instant. */
  now: number;
}

/** Used memory is over maxmemory even after the eviction dispatch ran before the command. */
export function overMaxmemory(server: ServerContext): boolean {
  const ks = server.keyspace;
  return ks.maxmemory !== 0 && ks.overMaxmemory;
}

/** Redis's shebang flag names (script.c scripts_flags_def). */
const FLAG_NAMES: Record<string, keyof ScriptFlags> = {
  'no-writes': 'noWrites',
  'allow-oom': 'allowOom',
  'allow-stale': 'allowStale',
  'no-cluster': 'noCluster',
  'allow-cross-slot-keys': 'allowCrossSlot',
};

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

/**
 * Parses Redis's script flags from a shebang line (evalExtractShebangFlags); returns the flags
 * and how many bytes the shebang line takes (its newline stays, so line numbers don't move).
 */
export function parseShebang(body: string): { flags: ScriptFlags; skip: number } {
  const flags: ScriptFlags = { noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlot: false, compat: true };
  if (!body.startsWith('#!')) return { flags, skip: 0 };
  const end = body.indexOf('\n');
  if (end === -1) throw new ReplyError('ERR Invalid script shebang');
  const parts = body.slice(0, end).split(' ');
  if (parts[0] !== '#!lua') throw new ReplyError(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  flags.compat = false;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (!part.startsWith('flags=')) throw new ReplyError(`ERR Unknown lua shebang option: ${part}`);
    const list = part.slice(6);
    if (list === '') continue;
    for (const name of list.split(',')) {
      const key = FLAG_NAMES[name];
      if (key === undefined) throw new ReplyError(`ERR Unexpected flag in script shebang: ${name}`);
      flags[key] = true;
    }
  }
  return { flags, skip: end };
}

/**
 * VMs by the id stored in each lua_State's extra space (so JS callbacks find theirs), held
 * weakly: a VM goes with its ServerContext, and its lua_State is closed when it is collected.
 */
const vms: (WeakRef<ScriptVm> | undefined)[] = [];
const closer = new FinalizationRegistry<{ L: number; id: number }>(({ L, id }) => {
  luaWasm().api.lua_close(L);
  vms[id] = undefined;
});

/** The JS functions Lua calls, registered once per wasm instance. */
interface Callbacks {
  call: number;
  pcall: number;
  sha1hex: number;
  log: number;
  setresp: number;
  setRepl: number;
  wrap: number;
  guard: number;
  hook: number;
  register: number;
}
let callbacks: Callbacks | null = null;

function vmOf(w: LuaWasm, L: number): ScriptVm {
  return vms[w.mem().readInt32LE(L - 4)]!.deref()!;
}

function registerCallbacks(w: LuaWasm): Callbacks {
  const api = w.api;
  // Each returns its result count, or raises: lua_error is called outside any JS try/catch so
  // Lua's longjmp (a thrown Infinity) unwinds through this frame untouched.
  const wrap = (fn: (vm: ScriptVm, L: number) => number) =>
    w.addFunction(
      (L: number) => {
        let n: number;
        try {
          n = fn(vmOf(w, L), L);
        } catch (e) {
          if (e === Infinity) throw e;
          console.error('stickynote: internal error in a Lua callback:', e);
          api.lua_settop(L, 0);
          w.pushString(L, `ERR internal error: ${(e as Error)?.message ?? e}`);
          n = -1;
        }
        return n === -1 ? api.lua_error(L) : n;
      },
      1,
      true,
    );
  // js.wrap(f): a C closure that calls the Lua function f. A tail call to a C function keeps the
  // caller's frame, so errors inside f can still be reported at the script's line.
  const trampoline = w.addFunction(
    (L: number) => {
      api.lua_pushvalue(L, LUA_REGISTRYINDEX - 1);
      api.lua_rotate(L, 1, 1);
      api.lua_callk(L, api.lua_gettop(L) - 1, -1, 0, 0);
      return api.lua_gettop(L);
    },
    1,
    true,
  );
  const wrapFn = w.addFunction(
    (L: number) => {
      api.lua_settop(L, 1);
      api.lua_pushcclosure(L, trampoline, 1);
      return 1;
    },
    1,
    true,
  );
  // js.guard(f): the runner's message handler; stops the kill hook, then calls f.
  const guardCall = w.addFunction(
    (L: number) => {
      vmOf(w, L).handlingError(L);
      api.lua_pushvalue(L, LUA_REGISTRYINDEX - 1);
      api.lua_rotate(L, 1, 1);
      api.lua_callk(L, api.lua_gettop(L) - 1, 1, 0, 0);
      return 1;
    },
    1,
    true,
  );
  const guardFn = w.addFunction(
    (L: number) => {
      api.lua_settop(L, 1);
      api.lua_pushcclosure(L, guardCall, 1);
      return 1;
    },
    1,
    true,
  );
  // The count hook (every 100,000 instructions): kills, or yields to let the event loop turn.
  const hook = w.addFunction(
    (L: number) => {
      if (vmOf(w, L).onHook(L)) api.lua_error(L);
    },
    2,
    false,
  );
  return {
    wrap: wrapFn,
    guard: guardFn,
    hook,
    register: wrap((vm, L) => vm.registerFunction(L)),
    call: wrap((vm, L) => vm.redisCommand(L, true)),
    pcall: wrap((vm, L) => vm.redisCommand(L, false)),
    sha1hex: wrap((vm, L) => vm.sha1hex(L)),
    log: wrap((vm, L) => vm.log(L)),
    setresp: wrap((vm, L) => vm.setResp(L)),
    setRepl: wrap((vm, L) => vm.setRepl(L)),
  };
}

/**
 * One Lua VM per server (Redis has one for all clients): the sandboxed globals, the script cache
 * by SHA1, and the bridge between redis.call and the command table. Scripts run synchronously
 * on the Node thread, so no other client runs in between (atomicity for free).
 */
export class ScriptVm {
  private readonly w: LuaWasm;
  private L: number;
  private id: number;
  /** The coroutine scripts run in, and the registry refs of its helpers. */
  private thread = 0;
  private threadRef = 0;
  private sandboxRef = 0n;
  private runnerRef = 0n;
  readonly scripts = new Map<string, Script>();
  private readonly sink: LuaSink;
  private readonly replies: LuaReplyWriter;
  /** The client redis.call runs commands as (Redis's lua_client). */
  private readonly scriptClient: Client;
  private ctx: RunContext | null = null;
  private readonly runContext: RunContext = {
    caller: null as unknown as Client, readOnly: false, name: '', isEval: true, wrote: false, killed: false,
    start: 0, yieldable: false, args: [], oom: false, allowOom: false,
  };
  private readonly byExactName = new Map<string, Command>();
  private hookMask = 0;
  /** While FUNCTION LOAD runs library code: when it must stop (performance.now()), else 0. */
  private loadDeadline = 0;
  private suspended: Suspended | null = null;
  private readonly continueRun = () => this.continueSuspended();
  private readonly keyNames: number;
  private readonly argvNames: number;

  /** Functions registered by the library being loaded. */
  private registering: LoadedFunction[] = [];
  private fsandboxRef = 0n;
  private loaderRef = 0n;

  /** `functions`: the VM of FUNCTION libraries (no KEYS/ARGV globals; library loading). */
  constructor(
    private readonly server: ServerContext,
    readonly functions = false,
  ) {
    this.w = luaWasm();
    callbacks ??= registerCallbacks(this.w);
    this.sink = new LuaSink(this.w);
    this.replies = new LuaReplyWriter(this.w);
    this.scriptClient = new Client(server, this.sink);
    this.scriptClient.isScript = true;
    this.scriptClient.authenticated = true;
    // Redis creates its script clients at startup; created on first use here, this one must not
    // shift the ids later connections get (CLIENT ID). It is never listed nor looked up by id.
    server.nextClientId--;
    this.keyNames = this.w.cstr('KEYS');
    this.argvNames = this.w.cstr('ARGV');
    this.L = 0;
    this.id = -1;
    this.open();
  }

  /** Creates the Lua state: libraries, the redis table, the 5.1 prelude, global protection. */
  private open(): void {
    const w = this.w;
    const api = w.api;
    const L = api.luaL_newstate();
    if (L === 0) throw new Error('Lua VM: cannot create a state');
    this.L = L;
    let id = vms.indexOf(undefined);
    if (id === -1) id = vms.length;
    vms[id] = new WeakRef(this);
    this.id = id;
    closer.register(this, { L, id }, this);
    w.mem().writeInt32LE(id, L - 4);
    api.luaL_openlibs(L);

    // The table handed to the prelude: { redis = {...C functions}, cjson, cmsgpack, version… }.
    const cb = callbacks!;
    api.lua_createtable(L, 0, 8);
    api.lua_createtable(L, 0, 16);
    const setFn = (name: string, fn: number) => {
      api.lua_pushcclosure(L, fn, 0);
      api.lua_setfield(L, -2, w.cstr(name));
    };
    setFn('call', cb.call);
    setFn('pcall', cb.pcall);
    setFn('sha1hex', cb.sha1hex);
    setFn('log', cb.log);
    setFn('setresp', cb.setresp);
    setFn('set_repl', cb.setRepl);
    api.lua_setfield(L, -2, w.cstr('redis'));
    api.lua_pushcclosure(L, cb.wrap, 0);
    api.lua_setfield(L, -2, w.cstr('wrap'));
    api.lua_pushcclosure(L, cb.guard, 0);
    api.lua_setfield(L, -2, w.cstr('guard'));
    registerLibraries(w, L);
    w.pushString(L, REDIS_VERSION);
    api.lua_setfield(L, -2, w.cstr('version'));
    api.lua_pushinteger(L, BigInt(REDIS_VERSION_NUM));
    api.lua_setfield(L, -2, w.cstr('versionNum'));
    api.lua_pushboolean(L, this.functions ? 1 : 0);
    api.lua_setfield(L, -2, w.cstr('functions'));
    api.lua_pushcclosure(L, cb.register, 0);
    api.lua_setfield(L, -2, w.cstr('register'));

    const src = Buffer.from(PRELUDE, 'latin1');
    const p = w.scratchFor(src.length);
    w.mem().set(src, p);
    if (api.luaL_loadbufferx(L, p, src.length, w.cstr('=prelude'), w.cstr('t')) !== LUA_OK) {
      throw new Error(`Lua prelude: ${w.toString(L, -1)}`);
    }
    api.lua_rotate(L, -2, 1); // [prelude, js]
    if (api.lua_pcallk(L, 1, 5, 0, 0, 0) !== LUA_OK) throw new Error(`Lua prelude: ${w.toString(L, -1)}`);
    // Returned: sandbox, error handler, runner, functions sandbox, library loader.
    this.loaderRef = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    this.fsandboxRef = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    this.runnerRef = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    api.lua_settop(L, -2); // the error handler is used by the runner only
    this.sandboxRef = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    this.thread = api.lua_newthread(L);
    this.threadRef = api.luaL_ref(L, LUA_REGISTRYINDEX);
    api.lua_settop(L, 0);
    api.lua_sethook(this.thread, callbacks!.hook, LUA_MASKCOUNT, HOOK_COUNT);
    this.hookMask = LUA_MASKCOUNT;
  }

  /** SCRIPT FLUSH: a fresh state with an empty cache (Redis's scriptingReset). */
  reset(): void {
    this.close();
    this.scripts.clear();
    this.open();
  }

  /** Bytes the Lua state holds (collectgarbage('count'), Redis's lua_gc(LUA_GCCOUNT)), for INFO memory. */
  memoryBytes(): number {
    if (this.L === 0 || this.suspended !== null) return 0;
    const api = this.w.api;
    const L = this.L;
    const top = api.lua_gettop(L);
    api.lua_getglobal(L, this.w.cstr('collectgarbage'));
    this.w.pushString(L, 'count');
    const kb = api.lua_pcallk(L, 1, 1, 0, 0, 0) === 0 ? api.lua_tonumberx(L, -1, 0) : 0;
    api.lua_settop(L, top);
    return Math.round(kb * 1024);
  }

  close(): void {
    if (this.L === 0) return;
    closer.unregister(this);
    this.w.api.lua_close(this.L);
    vms[this.id] = undefined;
    this.L = 0;
  }

  /**
   * Compiles and caches a script (Redis's luaCreateFunction); returns the cached one if present.
   * Compile errors and bad shebangs are thrown as Redis's error replies.
   */
  load(body: string, sha = sha1hex(body)): Script {
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return cached;
    const { flags, skip } = parseShebang(body);
    const w = this.w;
    const api = w.api;
    const L = this.L;
    const len = body.length - skip;
    const p = w.scratchFor(len || 1);
    w.mem().latin1Write(skip > 0 ? body.slice(skip) : body, p, len);
    if (api.luaL_loadbufferx(L, p, len, w.cstr('@user_script'), w.cstr('t')) !== LUA_OK) {
      // Lua 5.4 writes near <eof> where 5.1 wrote near '<eof>'.
      const msg = (w.toString(L, -1) ?? '').replace(/ near <eof>$/, " near '<eof>'");
      api.lua_settop(L, 0);
      throw new ReplyError(`ERR Error compiling script (new function): ${msg}`);
    }
    // The script's globals are the sandbox: its first upvalue is _ENV.
    api.lua_rawgeti(L, LUA_REGISTRYINDEX, this.sandboxRef);
    api.lua_setupvalue(L, -2, 1);
    const ref = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    const script: Script = { sha, body, ref, flags };
    this.scripts.set(sha, script);
    return script;
  }

  /**
   * Runs a cached script for `caller` with KEYS and ARGV, writing its reply (Redis's
   * luaCallFunction). Errors are thrown as ReplyError with Redis's formatting.
   */
  run(caller: Client, script: Script, args: string[], firstKey: number, numkeys: number, readOnly: boolean): void {
    const w = this.w;
    const api = w.api;
    const T = this.thread;
    api.lua_settop(T, 0);
    api.lua_rawgeti(T, LUA_REGISTRYINDEX, this.runnerRef);
    api.lua_rawgeti(T, LUA_REGISTRYINDEX, script.ref);
    this.pushArray(T, args, firstKey, numkeys);
    api.lua_setglobal(T, this.keyNames);
    this.pushArray(T, args, firstKey + numkeys, args.length - firstKey - numkeys);
    api.lua_setglobal(T, this.argvNames);

    const client = this.scriptClient;
    client.db = caller.db;
    client.protocol = 2;
    this.sink.protocol = 2;
    if (this.hookMask !== LUA_MASKCOUNT) {
      api.lua_sethook(T, callbacks!.hook, LUA_MASKCOUNT, HOOK_COUNT);
      this.hookMask = LUA_MASKCOUNT;
    }
    this.begin(caller, readOnly, script.sha, true, args, script.flags.allowOom);
    this.resume(T, 1, caller);
  }

  /**
   * Loads a FUNCTION library's code (after its shebang line) and returns the functions it
   * registered (function_lua.c luaEngineCreate); errors are thrown as Redis's replies.
   */
  loadLibrary(code: string): LoadedFunction[] {
    const w = this.w;
    const api = w.api;
    const L = this.L;
    const p = w.scratchFor(code.length || 1);
    w.mem().latin1Write(code, p, code.length);
    if (api.luaL_loadbufferx(L, p, code.length, w.cstr('@user_function'), w.cstr('t')) !== LUA_OK) {
      const msg = (w.toString(L, -1) ?? '').replace(/ near <eof>$/, " near '<eof>'");
      api.lua_settop(L, 0);
      throw new ReplyError(`ERR Error compiling function: ${msg}`);
    }
    api.lua_rawgeti(L, LUA_REGISTRYINDEX, this.fsandboxRef);
    api.lua_setupvalue(L, -2, 1);
    api.lua_rawgeti(L, LUA_REGISTRYINDEX, this.loaderRef);
    api.lua_rotate(L, -2, 1);
    this.registering = [];
    // FUNCTION LOAD may run for 500 ms at most (function_lua.c's LOAD_TIMEOUT_MS).
    this.loadDeadline = performance.now() + LOAD_TIMEOUT_MS;
    api.lua_sethook(L, callbacks!.hook, LUA_MASKCOUNT, HOOK_COUNT);
    let status: number;
    try {
      status = api.lua_pcallk(L, 1, 2, 0, 0, 0);
    } finally {
      api.lua_sethook(L, 0, 0, 0);
      this.loadDeadline = 0;
    }
    const loaded = this.registering;
    this.registering = [];
    if (status !== LUA_OK || api.lua_toboolean(L, 1) === 0) {
      let msg: string;
      if (api.lua_type(L, -1) === LUA_TTABLE) {
        api.lua_getfield(L, -1, w.cstr('err'));
        msg = w.toString(L, -1) ?? '';
      } else {
        msg = 'ERR ' + (w.toString(L, -1) ?? '');
      }
      api.lua_settop(L, 0);
      this.release(loaded);
      throw new ReplyError(`ERR Error registering functions: ${msg}`);
    }
    api.lua_settop(L, 0);
    return loaded;
  }

  /** Drops the registry references of functions no longer registered. */
  release(fns: readonly LoadedFunction[]): void {
    if (this.L === 0) return;
    for (const f of fns) this.w.api.luaL_unref(this.L, LUA_REGISTRYINDEX, Number(f.ref));
  }

  /** js.register(name, callback, flags, description) from redis.register_function. */
  registerFunction(L: number): number {
    const w = this.w;
    const api = w.api;
    const name = w.toString(L, 1) ?? '';
    const flags = w.toString(L, 3) ?? '';
    const description = api.lua_type(L, 4) === LUA_TNIL ? null : w.toString(L, 4);
    api.lua_pushvalue(L, 2);
    const ref = BigInt(api.luaL_ref(L, LUA_REGISTRYINDEX));
    this.registering.push({ name, ref, flags: flags === '' ? [] : flags.split(','), description });
    return 0;
  }

  /** FCALL: runs a library function with its keys and args tables (luaEngineCall). */
  runFunction(caller: Client, fn: LoadedFunction, args: string[], numkeys: number, readOnly: boolean): void {
    const w = this.w;
    const api = w.api;
    const T = this.thread;
    api.lua_settop(T, 0);
    api.lua_rawgeti(T, LUA_REGISTRYINDEX, this.runnerRef);
    api.lua_rawgeti(T, LUA_REGISTRYINDEX, fn.ref);
    this.pushArray(T, args, 3, numkeys);
    this.pushArray(T, args, 3 + numkeys, args.length - 3 - numkeys);
    const client = this.scriptClient;
    client.db = caller.db;
    client.protocol = 2;
    this.sink.protocol = 2;
    if (this.hookMask !== LUA_MASKCOUNT) {
      api.lua_sethook(T, callbacks!.hook, LUA_MASKCOUNT, HOOK_COUNT);
      this.hookMask = LUA_MASKCOUNT;
    }
    this.begin(caller, readOnly, fn.name, false, args, fn.flags.includes('allow-oom'));
    this.resume(T, 3, caller);
  }

  /** Fills the (one, reused) run context: nothing is allocated per call. */
  private begin(caller: Client, readOnly: boolean, name: string, isEval: boolean, args: string[], allowOom: boolean): void {
    const ctx = this.runContext;
    ctx.caller = caller;
    ctx.readOnly = readOnly;
    ctx.name = name;
    ctx.isEval = isEval;
    ctx.wrote = false;
    ctx.killed = false;
    // Set by the first hook run (100,000 instructions in): no clock read per call.
    ctx.start = 0;
    ctx.yieldable = caller.resumeInput !== null && caller.multiQueued === -1;
    ctx.args = args;
    ctx.oom = overMaxmemory(this.server);
    ctx.allowOom = allowOom;
    this.ctx = ctx;
  }

  /** The running (or suspended) function's name and start, for FUNCTION STATS. */
  get running(): { name: string; args: string[]; ms: number } | null {
    const ctx = this.ctx;
    if (ctx === null || this.suspended === null) return null;
    return { name: ctx.name, args: ctx.args, ms: Math.floor(performance.now() - ctx.start) };
  }

  /** Runs (or continues) the script until it ends or yields past busy-reply-threshold. */
  private resume(T: number, nargs: number, caller: Client): void {
    let status: number;
    try {
      status = this.w.api.lua_resume(T, this.L, nargs, this.w.out);
    } catch (e) {
      this.ctx = null;
      this.w.api.lua_resetthread(T);
      throw e;
    }
    const ctx = this.ctx!;
    if (status === LUA_YIELD) {
      if (this.suspended === null) {
        this.suspended = { caller, name: ctx.name, now: this.server.keyspace.now };
        this.server.busyScript = ctx.isEval ? BUSY_EVAL : BUSY_FUNCTION;
        // The caller waits like a blocked client: its further input is held.
        caller.blocked = true;
      }
      setImmediate(this.continueRun);
      return;
    }
    this.ctx = null;
    this.finish(T, status, caller.reply, ctx.name);
  }

  /** Next slice of a suspended script; at its end, the caller gets its reply and its input runs. */
  private continueSuspended(): void {
    const s = this.suspended!;
    const server = this.server;
    // Other clients' commands moved the clock: the script keeps its instant.
    server.keyspace.now = s.now;
    server.keyspace.lruClock = Math.floor(s.now / 1000);
    const blocking = blockingOf(server);
    try {
      blocking.denyBlocking(() => this.resume(this.thread, 0, s.caller));
      if (this.ctx !== null) return; // yielded again
    } catch (e) {
      if (!(e instanceof ReplyError)) throw e;
      s.caller.reply.error(sanitizeError(e.message));
      server.stats.totalErrorReplies++;
    }
    this.suspended = null;
    server.busyScript = null;
    s.caller.blocked = false;
    blocking.afterCommand();
    s.caller.resumeInput?.();
  }

  /** True while a script is suspended (SCRIPT KILL / FUNCTION KILL can reach it). */
  get busy(): boolean {
    return this.suspended !== null;
  }

  /**
   * SCRIPT KILL / FUNCTION KILL (Redis's scriptKill): an error reply text, or null when the
   * script will be stopped at its next hook.
   */
  kill(isEval: boolean): string | null {
    const ctx = this.ctx;
    if (this.suspended === null || ctx === null) return 'NOTBUSY No scripts in execution right now.';
    if (ctx.wrote) {
      return 'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
    }
    if (isEval && !ctx.isEval) return BUSY_FUNCTION;
    if (!isEval && ctx.isEval) return BUSY_EVAL;
    ctx.killed = true;
    return null;
  }

  /** The count hook: returns true to raise the kill error it pushed. */
  onHook(L: number): boolean {
    const api = this.w.api;
    if (this.loadDeadline !== 0 && L === this.L) {
      if (performance.now() <= this.loadDeadline) return false;
      // Raise on every line from now on, so the library's own pcall cannot swallow it.
      api.lua_sethook(L, callbacks!.hook, LUA_MASKLINE, 0);
      api.lua_createtable(L, 0, 1);
      this.w.pushString(L, 'ERR FUNCTION LOAD timeout');
      api.lua_setfield(L, -2, this.w.cstr('err'));
      return true;
    }
    const ctx = this.ctx;
    if (ctx === null) return false;
    if (ctx.killed) {
      // Raise on every line from now on, so pcall cannot swallow the kill.
      if (this.hookMask !== LUA_MASKLINE) {
        api.lua_sethook(this.thread, callbacks!.hook, LUA_MASKLINE, 0);
        this.hookMask = LUA_MASKLINE;
      }
      api.lua_createtable(L, 0, 1);
      this.w.pushString(L, 'ERR Script killed by user with SCRIPT KILL...');
      api.lua_setfield(L, -2, this.w.cstr('err'));
      return true;
    }
    const threshold = this.server.config.typed.busyReplyThreshold;
    if (ctx.start === 0) ctx.start = performance.now();
    if (threshold > 0 && ctx.yieldable && L === this.thread && performance.now() - ctx.start >= threshold && api.lua_isyieldable(L)) {
      api.lua_yieldk(L, 0, 0, 0);
    }
    return false;
  }

  /** The runner's message handler starts: a killed script must not be interrupted in it. */
  handlingError(L: number): void {
    if (this.ctx?.killed === true && this.hookMask !== 0) {
      this.w.api.lua_sethook(L, 0, 0, 0);
      this.hookMask = 0;
    }
  }

  /** Turns the finished run's result (or error) into the caller's reply. */
  private finish(T: number, status: number, reply: ReplySink, name: string): void {
    const w = this.w;
    const api = w.api;
    if (status !== LUA_OK) {
      const msg = w.toString(T, -1) ?? 'execution failure';
      api.lua_resetthread(T);
      throw new ReplyError(`ERR Error running script ${name}, ${msg.slice(0, 100)}`);
    }
    // The runner returned (ok, value).
    const ok = api.lua_toboolean(T, 1) !== 0;
    if (ok) {
      try {
        this.replies.write(T, reply, this.sink.protocol === 3);
      } finally {
        api.lua_settop(T, 0);
      }
      return;
    }
    const message = errorMessage(w, T, name);
    api.lua_settop(T, 0);
    throw new ReplyError(message);
  }

  private pushArray(L: number, args: string[], from: number, n: number): void {
    const w = this.w;
    const api = w.api;
    api.lua_createtable(L, n, 0);
    for (let i = 0; i < n; i++) {
      w.pushString(L, args[from + i]);
      api.lua_rawseti(L, -2, big(i + 1));
    }
  }

  // ----- the redis.* functions implemented in JS -----

  /** redis.call / redis.pcall (luaRedisGenericCommand + scriptCall's checks). */
  redisCommand(L: number, raise: boolean): number {
    const w = this.w;
    const api = w.api;
    const ctx = this.ctx;
    if (ctx === null) return this.raiseOrReturn(L, 'redis.call/pcall can only be called inside a script invocation', true);
    const argc = api.lua_gettop(L);
    if (argc === 0) return this.raiseOrReturn(L, 'Please specify at least one argument for this redis lib call', raise);
    const args = new Array<string>(argc);
    for (let i = 0; i < argc; i++) {
      const t = api.lua_type(L, i + 1);
      if (t === LUA_TNUMBER) {
        args[i] = api.lua_isinteger(L, i + 1) ? String(api.lua_tointegerx(L, i + 1, 0)) : formatDouble(api.lua_tonumberx(L, i + 1, 0));
      } else if (t === LUA_TSTRING) {
        args[i] = w.toString(L, i + 1)!;
      } else {
        return this.raiseOrReturn(L, 'Lua redis lib command arguments must be strings or integers', raise);
      }
    }
    api.lua_settop(L, 0);
    const cmd = this.lookup(args);
    if (cmd === undefined) return this.raiseOrReturn(L, 'Unknown Redis command called from script', raise);
    const arity = cmd.arity;
    if ((arity > 0 && arity !== argc) || argc < -arity) return this.raiseOrReturn(L, 'Wrong number of args calling Redis command from script', raise);
    if (cmd.noscript) return this.raiseOrReturn(L, 'This Redis command is not allowed from script', raise);
    if (cmd.write && ctx.readOnly) return this.raiseOrReturn(L, 'Write commands are not allowed from read-only scripts.', raise);
    // scriptVerifyOOM: over maxmemory, the first write that may grow memory is refused.
    if (cmd.denyoom && ctx.oom && !ctx.wrote && !ctx.allowOom) return this.raiseOrReturn(L, `-${ERR.oom}`, raise);

    if (cmd.write) ctx.wrote = true;
    const sink = this.sink;
    sink.begin(L, sink.protocol);
    const caller = ctx.caller;
    if (caller.tracking && cmd.readonly) {
      // Client-side caching: keys a script reads are tracked for its caller, as in Redis's call().
      trackingBeforeCommand(caller);
      call(this.scriptClient, cmd, args);
      trackingAfterCommand(caller, cmd, args);
    } else {
      call(this.scriptClient, cmd, args);
    }
    if (raise && sink.topError !== null) return -1;
    return 1;
  }

  /**
   * Pushes Redis's error table for `message` (given a code when it starts with "-", else ERR);
   * -1 tells the callback wrapper to raise it.
   */
  private raiseOrReturn(L: number, message: string, raise: boolean): number {
    const w = this.w;
    const api = w.api;
    api.lua_settop(L, 0);
    api.lua_createtable(L, 0, 1);
    w.pushString(L, message.startsWith('-') ? message.slice(1) : 'ERR ' + message);
    api.lua_setfield(L, -2, w.cstr('err'));
    return raise ? -1 : 1;
  }

  /** The command for a script's redis.call: unknown subcommands are unknown commands. */
  private lookup(args: string[]): Command | undefined {
    const table = this.server.commands;
    const name = args[0];
    let cmd = this.byExactName.get(name);
    if (cmd === undefined) {
      cmd = table.get(name.toLowerCase());
      // Scripts spell the same few names over and over ('GET', 'get'): remember each spelling.
      if (cmd !== undefined && this.byExactName.size < 1024) this.byExactName.set(name, cmd);
    }
    if (cmd === undefined) return undefined;
    if (cmd.subcommands !== null && args.length >= 2) {
      cmd = cmd.subcommands.get(args[1].toLowerCase());
      if (cmd === undefined) return undefined;
    }
    return cmd.handler === null && cmd.subcommands === null ? undefined : cmd;
  }

  sha1hex(L: number): number {
    const api = this.w.api;
    if (api.lua_gettop(L) !== 1) return this.raiseOrReturn(L, 'wrong number of arguments', true);
    const s = this.w.toString(L, 1) ?? '';
    this.w.pushString(L, sha1hex(s));
    return 1;
  }

  /** redis.log(level, ...): checked as Redis does; written nowhere (no server log here yet). */
  log(L: number): number {
    const api = this.w.api;
    const argc = api.lua_gettop(L);
    if (argc < 2) return this.raiseOrReturn(L, 'redis.log() requires two arguments or more.', true);
    const t = api.lua_type(L, 1);
    if (t !== LUA_TNUMBER && !(t === LUA_TSTRING && Number.isFinite(Number(this.w.toString(L, 1))))) {
      return this.raiseOrReturn(L, 'First argument must be a number (log level).', true);
    }
    const level = Math.trunc(api.lua_tonumberx(L, 1, 0));
    if (level < 0 || level > 3) return this.raiseOrReturn(L, 'Invalid debug level.', true);
    return 0;
  }

  setResp(L: number): number {
    const api = this.w.api;
    if (this.ctx === null) return this.raiseOrReturn(L, 'redis.setresp can only be called inside a script invocation', true);
    if (api.lua_gettop(L) !== 1) return this.raiseOrReturn(L, 'redis.setresp() requires one argument.', true);
    const resp = Math.trunc(api.lua_tonumberx(L, 1, 0));
    if (resp !== 2 && resp !== 3) return this.raiseOrReturn(L, 'RESP version must be 2 or 3.', true);
    this.sink.protocol = resp;
    this.scriptClient.protocol = resp;
    return 0;
  }

  setRepl(L: number): number {
    const api = this.w.api;
    if (this.ctx === null) return this.raiseOrReturn(L, 'redis.set_repl can only be called inside a script invocation', true);
    if (api.lua_gettop(L) !== 1) return this.raiseOrReturn(L, 'redis.set_repl() requires two arguments.', true);
    const flags = Math.trunc(api.lua_tonumberx(L, 1, 0));
    if ((flags & ~3) !== 0) return this.raiseOrReturn(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', true);
    return 0;
  }
}

const evalVms = new WeakMap<ServerContext, ScriptVm>();
const functionVms = new WeakMap<ServerContext, ScriptVm>();

/** The server's EVAL VM, created on first use. */
export function scriptVmOf(server: ServerContext): ScriptVm {
  let vm = evalVms.get(server);
  if (vm === undefined) evalVms.set(server, (vm = new ScriptVm(server)));
  return vm;
}

/** The server's FUNCTION VM (Redis runs functions in a Lua state of their own). */
export function functionVmOf(server: ServerContext): ScriptVm {
  let vm = functionVms.get(server);
  if (vm === undefined) functionVms.set(server, (vm = new ScriptVm(server, true)));
  return vm;
}

/** INFO memory's scripting figures, without creating a VM that was never used. */
export function scriptingMemoryOf(server: ServerContext): { evalVm: number; cachedScripts: number; scriptBytes: number; functionVm: number } {
  const e = evalVms.get(server);
  let scriptBytes = 0;
  for (const script of e?.scripts.values() ?? []) scriptBytes += script.body.length;
  return { evalVm: e?.memoryBytes() ?? 0, cachedScripts: e?.scripts.size ?? 0, scriptBytes, functionVm: functionVms.get(server)?.memoryBytes() ?? 0 };
}

/** The VM whose script is suspended past busy-reply-threshold, if any (SCRIPT/FUNCTION KILL). */
export function busyVmOf(server: ServerContext): ScriptVm | null {
  const e = evalVms.get(server);
  if (e?.busy) return e;
  const f = functionVms.get(server);
  return f?.busy ? f : null;
}
