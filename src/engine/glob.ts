/**
 * Glob-style matching exactly as Redis 7.0's `stringmatchlen` (util.c), used by KEYS, SCAN MATCH,
 * PSUBSCRIBE and friends. Strings are latin1 (one char = one byte).
 *
 * Faithful quirks kept on purpose: an unclosed `[` matches as if closed at the end of the pattern,
 * ranges may be reversed (`[z-a]`), range bounds compare as C `signed char` (bytes >= 0x80 sort
 * before ASCII), `\` escapes the next byte (a trailing `\` matches itself), and an empty string
 * matches no pattern at all (Redis's loop needs both sides non-empty; KEYS `*` is special-cased
 * by the command, not here).
 */
export function stringMatch(pattern: string, str: string, nocase = false): boolean {
  skipLongerMatches = false;
  return matchFrom(pattern, 0, str, 0, nocase);
}

/**
 * Set when the rest of the pattern after a `*` matched nowhere in the rest of the string: then no
 * earlier `*` can help by consuming more, so the whole search can stop (Redis's defence against
 * exponential patterns such as `a*a*a*a*…b`). Module state rather than an object per call, as
 * KEYS and SCAN call this once per key; matching is synchronous, so calls never interleave.
 */
let skipLongerMatches = false;

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const CARET = 94; // ^
const BACKSLASH = 92; // \
const DASH = 45; // -

function matchFrom(pat: string, p: number, str: string, s: number, nocase: boolean): boolean {
  const pEnd = pat.length;
  const sEnd = str.length;
  while (p < pEnd && s < sEnd) {
    const pc = pat.charCodeAt(p);
    if (pc === STAR) {
      while (p + 1 < pEnd && pat.charCodeAt(p + 1) === STAR) p++;
      if (p + 1 === pEnd) return true;
      for (; s < sEnd; s++) {
        if (matchFrom(pat, p + 1, str, s, nocase)) return true;
        if (skipLongerMatches) return false;
      }
      skipLongerMatches = true;
      return false;
    } else if (pc === QUESTION) {
      s++;
    } else if (pc === OPEN) {
      p = matchClass(pat, p + 1, str.charCodeAt(s), nocase);
      if (p < 0) return false;
      s++;
    } else {
      // A backslash escapes the next byte, unless it is the pattern's last byte.
      if (pc === BACKSLASH && pEnd - p >= 2) p++;
      if (!sameByte(pat.charCodeAt(p), str.charCodeAt(s), nocase)) return false;
      s++;
    }
    p++;
    if (s === sEnd) {
      while (p < pEnd && pat.charCodeAt(p) === STAR) p++;
      break;
    }
  }
  return p === pEnd && s === sEnd;
}

/**
 * Matches byte `c` against the class starting at `p` (just after `[`). Returns the index of the
 * class's closing `]` (or of the pattern's last byte if unclosed) on a match, -1 otherwise.
 */
function matchClass(pat: string, p: number, c: number, nocase: boolean): number {
  const pEnd = pat.length;
  const not = p < pEnd && pat.charCodeAt(p) === CARET;
  if (not) p++;
  let match = false;
  for (;;) {
    const left = pEnd - p;
    const pc = left > 0 ? pat.charCodeAt(p) : -1;
    if (pc === BACKSLASH && left >= 2) {
      p++;
      if (pat.charCodeAt(p) === c) match = true;
    } else if (pc === CLOSE) {
      break;
    } else if (left === 0) {
      p--;
      break;
    } else if (left >= 3 && pat.charCodeAt(p + 1) === DASH) {
      let start = signedByte(pc);
      let end = signedByte(pat.charCodeAt(p + 2));
      let ch = signedByte(c);
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lower(start);
        end = lower(end);
        ch = lower(ch);
      }
      p += 2;
      if (ch >= start && ch <= end) match = true;
    } else if (sameByte(pc, c, nocase)) {
      match = true;
    }
    p++;
  }
  return match !== not ? p : -1;
}

function sameByte(a: number, b: number, nocase: boolean): boolean {
  return a === b || (nocase && lower(a) === lower(b));
}

/** C `tolower` in the C locale: only ASCII letters change. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte read through C's `char`, signed on x86-64 where the reference Redis runs. */
function signedByte(b: number): number {
  return b >= 128 ? b - 256 : b;
}
