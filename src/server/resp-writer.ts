import type { ReplySink } from '../commands/reply.js';

/**
 * Values at least this long are handed to the socket as their own chunk; shorter ones are copied
 * into the output buffer, which is reused once written (see spares).
 */
export const DIRECT_WRITE = 512 * 1024;
const INITIAL = 16 * 1024;

/**
 * Output buffers that grew past INITIAL for a big batch, kept for reuse by any connection once
 * their bytes are written (allocating large Buffers per reply costs allocation and GC time).
 * Bounded: at most SPARE_COUNT buffers of at most SPARE_BYTES each.
 */
const spares: Buffer[] = [];
const SPARE_COUNT = 8;
const SPARE_BYTES = 4 * 1024 * 1024;

function outputBuffer(size: number): Buffer {
  for (let i = 0; i < spares.length; i++) {
    if (spares[i].length >= size) return spares.splice(i, 1)[0];
  }
  return Buffer.allocUnsafe(size);
}

function spare(buf: Buffer): void {
  if (buf.length > INITIAL && buf.length <= SPARE_BYTES && spares.length < SPARE_COUNT) spares.push(buf);
}
/** Strings up to this length are copied by a JS loop rather than Buffer#latin1Write. */
const SHORT_STRING = 32;

/** Writes the decimal digits of a non-negative integer below 100,000 at `p`; returns the new offset. */
function writeDigits(b: Buffer, p: number, n: number): number {
  if (n < 10) {
    b[p] = 48 + n;
    return p + 1;
  }
  const len = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  for (let i = p + len - 1; i >= p; i--) {
    b[i] = 48 + (n % 10);
    n = (n / 10) | 0;
  }
  return p + len;
}

/** Where the writer reads the protocol version from: the client session, which HELLO updates. */
export interface ProtocolSource {
  protocol: 2 | 3;
}

/**
 * Encodes replies as RESP2 or RESP3 into one growing output buffer. The connection calls
 * `take()` once per batch of commands read from the socket and writes the result with a single
 * socket write, so a pipeline of 1,000 commands costs one syscall, not 1,000.
 */
export class RespWriter implements ReplySink {
  private session: ProtocolSource = { protocol: 2 };
  /** This writer's own small buffer, used again whenever everything handed out has been written. */
  private readonly home = Buffer.allocUnsafe(INITIAL);
  private buf: Buffer = this.home;
  /**
   * The current batch is buf[start, len). Bytes before `start` were handed to the socket without
   * a copy and are never written again; a fresh buffer replaces this one when it runs out.
   */
  private start = 0;
  private len = 0;
  /** Chunks completed so far in this batch (only when large values were written directly). */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;

  /**
   * Makes the writer encode for `session.protocol` from now on, so a HELLO that switches the
   * client's protocol affects its own reply and every later one.
   */
  follow(session: ProtocolSource): void {
    this.session = session;
  }

  get protocol(): 2 | 3 {
    return this.session.protocol;
  }

  set protocol(p: 2 | 3) {
    this.session.protocol = p;
  }

  /** Bytes pending in this batch. */
  get size(): number {
    return this.len - this.start + this.chunkBytes;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const used = this.len - this.start;
    let cap = INITIAL;
    while (cap < used + n) cap *= 2;
    const next = outputBuffer(cap);
    this.buf.copy(next, 0, this.start, this.len);
    this.buf = next;
    this.start = 0;
    this.len = used;
  }

  /** Writes a short ASCII/latin1 string. */
  private raw(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.latin1Write(s, this.len);
  }

  private line(prefix: string, body: string): void {
    const n = body.length + 3;
    this.ensure(n);
    const b = this.buf;
    let p = this.len;
    b[p++] = prefix.charCodeAt(0);
    if (body.length <= SHORT_STRING) {
      for (let i = 0; i < body.length; i++) b[p + i] = body.charCodeAt(i);
      p += body.length;
    } else p += b.latin1Write(body, p);
    b[p++] = 13;
    b[p++] = 10;
    this.len = p;
  }

  status(s: string): void {
    this.line('+', s);
  }

  error(message: string): void {
    this.line('-', message);
  }

  integer(n: number | bigint): void {
    if (typeof n === 'number' && Number.isInteger(n)) this.count(58 /* ':' */, n);
    else this.line(':', String(n));
  }

