/**
 * Streaming request parser: RESP multibulk (`*N\r\n$len\r\n…`) and inline commands, exactly as
 * Redis 7.0's processMultibulkBuffer/processInlineBuffer read them, over the raw receive Buffers.
 *
 * - Arguments come out as latin1 strings (one char per byte): binary-safe and cheap to use as Map keys.
 * - Frames may be split at any byte. The parser keeps its state across chunks; a bulk argument
 *   larger than the current chunk is assembled in a Buffer of its own that grows with the data
 *   received (never beyond the announced length), so a big value costs about one copy and a
 *   client cannot make us reserve memory it has not sent.
 * - Limits are checked before buffering: a bulk length above proto-max-bulk-len is refused as
 *   soon as its header is read, and a client whose unparsed input exceeds client-query-buffer-limit
 *   is dropped without a reply, as Redis does.
 * - Redis finds line ends with strchr() on a NUL-terminated buffer, so a NUL byte before the end
 *   of a line hides that line end: the line counts as incomplete. We reproduce that.
 */

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline command or length line. */
export const INLINE_MAX_SIZE = 64 * 1024;

/** The limits, read live on every check (pass Config.typed so CONFIG SET applies at once). */
export interface ParserLimits {
  /** proto-max-bulk-len: largest single argument (bytes). */
  readonly protoMaxBulkLen: number;
  /** client-query-buffer-limit: most bytes one client may have buffered and unparsed. */
  readonly clientQueryBufferLimit: number;
}

export interface ParserSink {
  /** A complete command. `args` is never empty. */
  command(args: string[]): void;
  /**
   * A protocol error: `message` is the reply text without the leading '-' (e.g. "ERR Protocol error: …"),
   * or null when the connection must be closed without a reply (query buffer limit).
   * After an error the parser ignores all further input.
   */
  protocolError(message: string | null): void;
  /** Whether the client still has to authenticate (Redis restricts lengths for those). */
  authRequired(): boolean;
}

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

/**
 * Redis reads a new request 16 KB at a time and gives up once it holds more than 64 KB without a
 * line end, so a request line whose end comes this late is refused even if it arrives in one piece.
 */
const REDIS_GIVES_UP = INLINE_MAX_SIZE + 16 * 1024;
/** Bulks at least this long are assembled in a dedicated buffer (Redis's PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
/** First allocation for a big argument; it then doubles as data arrives. */
const BIG_INITIAL = 64 * 1024;

/**
 * Big-argument buffers whose argument was emitted (copied into a string), kept for the next big
 * argument of any connection: a stream of 100 KB values would otherwise allocate (and collect)
 * a fresh buffer for each. Taking a spare reserves no new memory, so it may hold a whole
 * announced argument at once. Bounded: BIG_SPARES buffers of at most BIG_SPARE_BYTES.
 */
const bigSpares: Buffer[] = [];
const BIG_SPARES = 4;
const BIG_SPARE_BYTES = 4 * 1024 * 1024;

function bigSpare(size: number): Buffer | null {
  for (let i = 0; i < bigSpares.length; i++) {
    if (bigSpares[i].length >= size) return bigSpares.splice(i, 1)[0];
  }
  return null;
}
const EMPTY = Buffer.alloc(0);

/**
 * Short arguments (command names, most keys, small values) repeat from request to request. Making
 * each one with latin1Slice is a JS → C++ call and a fresh string; a small direct-mapped cache of
 * recent ones, checked byte for byte, hands back the same string instead (which also keeps its
 * hash for Map lookups). Shared by all connections: strings are immutable.
 */
const SMALL_ARG = 16;
const SMALL_SLOTS = 4096;
const smallCache: string[] = new Array<string>(SMALL_SLOTS).fill('');

