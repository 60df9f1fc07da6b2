import type { Client } from '../commands/client.js';

/**
 * A connection's input while its client is blocked (BLPOP…): as in Redis, nothing after the
 * blocking command runs until the client is unblocked, so commands (and a protocol error) that
 * arrive meanwhile wait here in order. Once unblocked they run on a microtask, after the command
 * that served the client has finished, like Redis's processUnblockedClients in beforeSleep.
 */
export class HeldInput {
  private queue: (string[] | (() => void))[] = [];
  private scheduled = false;

  constructor(
    private readonly client: Client,
    /** Runs one command exactly as the connection would have. */
    private readonly run: (args: string[]) => void,
    /** Sends the replies written so far (the served reply and those of the input run after it). */
    private readonly flush: () => void,
  ) {}

  /** True while input must wait: the client is blocked, or older input is still waiting. */
  get holding(): boolean {
    return this.client.blocked || this.queue.length !== 0;
  }

  hold(item: string[] | (() => void)): void {
    this.queue.push(item);
  }

  /** The client was unblocked: its reply is written; send it and run the input that waited. */
  resume(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      let i = 0;
      const q = this.queue;
      while (i < q.length && !this.client.blocked && !this.client.closeAfterReply) {
        const item = q[i++];
        if (typeof item === 'function') item();
        else this.run(item);
      }
      // Whatever a closing command left unread is dropped, as the parser drops it.
      this.queue = this.client.closeAfterReply ? [] : q.slice(i);
      this.flush();
    });
  }
}
