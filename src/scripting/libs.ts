import type { LuaWasm } from './lua-wasm.js';

/** Adds the cjson and cmsgpack tables to the table at the top of L's stack. */
export function registerLibraries(w: LuaWasm, L: number): void {
  const api = w.api;
  api.lua_createtable(L, 0, 4);
  api.lua_setfield(L, -2, w.cstr('cjson'));
  api.lua_createtable(L, 0, 4);
  api.lua_setfield(L, -2, w.cstr('cmsgpack'));
}
