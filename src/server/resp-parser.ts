/**
 * Streaming request parser: RESP multibulk (`*N\r\n$len\r\n…`) and inline commands, as Redis's
 * processMultibulkBuffer/processInlineBuffer read them, over the raw receive Buffers.
 *
 * - Arguments come out as latin1 strings (one char per byte): binary-safe and cheap to use as Map keys.
 * - Frames may be split at any byte. The parser keeps its state across chunks; a bulk argument
 *   larger than the current chunk is copied into one preallocated Buffer of its announced length,
 *   so a big value arriving in many reads costs one copy, not a quadratic re-concatenation.
 * - Limits are checked before buffering: a bulk length above proto-max-bulk-len is refused as
 *   soon as its header is read, and the client-query-buffer-limit caps what one client may buffer.
 */

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline command or length line. */
export const INLINE_MAX_SIZE = 64 * 1024;

export interface ParserLimits {
  /** proto-max-bulk-len: largest single argument (bytes). */
  maxBulkLen: number;
  /** client-query-buffer-limit: most bytes one client may have buffered and unparsed. */
  maxQueryBuffer: number;
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

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Arguments still to read for the current multibulk command; 0 when between commands. */
  private multibulkLen = 0;
  /** Length of the bulk being read, or -1 when its `$len` line has not been read yet. */
  private bulkLen = -1;
  private args: string[] = [];
  /** A large bulk being assembled across reads. */
  private big: Buffer | null = null;
  private bigFilled = 0;
  private failed = false;

  constructor(
    private readonly sink: ParserSink,
    private readonly limits: ParserLimits,
  ) {}

  /** Bytes received and not yet consumed: what counts against client-query-buffer-limit. */
  get pendingBytes(): number {
    return this.buf.length - this.pos + this.bigFilled;
  }

  feed(chunk: Buffer): void {
    if (this.failed) return;
    if (this.big !== null) {
      chunk = this.fillBig(chunk);
      if (this.big !== null || this.failed) return;
    }
    if (this.pos < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    this.parse();
    if (this.failed) return;
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    } else if (this.pendingBytes > this.limits.maxQueryBuffer) {
      this.fail(null);
    }
  }

  private fail(message: string | null): void {
    this.failed = true;
    this.buf = EMPTY;
    this.pos = 0;
    this.big = null;
    this.args = [];
    this.sink.protocolError(message);
  }

  /** Copy bytes into the big-bulk buffer; returns what is left of the chunk after it is complete. */
  private fillBig(chunk: Buffer): Buffer {
    const big = this.big!;
    const need = big.length - this.bigFilled;
    const n = Math.min(need, chunk.length);
    chunk.copy(big, this.bigFilled, 0, n);
    this.bigFilled += n;
    if (this.bigFilled < big.length) {
      if (this.bigFilled > this.limits.maxQueryBuffer) this.fail(null);
      return EMPTY;
    }
    // big holds the payload plus its trailing CRLF (which Redis skips without checking).
    this.args.push(big.latin1Slice(0, big.length - 2));
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
    while (this.pos < buf.length && !this.failed) {
      if (this.multibulkLen === 0) {
        if (buf[this.pos] === 42 /* '*' */) {
          if (!this.readMultibulkHeader()) return;
          if (this.multibulkLen === 0) continue; // "*0" or "*-1": empty request, nothing to run
        } else {
          if (!this.readInline()) return;
          continue;
        }
      }
      if (!this.readBulks()) return;
    }
  }

  /** Finds the CR of the current line, or -1 if the line is not complete. */
  private lineEnd(tooLongMessage: string): number {
    const buf = this.buf;
    const cr = buf.indexOf(CR, this.pos);
    if (cr === -1) {
      if (buf.length - this.pos > INLINE_MAX_SIZE) this.fail(`ERR Protocol error: ${tooLongMessage}`);
      return -1;
    }
    // The LF must be there too.
    if (cr + 1 >= buf.length) return -1;
    return cr;
  }

