/**
 * Lua run once per VM, before any script: it turns wasmoon's Lua 5.4 into the Lua 5.1 that Redis
 * 7.0 scripts see, as far as a script can observe it without the VM's C code:
 *
 * - 5.1 names (unpack, loadstring, table.getn/maxn, math.mod/pow/ldexp/frexp/..., string.gfind,
 *   gcinfo, _VERSION) and none of 5.4's additions (utf8, os, io, require, print, warn,
 *   string.pack, table.move, math.tointeger...), as Redis's allow list has them;
 * - number printing as 5.1 (%.14g) in tostring and string.format, 5.1's %q, truncating %d,
 *   two-argument string.rep;
 * - Redis's math.random (its lrand48 clone, one sequence per VM), pcall returning the message of
 *   Redis error tables, the error handler that records where an error was raised;
 * - the bit and struct libraries (Lua over 5.4's integer operators and string.pack);
 * - global protection: scripts run with _ENV set to an empty read-only proxy of the globals,
 *   reading a missing global raises "Script attempted to access nonexistent global variable",
 *   any assignment "Attempt to modify a readonly table"; library tables are read-only proxies.
 *
 * The chunk receives the JS-implemented functions (redis.call, cjson...) in a table and returns
 * what the bridge needs: the sandbox, the error handler and the function-library loader.
 */
