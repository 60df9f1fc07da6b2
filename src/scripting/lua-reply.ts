import { ReplyError, type ReplySink } from '../commands/reply.js';
import { formatDouble } from '../engine/double-format.js';
import { type LuaWasm, big, LUA_TBOOLEAN, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE } from './lua-wasm.js';

/**
 * A script's return value → the caller's reply, walked on the Lua stack and written straight to
 * the sink (Redis's luaReplyToRedisReply): numbers truncate toward zero, false/nil → null, true →
 * 1 (#t under RESP3 booleans), tables checked for err, ok, double, big_number, verbatim_string,
 * map and set in Redis's order, other tables are arrays up to the first nil.
 */
export class LuaReplyWriter {
  private readonly keys: Record<'err' | 'ok' | 'double' | 'big_number' | 'verbatim_string' | 'map' | 'set' | 'format' | 'string', number>;

  constructor(private readonly w: LuaWasm) {
    const k = (s: string) => w.cstr(s);
    this.keys = {
      err: k('err'), ok: k('ok'), double: k('double'), big_number: k('big_number'), verbatim_string: k('verbatim_string'),
      map: k('map'), set: k('set'), format: k('format'), string: k('string'),
    };
  }

  /**
   * Writes the value at the top of T's stack and pops it. `resp3` is the script's own protocol
   * (redis.setresp(3)): booleans then stay booleans. A top-level error table is thrown as a
   * ReplyError, so dispatch counts the error.
   */
  write(T: number, reply: ReplySink, resp3: boolean, top = true): void {
    const w = this.w;
    const api = w.api;
    switch (api.lua_type(T, -1)) {
      case LUA_TSTRING:
        reply.bulk(w.toString(T, -1));
        break;
      case LUA_TNUMBER:
        reply.integer(this.integer(T));
        break;
      case LUA_TBOOLEAN: {
        const b = api.lua_toboolean(T, -1) !== 0;
        if (resp3) reply.boolean(b);
        else if (b) reply.integer(1);
        else reply.bulk(null);
        break;
      }
      case LUA_TTABLE:
        if (!api.lua_checkstack(T, 4)) {
          api.lua_settop(T, -2);
          throw new ReplyError('ERR reached lua stack limit');
        }
        this.table(T, reply, resp3, top);
        break;
      default:
        reply.bulk(null);
    }
    api.lua_settop(T, -2);
  }

  /** Rawget of a string field of the table at -1; pushes the value and returns its type. */
  private field(T: number, key: keyof LuaReplyWriter['keys']): number {
    this.w.api.lua_pushstring(T, this.keys[key]);
    return this.w.api.lua_rawget(T, -2);
  }

  private pop(T: number): void {
    this.w.api.lua_settop(T, -2);
  }

  private table(T: number, reply: ReplySink, resp3: boolean, top: boolean): void {
    const w = this.w;
    const api = w.api;
    if (this.field(T, 'err') === LUA_TSTRING) {
      const msg = w.toString(T, -1)!;
      this.pop(T);
      if (top) {
        this.pop(T);
        throw new ReplyError(msg);
      }
      reply.error(msg.replace(/[\r\n]/g, ' '));
      return;
    }
    this.pop(T);
    if (this.field(T, 'ok') === LUA_TSTRING) {
      const s = w.toString(T, -1)!;
      this.pop(T);
      reply.status(s.replace(/[\r\n]/g, ' '));
      return;
    }
    this.pop(T);
    if (this.field(T, 'double') === LUA_TNUMBER) {
      reply.double(formatDouble(api.lua_tonumberx(T, -1, 0)));
      this.pop(T);
      return;
    }
    this.pop(T);
    if (this.field(T, 'big_number') === LUA_TSTRING) {
      reply.bigNumber(w.toString(T, -1)!.replace(/[\r\n]/g, ' '));
      this.pop(T);
      return;
    }
    this.pop(T);
    if (this.field(T, 'verbatim_string') === LUA_TTABLE) {
      const format = this.field(T, 'format') === LUA_TSTRING ? w.toString(T, -1) : null;
      this.pop(T);
      const str = this.field(T, 'string') === LUA_TSTRING ? w.toString(T, -1) : null;
      this.pop(T);
      if (format !== null && str !== null) {
        reply.verbatim(str, format);
        this.pop(T);
        return;
      }
    }
    this.pop(T);
    if (this.field(T, 'map') === LUA_TTABLE) {
      reply.map(this.countPairs(T));
      api.lua_pushnil(T);
      while (api.lua_next(T, -2) !== 0) {
        api.lua_pushvalue(T, -2);
        this.write(T, reply, resp3, false); // key
        this.write(T, reply, resp3, false); // value
      }
      this.pop(T);
      return;
    }
    this.pop(T);
    if (this.field(T, 'set') === LUA_TTABLE) {
      reply.set(this.countPairs(T));
      api.lua_pushnil(T);
      while (api.lua_next(T, -2) !== 0) {
        this.pop(T);
        api.lua_pushvalue(T, -1);
        this.write(T, reply, resp3, false);
      }
      this.pop(T);
      return;
    }
    this.pop(T);
    let n = 0;
    while (api.lua_rawgeti(T, -1, big(n + 1)) !== LUA_TNIL) {
      this.pop(T);
      n++;
    }
    this.pop(T);
    reply.array(n);
    for (let j = 1; j <= n; j++) {
      api.lua_rawgeti(T, -1, big(j));
      this.write(T, reply, resp3, false);
    }
  }

  private countPairs(T: number): number {
    const api = this.w.api;
    let n = 0;
    api.lua_pushnil(T);
    while (api.lua_next(T, -2) !== 0) {
      api.lua_settop(T, -2);
      n++;
    }
    return n;
  }

  /** (long long)lua_tonumber: truncation toward zero; NaN and out-of-range give INT64_MIN as on x86. */
  private integer(T: number): number | bigint {
    const api = this.w.api;
    if (api.lua_isinteger(T, -1)) {
      const n = api.lua_tointegerx(T, -1, 0);
      return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
    }
    const d = api.lua_tonumberx(T, -1, 0);
    if (!(d > -9223372036854775808 && d < 9223372036854775808)) return -9223372036854775808n;
    const t = Math.trunc(d);
    return Number.isSafeInteger(t) ? t : BigInt(t);
  }
}

/**
 * The reply text of the error at the top of T's stack (luaExtractErrorInformation and
 * luaCallFunction's formatting): "<err> script: <name>, on <source>:<line>." for an error table
 * the handler completed, Redis's "Error running script" text for anything else.
 */
export function errorMessage(w: LuaWasm, T: number, name: string): string {
  const api = w.api;
  if (api.lua_type(T, -1) !== LUA_TTABLE) {
    const msg = w.toString(T, -1) ?? 'execution failure';
    return `ERR Error running script ${name}, ${msg.slice(0, 100)}`;
  }
  const field = (f: string): string | null => {
    api.lua_getfield(T, -1, w.cstr(f));
    const t = api.lua_type(T, -1);
    const s = t === LUA_TSTRING || t === LUA_TNUMBER ? w.toString(T, -1) : null;
    api.lua_settop(T, -2);
    return s;
  };
  const msg = field('err') ?? '';
  const source = field('source');
  const line = field('line');
  return source !== null && line !== null ? `${msg} script: ${name}, on ${source}:${line}.` : msg;
}
