import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Lua 5.4 as WebAssembly: wasmoon's glue.wasm, instantiated synchronously here with the dozen
 * emscripten imports it needs, instead of through wasmoon's asynchronous JS glue. We get the raw
 * exports (no assertion wrappers: about 2x cheaper per call than wasmoon's Module._lua_*), a
 * synchronous start (command handlers are synchronous), and one instance per process shared by
 * every VM (each ServerContext has its own lua_State in the same linear memory).
 *
 * Errors: Lua's longjmp is emscripten's `throw Infinity`, caught by invoke_vii (the setjmp side).
 * A JS callback called from Lua may let that exception through (lua_error from JS), but must turn
 * any other JS exception into a Lua error itself.
 */

/** The Lua C API functions the bridge uses (lua_Integer is a BigInt: the build uses WASM_BIGINT). */
export interface LuaApi {
  memory: WasmMemory;
  __indirect_function_table: WasmTable;
  malloc(size: number): number;
  free(ptr: number): void;
  realloc(ptr: number, size: number): number;
  luaL_newstate(): number;
  luaL_openlibs(L: number): void;
  lua_close(L: number): void;
  lua_gettop(L: number): number;
  lua_settop(L: number, idx: number): void;
  lua_checkstack(L: number, n: number): number;
  lua_rotate(L: number, idx: number, n: number): void;
  lua_pushvalue(L: number, idx: number): void;
  lua_type(L: number, idx: number): number;
  lua_isinteger(L: number, idx: number): number;
  lua_toboolean(L: number, idx: number): number;
  lua_tonumberx(L: number, idx: number, isnum: number): number;
  lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  lua_tolstring(L: number, idx: number, len: number): number;
  lua_rawlen(L: number, idx: number): number;
  lua_pushnil(L: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushlstring(L: number, s: number, len: number): number;
  lua_pushstring(L: number, s: number): number;
  lua_pushboolean(L: number, b: number): void;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_pushlightuserdata(L: number, p: number): void;
  lua_touserdata(L: number, idx: number): number;
  lua_copy(L: number, from: number, to: number): void;
  luaL_where(L: number, level: number): void;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_rawget(L: number, idx: number): number;
  lua_rawgeti(L: number, idx: number, n: bigint): number;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, n: bigint): void;
  lua_getfield(L: number, idx: number, k: number): number;
  lua_setfield(L: number, idx: number, k: number): void;
  lua_getglobal(L: number, name: number): number;
  lua_setglobal(L: number, name: number): void;
  lua_next(L: number, idx: number): number;
  lua_setupvalue(L: number, funcindex: number, n: number): number;
  lua_callk(L: number, nargs: number, nresults: number, ctx: number, k: number): void;
  lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  lua_error(L: number): number;
  luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number;
  luaL_ref(L: number, t: number): number;
  luaL_unref(L: number, t: number, ref: number): void;
  lua_sethook(L: number, fn: number, mask: number, count: number): void;
  lua_newthread(L: number): number;
  lua_resume(L: number, from: number, nargs: number, nres: number): number;
  lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
  lua_resetthread(L: number): number;
  lua_isyieldable(L: number): number;
  stackSave(): number;
  stackRestore(sp: number): void;
  setThrew(threw: number, value: number): void;
  emscripten_stack_init(): void;
  __wasm_call_ctors(): void;
}

export const LUA_REGISTRYINDEX = -1001000;
export const LUA_RIDX_GLOBALS = 2n;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_MASKCOUNT = 8;
export const LUA_MASKLINE = 4;

/** BigInts 0..1023, so table indexes (lua_Integer arguments) cost no allocation. */
const SMALL = Array.from({ length: 1024 }, (_, i) => BigInt(i));
export function big(i: number): bigint {
  return i < 1024 ? SMALL[i] : BigInt(i);
}

const MAX_MEMORY = 2 ** 31;

/** The parts of the WebAssembly JS API used here (the project's TS lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmTable {
  get(index: number): unknown;
  set(index: number, value: unknown): void;
  grow(n: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The process's one Lua wasm instance and helpers to move bytes in and out of its memory. */
export class LuaWasm {
  readonly api: LuaApi;
  private heap: Buffer;
  private readonly table: WasmTable;
  /** A malloc'ed buffer strings are copied through (grown on demand). */
  private scratch = 0;
  private scratchSize = 0;
  /** A small malloc'ed area for out-parameters (size_t *len, int *isnum). */
  readonly out: number;
  private readonly cstrings = new Map<string, number>();

  constructor() {
    const require = createRequire(import.meta.url);
    const bytes = readFileSync(require.resolve('wasmoon/dist/glue.wasm'));
    const module = new WebAssembly.Module(bytes);
    let api!: LuaApi;
    const env = {
      abort: () => {
        throw new Error('Lua VM aborted');
      },
      invoke_vii: (index: number, a: number, b: number) => {
        const sp = api.stackSave();
        try {
          (this.table.get(index) as (a: number, b: number) => void)(a, b);
        } catch (e) {
          api.stackRestore(sp);
          if (e !== Infinity) throw e;
          api.setThrew(1, 0);
        }
      },
      _emscripten_throw_longjmp: () => {
        throw Infinity;
      },
      emscripten_resize_heap: (requested: number) => this.grow(requested >>> 0),
      emscripten_date_now: () => Date.now(),
      _emscripten_get_now_is_monotonic: () => 0,
      strftime: () => 0,
      system: () => -1,
      exit: (code: number) => {
        throw new Error(`Lua VM exit(${code})`);
      },
      __syscall_openat: () => -52,
      __syscall_fcntl64: () => -52,
      __syscall_ioctl: () => -52,
      __syscall_dup3: () => -52,
      __syscall_unlinkat: () => -52,
      __syscall_rmdir: () => -52,
      __syscall_renameat: () => -52,
      __syscall_readlinkat: () => -52,
      _mktime_js: () => -1n,
      _localtime_js: () => {},
      _gmtime_js: () => {},
      _tzset_js: () => {},
    };
    const wasi = {
      // Only stdout/stderr writes can happen (nothing in the sandbox prints): count them as written.
      fd_write: (_fd: number, iov: number, iovcnt: number, pnum: number) => {
        const h = this.mem();
        let n = 0;
        for (let i = 0; i < iovcnt; i++) n += h.readUInt32LE(iov + i * 8 + 4);
        h.writeUInt32LE(n, pnum);
        return 0;
      },
      fd_read: () => 52,
      fd_close: () => 52,
      fd_seek: () => 52,
      environ_sizes_get: (pcount: number, psize: number) => {
        this.mem().writeUInt32LE(0, pcount);
        this.mem().writeUInt32LE(0, psize);
        return 0;
      },
      environ_get: () => 0,
    };
    const instance = new WebAssembly.Instance(module, { env, wasi_snapshot_preview1: wasi });
    api = instance.exports as unknown as LuaApi;
    this.api = api;
    this.table = api.__indirect_function_table;
    this.heap = Buffer.from(api.memory.buffer);
    api.emscripten_stack_init();
    api.__wasm_call_ctors();
    this.out = api.malloc(16);
    printNumbersLike51(this.mem());
  }

  /** emscripten_resize_heap: grow linear memory (never past 2 GiB: Lua then sees "not enough memory"). */
  private grow(requested: number): number {
    const memory = this.api.memory;
    const current = memory.buffer.byteLength;
    if (requested > MAX_MEMORY) return 0;
    let target = Math.min(MAX_MEMORY, Math.max(requested, current + (current >>> 2)));
    target = Math.ceil(target / 65536) * 65536;
    try {
      memory.grow((target - current) / 65536);
      return 1;
    } catch {
      return 0;
    }
  }

  /** The linear memory as a Buffer (a new view after the memory grew). */
  mem(): Buffer {
    // Growing the memory detaches the old ArrayBuffer, whose views then have length 0.
    if (this.heap.length === 0) this.heap = Buffer.from(this.api.memory.buffer);
    return this.heap;
  }

  /** A scratch area of at least `size` bytes (valid until the next call). */
  scratchFor(size: number): number {
    if (size > this.scratchSize) {
      const n = Math.max(size, 256, this.scratchSize * 2);
      if (this.scratch !== 0) this.api.free(this.scratch);
      this.scratch = this.api.malloc(n);
      if (this.scratch === 0) throw new Error('Lua VM: out of memory');
      this.scratchSize = n;
    }
    return this.scratch;
  }

  /** A NUL-terminated copy of `s` kept for the life of the process (field names, chunk names). */
  cstr(s: string): number {
    let p = this.cstrings.get(s);
    if (p === undefined) {
      p = this.api.malloc(s.length + 1);
      const h = this.mem();
      h.latin1Write(s, p);
      h[p + s.length] = 0;
      this.cstrings.set(s, p);
    }
    return p;
  }

  /** Pushes a latin1 string (one char per byte) onto L's stack. */
  pushString(L: number, s: string): void {
    const len = s.length;
    if (len === 0) {
      this.api.lua_pushlstring(L, this.out, 0);
      return;
    }
    const p = this.scratchFor(len);
    this.mem().latin1Write(s, p, len);
    this.api.lua_pushlstring(L, p, len);
  }

  /** The string (or number, converted by Lua) at `idx` as latin1, or null if it is neither. */
  toString(L: number, idx: number): string | null {
    const out = this.out;
    const p = this.api.lua_tolstring(L, idx, out);
    if (p === 0) return null;
    const h = this.mem();
    const len = h.readUInt32LE(out);
    return h.latin1Slice(p, p + len);
  }

  /** Bytes of the string at `idx` (a copy), or null. */
  toBytes(L: number, idx: number): Buffer | null {
    const out = this.out;
    const p = this.api.lua_tolstring(L, idx, out);
    if (p === 0) return null;
    const h = this.mem();
    const len = h.readUInt32LE(out);
    return Buffer.from(h.subarray(p, p + len));
  }

  /** Pushes raw bytes as a Lua string. */
  pushBytes(L: number, b: Uint8Array): void {
    const p = this.scratchFor(b.length || 1);
    this.mem().set(b, p);
    this.api.lua_pushlstring(L, p, b.length);
  }

  /**
   * Makes a JS function callable from wasm (emscripten's addFunction): a two-line wasm module
   * imports it with the given signature and exports it, and the export goes into the table.
   */
  addFunction(fn: (...args: number[]) => number | void, params: number, result: boolean): number {
    const I32 = 0x7f;
    const type = [0x60, params, ...new Array<number>(params).fill(I32), result ? 1 : 0, ...(result ? [I32] : [])];
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, type.length + 1, 0x01, ...type,
      0x02, 0x07, 0x01, 0x01, 0x65, 0x01, 0x66, 0x00, 0x00,
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
    ]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { f: fn } });
    const index = this.table.grow(1);
    this.table.set(index, inst.exports.f);
    return index;
  }
}

/**
 * Lua 5.4 prints a float with an integral value as "3.0" where 5.1 printed "3" (lobject.c
 * tostringbuff: `if (buff[strspn(buff, "-0123456789")] == '\0')` appends ".0"). Emptying that
 * character set in the module's data makes the test fail, so floats print with LUAI_NUMFFORMAT
 * ("%.14g") alone, as in 5.1: for `..`, table.concat, tostring and every implicit conversion.
 * The literal occurs once in the module; if a future build changes that, nothing is patched.
 */
function printNumbersLike51(heap: Buffer): void {
  const literal = Buffer.from('-0123456789\0', 'latin1');
  const at = heap.indexOf(literal);
  if (at === -1 || heap.indexOf(literal, at + 1) !== -1) return;
  heap[at] = 0;
}

let shared: LuaWasm | null = null;

/** The process-wide instance, created on first use (about 10 ms). */
export function luaWasm(): LuaWasm {
  shared ??= new LuaWasm();
  return shared;
}