export const PRELUDE = String.raw`
local js = ...
local G = _G
local type, tostring54, tonumber, error, select, rawget, rawset, next, pairs, setmetatable, getmetatable, pcall54, load54 =
      type, tostring, tonumber, error, select, rawget, rawset, next, pairs, setmetatable, getmetatable, pcall, load
local floor, ceil, huge, fmod = math.floor, math.ceil, math.huge, math.fmod
local mathtype, tointeger = math.type, math.tointeger
local format, srep, sgsub, sfind, ssub, sbyte, schar, smatch = string.format, string.rep, string.gsub, string.find, string.sub, string.byte, string.char, string.match
local spack, sunpack = string.pack, string.unpack
local tunpack, tconcat = table.unpack, table.concat
local getinfo = debug.getinfo

-- Numbers print as Lua 5.1 printed its doubles: "%.14g", so 3.0 is "3" and 2^53 "9.007199254741e+15".
local function num2str(n)
  return format('%.14g', n)
end

local function tostring(v)
  if mathtype(v) then return num2str(v) end
  return tostring54(v)
end
G.tostring = tostring

-- 5.1's %q: only ", \, newline, \r and \0 are escaped.
local qmap = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\\n', ['\r'] = '\\r', ['\0'] = '\\000' }
local function quote(s)
  if mathtype(s) then s = num2str(s) end
  return '"' .. sgsub(s, '[\\"\n\r\0]', qmap) .. '"'
end

local function trunc(v)
  if type(v) == 'string' then v = tonumber(v) or v end
  if mathtype(v) == 'float' and v == v and v ~= huge and v ~= -huge then
    v = v >= 0 and floor(v) or ceil(v)
  end
  return v
end

-- string.format with 5.1's conversions: each directive is formatted on its own.
local function format51(f, ...)
  if not sfind(f, '%', 1, true) then return format(f, ...) end
  local out, n, i, argi = {}, 0, 1, 0
  local len = #f
  while i <= len do
    local s, e, spec, conv = sfind(f, '%%([-+ #0]*%d*%.?%d*)(.)', i)
    if not s then
      n = n + 1; out[n] = ssub(f, i)
      break
    end
    if s > i then n = n + 1; out[n] = ssub(f, i, s - 1) end
    local width, precision = smatch(spec, '(%d*)%.?(%d*)$')
    if #width > 2 or #precision > 2 then error('invalid format (width or precision too long)', 1) end
    if conv == '%' then
      n = n + 1; out[n] = '%'
    else
      argi = argi + 1
      local v = select(argi, ...)
      if select('#', ...) < argi then
        error(format("bad argument #%d to 'format' (no value)", argi + 1), 1)
      end
      if conv == 'd' or conv == 'i' or conv == 'o' or conv == 'u' or conv == 'x' or conv == 'X' or conv == 'c'
         or conv == 'e' or conv == 'E' or conv == 'f' or conv == 'g' or conv == 'G' then
        if tonumber(v) == nil then
          error(format("bad argument #%d to 'format' (number expected, got %s)", argi + 1, type(v)), 1)
        end
        if conv == 'u' then conv = 'd' end
        if conv ~= 'e' and conv ~= 'E' and conv ~= 'f' and conv ~= 'g' and conv ~= 'G' then v = trunc(v) end
      elseif (conv == 's' or conv == 'q') and type(v) ~= 'string' and not mathtype(v) then
        error(format("bad argument #%d to 'format' (string expected, got %s)", argi + 1, type(v)), 1)
      elseif conv == 's' then
        if mathtype(v) then v = num2str(v) end
      elseif conv == 'q' then
        v = quote(v); conv = 's'; spec = ''
      end
      n = n + 1; out[n] = format('%' .. spec .. conv, v)
    end
    i = e + 1
  end
  return tconcat(out)
end

-- Library functions written in Lua are called through a C trampoline, so a tail call to them
-- keeps the script's frame (for the position in error messages), as for Redis's C functions.
local wrap = js.wrap
string.format = wrap(format51)
string.rep = wrap(function(s, n) return srep(s, trunc(n)) end)
string.gfind = string.gmatch

-- 5.1 truncated float positions and counts (luaL_checkint); 5.4 raises "number has no integer
-- representation" for 2.5. Common positional arguments are truncated before 5.4 sees them.
local function toint(v)
  if mathtype(v) == 'float' then return trunc(v) end
  return v
end
local ssub54, sbyte54, schar54, sfind54, smatch54 = string.sub, string.byte, string.char, string.find, string.match
string.sub = function(s, i, j) return ssub54(s, toint(i), toint(j)) end
string.byte = function(s, i, j) return sbyte54(s, toint(i), toint(j)) end
string.find = function(s, p, init, plain) return sfind54(s, p, toint(init), plain) end
string.match = function(s, p, init) return smatch54(s, p, toint(init)) end
string.char = function(...)
  local n = select('#', ...)
  if n == 1 then return schar54(toint((...))) end
  local t = { ... }
  for k = 1, n do t[k] = toint(t[k]) end
  return schar54(tunpack(t, 1, n))
end
local tinsert54, tremove54, select54 = table.insert, table.remove, select
table.concat = function(t, sep, i, j) return tconcat(t, sep, toint(i), toint(j)) end
table.insert = function(t, ...)
  if select54('#', ...) == 2 then
    local pos, v = ...
    return tinsert54(t, toint(pos), v)
  end
  return tinsert54(t, ...)
end
table.remove = function(t, pos) if pos == nil then return tremove54(t) end return tremove54(t, toint(pos)) end
G.select = function(n, ...) return select54(toint(n), ...) end
string.pack, string.unpack, string.packsize = nil, nil, nil

unpack = function(t, i, j) return tunpack(t, toint(i), toint(j)) end
table.getn = function(t) return #t end
table.maxn = function(t)
  local m = 0
  for k in next, t do if mathtype(k) and k > m then m = k end end
  return m
end
table.setn = function() error("'setn' is obsolete", 1) end
table.unpack, table.pack, table.move = nil, nil, nil

math.mod = fmod
math.pow = function(x, y) return x ^ y end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == huge or x == -huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.log10 = function(x) return math.log(x, 10) end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
math.tointeger, math.type, math.ult = nil, nil, nil

-- Redis's math.random: its lrand48 clone (48-bit LCG), one sequence for the life of the VM.
local rx = 0x1234ABCD330E
local function lrand48()
  rx = (0x5DEECE66D * rx + 0xB) & 0xFFFFFFFFFFFF
  return rx >> 17
end
local function checkint(v, i, fname)
  local n = tonumber(v)
  if n == nil then
    error(format("bad argument #%d to '%s' (number expected, got %s)", i, fname, v == nil and 'no value' or type(v)), 1)
  end
  n = trunc(n)
  if mathtype(n) == 'float' then n = 0 end
  return ((n + 0x80000000) & 0xFFFFFFFF) - 0x80000000
end
math.random = wrap(function(...)
  local r = (lrand48() % 2147483647) / 2147483647
  local argc = select('#', ...)
  if argc == 0 then return r end
  if argc == 1 then
    local u = checkint((...), 1, 'random')
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 1) end
    return floor(r * u) + 1
  end
  if argc == 2 then
    local l, u = checkint((...), 1, 'random'), checkint(select(2, ...), 2, 'random')
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 1) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 1)
end)
math.randomseed = wrap(function(s)
  local v = checkint(s, 1, 'randomseed') & 0xFFFFFFFF
  rx = (v << 16) | 0x330E
end)

-- LuaBitOp (bit.*): 32-bit two's complement results, numbers rounded as its tobit does.
local function tobit(x)
  local n = tonumber(x)
  if n == nil then error("bad argument #1 to 'tobit' (number expected, got " .. (x == nil and 'no value' or type(x)) .. ")", 1) end
  if mathtype(n) == 'float' or n >= 0x8000000000000 or n <= -0x8000000000000 then
    -- barg: the low 32 bits of the double n + 2^52 + 2^51 (rounding as the add does, also past
    -- 2^51 where the sum loses precision; NaN and infinities give 0). Exact for small integers.
    n = (sunpack('<I4', spack('<d', n + 6755399441055744.0)))
  end
  n = n & 0xFFFFFFFF
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function norm(n)
  n = n & 0xFFFFFFFF
  if n >= 0x80000000 then return n - 0x100000000 end
  return n
end
local bit = {}
bit.tobit = function(x) return tobit(x) end
bit.bnot = function(x) return norm(~tobit(x)) end
bit.band = function(x, ...)
  local r = tobit(x)
  for i = 1, select('#', ...) do r = r & tobit((select(i, ...))) end
  return norm(r)
end
bit.bor = function(x, ...)
  local r = tobit(x)
  for i = 1, select('#', ...) do r = r | tobit((select(i, ...))) end
  return norm(r)
end
bit.bxor = function(x, ...)
  local r = tobit(x)
  for i = 1, select('#', ...) do r = r ~ tobit((select(i, ...))) end
  return norm(r)
end
bit.lshift = function(x, n) return norm((tobit(x) & 0xFFFFFFFF) << (tobit(n) & 31)) end
bit.rshift = function(x, n) return norm((tobit(x) & 0xFFFFFFFF) >> (tobit(n) & 31)) end
bit.arshift = function(x, n) return norm(tobit(x) // (1 << (tobit(n) & 31))) end
bit.rol = function(x, n)
  local v, s = tobit(x) & 0xFFFFFFFF, tobit(n) & 31
  return norm((v << s) | (v >> (32 - s)))
end
bit.ror = function(x, n)
  local v, s = tobit(x) & 0xFFFFFFFF, tobit(n) & 31
  return norm((v >> s) | (v << (32 - s)))
end
bit.bswap = function(x)
  local v = tobit(x) & 0xFFFFFFFF
  return norm(((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24))
end
bit.tohex = function(x, n)
  local v = tobit(x) & 0xFFFFFFFF
  n = n == nil and 8 or tobit(n)
  local hex = '%0' .. 8 .. 'x'
  if n < 0 then n = -n; hex = '%0' .. 8 .. 'X' end
  if n > 8 then n = 8 end
  local s = format(hex, v)
  return ssub(s, 9 - n)
end

-- struct (Roberto Ierusalimschy's lua_struct as bundled with Redis): pack/unpack/size over
-- string.pack, item by item, with its x86-64 sizes (l, L and T are 8 bytes).
for k, f in pairs(bit) do bit[k] = wrap(f) end

local struct = {}
local function structItems(fmt)
  local items, i, len = {}, 1, #fmt
  while i <= len do
    local c = ssub(fmt, i, i)
    local s, e, digits = sfind(fmt, '^(%d*)', i + 1)
    local n = digits ~= '' and tonumber(digits) or nil
    i = e + 1
    items[#items + 1] = { c, n }
  end
  return items
end
local sizes = { b = 'b', B = 'B', h = 'h', H = 'H', l = 'i8', L = 'I8', T = 'I8', f = 'f', d = 'd' }
local function spec(c, n)
  if c == 'i' or c == 'I' then return c .. (n or 4) end
  return sizes[c]
end
struct.pack = function(fmt, ...)
  local out, endian, argi = {}, '<', 0
  for _, item in ipairs(structItems(fmt)) do
    local c, n = item[1], item[2]
    if c == '<' or c == '>' or c == '=' then endian = c == '=' and '<' or c
    elseif c == '!' or c == ' ' then
    elseif c == 'x' then out[#out + 1] = '\0'
    elseif c == 's' then
      argi = argi + 1
      local v = select(argi, ...)
      out[#out + 1] = spack('z', tostring(v))
    elseif c == 'c' then
      argi = argi + 1
      local v = select(argi, ...)
      if mathtype(v) then v = num2str(v) end
      if n == nil then n = 1 end
      if n == 0 then n = #v end
      if #v < n then error("bad argument #" .. (argi + 2) .. " to 'pack' (string too short)", 1) end
      out[#out + 1] = ssub(v, 1, n)
    else
      local sp = spec(c, n)
      if not sp then error("bad argument #1 to 'pack' (invalid format option '" .. c .. "')", 1) end
      argi = argi + 1
      local v = select(argi, ...)
      if c ~= 'f' and c ~= 'd' then
        v = trunc(tonumber(v))
        local bits = (sp == 'b' or sp == 'B') and 8 or (sp == 'h' or sp == 'H') and 16 or tonumber(ssub(sp, 2)) * 8
        if bits < 64 then v = v & ((1 << bits) - 1) end
        sp = 'I' .. (bits // 8)
      end
      out[#out + 1] = spack(endian .. sp, v)
    end
  end
  return tconcat(out)
end
struct.unpack = function(fmt, data, pos)
  local res, endian, p, prev = {}, '<', pos or 1, nil
  for _, item in ipairs(structItems(fmt)) do
    local c, n = item[1], item[2]
    if c == '<' or c == '>' or c == '=' then endian = c == '=' and '<' or c
    elseif c == '!' or c == ' ' then
    elseif c == 'x' then p = p + 1
    elseif c == 's' then
      local z = sfind(data, '\0', p, true)
      if not z then error("unfinished string in data", 1) end
      res[#res + 1] = ssub(data, p, z - 1); p = z + 1
    elseif c == 'c' then
      if n == nil then n = 1 end
      if n == 0 then n = prev or 0 end
      if p + n - 1 > #data then error("bad argument #2 to 'unpack' (data string too short)", 1) end
      res[#res + 1] = ssub(data, p, p + n - 1); p = p + n
    else
      local sp = spec(c, n)
      if not sp then error("bad argument #1 to 'unpack' (invalid format option '" .. c .. "')", 1) end
      local size = (sp == 'b' or sp == 'B') and 1 or (sp == 'h' or sp == 'H') and 2 or (sp == 'f') and 4 or (sp == 'd') and 8 or tonumber(ssub(sp, 2))
      if p + size - 1 > #data then error("bad argument #2 to 'unpack' (data string too short)", 1) end
      local v
      v, p = sunpack(endian .. sp, data, p)
      prev = v
      res[#res + 1] = v
    end
  end
  res[#res + 1] = p
  return tunpack(res)
end
struct.size = function(fmt)
  local size = 0
  for _, item in ipairs(structItems(fmt)) do
    local c, n = item[1], item[2]
    if c == 'x' then size = size + 1
    elseif c == 'c' then size = size + (n or 1)
    elseif c == 's' then error("bad argument #1 to 'size' (option 's' has no fixed size)", 1)
    elseif c ~= '<' and c ~= '>' and c ~= '=' and c ~= '!' and c ~= ' ' then
      local sp = spec(c, n)
      size = size + (not sp and 0 or ((sp == 'b' or sp == 'B') and 1 or (sp == 'h' or sp == 'H') and 2 or (sp == 'f') and 4 or (sp == 'd') and 8 or tonumber(ssub(sp, 2))))
    end
  end
  return size
end

for k, f in pairs(struct) do struct[k] = wrap(f) end

-- Redis's pcall: an error that is a Redis error table comes back as its message.
local function pcallResult(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    if type(m) == 'string' then return false, m end
  end
  return false, e
end
pcall = function(f, ...) return pcallResult(pcall54(f, ...)) end

gcinfo = function() return floor(collectgarbage('count')) end
_VERSION = 'Lua 5.1'

-- The redis table: C functions from JS plus the parts that are plain Lua.
local redis = js.redis
redis.REDIS_VERSION = js.version
redis.REDIS_VERSION_NUM = js.versionNum
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.status_reply = function(s)
  if select('#', s) ~= 1 or type(s) ~= 'string' then return { err = 'ERR wrong number or type of arguments' } end
  return { ok = s }
end
-- Redis's luaPushErrorBuff: "-CODE msg" keeps its code, anything else gets "ERR".
local function errorText(s)
  if ssub(s, 1, 1) ~= '-' then s = '-' .. s end
  local sp = sfind(s, ' ', 1, true)
  local code, msg = 'ERR', ssub(s, 2)
  if sp then code, msg = ssub(s, 2, sp - 1), ssub(s, sp + 1) end
  msg = sgsub(sgsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
  local text = code .. ' ' .. msg
  local z = sfind(text, '\0', 1, true)
  if z then text = ssub(text, 1, z - 1) end
  return text
end
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return { err = 'ERR wrong number or type of arguments' } end
  return { err = errorText(s) }
end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.replicate_commands = function() return true end

-- Error handler (Redis's __redis__err__handler): an error becomes {err=, source=, line=} with
-- the position of the script code that raised it (skipping C functions and this prelude).
local PRELUDE_SOURCE = getinfo(1, 'S').source
local function errorHandler(err)
  local level = 2
  local i = getinfo(level, 'Sl')
  while i and (i.what == 'C' or i.source == PRELUDE_SOURCE) do
    level = level + 1
    i = getinfo(level, 'Sl')
  end
  if type(err) == 'string' then
    -- 5.4 words runtime errors "attempt to index a nil value (local 't')", 5.1 "attempt to index local 't' (a nil value)".
    err = sgsub(err, "attempt to (.-) a (%a+) value %((%a+) '(.-)'%)", "attempt to %1 %3 '%4' (a %2 value)")
  end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
  if i and type(err.err) == 'string' then
    -- Errors raised inside this prelude are reported where the script called it.
    err.err = sgsub(err.err, '^(ERR )prelude:%d+: ', '%1' .. ssub(i.source, 2) .. ':' .. i.currentline .. ': ')
  end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- Globals and libraries are read-only from here on.
local function readonly() error('Attempt to modify a readonly table', 2) end
local function protect(t)
  return setmetatable({}, {
    __index = t, __newindex = readonly, __metatable = false,
    __pairs = function() return next, t, nil end, __len = function() return #t end,
  })
end

G.cjson = js.cjson
G.cmsgpack = js.cmsgpack
G.bit = bit
G.struct = struct
G.redis = redis
if not js.functions then
  G.KEYS = {}
  G.ARGV = {}
end
for _, name in ipairs({ 'utf8', 'os', 'io', 'require', 'package', 'dofile', 'loadfile', 'print', 'warn', 'debug' }) do
  G[name] = nil
end

local sandbox = setmetatable({}, {
  __index = G, __newindex = readonly, __metatable = false,
  __pairs = function() return next, G, nil end,
})
load = function(chunk, name) return load54(chunk, name, 't', sandbox) end
loadstring = function(s, name) return load54(s, name or s, 't', sandbox) end

for _, name in ipairs({ 'string', 'math', 'table', 'coroutine', 'cjson', 'cmsgpack', 'bit', 'struct', 'redis' }) do
  G[name] = protect(G[name])
end
setmetatable(G, {
  __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end,
  __newindex = readonly,
  __metatable = false,
})

local xpcall = xpcall
-- The message handler runs through js.guard, which turns off the kill hook first (a killed
-- script gets an error on every line, which must not hit the handler itself).
local handler = js.guard(errorHandler)
local function runner(f, ...)
  local ok, v = xpcall(f, handler, ...)
  return ok, v
end

-- FUNCTION libraries (the functions VM only): library code runs with a sandbox whose globals
-- are just a restricted redis table (register_function, log, version); at run time the same
-- sandbox sees the full globals.
-- Called from the __index functions below: level 3 is the library code.
local function nonexistent(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
local fsandboxMeta = { __index = G, __newindex = readonly, __metatable = false, __pairs = function() return next, G, nil end }
local fsandbox = setmetatable({}, fsandboxMeta)
local FUNCTION_FLAGS = { ['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true, ['no-cluster'] = true, ['allow-cross-slot-keys'] = true }
local registered = {}
local function fail(msg) error({ err = 'ERR ' .. msg }) end
local function isString(v) return type(v) == 'string' or mathtype(v) ~= nil end
local function registerFunction(...)
  local argc = select('#', ...)
  local name, callback, flags, description
  if argc == 1 then
    local t = ...
    if type(t) ~= 'table' then
      fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in pairs(t) do
      if k == 'function_name' then
        if not isString(v) then fail('function_name argument given to redis.register_function must be a string') end
        name = tostring(v)
      elseif k == 'description' then
        if not isString(v) then fail('description argument given to redis.register_function must be a string') end
        description = tostring(v)
      elseif k == 'callback' then
        if type(v) ~= 'function' then fail('callback argument given to redis.register_function must be a function') end
        callback = v
      elseif k == 'flags' then
        if type(v) ~= 'table' then fail('flags argument to redis.register_function must be a table representing function flags') end
        local list = {}
        for _, f in pairs(v) do
          if type(f) ~= 'string' or not FUNCTION_FLAGS[f] then fail('unknown flag given') end
          list[#list + 1] = f
        end
        flags = tconcat(list, ',')
      else
        fail('unknown argument given to redis.register_function')
      end
    end
    if name == nil then fail('redis.register_function must get a function name argument') end
    if callback == nil then fail('redis.register_function must get a callback argument') end
  elseif argc == 2 then
    local n, f = ...
    if not isString(n) then fail('first argument to redis.register_function must be a string') end
    if type(f) ~= 'function' then fail('second argument to redis.register_function must be a function') end
    name, callback = tostring(n), f
  else
    fail('wrong number of arguments to redis.register_function')
  end
  if not sfind(name, '^[%w_]+$') then
    fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  if registered[name] then fail('Function already exists in the library') end
  registered[name] = true
  js.register(name, callback, flags or '', description)
end
local loadRedisFields = {
  register_function = registerFunction, log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = js.version, REDIS_VERSION_NUM = js.versionNum,
}
local loadRedis = setmetatable({}, {
  __index = function(_, k)
    local v = loadRedisFields[k]
    if v == nil then nonexistent(_, k) end
    return v
  end,
  __newindex = readonly, __metatable = false,
})
local loadGlobals = setmetatable({}, {
  __index = function(_, k)
    if k == 'redis' then return loadRedis end
    nonexistent(_, k)
  end,
  __newindex = readonly, __metatable = false,
})
local function loadLibrary(chunk)
  registered = {}
  fsandboxMeta.__index = loadGlobals
  local ok, err = pcall54(chunk)
  fsandboxMeta.__index = G
  return ok, err
end

return sandbox, errorHandler, runner, fsandbox, loadLibrary
`;
