import { type Blocking, blockingOf } from './commands/blocking.js';
import { Client } from './commands/client.js';
import { execute } from './commands/dispatch.js';
import { ErrorReply, type ReplyValue, ValueReply } from './commands/reply.js';
import { ServerContext } from './commands/server-context.js';
import type { Config } from './config/config.js';
import type { Clock } from './engine/clock.js';

export type Arg = string | number | Buffer;

/**
 * A client session on an in-process engine: the same command table and dispatch as the TCP
 * server, with replies built as JS values instead of RESP bytes. Calls are synchronous.
 */
export class EmbeddedClient {
  private readonly sink = new ValueReply();
  private readonly blocking: Blocking;
  readonly client: Client;

  constructor(readonly context: ServerContext) {
    this.blocking = blockingOf(context);
    this.client = new Client(context, this.sink);
    this.client.protocol = 3;
    context.clients.set(this.client.id, this.client);
  }

  /**
   * Runs one command and returns its reply. Error replies are thrown as ErrorReply.
   * Strings come back as latin1 strings (one char per byte), as stored.
   */
  call(...args: Arg[]): ReplyValue {
    const argv = args.map((a) => (typeof a === 'string' ? a : typeof a === 'number' ? String(a) : a.toString('latin1')));
    execute(this.client, argv);
    // As after a TCP client's command: clients blocked on keys this call fed are served now.
    if (this.context.busyScript === null) this.blocking.afterCommand();
    const values = this.sink.values;
    const v = values.length === 1 ? values[0] : values.splice(0);
    values.length = 0;
    if (v instanceof ErrorReply) throw v;
    return v as ReplyValue;
  }

  close(): void {
    this.context.clients.delete(this.client.id);
  }
}

/** An in-process engine with no socket: `new Engine().call('SET', 'k', 'v')`. */
export class Engine extends EmbeddedClient {
  constructor(options: { config?: Config; clock?: Clock } = {}) {
    super(new ServerContext(options));
  }

  /** Another independent session (own selected database, name, …) on the same data. */
  session(): EmbeddedClient {
    return new EmbeddedClient(this.context);
  }
}
