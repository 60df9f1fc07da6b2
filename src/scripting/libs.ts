import {
  type LuaWasm,
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
} from './lua-wasm.js';

/**
 * cjson and cmsgpack as Redis bundles them (deps/lua/src/lua_cjson.c, lua_cmsgpack.c), written as
 * Lua C functions in JS that walk the Lua stack: same encodings, limits and error texts.
 */

const LUA_TLIGHTUSERDATA = 2;
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

/** Thrown inside a library function: becomes a Lua error "<where>message" (luaL_error). */
class LuaLibError {
  constructor(
    readonly message: string,
    readonly where = true,
  ) {}
}

/** C's printf("%.14g") (cjson's encode_number_precision and Lua 5.1's number format). */
export function formatG14(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return n === 0 && 1 / n < 0 ? '-0' : String(n);
  if (n !== n) return n < 0 ? '-nan' : 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const exp = n.toExponential(13);
  const e = exp.indexOf('e');
  const x = Number(exp.slice(e + 1));
  if (x < -4 || x >= 14) {
    let m = exp.slice(0, e);
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    return `${m}e${x < 0 ? '-' : '+'}${Math.abs(x) < 10 ? '0' : ''}${Math.abs(x)}`;
  }
  let s = n.toFixed(Math.max(0, 13 - x));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

// ---- cjson ---------------------------------------------------------------------------------

const ESCAPES: string[] = [];
for (let i = 0; i < 256; i++) {
  ESCAPES.push(i < 0x20 || i === 0x7f ? '\\u' + i.toString(16).padStart(4, '0') : String.fromCharCode(i));
}
ESCAPES[0x22] = '\\"';
ESCAPES[0x5c] = '\\\\';
ESCAPES[0x2f] = '\\/';
ESCAPES[0x08] = '\\b';
ESCAPES[0x0c] = '\\f';
ESCAPES[0x0a] = '\\n';
ESCAPES[0x0d] = '\\r';
ESCAPES[0x09] = '\\t';
const NEEDS_ESCAPE = /["\\/\x00-\x1f\x7f]/;

function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) out += ESCAPES[s.charCodeAt(i)];
  return out + '"';
}

const MAX_DEPTH = 1000;

class JsonEncoder {
  constructor(private readonly w: LuaWasm) {}

  /** Encodes the value at the top of L's stack (left in place). */
  encode(L: number, depth: number): string {
    const api = this.w.api;
    const t = api.lua_type(L, -1);
    switch (t) {
      case LUA_TSTRING:
        return jsonString(this.w.toString(L, -1)!);
      case LUA_TNUMBER: {
        if (api.lua_isinteger(L, -1)) return formatG14(Number(api.lua_tointegerx(L, -1, 0)));
        const n = api.lua_tonumberx(L, -1, 0);
        if (!Number.isFinite(n)) throw new LuaLibError('Cannot serialise number: must not be NaN or Inf');
        return formatG14(n);
      }
      case LUA_TBOOLEAN:
        return api.lua_toboolean(L, -1) ? 'true' : 'false';
      case LUA_TNIL:
        return 'null';
      case LUA_TLIGHTUSERDATA:
        if (api.lua_touserdata(L, -1) === 0) return 'null';
        break;
      case LUA_TTABLE:
        return this.table(L, depth + 1);
    }
    throw new LuaLibError(`Cannot serialise ${TYPE_NAMES[t] ?? 'userdata'}: type not supported`);
  }

