import type net from 'node:net';
import { Client } from '../commands/client.js';
import { execute } from '../commands/dispatch.js';
import { blockingOf } from '../commands/blocking.js';
import { systemClock } from '../engine/clock.js';
import type { ServerContext } from '../commands/server-context.js';
import { RespParser } from './resp-parser.js';
import { HeldInput } from './blocking.js';
import { RespWriter } from './resp-writer.js';
import { takeOverReads } from './socket-reads.js';

/** Stop reading from a client whose unread replies exceed this, until its socket drains. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;

interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** client-output-buffer-limit parsed per class (normal, replica, pubsub), cached per config value. */
let limitsText = '';
let limits: OutputLimit[] = [];

function outputLimits(server: ServerContext): OutputLimit[] {
  const text = server.config.get('client-output-buffer-limit') ?? '';
  if (text !== limitsText) {
    const w = text.split(' ');
    limits = [0, 1, 2].map((i) => ({ hard: Number(w[i * 4 + 1]), soft: Number(w[i * 4 + 2]), softSeconds: Number(w[i * 4 + 3]) }));
    limitsText = text;
  }
  return limits;
}

/** Socket reads and writes, Redis's total_reads_processed / total_writes_processed. */
export interface IoCounters {
  reads: number;
  writes: number;
}

/**
 * Connections with replies waiting, written once per event-loop turn after every read of that turn
 * was processed, as Redis writes replies in beforeSleep rather than after each read: under load, the
 * clients are then woken once per turn with all their replies instead of once per read.
 */
let pendingFlush: Connection[] = [];
let flushScheduled = false;

function flushPending(): void {
  const list = pendingFlush;
  pendingFlush = [];
  flushScheduled = false;
  for (const c of list) c.flush();
}

/**
 * One TCP client: socket → parser → dispatch → writer → socket. Every command parsed from one
 * read runs synchronously, and all their replies leave in a single socket write at the end of
 * the event-loop turn.
 */
export class Connection {
  readonly client: Client;
  private readonly parser: RespParser;
  private readonly writer = new RespWriter();
  private closed = false;
  private flushQueued = false;
  /** When the output first went over the soft client-output-buffer-limit (0: it is under). */
  private softLimitSince = 0;
  private readonly socket: net.Socket;

  constructor(
    accepted: net.Socket,
    private readonly server: ServerContext,
    private readonly io: IoCounters,
    private readonly onClose: (c: Connection) => void,
  ) {
    const socket = takeOverReads(accepted, (chunk) => this.onData(chunk));
    this.socket = socket;
    this.client = new Client(server, this.writer);
    const c = this.client;
    // HELLO changes client.protocol; the writer reads it from there, for HELLO's own reply too.
    this.writer.follow(c);
    c.addr = `${socket.remoteAddress}:${socket.remotePort}`;
    c.laddr = `${socket.localAddress}:${socket.localPort}`;
    c.fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    c.kill = () => this.close();
    c.deliver = () => this.deliver();
    c.outputBytes = () => this.writer.size + socket.writableLength;
    c.queryBytes = () => this.parser.pendingBytes;
    const blocking = blockingOf(server);
    const run = (args: string[]): void => {
      execute(c, args);
      // Clients blocked on keys this command fed are served before the next command runs; not
      // while a script is suspended past busy-reply-threshold (they would see its partial writes).
      if (server.busyScript === null) blocking.afterCommand();
      // Like Redis, nothing after QUIT (or another closing command) is even parsed.
      if (c.closeAfterReply) this.parser.stop();
    };
    const protocolError = (message: string | null): void => {
      if (message !== null) {
        this.writer.error(message);
        server.stats.totalErrorReplies++;
      }
      c.closeAfterReply = true;
    };
    // While the client is blocked (BLPOP…), its further input waits, as in Redis.
    const held = new HeldInput(c, run, () => this.flush());
    blocking.attach(c, () => held.resume());
    c.resumeInput = () => held.resume();
    this.parser = new RespParser(
      {
        command: (args) => (held.holding ? held.hold(args) : run(args)),
        protocolError: (message) => (held.holding ? held.hold(() => protocolError(message)) : protocolError(message)),
        authRequired: () => !c.authenticated,
      },
      server.config.typed,
    );
    socket.setNoDelay(true);
    // Redis's tcp-keepalive: detect dead peers (seconds; 0 disables).
    const keepalive = server.config.typed.tcpKeepalive;
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    socket.on('drain', () => socket.resume());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
    server.clients.set(c.id, c);
  }

