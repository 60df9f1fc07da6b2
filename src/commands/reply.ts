/**
 * The one interface every command writes its reply through. The server encodes it as RESP2 or
 * RESP3 straight into the connection's output buffer (src/server/resp-writer.ts); the embedded API
 * builds plain JS values (ValueReply below). Handlers never build intermediate reply objects.
 *
 * Aggregates are written as a header with their element count followed by the elements.
 */
export interface ReplySink {
  /** Protocol version of the client (2 or 3); the embedded API reports 3. */
  readonly protocol: 2 | 3;
  /** Simple string, e.g. "OK" → +OK */
  status(s: string): void;
  /** Error reply; `message` starts with its code ("ERR …", "WRONGTYPE …"). */
  error(message: string): void;
  integer(n: number | bigint): void;
  /** Bulk string (latin1 string or bytes); null → null bulk ($-1 in RESP2, _ in RESP3). */
  bulk(s: string | Buffer | null): void;
  /** Null array: *-1 in RESP2, _ in RESP3. */
  nullArray(): void;
  array(n: number): void;
  /** Map of n pairs: %n in RESP3, flat array of 2n in RESP2. */
  map(n: number): void;
  /** ~n in RESP3, array in RESP2. */
  set(n: number): void;
  /** Out-of-band push (>n in RESP3, array in RESP2). */
  push(n: number): void;
  /** Double: ,d in RESP3, bulk string in RESP2. `formatted` is the text Redis prints. */
  double(formatted: string): void;
  /** Boolean: #t/#f in RESP3, integer 1/0 in RESP2. */
  boolean(b: boolean): void;
  /** Verbatim string (=len\r\ntxt:…) in RESP3, bulk string in RESP2. */
  verbatim(s: string, format?: string): void;
  /** Big number: (n in RESP3, bulk string in RESP2. */
  bigNumber(s: string): void;
}

export const OK = 'OK';

/** An error reply raised from deep inside a handler; dispatch turns it into an error reply. */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/** A reply as the embedded API returns it. */
export type ReplyValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | ReplyValue[]
  | Map<ReplyValue, ReplyValue>
  | Set<ReplyValue>
  | ErrorReply
  | StatusReply;

/** An error reply as a value (the embedded API throws it; tests compare it). */
export class ErrorReply extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErrorReply';
  }
}

/** A simple-string reply kept distinct from bulk strings. */
export class StatusReply {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

interface Frame {
  items: ReplyValue[];
  remaining: number;
  kind: 'array' | 'map' | 'set';
}

/**
 * Builds JS values from a reply: bulk → string (latin1), status → StatusReply, integer → number
 * (bigint beyond 2^53), double → number, map → Map, set → Set, null → null, error → ErrorReply.
 * Collects any number of top-level replies in `values`.
 */
export class ValueReply implements ReplySink {
  readonly protocol = 3 as const;
  readonly values: ReplyValue[] = [];
  private stack: Frame[] = [];

  private add(v: ReplyValue): void {
    let frame = this.stack[this.stack.length - 1];
    if (frame === undefined) {
      this.values.push(v);
      return;
    }
    frame.items.push(v);
    while (frame !== undefined && --frame.remaining === 0) {
      this.stack.pop();
      const done = frame;
      let value: ReplyValue;
      if (done.kind === 'map') {
        const m = new Map<ReplyValue, ReplyValue>();
        for (let i = 0; i < done.items.length; i += 2) m.set(done.items[i], done.items[i + 1]);
        value = m;
      } else if (done.kind === 'set') {
        value = new Set(done.items);
      } else {
        value = done.items;
      }
      frame = this.stack[this.stack.length - 1];
      if (frame === undefined) {
        this.values.push(value);
        return;
      }
      frame.items.push(value);
    }
  }

  private open(kind: Frame['kind'], n: number): void {
    if (n === 0) {
      this.add(kind === 'map' ? new Map() : kind === 'set' ? new Set() : []);
      return;
    }
    this.stack.push({ items: [], remaining: kind === 'map' ? n * 2 : n, kind });
  }

  status(s: string): void {
    this.add(new StatusReply(s));
  }
  error(message: string): void {
    this.add(new ErrorReply(message));
  }
  integer(n: number | bigint): void {
    this.add(typeof n === 'bigint' && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
  }
  bulk(s: string | Buffer | null): void {
    this.add(s === null ? null : typeof s === 'string' ? s : s.toString('latin1'));
  }
  nullArray(): void {
    this.add(null);
  }
  array(n: number): void {
    this.open('array', n);
  }
  map(n: number): void {
    this.open('map', n);
  }
  set(n: number): void {
    this.open('set', n);
  }
  push(n: number): void {
    this.open('array', n);
  }
  double(formatted: string): void {
    this.add(formatted === 'inf' ? Infinity : formatted === '-inf' ? -Infinity : Number(formatted));
  }
  boolean(b: boolean): void {
    this.add(b);
  }
  verbatim(s: string): void {
    this.add(s);
  }
  bigNumber(s: string): void {
    this.add(BigInt(s));
  }
}
