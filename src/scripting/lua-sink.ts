import type { ReplySink } from '../commands/reply.js';
import { type LuaWasm, big } from './lua-wasm.js';

const enum Kind {
  Array,
  Map,
  Set,
}

/**
 * The reply sink of the script client: a command's reply becomes a Lua value pushed straight onto
 * the script's stack, with Redis's RESP → Lua rules (script_lua.c redisProtocolToLuaType_*):
 * integer → number, bulk → string, null → false (RESP2) / nil (RESP3), status → {ok=}, error →
 * {err=}, array → table; under redis.setresp(3): map → {map={}}, set → {set={m=true}},
 * double → {double=n}, boolean → true/false, big number → {big_number=}, verbatim →
 * {verbatim_string={format=, string=}}.
 */
export class LuaSink implements ReplySink {
  protocol: 2 | 3 = 2;
  /** The Lua thread values are pushed onto (set before each redis.call). */
  L = 0;
  /** The message of a top-level error reply, if the reply was one (redis.call raises it). */
  topError: string | null = null;
  private kinds: Kind[] = [];
  private remaining: number[] = [];
  private index: number[] = [];
  private depth = 0;
  private readonly okKey: number;
  private readonly errKey: number;
  private readonly mapKey: number;
  private readonly setKey: number;
  private readonly doubleKey: number;
  private readonly bigKey: number;
  private readonly verbatimKey: number;
  private readonly formatKey: number;
  private readonly stringKey: number;

  constructor(private readonly w: LuaWasm) {
    this.okKey = w.cstr('ok');
    this.errKey = w.cstr('err');
    this.mapKey = w.cstr('map');
    this.setKey = w.cstr('set');
    this.doubleKey = w.cstr('double');
    this.bigKey = w.cstr('big_number');
    this.verbatimKey = w.cstr('verbatim_string');
    this.formatKey = w.cstr('format');
    this.stringKey = w.cstr('string');
  }

  begin(L: number, protocol: 2 | 3): void {
    this.L = L;
    this.protocol = protocol;
    this.topError = null;
    this.depth = 0;
  }

  /** A value was pushed: store it into the enclosing aggregate, closing those it completes. */
  private added(): void {
    const api = this.w.api;
    const L = this.L;
    while (this.depth > 0) {
      const d = this.depth - 1;
      const kind = this.kinds[d];
      if (kind === Kind.Array) {
        api.lua_rawseti(L, -2, big(++this.index[d]));
      } else if (kind === Kind.Map) {
        // Key and value alternate: store on every value.
        if ((++this.index[d] & 1) === 1) {
          this.remaining[d]--;
          return;
        }
        api.lua_rawset(L, -3);
      } else {
        api.lua_pushboolean(L, 1);
        api.lua_rawset(L, -3);
      }
      if (--this.remaining[d] !== 0) return;
      this.depth--;
      // Maps and sets sit in a {map=…}/{set=…} wrapper: [wrapper, name, inner] → [wrapper].
      if (kind !== Kind.Array) api.lua_rawset(L, -3);
    }
  }

  private open(kind: Kind, n: number): void {
    const api = this.w.api;
    const L = this.L;
    api.lua_checkstack(L, 4);
    if (kind === Kind.Array) {
      api.lua_createtable(L, n, 0);
    } else {
      api.lua_createtable(L, 0, 1);
      api.lua_pushstring(L, kind === Kind.Map ? this.mapKey : this.setKey);
      api.lua_createtable(L, 0, n);
    }
    if (n === 0) {
      if (kind !== Kind.Array) api.lua_rawset(L, -3);
      this.added();
      return;
    }
    const d = this.depth++;
    this.kinds[d] = kind;
    this.remaining[d] = kind === Kind.Map ? 2 * n : n;
    this.index[d] = 0;
  }

