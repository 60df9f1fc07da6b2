import net from 'node:net';

/** A RESP2/RESP3 reply as a tagged tree, so tests can compare structure as well as bytes. */
export type Reply =
  | { t: 'status'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string }
  | { t: 'bulk'; v: string | null }
  | { t: 'array'; v: Reply[] | null }
  | { t: 'map'; v: Reply[] }
  | { t: 'set'; v: Reply[] }
  | { t: 'push'; v: Reply[] }
  | { t: 'null' }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'verbatim'; v: string }
  | { t: 'bignum'; v: string };

/** Parses one reply from buf at pos; returns [reply, nextPos] or null if incomplete. */
export function parseReply(buf: Buffer, pos: number): [Reply, number] | null {
  if (pos >= buf.length) return null;
  const cr = buf.indexOf('\r\n', pos);
  if (cr === -1) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.latin1Slice(pos + 1, cr);
  const next = cr + 2;
  const aggregate = (t: 'array' | 'map' | 'set' | 'push', count: number): [Reply, number] | null => {
    const items: Reply[] = [];
    let p = next;
    for (let i = 0; i < count; i++) {
      const r = parseReply(buf, p);
      if (r === null) return null;
      items.push(r[0]);
      p = r[1];
    }
    return [{ t, v: items } as Reply, p];
  };
  switch (type) {
    case '+':
      return [{ t: 'status', v: line }, next];
    case '-':
      return [{ t: 'error', v: line }, next];
    case ':':
      return [{ t: 'int', v: line }, next];
    case '_':
      return [{ t: 'null' }, next];
    case ',':
      return [{ t: 'double', v: line }, next];
    case '#':
      return [{ t: 'bool', v: line === 't' }, next];
    case '(':
      return [{ t: 'bignum', v: line }, next];
    case '$':
    case '=': {
      const n = Number(line);
      if (n < 0) return [{ t: 'bulk', v: null }, next];
      if (buf.length < next + n + 2) return null;
      const s = buf.latin1Slice(next, next + n);
      return [type === '$' ? { t: 'bulk', v: s } : { t: 'verbatim', v: s }, next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [{ t: 'array', v: null }, next];
      return aggregate('array', n);
    }
    case '%':
      return aggregate('map', Number(line) * 2);
    case '~':
      return aggregate('set', Number(line));
    case '>':
      return aggregate('push', Number(line));
    default:
      throw new Error(`bad reply type ${JSON.stringify(type)} in ${JSON.stringify(buf.latin1Slice(pos, pos + 40))}`);
  }
}

export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), typeof a === 'string' ? 'latin1' : 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export interface RawReply {
  /** The exact bytes of the reply. */
  raw: Buffer;
  reply: Reply;
}

/**
 * A minimal client that sends commands and returns each reply's exact bytes: the tool for
 * byte-for-byte differential tests.
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (r: RawReply) => void; reject: (e: Error) => void }[] = [];
  private queued: RawReply[] = [];
  private closedError: Error | null = null;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedError = new Error('connection closed');
      for (const w of this.waiters.splice(0)) w.reject(this.closedError);
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private drain(): void {
    let pos = 0;
    for (;;) {
      const r = parseReply(this.buf, pos);
      if (r === null) break;
      const item = { raw: Buffer.from(this.buf.subarray(pos, r[1])), reply: r[0] };
      pos = r[1];
      const w = this.waiters.shift();
      if (w) w.resolve(item);
      else this.queued.push(item);
    }
    this.buf = this.buf.subarray(pos);
  }

  /** Next reply (or push message) from the server. */
  read(timeoutMs = 5000): Promise<RawReply> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(q);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.resolve === done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('timeout waiting for reply'));
      }, timeoutMs);
      const done = (r: RawReply) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({
        resolve: done,
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  writeRaw(data: Buffer | string): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  send(...args: (string | Buffer | number)[]): Promise<RawReply> {
    this.socket.write(encodeCommand(args));
    return this.read();
  }

  /** Resolves when the server closes the connection. */
  waitClose(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
