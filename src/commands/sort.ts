import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { NOTIFY, notify } from './notifications.js';
import { integerArg, isKeyword, parseDouble } from './args.js';
import type { Database } from '../engine/database.js';
import { Hash } from '../engine/hash.js';
import { List } from '../engine/list.js';
import { RedisSet } from '../engine/set.js';
import { ZSet } from '../engine/zset.js';
import { isString, stringOf, type Value } from '../engine/values.js';

/**
 * SORT and SORT_RO, as Redis 7.0's sort.c: parse the options, load the elements to sort, weigh
 * them (the element itself or a BY pattern's value), sort, then reply or STORE a list, applying
 * the GET patterns to each element in the output range.
 */

const SCORE_ERROR = 'ERR One or more scores can\'t be converted into double';

/** One element being sorted (redisSortObject): numeric score or ALPHA compare value. */
interface Item {
  element: string;
  score: number;
  /** The BY pattern's value for ALPHA sorting; null when the key or field is missing. */
  by: string | null;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  by: string | null;
  /** A BY pattern had no '*': nothing to sort (BY nosort). */
  dontsort: boolean;
  gets: string[];
  store: string | null;
}

/** C string view: strchr/strstr/strcmp stop at the first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

function parseOptions(args: string[], readonly: boolean): SortOptions {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, by: null, dontsort: false, gets: [], store: null };
  for (let j = 2; j < args.length; j++) {
    const arg = args[j];
    const left = args.length - j - 1;
    if (isKeyword(arg, 'asc')) o.desc = false;
    else if (isKeyword(arg, 'desc')) o.desc = true;
    else if (isKeyword(arg, 'alpha')) o.alpha = true;
    else if (isKeyword(arg, 'limit') && left >= 2) {
      o.limitStart = integerArg(args[j + 1]);
      o.limitCount = integerArg(args[j + 2]);
      j += 2;
    } else if (!readonly && isKeyword(arg, 'store') && left >= 1) {
      o.store = args[++j];
    } else if (isKeyword(arg, 'by') && left >= 1) {
      o.by = args[++j];
      // Once a BY without '*' was seen, nothing is sorted even if a later BY has one.
      if (!cString(o.by).includes('*')) o.dontsort = true;
    } else if (isKeyword(arg, 'get') && left >= 1) {
      o.gets.push(args[++j]);
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return o;
}

/**
 * lookupKeyByPattern: '#' is the element itself; otherwise the first '*' is replaced by the
 * element and the key read as a string, or, with "->field" after the '*', as a hash field.
 * A pattern without '*', a missing key or a key of another type gives null.
 */
function lookupByPattern(c: Client, pattern: string, element: string): string | null {
  const spat = cString(pattern);
  if (spat === '#') return element;
  const star = spat.indexOf('*');
  if (star === -1) return null;
  const arrow = spat.indexOf('->', star + 1);
  const hasField = arrow !== -1 && arrow + 2 < spat.length;
  // Lengths come from the whole pattern (sdslen), positions from its C string, as Redis does.
  const field = hasField ? pattern.slice(arrow + 2) : null;
  const keyEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, keyEnd);
  const v = c.db.read(key);
  if (v === undefined) return null;
  if (field === null) return isString(v) ? stringOf(v) : null;
  return v instanceof Hash ? hashField(c, v, field) : null;
}

/** A hash field's value, treating a field whose TTL has passed as missing. */
function hashField(c: Client, h: Hash, field: string): string | null {
  const value = h.get(field);
  if (value === undefined) return null;
  if (h.hasFieldTtls) {
    const when = h.fieldExpire(field);
    if (when !== -1 && when < c.server.keyspace.now) return null;
  }
  return value;
}

/**
 * strtod over a C string, accepted only if it consumed everything without ERANGE or NaN: the
 * empty string is 0, leading whitespace is skipped, overflow and underflow are errors.
 */
function sortScore(s: string): number | null {
  const str = cString(s);
  if (str.length === 0) return 0;
  let i = 0;
  while (i < str.length && isSpace(str.charCodeAt(i))) i++;
  const v = parseDouble(str.slice(i));
  if (v === null) return null;
  if (v === Infinity || v === -Infinity) return /inf/i.test(str) ? v : null;
  // Underflow to zero or a subnormal sets ERANGE in glibc; a hex subnormal is taken as exact
  // (glibc only complains when it had to round).
  const hex = /^\s*[+-]?0x/i.test(str);
  if (v === 0 ? /[1-9a-f]/i.test(mantissa(str, hex)) : !hex && Math.abs(v) < 2.2250738585072014e-308) return null;
  return v;
}