  /** Pushes {field = text} (status, error, big number). */
  private fieldTable(field: number, text: string): void {
    const api = this.w.api;
    api.lua_createtable(this.L, 0, 1);
    this.w.pushString(this.L, text);
    api.lua_setfield(this.L, -2, field);
  }

  status(s: string): void {
    this.fieldTable(this.okKey, s);
    this.added();
  }

  error(message: string): void {
    const text = errorText(message);
    if (this.depth === 0) this.topError = text;
    this.fieldTable(this.errKey, text);
    this.added();
  }

  integer(n: number | bigint): void {
    const api = this.w.api;
    // Lua 5.1 numbers are doubles: an integer beyond 2^53 reaches the script rounded, as a float.
    if (typeof n === 'bigint' || !Number.isSafeInteger(n)) api.lua_pushnumber(this.L, Number(n));
    else api.lua_pushinteger(this.L, n >= 0 && n < 1024 ? big(n) : BigInt(n));
    this.added();
  }

  bulk(s: string | Buffer | null): void {
    if (s === null) {
      this.nullValue();
      return;
    }
    if (typeof s === 'string') this.w.pushString(this.L, s);
    else this.w.pushBytes(this.L, s);
    this.added();
  }

  private nullValue(): void {
    if (this.protocol === 2) this.w.api.lua_pushboolean(this.L, 0);
    else this.w.api.lua_pushnil(this.L);
    this.added();
  }

  nullArray(): void {
    this.nullValue();
  }

  array(n: number): void {
    this.open(Kind.Array, n);
  }

  map(n: number): void {
    if (this.protocol === 2) this.open(Kind.Array, 2 * n);
    else this.open(Kind.Map, n);
  }

  set(n: number): void {
    this.open(this.protocol === 2 ? Kind.Array : Kind.Set, n);
  }

  push(n: number): void {
    this.open(Kind.Array, n);
  }

  double(formatted: string): void {
    if (this.protocol === 2) {
      this.w.pushString(this.L, formatted);
    } else {
      const api = this.w.api;
      api.lua_createtable(this.L, 0, 1);
      api.lua_pushnumber(this.L, formatted === 'inf' ? Infinity : formatted === '-inf' ? -Infinity : Number(formatted));
      api.lua_setfield(this.L, -2, this.doubleKey);
    }
    this.added();
  }

  boolean(b: boolean): void {
    if (this.protocol === 2) this.w.api.lua_pushinteger(this.L, b ? 1n : 0n);
    else this.w.api.lua_pushboolean(this.L, b ? 1 : 0);
    this.added();
  }

  verbatim(s: string, format = 'txt'): void {
    if (this.protocol === 2) {
      this.w.pushString(this.L, s);
    } else {
      const api = this.w.api;
      const L = this.L;
      api.lua_createtable(L, 0, 1);
      api.lua_createtable(L, 0, 2);
      this.w.pushString(L, s);
      api.lua_setfield(L, -2, this.stringKey);
      this.w.pushString(L, format);
      api.lua_setfield(L, -2, this.formatKey);
      api.lua_setfield(L, -2, this.verbatimKey);
    }
    this.added();
  }

  bigNumber(s: string): void {
    if (this.protocol === 2) this.w.pushString(this.L, s);
    else this.fieldTable(this.bigKey, s);
    this.added();
  }
}

/**
 * Redis's luaPushErrorBuff: a "-CODE message" keeps its code, text without one gets "ERR";
 * CR/LF are trimmed from the ends and the text stops at a NUL (it goes through lua_pushstring).
 */
export function errorText(s: string): string {
  const t = s.charCodeAt(0) === 45 /* - */ ? s : '-' + s;
  const sp = t.indexOf(' ');
  let code = 'ERR';
  let msg = t.slice(1);
  if (sp !== -1) {
    code = t.slice(1, sp);
    msg = t.slice(sp + 1);
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  const text = code + ' ' + msg;
  const z = text.indexOf('\0');
  return z === -1 ? text : text.slice(0, z);
}