  private table(L: number, depth: number): string {
    const api = this.w.api;
    if (depth > MAX_DEPTH) throw new LuaLibError(`Cannot serialise, excessive nesting (${depth})`);
    if (!api.lua_checkstack(L, 3)) throw new LuaLibError(`Cannot serialise, excessive nesting (${depth})`);
    // lua_array_length: all keys positive integers → array (holes allowed unless too sparse).
    let max = 0;
    let items = 0;
    let isArray = true;
    api.lua_pushnil(L);
    while (api.lua_next(L, -2) !== 0) {
      api.lua_settop(L, -2);
      if (isArray) {
        let k = -1;
        if (api.lua_type(L, -1) === LUA_TNUMBER) {
          const n = api.lua_isinteger(L, -1) ? Number(api.lua_tointegerx(L, -1, 0)) : api.lua_tonumberx(L, -1, 0);
          if (n >= 1 && Number.isInteger(n)) k = n;
        }
        if (k === -1) isArray = false;
        else {
          if (k > max) max = k;
          items++;
        }
      }
    }
    if (isArray && max > 0) {
      if (max > items * 2 && max > 10) throw new LuaLibError('Cannot serialise table: excessively sparse array');
      let out = '[';
      for (let i = 1; i <= max; i++) {
        if (i > 1) out += ',';
        api.lua_rawgeti(L, -1, BigInt(i));
        out += this.encode(L, depth);
        api.lua_settop(L, -2);
      }
      return out + ']';
    }
    let out = '{';
    let first = true;
    api.lua_pushnil(L);
    while (api.lua_next(L, -2) !== 0) {
      const kt = api.lua_type(L, -2);
      let key: string;
      if (kt === LUA_TSTRING) key = jsonString(this.w.toString(L, -2)!);
      else if (kt === LUA_TNUMBER) {
        const n = api.lua_isinteger(L, -2) ? Number(api.lua_tointegerx(L, -2, 0)) : api.lua_tonumberx(L, -2, 0);
        key = '"' + formatG14(n) + '"';
      } else {
        throw new LuaLibError(`Cannot serialise ${TYPE_NAMES[kt]}: table key must be a number or string`);
      }
      out += (first ? '' : ',') + key + ':' + this.encode(L, depth);
      first = false;
      api.lua_settop(L, -2);
    }
    return out + '}';
  }
}