function mantissa(s: string, hex: boolean): string {
  return hex ? s.replace(/^\s*[+-]?0x/i, '').replace(/p.*$/i, '') : s.replace(/e.*$/i, '');
}

function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

/** memcmp then length (compareStringObjects). */
function binaryCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C/C.UTF-8 locale: byte order up to the first NUL. */
function collate(a: string, b: string): number {
  return binaryCompare(cString(a), cString(b));
}

function comparator(o: SortOptions): (a: Item, b: Item) => number {
  const sign = o.desc ? -1 : 1;
  if (!o.alpha) return (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.element, b.element));
  const cmp = o.store !== null ? binaryCompare : collate;
  if (o.by === null) return (a, b) => sign * cmp(a.element, b.element);
  return (a, b) => {
    if (a.by === null || b.by === null) return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
    return sign * cmp(a.by, b.by);
  };
}

/** The value to sort (a missing key sorts as an empty list); WRONGTYPE for strings and hashes. */
function sortValue(db: Database, key: string): Value | null {
  const v = db.read(key);
  if (v === undefined) return null;
  if (v instanceof List || v instanceof RedisSet || v instanceof ZSet) return v;
  throw new ReplyError(ERR.wrongType);
}

/** Elements of a list or zset in their own order (ASC/DESC), only the LIMIT range [start, end]. */
function loadInOrder(v: List | ZSet, desc: boolean, start: number, end: number): Item[] {
  const items: Item[] = [];
  const n = end - start + 1;
  if (n <= 0) return items;
  if (v instanceof List) {
    const len = v.size;
    for (let i = 0; i < n; i++) items.push(item(v.at(desc ? len - 1 - start - i : start + i)));
    return items;
  }
  const list = v.list;
  let x = desc ? (start > 0 ? v.nodeAt(v.size - 1 - start) : list.tail) : start > 0 ? v.nodeAt(start) : list.first();
  for (let i = 0; i < n; i++, x = desc ? list.prev(x) : list.next(x)) items.push(item(list.memberOf(x)));
  return items;
}

function loadAll(v: Value | null): Item[] {
  const items: Item[] = [];
  if (v instanceof List) {
    for (let i = 0; i < v.size; i++) items.push(item(v.at(i)));
  } else if (v instanceof RedisSet) {
    v.forEach((m) => items.push(item(m)));
  } else if (v instanceof ZSet) {
    v.dict.forEach((_, m) => items.push(item(m)));
  }
  return items;
}

function item(element: string): Item {
  return { element, score: 0, by: null };
}

/** Fills in scores (or ALPHA compare values); returns false if one cannot be read as a double. */
function weigh(c: Client, items: Item[], o: SortOptions): boolean {
  let ok = true;
  for (const it of items) {
    let value: string | null = it.element;
    if (o.by !== null) {
      value = lookupByPattern(c, o.by, it.element);
      if (value === null) continue;
    }
    if (o.alpha) {
      if (o.by !== null) it.by = value;
    } else {
      const score = sortScore(value);
      if (score === null) ok = false;
      else it.score = score;
    }
  }
  return ok;
}

