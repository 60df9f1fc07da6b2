import type { Database } from '../engine/database.js';
import { type ReplySink, ValueReply } from './reply.js';
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
  /**
   * State other command groups keep up to date so CLIENT LIST / INFO can show it (Redis's
   * sub, psub, ssub, multi fields and the P, x, b, t flags).
   */
  subscriptions = 0;
  patternSubscriptions = 0;
  shardSubscriptions = 0;
  /** Commands queued since MULTI, or -1 outside a transaction. */
  multiQueued = -1;
  blocked = false;
  /** The client redis.call runs commands as (Redis's CLIENT_SCRIPT). */
  isScript = false;
  tracking = false;
  /** CLIENT TRACKING REDIRECT target id, -1 if none. */
  trackingRedirect = -1;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  /** "addr" and "laddr" as CLIENT LIST shows them ("127.0.0.1:51234"); empty for embedded clients. */
  addr = '';
  laddr = '';
  fd = -1;
  /** Set by the connection so CLIENT KILL / SHUTDOWN can close it. */
  kill: () => void = () => {};
  /**
   * Set by the connection: hands out-of-band output another client's command wrote into this
   * client's reply sink (Pub/Sub messages, invalidations) to the socket at the end of the turn.
   * Null for embedded clients, which cannot receive anything between calls.
   */
  deliver: (() => void) | null = null;
  /**
   * Set by the connection: sends the replies written so far and runs the input held while the
   * client waited (a script that yielded past busy-reply-threshold). Null for embedded clients.
   */
  resumeInput: (() => void) | null = null;
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
    this.authenticated = this.defaultUserNoPass;
    this.createdAt = this.lastInteraction = Date.now();
  }

  select(index: number): void {
    this.db = this.server.keyspace.dbs[index];
  }

  /** Switches RESP version (HELLO, RESET); the embedded API always builds RESP3-shaped values. */
  setProtocol(protocol: 2 | 3): void {
    if (this.reply instanceof ValueReply) return;
    this.protocol = protocol;
    (this.reply as { protocol: 2 | 3 }).protocol = protocol;
  }

  /** True when the default user needs no password, so a new or RESET connection is logged in. */
  get defaultUserNoPass(): boolean {
    return this.server.config.typed.requirepass === '';
  }
}
