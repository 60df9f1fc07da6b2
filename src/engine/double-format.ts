/**
 * Doubles as Redis 7.0 prints them: C's printf("%.17g") (addReplyDouble, d2string, ld2string),
 * with "inf"/"-inf" for infinities. JS has no %g, so it is rebuilt here from toExponential(16),
 * which gives the same 17 significant digits except on exact ties, where JS rounds away from zero
 * and glibc rounds half to even; those ties are detected exactly and corrected.
 */
export function formatDouble(d: number): string {
  if (Number.isSafeInteger(d)) {
    // Fast path: a safe integer (< 2^53 < 10^17) prints as itself under %.17g.
    return d === 0 && 1 / d < 0 ? '-0' : String(d);
  }
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d !== d) return 'nan';
  return formatG17(d);
}

function formatG17(d: number): string {
  const exp = d.toExponential(16); // "-d.dddddddddddddddde+X": 17 significant digits
  const e = exp.indexOf('e');
  const negative = d < 0;
  let digits = exp.slice(negative ? 1 : 0, e).replace('.', '');
  const x = Number(exp.slice(e + 1));
  if (isExactTie(d) && (digits.charCodeAt(16) & 1) === 1) {
    // Round half to even: JS rounded the tie up to an odd digit, glibc keeps the even one below.
    digits = digits.slice(0, 16) + String.fromCharCode(digits.charCodeAt(16) - 1);
  }
  return (negative ? '-' : '') + layoutG(digits, x);
}

/** Lays out 17 significant digits with decimal exponent x following %g's rules (P = 17). */
function layoutG(digits: string, x: number): string {
  let out: string;
  if (x < -4 || x >= 17) {
    const mantissa = stripZeros(digits[0] + '.' + digits.slice(1));
    const ax = Math.abs(x);
    out = mantissa + (x < 0 ? 'e-' : 'e+') + (ax < 10 ? '0' + ax : String(ax));
  } else if (x >= 0) {
    out = stripZeros(digits.slice(0, x + 1) + '.' + digits.slice(x + 1));
  } else {
    out = stripZeros('0.' + '0'.repeat(-x - 1) + digits);
  }
  return out;
}

/** %g without '#': trailing zeros of the fraction go, and the point if nothing follows it. */
function stripZeros(s: string): string {
  if (s.indexOf('.') === -1) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * Whether |d| lies exactly halfway between two 17-digit decimals, i.e. its exact decimal
 * expansion has 18 significant digits ending in 5. Cheap filter first: the 18-digit rendering
 * must end in 5; then an exact BigInt comparison.
 */
function isExactTie(d: number): boolean {
  const exp18 = Math.abs(d).toExponential(17);
  const e = exp18.indexOf('e');
  if (exp18.charCodeAt(e - 1) !== 53) return false;
  const digits18 = BigInt(exp18.slice(0, e).replace('.', ''));
  const x = Number(exp18.slice(e + 1)) - 17; // value = digits18 * 10^x
  const [mant, pow2] = decompose(Math.abs(d)); // value = mant * 2^pow2
  // Compare digits18 * 10^x with mant * 2^pow2, moving negative powers across.
  let left = digits18;
  let right = mant;
  if (x >= 0) left *= 10n ** BigInt(x);
  else right *= 10n ** BigInt(-x);
  if (pow2 >= 0) right *= 2n ** BigInt(pow2);
  else left *= 2n ** BigInt(-pow2);
  return left === right;
}

/** A finite positive double as an integer mantissa times a power of two. */
function decompose(d: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return [frac, -1074];
  return [frac | (1n << 52n), biased - 1075];
}