function smallArg(buf: Buffer, pos: number, len: number): string {
  let h = len;
  for (let i = pos; i < pos + len; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  const slot = (h ^ (h >>> 15)) & (SMALL_SLOTS - 1);
  const cached = smallCache[slot];
  if (cached.length === len) {
    let i = 0;
    while (i < len && cached.charCodeAt(i) === buf[pos + i]) i++;
    if (i === len) return cached;
  }
  const s = buf.latin1Slice(pos, pos + len);
  smallCache[slot] = s;
  return s;
}

export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Storage for input that spans reads; `buf` is its prefix while a frame is incomplete. */
  private spare: Buffer = EMPTY;
  /** Arguments still to read for the current multibulk command; 0 when between commands. */
  private multibulkLen = 0;
  /** Length of the bulk being read, or -1 when its `$len` line has not been read yet. */
  private bulkLen = -1;
  private args: string[] = [];
  /** A large bulk (payload + CRLF) being assembled across reads, and how much of it has arrived. */
  private big: Buffer | null = null;
  private bigFilled = 0;
  /** Set after a protocol error or stop(): all further input is ignored. */
  private done = false;

  constructor(
    private readonly sink: ParserSink,
    private readonly limits: ParserLimits,
  ) {}

  /** Bytes received and not yet consumed: what counts against client-query-buffer-limit. */
  get pendingBytes(): number {
    return this.buf.length - this.pos + this.bigFilled;
  }

  /** Stops parsing for good (the client is closing, e.g. after QUIT) and drops buffered input. */
  stop(): void {
    this.done = true;
    this.buf = EMPTY;
    this.spare = EMPTY;
    this.pos = 0;
    this.big = null;
    this.bigFilled = 0;
    this.args = [];
  }

  /** Parses `chunk`, which is only borrowed: nothing refers to it once feed() returns. */
  feed(chunk: Buffer): void {
    if (this.done) return;
    if (this.big !== null) {
      chunk = this.fillBig(chunk);
      if (this.big !== null || this.done) return;
    }
    this.buf = this.pos < this.buf.length ? this.append(chunk) : chunk;
    this.pos = 0;
    this.parse();
    if (this.done) return;
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
      this.spare = EMPTY;
    } else if (this.pendingBytes > this.limits.clientQueryBufferLimit) {
      this.fail(null);
    } else if (this.buf.buffer !== this.spare.buffer) {
      // The chunk is the caller's (connections share one read buffer): keep the incomplete frame.
      this.buf = this.append(EMPTY);
      this.pos = 0;
    }
  }

  /**
   * The unparsed rest followed by `chunk`, in a buffer that grows geometrically: a frame trickling
   * in over many reads costs amortized O(1) per byte instead of a full copy per read.
   */
  private append(chunk: Buffer): Buffer {
    const buf = this.buf;
    const rest = buf.length - this.pos;
    const need = rest + chunk.length;
    let spare = this.spare;
    if (spare.length < need) {
      spare = Buffer.allocUnsafe(Math.max(need, spare.length * 2, 4096));
      buf.copy(spare, 0, this.pos);
      this.spare = spare;
    } else if (this.pos > 0 || buf.byteOffset !== spare.byteOffset || buf.buffer !== spare.buffer) {
      // Move the rest to the front (copy() handles the overlap when it already lives in `spare`).
      buf.copy(spare, 0, this.pos);
    }
    chunk.copy(spare, rest);
    return spare.subarray(0, need);
  }

  private fail(message: string | null): void {
    this.stop();
    this.sink.protocolError(message);
  }

  /** Copies bytes into the big-argument buffer; returns what is left of the chunk once it is complete. */
  private fillBig(chunk: Buffer): Buffer {
    let big = this.big!;
    const total = this.bulkLen + 2;
    const n = Math.min(total - this.bigFilled, chunk.length);
    // Redis reads a big argument exactly up to its end and drops the client once it holds more than the limit.
    if (this.bigFilled + n > this.limits.clientQueryBufferLimit) {
      this.fail(null);
      return EMPTY;
    }
    if (this.bigFilled + n > big.length) {
      const next = Buffer.allocUnsafe(Math.min(total, Math.max(big.length * 2, this.bigFilled + n)));
      big.copy(next, 0, 0, this.bigFilled);
      this.big = big = next;
    }
    chunk.copy(big, this.bigFilled, 0, n);
    this.bigFilled += n;
    if (this.bigFilled < total) return EMPTY;
    // The payload is followed by two bytes Redis skips without looking at them.
    this.args.push(big.latin1Slice(0, this.bulkLen));
    if (big.length <= BIG_SPARE_BYTES && bigSpares.length < BIG_SPARES) bigSpares.push(big);
    this.big = null;
    this.bigFilled = 0;
    this.bulkLen = -1;
    if (--this.multibulkLen === 0) this.emit();
    return chunk.subarray(n);
  }

  private emit(): void {
    const args = this.args;
    this.args = [];
    this.sink.command(args);
  }

  private parse(): void {
    const buf = this.buf;
    while (this.pos < buf.length && !this.done) {
      if (this.multibulkLen === 0) {
        if (buf[this.pos] === STAR) {
          if (!this.readMultibulkHeader()) return;
          if (this.multibulkLen === 0) continue; // "*0" or "*-1": an empty request, nothing to run
        } else {
          if (!this.readInline()) return;
          continue;
        }
      }
      if (!this.readBulks()) return;
    }
  }

  /**
   * Index of the CR ending the line at `pos`, or -1 while the line is incomplete (no CR yet, or
   * the CR is the last byte received). Fails with `tooLong` when more than INLINE_MAX_SIZE bytes
   * are waiting without a line end.
   */
  private lineEnd(tooLong: string): number {
    const buf = this.buf;
    const cr = buf.indexOf(CR, this.pos);
    if (cr === -1) return this.incompleteLine(tooLong);
    return cr + 1 < buf.length ? cr : -1;
  }

  /** What Redis does when it sees no line end: wait, unless too much is buffered already. */
  private incompleteLine(tooLong: string): -1 {
    if (this.buf.length - this.pos > INLINE_MAX_SIZE) this.fail(`ERR Protocol error: ${tooLong}`);
    return -1;
  }

  /** Whether a NUL byte hides the line end at `end` from Redis's strchr(). */
  private nulBefore(end: number): boolean {
    const buf = this.buf;
    for (let i = this.pos; i < end; i++) if (buf[i] === 0) return true;
    return false;
  }

  private readMultibulkHeader(): boolean {
    const cr = this.lineEnd('too big mbulk count string');
    if (cr === -1) return false;
    const n = parseLength(this.buf, this.pos + 1, cr);
    if (n === null || n > 2147483647) {
      if (this.nulBefore(cr)) {
        this.incompleteLine('too big mbulk count string');
        return false;
      }
      this.fail(cr - this.pos >= REDIS_GIVES_UP ? 'ERR Protocol error: too big mbulk count string' : 'ERR Protocol error: invalid multibulk length');
      return false;
    }
    if (n > 10 && this.sink.authRequired()) {
      this.fail('ERR Protocol error: unauthenticated multibulk length');
      return false;
    }
    this.pos = cr + 2;
    this.multibulkLen = n > 0 ? n : 0;
    return true;
  }

  /** Reads a `$len` line into bulkLen; false if incomplete or invalid. */
  private readBulkHeader(): boolean {
    const buf = this.buf;
    const pos = this.pos;
    const len = buf.length;
    // Fast path for the common case: `$` then 1-15 digits without a leading zero, then CR + one byte.
    if (buf[pos] === DOLLAR) {
      let i = pos + 1;
      let v = 0;
      let c = buf[i];
      if (c >= 49 && c <= 57) {
        const stop = Math.min(len, pos + 16);
        do {
          v = v * 10 + (c - 48);
          c = buf[++i];
        } while (i < stop && c >= 48 && c <= 57);
      } else if (c === 48) {
        c = buf[++i];
      } else {
        i = -1;
      }
      if (i !== -1 && c === CR && i + 1 < len) return this.acceptBulkLength(v, i);
    }
    return this.readBulkHeaderSlow();
  }

  private readBulkHeaderSlow(): boolean {
    const cr = this.lineEnd('too big bulk count string');
    if (cr === -1) return false;
    const buf = this.buf;
    if (this.nulBefore(cr)) {
      this.incompleteLine('too big bulk count string');
      return false;
    }
    const first = buf[this.pos];
    if (first !== DOLLAR) {
      // Redis replaces CR/LF by spaces so the error stays on one line.
      const got = first === CR || first === LF ? ' ' : String.fromCharCode(first);
      this.fail(`ERR Protocol error: expected '$', got '${got}'`);
      return false;
    }
    const n = parseLength(buf, this.pos + 1, cr);
    if (n === null) {
      this.fail('ERR Protocol error: invalid bulk length');
      return false;
    }
    return this.acceptBulkLength(n, cr);
  }

  private acceptBulkLength(n: number, cr: number): boolean {
    if (n < 0 || n > this.limits.protoMaxBulkLen) {
      this.fail('ERR Protocol error: invalid bulk length');
      return false;
    }
    if (n > 16384 && this.sink.authRequired()) {
      this.fail('ERR Protocol error: unauthenticated bulk length');
      return false;
    }
    this.pos = cr + 2;
    this.bulkLen = n;
    return true;
  }

  private readBulks(): boolean {
    const buf = this.buf;
    while (this.multibulkLen > 0) {
      if (this.bulkLen === -1 && !this.readBulkHeader()) return false;
      const bulkLen = this.bulkLen;
      const pos = this.pos;
      if (bulkLen >= BIG_ARG) {
        if (buf.length - pos < bulkLen + 2) {
          this.startBig();
          return false;
        }
        // Redis holds a big argument alone in its query buffer, so it counts against the limit.
        if (bulkLen + 2 > this.limits.clientQueryBufferLimit) {
          this.fail(null);
          return false;
        }
      } else if (buf.length - pos < bulkLen + 2) {
        return false;
      }
      this.args.push(bulkLen <= SMALL_ARG ? smallArg(buf, pos, bulkLen) : buf.latin1Slice(pos, pos + bulkLen));
      this.pos = pos + bulkLen + 2;
      this.bulkLen = -1;
      this.multibulkLen--;
    }
    this.emit();
    return true;
  }

  /** Moves the start of an incomplete large argument into a buffer of its own. */
  private startBig(): void {
    const rest = this.buf.subarray(this.pos);
    this.big = bigSpare(this.bulkLen + 2) ?? Buffer.allocUnsafe(Math.min(this.bulkLen + 2, Math.max(BIG_INITIAL, rest.length)));
    this.bigFilled = 0;
    this.buf = EMPTY;
    this.pos = 0;
    this.fillBig(rest);
  }

  private readInline(): boolean {
    const buf = this.buf;
    const pos = this.pos;
    const lf = buf.indexOf(LF, pos);
    if (lf === -1 || this.nulBefore(lf)) {
      this.incompleteLine('too big inline request');
      return false;
    }
    if (lf - pos >= REDIS_GIVES_UP) {
      this.fail('ERR Protocol error: too big inline request');
      return false;
    }
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitArgs(buf.latin1Slice(pos, end));
    if (args === null) {
      this.fail('ERR Protocol error: unbalanced quotes in request');
      return false;
    }
    this.pos = lf + 1;
    if (args.length > 0) this.sink.command(args);
    return true;
  }
}