const TOKEN_NAMES = ['T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END', 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL', 'T_COLON', 'T_COMMA', 'T_END'];
const enum Tok {
  ObjBegin,
  ObjEnd,
  ArrBegin,
  ArrEnd,
  String,
  Number,
  Boolean,
  Null,
  Colon,
  Comma,
  End,
  Error,
}

/** cjson.decode: a JSON parser that pushes Lua values (lua_cjson's json_decode, same messages). */
class JsonDecoder {
  private s = '';
  private pos = 0;
  private tok: Tok = Tok.End;
  private tokStart = 0;
  private str = '';
  private num = 0;
  private isInt = false;
  private bool = false;
  private err = '';

  constructor(
    private readonly w: LuaWasm,
    private readonly pushNull: (L: number) => void,
  ) {}

  decode(L: number, text: string): void {
    this.s = text;
    this.pos = 0;
    this.next();
    this.value(L, 0);
    this.next();
    if (this.tok !== Tok.End) this.fail('the end');
  }

  private fail(expected: string): never {
    const found = this.tok === Tok.Error ? this.err : TOKEN_NAMES[this.tok];
    throw new LuaLibError(`Expected ${expected} but found ${found} at character ${this.tokStart + 1}`);
  }

  private value(L: number, depth: number): void {
    const api = this.w.api;
    switch (this.tok) {
      case Tok.String:
        this.w.pushString(L, this.str);
        return;
      case Tok.Number:
        if (this.isInt) api.lua_pushinteger(L, BigInt(this.num));
        else api.lua_pushnumber(L, this.num);
        return;
      case Tok.Boolean:
        api.lua_pushboolean(L, this.bool ? 1 : 0);
        return;
      case Tok.Null:
        this.pushNull(L);
        return;
      case Tok.ObjBegin:
        this.object(L, depth + 1);
        return;
      case Tok.ArrBegin:
        this.array(L, depth + 1);
        return;
    }
    this.fail('value');
  }

  private nest(L: number, depth: number): void {
    if (depth > MAX_DEPTH || !this.w.api.lua_checkstack(L, 3)) {
      throw new LuaLibError(`Found too many nested data structures (${depth}) at character ${this.tokStart + 1}`);
    }
  }

  private array(L: number, depth: number): void {
    const api = this.w.api;
    this.nest(L, depth);
    api.lua_createtable(L, 0, 0);
    this.next();
    if (this.tok === Tok.ArrEnd) return;
    for (let i = 1; ; i++) {
      this.value(L, depth);
      api.lua_rawseti(L, -2, BigInt(i));
      this.next();
      const t = this.tok as Tok;
      if (t === Tok.ArrEnd) return;
      if (t !== Tok.Comma) this.fail('comma or array end');
      this.next();
    }
  }

  private object(L: number, depth: number): void {
    const api = this.w.api;
    this.nest(L, depth);
    api.lua_createtable(L, 0, 0);
    this.next();
    if (this.tok === Tok.ObjEnd) return;
    for (;;) {
      if (this.tok !== Tok.String) this.fail('object key string');
      this.w.pushString(L, this.str);
      this.next();
      if ((this.tok as Tok) !== Tok.Colon) this.fail('colon');
      this.next();
      this.value(L, depth);
      api.lua_rawset(L, -3);
      this.next();
      const t = this.tok as Tok;
      if (t === Tok.ObjEnd) return;
      if (t !== Tok.Comma) this.fail('comma or object end');
      this.next();
    }
  }

  private next(): void {
    const s = this.s;
    let i = this.pos;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
    this.tokStart = i;
    if (i >= s.length) {
      this.tok = Tok.End;
      this.pos = i;
      return;
    }
    const c = s[i];
    this.pos = i + 1;
    switch (c) {
      case '{': this.tok = Tok.ObjBegin; return;
      case '}': this.tok = Tok.ObjEnd; return;
      case '[': this.tok = Tok.ArrBegin; return;
      case ']': this.tok = Tok.ArrEnd; return;
      case ':': this.tok = Tok.Colon; return;
      case ',': this.tok = Tok.Comma; return;
      case '"': this.string(i + 1); return;
    }
    if (s.startsWith('true', i)) return this.literal(Tok.Boolean, i, 4, true);
    if (s.startsWith('false', i)) return this.literal(Tok.Boolean, i, 5, false);
    if (s.startsWith('null', i)) return this.literal(Tok.Null, i, 4, false);
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(s.slice(i, i + 400));
    if (m !== null) {
      this.tok = Tok.Number;
      this.num = Number(m[0]);
      this.isInt = m[1] === undefined && m[2] === undefined && Number.isSafeInteger(this.num);
      this.pos = i + m[0].length;
      return;
    }
    this.error('invalid token');
  }

  private literal(tok: Tok, i: number, len: number, b: boolean): void {
    this.tok = tok;
    this.bool = b;
    this.pos = i + len;
  }

  private error(message: string): void {
    this.tok = Tok.Error;
    this.err = message;
  }

  private string(from: number): void {
    const s = this.s;
    let out = '';
    let i = from;
    for (;;) {
      if (i >= s.length) return this.error('unexpected end of string');
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        out += s[i++];
        continue;
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          let cp = parseInt(s.slice(i, i + 4), 16);
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i, i + 4))) return this.error('invalid unicode escape code');
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff) {
            const lo = s.slice(i, i + 6);
            if (!/^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(lo)) return this.error('invalid unicode escape code');
            cp = 0x10000 + ((cp - 0xd800) << 10) + (parseInt(lo.slice(2), 16) - 0xdc00);
            i += 6;
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return this.error('invalid unicode escape code');
          }
          out += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
          break;
        }
        default:
          return this.error('invalid escape code');
      }
    }
    this.tok = Tok.String;
    this.str = out;
    this.pos = i + 1;
  }
}

// ---- cmsgpack ------------------------------------------------------------------------------

