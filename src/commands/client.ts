import type { Database } from '../engine/database.js';
import type { ReplySink } from './reply.js';
import type { ServerContext } from './server-context.js';

/**
 * What the command layer knows of one client: its session state (selected database, protocol,
 * authentication, name) and where its replies go. The TCP connection (src/server/connection.ts)
 * and the embedded API each own one.
 */
export class Client {
  readonly id: number;
  db: Database;
  /** RESP version negotiated with HELLO. */
  protocol: 2 | 3 = 2;
  authenticated: boolean;
  name = '';
  libName = '';
  libVersion = '';
  /** Set by QUIT / protocol errors / CLIENT KILL: close once the pending replies are written. */
  closeAfterReply = false;
  /** CLIENT NO-EVICT / NO-TOUCH. */
  noEvict = false;
  noTouch = false;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  /** "addr" and "laddr" as CLIENT LIST shows them ("127.0.0.1:51234"); empty for embedded clients. */
  addr = '';
  laddr = '';
  fd = -1;
  /** Set by the connection so CLIENT KILL / SHUTDOWN can close it. */
  kill: () => void = () => {};
  /** Bytes waiting in the output buffer (for CLIENT LIST omem). */
  outputBytes: () => number = () => 0;
  /** Bytes waiting in the query buffer (for CLIENT LIST qbuf). */
  queryBytes: () => number = () => 0;

  constructor(
    readonly server: ServerContext,
    public reply: ReplySink,
  ) {
    this.id = server.nextClientId++;
    this.db = server.keyspace.dbs[0];
    this.authenticated = server.config.typed.requirepass === '';
    this.createdAt = this.lastInteraction = Date.now();
  }

  select(index: number): void {
    this.db = this.server.keyspace.dbs[index];
  }
}