/**
 * Redis's string2ll over a byte range: optional '-', then digits with no leading zero (or just
 * "0"); no '+', no spaces, at most 20 characters, within a signed 64-bit integer.
 * Values beyond 2^53 come back rounded, which is fine for callers that only compare them with
 * limits far below that.
 */
function parseLength(buf: Buffer, start: number, end: number): number | null {
  const len = end - start;
  if (len === 0 || len > 20) return null;
  if (len === 1 && buf[start] === 48) return 0;
  let i = start;
  const negative = buf[i] === 45; /* '-' */
  if (negative && ++i === end) return null;
  if (buf[i] < 49 || buf[i] > 57) return null;
  let v = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j];
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  // Long enough to overflow 64 bits: check exactly.
  if (end - i >= 19 && BigInt(buf.latin1Slice(i, end)) > (negative ? 2n ** 63n : 2n ** 63n - 1n)) return null;
  return negative ? -v : v;
}

/** C's isspace() in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * Redis's sdssplitargs: splits an inline command line into arguments, honouring "double quotes"
 * (with \n \r \t \b \a and \xHH escapes, any other escaped char standing for itself) and
 * 'single quotes' (where only \' is an escape). Returns null on unbalanced quotes or a closing
 * quote followed by something other than a space. Blanks between arguments are isspace();
 * an unquoted argument ends only at ' ', '\n', '\r' or '\t' (so "\v" and "\f" stay inside it).
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  const n = line.length;
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line.charCodeAt(p))) p++;
    if (p >= n) return out;
    let cur = '';
    let quote = 0; // 0, '"' or '\''
    for (;;) {
      const c = line.charCodeAt(p); // NaN past the end
      if (quote === 34 /* " */) {
        if (p >= n) return null;
        if (c === 92 /* \ */ && line.charCodeAt(p + 1) === 120 /* x */) {
          const hi = hexValue(line.charCodeAt(p + 2));
          const lo = hexValue(line.charCodeAt(p + 3));
          if (hi >= 0 && lo >= 0) {
            cur += String.fromCharCode(hi * 16 + lo);
            p += 4;
            continue;
          }
        }
        if (c === 92 && p + 1 < n) {
          const e = line[p + 1];
          cur += ESCAPES[e] ?? e;
          p += 2;
          continue;
        }
        if (c === 34) {
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          p++;
          break;
        }
        cur += line[p++];
      } else if (quote === 39 /* ' */) {
        if (p >= n) return null;
        if (c === 92 && line.charCodeAt(p + 1) === 39) {
          cur += "'";
          p += 2;
          continue;
        }
        if (c === 39) {
          if (p + 1 < n && !isSpace(line.charCodeAt(p + 1))) return null;
          p++;
          break;
        }
        cur += line[p++];
      } else {
        if (p >= n) break;
        p++;
        if (c === 32 || c === 10 || c === 13 || c === 9) break;
        if (c === 34 || c === 39) quote = c;
        else cur += line[p - 1];
      }
    }
    out.push(cur);
  }
}