const MSGPACK_MAX_NESTING = 16;

class MsgpackEncoder {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  constructor(private readonly w: LuaWasm) {}

  begin(): void {
    this.len = 0;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  encode(L: number, level: number): void {
    const api = this.w.api;
    const t = api.lua_type(L, -1);
    switch (t) {
      case LUA_TSTRING: {
        const b = this.w.toBytes(L, -1)!;
        this.header(b.length, 0xa0, 32, 0xd9, 0xda, 0xdb);
        this.room(b.length);
        b.copy(this.buf, this.len);
        this.len += b.length;
        return;
      }
      case LUA_TBOOLEAN:
        this.byte(api.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
        return;
      case LUA_TNUMBER:
        if (api.lua_isinteger(L, -1)) this.integer(api.lua_tointegerx(L, -1, 0));
        else this.number(api.lua_tonumberx(L, -1, 0));
        return;
      case LUA_TTABLE:
        if (level < MSGPACK_MAX_NESTING && api.lua_checkstack(L, 3)) {
          this.table(L, level + 1);
          return;
        }
        break;
    }
    this.byte(0xc0);
  }

  private header(n: number, fix: number, fixLimit: number, c8: number, c16: number, c32: number): void {
    this.room(5);
    const b = this.buf;
    if (n < fixLimit) b[this.len++] = fix | n;
    else if (c8 !== 0 && n <= 0xff) {
      b[this.len++] = c8;
      b[this.len++] = n;
    } else if (n <= 0xffff) {
      b[this.len++] = c16;
      b.writeUInt16BE(n, this.len);
      this.len += 2;
    } else {
      b[this.len++] = c32;
      b.writeUInt32BE(n, this.len);
      this.len += 4;
    }
  }

  private number(n: number): void {
    if (Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808) {
      this.integer(BigInt(n));
      return;
    }
    this.room(9);
    if (Math.fround(n) === n) {
      this.buf[this.len++] = 0xca;
      this.buf.writeFloatBE(n, this.len);
      this.len += 4;
    } else {
      this.buf[this.len++] = 0xcb;
      this.buf.writeDoubleBE(n, this.len);
      this.len += 8;
    }
  }

  private integer(v: bigint): void {
    this.room(9);
    const b = this.buf;
    if (v >= 0n) {
      const n = Number(v);
      if (n <= 127) b[this.len++] = n;
      else if (n <= 0xff) {
        b[this.len++] = 0xcc;
        b[this.len++] = n;
      } else if (n <= 0xffff) {
        b[this.len++] = 0xcd;
        b.writeUInt16BE(n, this.len);
        this.len += 2;
      } else if (n <= 0xffffffff) {
        b[this.len++] = 0xce;
        b.writeUInt32BE(n, this.len);
        this.len += 4;
      } else {
        b[this.len++] = 0xcf;
        b.writeBigUInt64BE(v, this.len);
        this.len += 8;
      }
      return;
    }
    const n = Number(v);
    if (n >= -32) b[this.len++] = n & 0xff;
    else if (n >= -128) {
      b[this.len++] = 0xd0;
      b.writeInt8(n, this.len++);
    } else if (n >= -32768) {
      b[this.len++] = 0xd1;
      b.writeInt16BE(n, this.len);
      this.len += 2;
    } else if (n >= -2147483648) {
      b[this.len++] = 0xd2;
      b.writeInt32BE(n, this.len);
      this.len += 4;
    } else {
      b[this.len++] = 0xd3;
      b.writeBigInt64BE(v, this.len);
      this.len += 8;
    }
  }

  private table(L: number, level: number): void {
    const api = this.w.api;
    // table_is_an_array: only positive integer keys, and no holes.
    let count = 0;
    let max = 0;
    let isArray = true;
    api.lua_pushnil(L);
    while (api.lua_next(L, -2) !== 0) {
      api.lua_settop(L, -2);
      count++;
      if (!isArray) continue;
      if (api.lua_type(L, -1) === LUA_TNUMBER) {
        const n = api.lua_isinteger(L, -1) ? Number(api.lua_tointegerx(L, -1, 0)) : api.lua_tonumberx(L, -1, 0);
        if (n >= 1 && Number.isInteger(n)) {
          if (n > max) max = n;
          continue;
        }
      }
      isArray = false;
    }
    if (isArray && max === count) {
      this.header(count, 0x90, 16, 0, 0xdc, 0xdd);
      for (let i = 1; i <= count; i++) {
        api.lua_rawgeti(L, -1, BigInt(i));
        this.encode(L, level);
        api.lua_settop(L, -2);
      }
      return;
    }
    this.header(count, 0x80, 16, 0, 0xde, 0xdf);
    api.lua_pushnil(L);
    while (api.lua_next(L, -2) !== 0) {
      api.lua_pushvalue(L, -2);
      this.encode(L, level);
      api.lua_settop(L, -2);
      this.encode(L, level);
      api.lua_settop(L, -2);
    }
  }
}

/** Decodes one MessagePack value from `b` at `pos`, pushing it; returns the next position. */
function msgpackDecode(w: LuaWasm, L: number, b: Buffer, pos: number): number {
  const api = w.api;
  const need = (n: number) => {
    if (pos + n > b.length) throw new LuaLibError('Missing bytes in input.');
  };
  if (!api.lua_checkstack(L, 3)) throw new LuaLibError('Bad data format in input.');
  need(1);
  const c = b[pos++];
  const pushStr = (n: number) => {
    need(n);
    w.pushBytes(L, b.subarray(pos, pos + n));
    return pos + n;
  };
  const pushInt = (v: bigint | number) => api.lua_pushinteger(L, BigInt(v));
  const array = (n: number) => {
    api.lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      pos = msgpackDecode(w, L, b, pos);
      api.lua_rawseti(L, -2, BigInt(i));
    }
    return pos;
  };
  const map = (n: number) => {
    api.lua_createtable(L, 0, n);
    for (let i = 0; i < n; i++) {
      pos = msgpackDecode(w, L, b, pos);
      pos = msgpackDecode(w, L, b, pos);
      api.lua_rawset(L, -3);
    }
    return pos;
  };
  if (c <= 0x7f) {
    pushInt(c);
    return pos;
  }
  if (c >= 0xe0) {
    pushInt(c - 256);
    return pos;
  }
  if ((c & 0xe0) === 0xa0) return pushStr(c & 0x1f);
  if ((c & 0xf0) === 0x90) return array(c & 0x0f);
  if ((c & 0xf0) === 0x80) return map(c & 0x0f);
  switch (c) {
    case 0xc0: api.lua_pushnil(L); return pos;
    case 0xc2: api.lua_pushboolean(L, 0); return pos;
    case 0xc3: api.lua_pushboolean(L, 1); return pos;
    case 0xcc: need(1); pushInt(b[pos]); return pos + 1;
    case 0xcd: need(2); pushInt(b.readUInt16BE(pos)); return pos + 2;
    case 0xce: need(4); pushInt(b.readUInt32BE(pos)); return pos + 4;
    case 0xcf: {
      need(8);
      const v = b.readBigUInt64BE(pos);
      if (v > 9223372036854775807n) api.lua_pushnumber(L, Number(v));
      else pushInt(v);
      return pos + 8;
    }
    case 0xd0: need(1); pushInt(b.readInt8(pos)); return pos + 1;
    case 0xd1: need(2); pushInt(b.readInt16BE(pos)); return pos + 2;
    case 0xd2: need(4); pushInt(b.readInt32BE(pos)); return pos + 4;
    case 0xd3: need(8); pushInt(b.readBigInt64BE(pos)); return pos + 8;
    case 0xca: need(4); api.lua_pushnumber(L, b.readFloatBE(pos)); return pos + 4;
    case 0xcb: need(8); api.lua_pushnumber(L, b.readDoubleBE(pos)); return pos + 8;
    case 0xd9: case 0xc4: need(1); pos += 1; return pushStr(b[pos - 1]);
    case 0xda: case 0xc5: need(2); pos += 2; return pushStr(b.readUInt16BE(pos - 2));
    case 0xdb: case 0xc6: need(4); pos += 4; return pushStr(b.readUInt32BE(pos - 4));
    case 0xdc: need(2); pos += 2; return array(b.readUInt16BE(pos - 2));
    case 0xdd: need(4); pos += 4; return array(b.readUInt32BE(pos - 4));
    case 0xde: need(2); pos += 2; return map(b.readUInt16BE(pos - 2));
    case 0xdf: need(4); pos += 4; return map(b.readUInt32BE(pos - 4));
  }
  throw new LuaLibError('Bad data format in input.');
}

/**
 * Adds `cjson` and `cmsgpack` to the table at the top of L's stack. The functions are created
 * once per wasm instance; `cjson.null` is a NULL light userdata, as in lua_cjson.
 */
export function registerLibraries(w: LuaWasm, L: number): void {
  const api = w.api;
  const fns = functionsOf(w);
  const lib = (name: string, entries: [string, number][]) => {
    api.lua_createtable(L, 0, entries.length + 1);
    for (const [k, fn] of entries) {
      api.lua_pushcclosure(L, fn, 0);
      api.lua_setfield(L, -2, w.cstr(k));
    }
    return name;
  };
  lib('cjson', fns.cjson);
  api.lua_pushlightuserdata(L, 0);
  api.lua_setfield(L, -2, w.cstr('null'));
  w.pushString(L, 'cjson');
  api.lua_setfield(L, -2, w.cstr('_NAME'));
  w.pushString(L, '2.1.0');
  api.lua_setfield(L, -2, w.cstr('_VERSION'));
  api.lua_setfield(L, -2, w.cstr('cjson'));
  lib('cmsgpack', fns.cmsgpack);
  w.pushString(L, 'lua-cmsgpack');
  api.lua_setfield(L, -2, w.cstr('_NAME'));
  w.pushString(L, 'lua-cmsgpack 0.4.0');
  api.lua_setfield(L, -2, w.cstr('_VERSION'));
  api.lua_setfield(L, -2, w.cstr('cmsgpack'));
}

interface LibFunctions {
  cjson: [string, number][];
  cmsgpack: [string, number][];
}
let libFunctions: LibFunctions | null = null;

function functionsOf(w: LuaWasm): LibFunctions {
  if (libFunctions !== null) return libFunctions;
  const api = w.api;
  /** A C function in JS: LuaLibError becomes a Lua error with the caller's position. */
  const fn = (body: (L: number) => number) =>
    w.addFunction(
      (L: number) => {
        let n: number;
        let message = '';
        try {
          n = body(L);
        } catch (e) {
          if (e === Infinity) throw e;
          n = -1;
          if (e instanceof LuaLibError) {
            if (e.where) {
              api.luaL_where(L, 1);
              message = w.toString(L, -1) ?? '';
            }
            message += e.message;
          } else {
            message = `internal error: ${(e as Error)?.message ?? e}`;
          }
        }
        if (n !== -1) return n;
        api.lua_settop(L, 0);
        w.pushString(L, message);
        return api.lua_error(L);
      },
      1,
      true,
    );
  const encoder = new JsonEncoder(w);
  const decoder = new JsonDecoder(w, (L) => api.lua_pushlightuserdata(L, 0));
  const packer = new MsgpackEncoder(w);
  const argCheck = (L: number, n: number, fname: string) => {
    if (api.lua_gettop(L) !== n) throw new LuaLibError(`bad argument #1 to '${fname}' (expected ${n} argument${n === 1 ? '' : 's'})`);
  };
  const checkString = (L: number, i: number, fname: string): Buffer => {
    const t = api.lua_type(L, i);
    if (t !== LUA_TSTRING && t !== LUA_TNUMBER) {
      throw new LuaLibError(`bad argument #${i} to '${fname}' (string expected, got ${t === LUA_TNIL && api.lua_gettop(L) < i ? 'no value' : TYPE_NAMES[t]})`);
    }
    return w.toBytes(L, i)!;
  };
  const config = (value: number | boolean) =>
    fn((L) => {
      if (typeof value === 'boolean') api.lua_pushboolean(L, value ? 1 : 0);
      else api.lua_pushinteger(L, BigInt(value));
      return 1;
    });
  const unpackFrom = (L: number, data: Buffer, offset: number, limit: number, withOffset: boolean): number => {
    api.lua_settop(L, 0);
    let pos = offset;
    let n = 0;
    if (withOffset) api.lua_pushnil(L);
    while (pos < data.length && (limit === 0 || n < limit)) {
      pos = msgpackDecode(w, L, data, pos);
      n++;
    }
    if (withOffset) {
      // lua_cmsgpack returns -1 as the offset once the input is consumed.
      api.lua_pushinteger(L, BigInt(pos >= data.length ? -1 : pos));
      api.lua_copy(L, -1, 1);
      api.lua_settop(L, -2);
      return n + 1;
    }
    return n;
  };
  const offsetArg = (L: number, i: number, data: Buffer, fname: string): number => {
    const o = api.lua_gettop(L) >= i ? Math.trunc(api.lua_tonumberx(L, i, 0)) : 0;
    if (o < 0 || o > data.length) throw new LuaLibError(`bad argument #${i} to '${fname}' (offset out of bounds)`);
    return o;
  };
  libFunctions = {
    cjson: [
      [
        'encode',
        fn((L) => {
          argCheck(L, 1, 'encode');
          const s = encoder.encode(L, 0);
          w.pushString(L, s);
          return 1;
        }),
      ],
      [
        'decode',
        fn((L) => {
          argCheck(L, 1, 'decode');
          const text = checkString(L, 1, 'decode').toString('latin1');
          api.lua_settop(L, 0);
          decoder.decode(L, text);
          return 1;
        }),
      ],
      ['encode_keep_buffer', config(true)],
      ['encode_max_depth', config(MAX_DEPTH)],
      ['decode_max_depth', config(MAX_DEPTH)],
      ['encode_number_precision', config(14)],
      ['encode_invalid_numbers', config(false)],
      ['decode_invalid_numbers', config(true)],
    ],
    cmsgpack: [
      [
        'pack',
        fn((L) => {
          const argc = api.lua_gettop(L);
          if (argc === 0) throw new LuaLibError("bad argument #0 to 'pack' (MessagePack pack needs input.)");
          packer.begin();
          for (let i = 1; i <= argc; i++) {
            api.lua_pushvalue(L, i);
            packer.encode(L, 0);
            api.lua_settop(L, -2);
          }
          w.pushBytes(L, packer.result());
          return 1;
        }),
      ],
      [
        'unpack',
        fn((L) => {
          const data = checkString(L, 1, 'unpack');
          return unpackFrom(L, data, 0, 0, false);
        }),
      ],
      [
        'unpack_one',
        fn((L) => {
          const data = checkString(L, 1, 'unpack_one');
          return unpackFrom(L, data, offsetArg(L, 2, data, 'unpack_one'), 1, true);
        }),
      ],
      [
        'unpack_limit',
        fn((L) => {
          const data = checkString(L, 1, 'unpack_limit');
          const limit = Math.trunc(api.lua_tonumberx(L, 2, 0));
          return unpackFrom(L, data, offsetArg(L, 3, data, 'unpack_limit'), limit, true);
        }),
      ],
    ],
  };
  return libFunctions;
}
