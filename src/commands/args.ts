import { ReplyError } from './reply.js';
import { ERR } from './errors.js';

/** C's LLONG_MIN / LLONG_MAX (Redis's long long and, on 64-bit, long). */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Redis's string2ll: an optional '-', then digits without leading zeros (except "0" itself),
 * nothing else, within int64. Returns the value as a bigint, or null.
 */
export function parseInt64(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  if (n === 1 && s === '0') return 0n;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    i = 1;
    if (n === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first < 49 || first > 57) return null;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/**
 * string2ll as a JS number (exact up to 2^53; larger int64 values are rounded, which is fine for
 * counts, indexes and timeouts). Returns null if `s` is not a valid int64.
 */
export function parseLong(s: string): number | null {
  const n = s.length;
  if (n > 0 && n < 16) {
    // Fast path: at most 15 digits always fits a double exactly.
    let i = 0;
    let neg = false;
    if (s.charCodeAt(0) === 45) {
      if (n === 1) return null;
      neg = true;
      i = 1;
    }
    const first = s.charCodeAt(i);
    if (first === 48) return n === 1 ? 0 : null;
    if (first < 49 || first > 57) return null;
    let v = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      v = v * 10 + (c - 48);
    }
    return neg ? -v : v;
  }
  const big = parseInt64(s);
  return big === null ? null : Number(big);
}

/** Parses an integer argument or throws Redis's "value is not an integer or out of range". */
export function integerArg(s: string, error: string = ERR.notInteger): number {
  const v = parseLong(s);
  if (v === null) throw new ReplyError(error);
  return v;
}

/**
 * getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) with Redis's default messages: an int64
 * other than LLONG_MIN.
 */
export function rangeLong(s: string): number {
  const v = parseInt64(s);
  if (v === null) throw new ReplyError(ERR.notInteger);
  if (v < -INT64_MAX) throw new ReplyError(`ERR value is out of range, value must between ${-INT64_MAX} and ${INT64_MAX}`);
  return Number(v);
}

/**
 * Redis's strtod-based float parsing (getDoubleFromObject): decimal or hex floats, inf/infinity
 * with optional sign; no leading space, no trailing garbage, no NaN. Returns null if invalid.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return null;
  if (DECIMAL.test(s)) return Number(s);
  const lower = s.toLowerCase();
  const m = /^([+-]?)(inf|infinity)$/.exec(lower);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  const h = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/.exec(lower);
  if (h && (h[2].length > 0 || (h[3] ?? '').length > 0)) {
    const intPart = h[2] || '0';
    const frac = h[3] ?? '';
    let v = parseInt(intPart + frac || '0', 16) / Math.pow(16, frac.length);
    if (h[4]) v *= Math.pow(2, Number(h[4]));
    return h[1] === '-' ? -v : v;
  }
  return null;
}
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parses a float argument or throws Redis's "value is not a valid float". */
export function doubleArg(s: string, error: string = ERR.notFloat): number {
  const v = parseDouble(s);
  if (v === null) throw new ReplyError(error);
  return v;
}

/** getRangeLongFromObjectOrReply(1, LONG_MAX) with one message for both failures (COUNT, numkeys). */
export function positiveCount(arg: string, message: string): number {
  const n = parseLong(arg);
  if (n === null || n < 1) throw new ReplyError(message);
  return n;
}

/** Case-insensitive comparison of an argument with an ASCII keyword given in lowercase. */
export function isKeyword(arg: string, lowerKeyword: string): boolean {
  return arg.length === lowerKeyword.length && arg.toLowerCase() === lowerKeyword;
}