  private readMultibulkHeader(): boolean {
    const cr = this.lineEnd('too big mbulk count string');
    if (cr === -1) return false;
    const n = parseLongLong(this.buf, this.pos + 1, cr);
    if (n === null || n > 2147483647) {
      this.fail('ERR Protocol error: invalid multibulk length');
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

  private readBulks(): boolean {
    const buf = this.buf;
    while (this.multibulkLen > 0) {
      if (this.bulkLen === -1) {
        const cr = this.lineEnd('too big bulk count string');
        if (cr === -1) return false;
        if (buf[this.pos] !== 36 /* '$' */) {
          this.fail(`ERR Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
          return false;
        }
        const n = parseLongLong(buf, this.pos + 1, cr);
        if (n === null || n < 0 || n > this.limits.maxBulkLen) {
          this.fail('ERR Protocol error: invalid bulk length');
          return false;
        }
        if (n > 16384 && this.sink.authRequired()) {
          this.fail('ERR Protocol error: unauthenticated bulk length');
          return false;
        }
        this.pos = cr + 2;
        this.bulkLen = n;
      }
      const avail = buf.length - this.pos;
      if (avail < this.bulkLen + 2) {
        // Large argument not yet complete: move it into a buffer of its own size.
        if (this.bulkLen >= BIG_ARG) {
          const big = Buffer.allocUnsafe(this.bulkLen + 2);
          buf.copy(big, 0, this.pos);
          this.big = big;
          this.bigFilled = avail;
          this.pos = buf.length;
        }
        return false;
      }
      this.args.push(buf.latin1Slice(this.pos, this.pos + this.bulkLen));
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.multibulkLen--;
    }
    this.emit();
    return true;
  }

  private readInline(): boolean {
    const buf = this.buf;
    let lf = buf.indexOf(LF, this.pos);
    if (lf === -1) {
      if (buf.length - this.pos > INLINE_MAX_SIZE) this.fail('ERR Protocol error: too big inline request');
      return false;
    }
    let end = lf;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.latin1Slice(this.pos, end);
    this.pos = lf + 1;
    const args = splitArgs(line);
    if (args === null) {
      this.fail('ERR Protocol error: unbalanced quotes in request');
      return false;
    }
    if (args.length > 0) this.sink.command(args);
    return true;
  }
}

/** Bulks at least this long are assembled in a dedicated buffer (Redis's PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
const EMPTY = Buffer.alloc(0);

/** Redis's string2ll over a byte range: optional '-', digits, no leading zeros or '+'. */
function parseLongLong(buf: Buffer, start: number, end: number): number | null {
  const len = end - start;
  if (len === 0 || len > 20) return null;
  let i = start;
  let negative = false;
  if (len === 1 && buf[i] === 48) return 0;
  if (buf[i] === 45 /* '-' */) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] < 49 || buf[i] > 57) return null; // first digit 1-9
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  // Lengths beyond 2^53 are refused by the callers' range checks anyway.
  return negative ? -v : v;
}

function isHexDigit(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Redis's sdssplitargs: splits an inline command line into arguments, honouring "double quotes"
 * (with \n \r \t \b \a \\ \" and \xHH escapes) and 'single quotes' (with \'). Returns null on
 * unbalanced quotes or a closing quote not followed by a space.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let p = 0;
  const n = line.length;
  const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    let cur = '';
    while (!done) {
      if (inq) {
        if (p >= n) return null;
        if (line[p] === '\\' && line[p + 1] === 'x' && p + 3 < n + 0 && isHexDigit(line[p + 2] ?? '') && isHexDigit(line[p + 3] ?? '')) {
          cur += String.fromCharCode(parseInt(line.substr(p + 2, 2), 16));
          p += 3;
        } else if (line[p] === '\\' && p + 1 < n) {
          p++;
          const c = line[p];
          cur += c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c === 'b' ? '\b' : c === 'a' ? '\x07' : c;
        } else if (line[p] === '"') {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else {
          cur += line[p];
        }
      } else if (insq) {
        if (p >= n) return null;
        if (line[p] === '\\' && line[p + 1] === "'") {
          p++;
          cur += "'";
        } else if (line[p] === "'") {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else {
          cur += line[p];
        }
      } else {
        if (p >= n) {
          done = true;
          break;
        }
        const c = line[p];
        if (isSpace(c)) done = true;
        else if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      if (p < n) p++;
    }
    out.push(cur);
  }
}
