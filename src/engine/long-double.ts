/**
 * INCRBYFLOAT arithmetic exactly as Redis 7.0 on x86-64 does it: in C `long double`, the x87
 * 80-bit extended format (64-bit significand), parsed with glibc's strtold, summed with
 * round-to-nearest-even and printed with "%.17Lf" minus trailing zeros (util.c ld2string,
 * LD_STR_HUMAN). A JS double cannot reproduce this (0.1+0.2 gives "0.3" in Redis, and 1e400 is a
 * valid long double), so values are held exactly as significand·2^exponent in BigInts.
 */

/** A finite long double: (-1)^neg · m · 2^e, with m < 2^64 (m = 0n is a signed zero). */
export interface LongDouble {
  readonly neg: boolean;
  readonly m: bigint;
  readonly e: number;
}

/** What strtold may produce that Redis accepts: a finite value or an infinity. */
export type ParsedLongDouble = LongDouble | 'inf' | '-inf';

const P = 64; // significand bits
const EMAX = 16383; // every finite value is < 2^(EMAX+1)
const EMIN = -16382; // smallest normal is 2^EMIN
const MIN_LSB = EMIN - (P - 1); // exponent of the smallest subnormal
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are rejected. */
const MAX_CHARS = 5 * 1024;
const FRACTION_DIGITS = 17;
const TEN_POW_FRACTION = 10n ** BigInt(FRACTION_DIGITS);

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds n·2^e2 (n > 0; `sticky` says whether nonzero bits were already cut below n) to the
 * format, ties to even, with gradual underflow. Returns null on overflow (strtold's HUGE_VALL).
 */
function round(neg: boolean, n: bigint, e2: number, sticky: boolean): LongDouble | null {
  let shift = bitLength(n) - P;
  if (e2 + shift < MIN_LSB) shift = MIN_LSB - e2;
  let m: bigint;
  if (shift <= 0) {
    m = n << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    m = n >> s;
    const rest = n - (m << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (sticky || (m & 1n) === 1n))) m++;
  }
  let e = e2 + shift;
  if (m >> BigInt(P) !== 0n) {
    m >>= 1n;
    e++;
  }
  if (m !== 0n && bitLength(m) + e > EMAX + 1) return null;
  return { neg, m, e };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Redis's string2ld: strtold must consume the whole string (so a NUL byte makes it invalid);
 * leading whitespace, NaN, overflow and underflow to zero are rejected. Returns null if the
 * string is not a valid float.
 */
export function parseLongDouble(s: string): ParsedLongDouble | null {
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  let m = DECIMAL.exec(s);
  if (m !== null) {
    const intDigits = m[2];
    const fracDigits = m[3] ?? '';
    if (intDigits.length + fracDigits.length === 0) return null;
    return fromDecimal(m[1] === '-', intDigits + fracDigits, clampExponent(m[4]) - fracDigits.length);
  }
  m = HEX.exec(s);
  if (m !== null) {
    const intDigits = m[2];
    const fracDigits = m[3] ?? '';
    if (intDigits.length + fracDigits.length === 0) return null;
    return fromBinary(m[1] === '-', BigInt('0x' + (intDigits + fracDigits || '0')), clampExponent(m[4]) - 4 * fracDigits.length);
  }
  m = INFINITY.exec(s);
  if (m !== null) return m[1] === '-' ? '-inf' : 'inf';
  return null;
}

/** Exponents beyond any representable magnitude are clamped so the arithmetic stays small. */
function clampExponent(digits: string | undefined): number {
  if (digits === undefined) return 0;
  const v = Number(digits);
  return Math.max(-1e7, Math.min(1e7, v));
}

/** digits·10^exp10, correctly rounded; null on overflow or underflow to zero (ERANGE). */
function fromDecimal(neg: boolean, digits: string, exp10: number): LongDouble | null {
  const d = BigInt(digits);
  if (d === 0n) return { neg, m: 0n, e: 0 };
  const magnitude = d.toString().length + exp10; // value < 10^magnitude
  if (magnitude > 4934) return null; // above LDBL_MAX (about 1.19e4932)
  if (magnitude < -4952) return null; // below half the smallest subnormal (about 3.6e-4951)
  if (exp10 >= 0) return nonZero(round(neg, d * 10n ** BigInt(exp10), 0, false));
  const den = 10n ** BigInt(-exp10);
  // Enough quotient bits for the significand plus guard bits; the remainder becomes the sticky bit.
  const s = Math.max(0, P + 2 + bitLength(den) - bitLength(d));
  const num = d << BigInt(s);
  const q = num / den;
  return nonZero(round(neg, q, -s, q * den !== num));
}

/** h·2^exp2 (hex float), correctly rounded; null on overflow or underflow to zero. */
function fromBinary(neg: boolean, h: bigint, exp2: number): LongDouble | null {
  if (h === 0n) return { neg, m: 0n, e: 0 };
  const top = bitLength(h) + exp2;
  if (top > EMAX + 1) return null;
  if (top < MIN_LSB - 1) return null;
  return nonZero(round(neg, h, exp2, false));
}

function nonZero(v: LongDouble | null): LongDouble | null {
  return v === null || v.m === 0n ? null : v;
}

/** a + b rounded to the format; null if the sum overflows to infinity. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.m === 0n && b.m === 0n) return { neg: a.neg && b.neg, m: 0n, e: 0 };
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const sa = a.m << BigInt(a.e - e);
  const sb = b.m << BigInt(b.e - e);
  const sum = (a.neg ? -sa : sa) + (b.neg ? -sb : sb);
  if (sum === 0n) return { neg: false, m: 0n, e: 0 };
  return sum < 0n ? round(true, -sum, e, false) : round(false, sum, e, false);
}

/**
 * printf("%.17Lf") (exact value, ties to even) with trailing zeros and a trailing '.' removed,
 * and "-0" written as "0": Redis's human-friendly long double format.
 */
export function formatLongDouble(v: LongDouble): string {
  let scaled: bigint;
  if (v.e >= 0) {
    scaled = (v.m << BigInt(v.e)) * TEN_POW_FRACTION;
  } else {
    const n = v.m * TEN_POW_FRACTION;
    const s = BigInt(-v.e);
    scaled = n >> s;
    const rest = n - (scaled << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (scaled & 1n) === 1n)) scaled++;
  }
  const digits = scaled.toString().padStart(FRACTION_DIGITS + 1, '0');
  const intPart = digits.slice(0, digits.length - FRACTION_DIGITS);
  let end = digits.length;
  while (end > intPart.length && digits.charCodeAt(end - 1) === 48) end--;
  const frac = digits.slice(intPart.length, end);
  const text = frac.length > 0 ? `${intPart}.${frac}` : intPart;
  return v.neg && text !== '0' ? `-${text}` : text;
}