  bulk(s: string | Buffer | null): void {
    if (s === null) {
      if (this.session.protocol === 3) this.raw('_\r\n');
      else this.raw('$-1\r\n');
      return;
    }
    const n = s.length;
    if (n >= DIRECT_WRITE) {
      this.line('$', String(n));
      // Copied either way: a Buffer may be a live view of a value a later command in this batch mutates.
      this.chunk(typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));
      this.raw('\r\n');
      return;
    }
    // writeDigits handles up to 5 digits; a longer length takes the general line path.
    const longLength = n >= 100000;
    if (longLength) this.line('$', String(n));
    this.ensure(n + 10); // '$', at most 5 digits, CRLF, payload, CRLF
    const b = this.buf;
    let p = this.len;
    if (!longLength) {
      b[p++] = 36; // '$'
      p = writeDigits(b, p, n);
      b[p++] = 13;
      b[p++] = 10;
    }
    if (typeof s !== 'string') p += s.copy(b, p);
    else if (n <= SHORT_STRING) {
      // Element-by-element copy beats a call into C++ for short strings (LRANGE, SMEMBERS, …).
      for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
      p += n;
    } else p += b.latin1Write(s, p);
    b[p++] = 13;
    b[p++] = 10;
    this.len = p;
  }

  /** Flushes the current buffer into the chunk list and appends `data` as its own chunk. */
  private chunk(data: Buffer): void {
    if (this.len > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.len));
      this.chunkBytes += this.len - this.start;
      this.start = this.len;
    }
    this.chunks.push(data);
    this.chunkBytes += data.length;
  }

  nullArray(): void {
    if (this.session.protocol === 3) this.raw('_\r\n');
    else this.raw('*-1\r\n');
  }

  array(n: number): void {
    this.count(42 /* '*' */, n);
  }

  /** A type byte followed by a small non-negative count (array/map/set headers, integers). */
  private count(type: number, n: number): void {
    if (n >= 100000 || n < 0) {
      this.line(String.fromCharCode(type), String(n));
      return;
    }
    this.ensure(8);
    const b = this.buf;
    b[this.len] = type;
    const p = writeDigits(b, this.len + 1, n);
    b[p] = 13;
    b[p + 1] = 10;
    this.len = p + 2;
  }

  map(n: number): void {
    if (this.session.protocol === 3) this.line('%', String(n));
    else this.line('*', String(n * 2));
  }

  set(n: number): void {
    this.line(this.session.protocol === 3 ? '~' : '*', String(n));
  }

  push(n: number): void {
    this.line(this.session.protocol === 3 ? '>' : '*', String(n));
  }

  double(formatted: string): void {
    if (this.session.protocol === 3) this.line(',', formatted);
    else this.bulk(formatted);
  }

  boolean(b: boolean): void {
    if (this.session.protocol === 3) this.raw(b ? '#t\r\n' : '#f\r\n');
    else this.raw(b ? ':1\r\n' : ':0\r\n');
  }

  verbatim(s: string, format = 'txt'): void {
    if (this.session.protocol !== 3) {
      this.bulk(s);
      return;
    }
    this.line('=', String(s.length + 4));
    this.raw(format);
    this.raw(':');
    if (s.length >= DIRECT_WRITE) this.chunk(Buffer.from(s, 'latin1'));
    else this.raw(s);
    this.raw('\r\n');
  }

  bigNumber(s: string): void {
    if (this.session.protocol === 3) this.line('(', s);
    else this.bulk(s);
  }

  /**
   * The socket has written everything take() handed out (nothing is queued in it): every byte
   * of the buffers is free again, so the next batch starts at the beginning of the home buffer,
   * and a grown buffer goes back to the spares.
   */
  recycle(): void {
    if (this.buf !== this.home) spare(this.buf);
    this.buf = this.home;
    this.start = this.len = 0;
  }

  /**
   * Returns everything written since the last call (as one Buffer or a list of chunks) and
   * resets the writer, or null if nothing was written.
   */
  take(): Buffer | Buffer[] | null {
    let out: Buffer | Buffer[];
    if (this.chunks.length === 0) {
      if (this.len === this.start) return null;
      out = this.buf.subarray(this.start, this.len);
    } else {
      if (this.len > this.start) this.chunks.push(this.buf.subarray(this.start, this.len));
      out = this.chunks;
      this.chunks = [];
      this.chunkBytes = 0;
    }
    this.start = this.len;
    // Start a fresh buffer when this one is nearly full, or too big to keep after a huge batch.
    if (this.buf.length - this.len < 1024 || this.buf.length > 1024 * 1024) {
      this.buf = Buffer.allocUnsafe(INITIAL);
      this.start = this.len = 0;
    }
    return out;
  }
}