function sortGeneric(c: Client, args: string[], readonly: boolean): void {
  const o = parseOptions(args, readonly);
  const value = sortValue(c.db, args[1]);
  // A set has no order of its own: sort it when the result is stored.
  if (o.dontsort && value instanceof RedisSet && o.store !== null) {
    o.dontsort = false;
    o.alpha = true;
    o.by = null;
  }
  // SORT converts a listpack zset to a skiplist for good, even SORT_RO.
  if (value instanceof ZSet) value.listpack = false;
  const len = value === null ? 0 : (value as List | RedisSet | ZSet).size;

  let start = Math.min(Math.max(o.limitStart, 0), len);
  const count = Math.min(Math.max(o.limitCount, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  let items: Item[];
  if (o.dontsort && (value instanceof List || value instanceof ZSet)) {
    items = loadInOrder(value, o.desc, start, end);
    end -= start;
    start = 0;
  } else {
    items = loadAll(value);
  }

  if (!o.dontsort) {
    const ok = weigh(c, items, o);
    const cmp = comparator(o);
    if (o.by !== null && (start !== 0 || end !== items.length - 1)) pqsort(items, cmp, start, end);
    else items.sort(cmp);
    if (!ok) throw new ReplyError(SCORE_ERROR);
  }

  const out: (string | null)[] = [];
  for (let j = start; j <= end; j++) {
    const element = items[j].element;
    if (o.gets.length === 0) out.push(element);
    for (const get of o.gets) out.push(lookupByPattern(c, get, element));
  }
  if (o.store === null) replyOutput(c, out);
  else store(c, o.store, out);
}

function replyOutput(c: Client, out: (string | null)[]): void {
  c.reply.array(out.length);
  for (const s of out) c.reply.bulk(s);
}

/** Stores the output as a list (a missing GET value becomes ""), or deletes `key` if empty. */
function store(c: Client, key: string, out: (string | null)[]): void {
  if (out.length > 0) {
    const list = new List(out.length);
    for (const s of out) list.pushBack(s ?? '');
    c.db.set(key, list);
    notify(c, NOTIFY.list, 'sortstore', key);
  } else if (c.db.delete(key)) {
    notify(c, NOTIFY.generic, 'del', key);
  }
  c.reply.integer(out.length);
}

/**
 * Redis's pqsort (NetBSD's qsort, Bentley & McIlroy, recursing only into partitions that
 * overlap [lrange, rrange]). Ported as is so that elements comparing equal under BY + LIMIT come
 * out in Redis's order.
 */
export function pqsort<T>(v: T[], cmp: (a: T, b: T) => number, lrange: number, rrange: number): void {
  const swap = (i: number, j: number) => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const c = (i: number, j: number) => cmp(v[i], v[j]);
  const med3 = (a: number, b: number, d: number) =>
    c(a, b) < 0 ? (c(b, d) < 0 ? b : c(a, d) < 0 ? d : a) : c(b, d) > 0 ? b : c(a, d) < 0 ? a : d;
  const insertion = (a: number, n: number) => {
    for (let pm = a + 1; pm < a + n; pm++) for (let pl = pm; pl > a && c(pl - 1, pl) > 0; pl--) swap(pl, pl - 1);
  };
  const outside = (l: number, r: number) => (lrange < l && rrange < l) || (lrange > r && rrange > r);

  const sort = (a: number, n: number): void => {
    for (;;) {
      if (n < 7) return insertion(a, n);
      let pm = a + (n >> 1);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = n >> 3;
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1;
      let pb = pa;
      let pc = a + n - 1;
      let pd = pc;
      let swapped = false;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = c(pb, a)) <= 0) {
          if (r === 0) {
            swapped = true;
            swap(pa++, pb);
          }
          pb++;
        }
        while (pb <= pc && (r = c(pc, a)) >= 0) {
          if (r === 0) {
            swapped = true;
            swap(pc, pd--);
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
        swapped = true;
      }
      if (!swapped) return insertion(a, n);
      const pn = a + n;
      let r = Math.min(pa - a, pb - pa);
      vecswap(a, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      if ((r = pb - pa) > 1 && !outside(a, a + r - 1)) sort(a, r);
      if ((r = pd - pc) > 1) {
        a = pn - r;
        n = r;
        if (!outside(a, a + r - 1)) continue;
      }
      return;
    }
  };
  sort(0, v.length);
}

/** sortGetKeys: the key to sort, and the last STORE's key (LIMIT, GET and BY skip their arguments). */
function sortKeys(args: string[]): number[] {
  let storeAt = -1;
  for (let i = 2; i < args.length; i++) {
    const a = args[i].toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < args.length) storeAt = i + 1;
  }
  return storeAt === -1 ? [1] : [1, storeAt];
}

export const sortCommands: CommandDef[] = [
  { name: 'sort', handler: (c, args) => sortGeneric(c, args, false), keys: sortKeys },
  // sortROGetKeys: the BY/GET keys are unknowable, only the sorted key is declared.
  { name: 'sort_ro', handler: (c, args) => sortGeneric(c, args, true), keys: () => [1] },
];