  private onData(chunk: Buffer): void {
    this.io.reads++;
    this.server.stats.totalNetInputBytes += chunk.length;
    // The keyspace's time snapshot is at most one cron period old (as Redis stamps reads with its
    // cached server.unixtime): no clock read per read. An injected test clock is not wall time.
    const ks = this.server.keyspace;
    this.client.lastInteraction = ks.clock === systemClock ? ks.now : Date.now();
    try {
      this.parser.feed(chunk);
    } catch (e) {
      // A bug must cost one connection, never the server.
      console.error('stickynote: internal error while serving a client:', e);
      this.parser.stop();
      this.client.closeAfterReply = true;
    }
    this.queueFlush();
  }

  /** Writes this connection's output at the end of the current event-loop turn (once per turn). */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    pendingFlush.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushPending);
    }
  }

  /**
   * Another client's command wrote into this client's output (a Pub/Sub message, an invalidation):
   * send it with this turn's writes, unless the output now exceeds client-output-buffer-limit.
   */
  private deliver(): void {
    if (this.closed) return;
    if (this.overOutputLimit()) {
      // As in Redis, the client goes without its pending output. Safe inside PUBLISH's loop over
      // subscribers: removing from a Set being iterated is allowed.
      this.close();
      return;
    }
    this.queueFlush();
  }

  /** Redis's checkClientOutputBufferLimits for the client's class (normal or pubsub). */
  private overOutputLimit(): boolean {
    const c = this.client;
    const pubsub = c.subscriptions + c.patternSubscriptions + c.shardSubscriptions > 0;
    const limit = outputLimits(this.server)[pubsub ? 2 : 0];
    if (limit.hard === 0 && limit.soft === 0) return false;
    const used = this.writer.size + this.socket.writableLength;
    if (limit.hard !== 0 && used >= limit.hard) return true;
    if (limit.soft === 0 || used < limit.soft) {
      this.softLimitSince = 0;
      return false;
    }
    const now = Date.now();
    if (this.softLimitSince === 0) {
      this.softLimitSince = now;
      return false;
    }
    return now - this.softLimitSince > limit.softSeconds * 1000;
  }

  /** Frees what the client holds in command groups (subscriptions, tracking, MULTI state). */
  private release(): void {
    for (const hook of this.server.clientResetHooks) hook(this.client);
    this.server.clients.delete(this.client.id);
    this.onClose(this);
  }

  /** Writes everything the writer holds in one socket write; closes if the client must go. */
  flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    const out = this.writer.take();
    const socket = this.socket;
    if (out !== null) {
      this.io.writes++;
      if (Array.isArray(out)) {
        socket.cork();
        for (const b of out) {
          this.server.stats.totalNetOutputBytes += b.length;
          socket.write(b);
        }
        socket.uncork();
      } else {
        this.server.stats.totalNetOutputBytes += out.length;
        socket.write(out);
      }
      // Written through to the kernel at once (the usual case): the writer may reuse its buffers.
      if (socket.writableLength === 0) this.writer.recycle();
      else if (socket.writableLength > OUTPUT_HIGH_WATER) socket.pause();
    }
    if (this.client.closeAfterReply) {
      this.closed = true;
      this.parser.stop();
      // Send what is pending, then close the descriptor, as Redis does for CLIENT_CLOSE_AFTER_REPLY.
      socket.end(() => socket.destroy());
      this.release();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.parser.stop();
    this.socket.destroy();
    blockingOf(this.server).detach(this.client);
    this.release();
  }
}
