import net from 'node:net';
import { ServerContext } from '../commands/server-context.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../engine/clock.js';
import { Connection, type IoCounters } from './connection.js';

export interface ServerOptions {
  /** Configuration (port, bind, requirepass, …); defaults to Redis's defaults on 127.0.0.1:6379. */
  config?: Config;
  clock?: Clock;
}

/**
 * The TCP door to the engine: accepts connections, runs the periodic server cron (active expiry)
 * and shuts down cleanly.
 */
export class StickyServer {
  readonly context: ServerContext;
  /** One listener per `bind` address. */
  private listeners: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private cron: NodeJS.Timeout | null = null;
  private cronTicks = 0;
  /** Socket reads and writes over all connections (one write per read batch, at most). */
  readonly io: IoCounters = { reads: 0, writes: 0 };

  constructor(options: ServerOptions = {}) {
    this.context = new ServerContext(options);
    this.context.shutdown = () => void this.close();
  }

  get port(): number {
    return this.context.tcpPort;
  }

  private accept(socket: net.Socket): void {
    const ctx = this.context;
    if (ctx.clients.size >= ctx.config.typed.maxclients) {
      ctx.stats.rejectedConnections++;
      // Best effort, like Redis: write the error, then close the descriptor.
      socket.on('error', () => {});
      socket.end('-ERR max number of clients reached\r\n', () => socket.destroy());
      return;
    }
    ctx.stats.totalConnectionsReceived++;
    this.connections.add(new Connection(socket, ctx, this.io, (c) => this.connections.delete(c)));
  }

  /**
   * Listens on every address of Redis's `bind` list (`*` is every IPv4 address, `::*` every IPv6
   * one; a leading `-` marks an address that is skipped if the machine does not have it) and
   * resolves with the port, the same on all of them (port 0 picks a free one on the first).
   */
  async listen(port = this.context.config.typed.port, bind = this.context.config.typed.bind): Promise<number> {
    const addresses = bindAddresses(bind);
    try {
      for (const { host, optional } of addresses) {
        try {
          port = await this.listenOn(port, host);
        } catch (e) {
          if (!(optional && SKIPPABLE.has((e as NodeJS.ErrnoException).code ?? ''))) throw e;
        }
      }
    } catch (e) {
      await this.closeListeners();
      throw e;
    }
    if (this.listeners.length === 0) throw new Error(`no address of '${bind}' is available`);
    this.context.tcpPort = port;
    this.startCron();
    return port;
  }

  private listenOn(port: number, host: string): Promise<number> {
    // Paused, so that nothing is read before the Connection takes over the descriptor (socket-reads.ts).
    const tcp = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      tcp.once('error', reject);
      // IPv6 listeners are IPv6-only (as Redis sets IPV6_V6ONLY), so `* ::*` can share a port.
      tcp.listen({ port, host, exclusive: true, ipv6Only: host.includes(':') }, () => {
        tcp.off('error', reject);
        this.listeners.push(tcp);
        resolve((tcp.address() as net.AddressInfo).port);
      });
    });
  }

  private closeListeners(): Promise<void> {
    const listeners = this.listeners;
    this.listeners = [];
    return Promise.all(listeners.map((tcp) => new Promise<void>((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve())))).then(() => {});
  }

  /**
   * Periodic work, like Redis's serverCron at `hz`: active expiry with a bounded time budget, and
   * once a second the idle-client `timeout`.
   */
  private startCron(): void {
    const hz = Math.max(1, Math.min(500, this.context.config.typed.hz || 10));
    const period = 1000 / hz;
    // Redis's slow cycle may use 25% of the CPU time between two runs.
    const budget = period * 0.25;
    this.cron = setInterval(() => {
      // No active expiry while a script is suspended past busy-reply-threshold: it must see one instant.
      if (this.context.busyScript === null) this.context.keyspace.activeExpireCycle(budget);
      if (++this.cronTicks % hz === 0) this.closeIdleClients();
    }, period);
    this.cron.unref();
  }

  /**
   * Redis's clientsCronHandleTimeout: with `timeout` N > 0, closes (without a reply) clients idle
   * for more than N whole seconds, except blocked and Pub/Sub clients, which wait by design.
   */
  private closeIdleClients(): void {
    const timeout = this.context.config.typed.timeout;
    if (timeout <= 0) return;
    const now = Math.floor(Date.now() / 1000);
    for (const conn of this.connections) {
      const c = conn.client;
      if (c.blocked || c.subscriptions + c.patternSubscriptions + c.shardSubscriptions > 0) continue;
      if (now - Math.floor(c.lastInteraction / 1000) > timeout) conn.close();
    }
  }

  /** Stops accepting, closes every client, and resolves when the listener is closed. */
  close(): Promise<void> {
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    for (const c of [...this.connections]) c.close();
    return this.closeListeners();
  }
}

/** Errors for which Redis skips an optional (`-`) bind address (listenToPort). */
const SKIPPABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT', 'ENOPROTOOPT']);

/** The `bind` list as listen addresses. */
export function bindAddresses(bind: string): { host: string; optional: boolean; shown: string }[] {
  const words = bind.split(/\s+/).filter(Boolean);
  if (words.length === 0) words.push('127.0.0.1');
  return words.map((w) => {
    const optional = w.startsWith('-');
    const shown = optional ? w.slice(1) : w;
    const host = shown === '*' ? '0.0.0.0' : shown === '::*' ? '::' : shown;
    return { host, optional, shown };
  });
}

/** Creates a server and starts listening (port 0 picks a free port). */
export async function startServer(options: ServerOptions & { port?: number; host?: string } = {}): Promise<StickyServer> {
  const server = new StickyServer(options);
  await server.listen(options.port ?? server.context.config.typed.port, options.host ?? server.context.config.typed.bind);
  return server;
}
