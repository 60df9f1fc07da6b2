import { Config } from '../config/config.js';
import { Keyspace } from '../engine/keyspace.js';
import { hashFieldExpiry } from '../engine/hash.js';
import type { Clock } from '../engine/clock.js';
import type { Client } from './client.js';
import { CommandTable } from './table.js';
import { ALL_COMMANDS } from './index.js';
import { recordStartupMemory } from './info.js';
import { keyspaceEventsListener, notifyEvicted } from './notifications.js';

export interface ServerStats {
  totalCommandsProcessed: number;
  totalConnectionsReceived: number;
  rejectedConnections: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  totalErrorReplies: number;
}

/**
 * Everything commands may reach beyond their own client: the keyspace, configuration, the command
 * table, the list of clients and server-wide statistics. Shared by the TCP server and the
 * embedded API (one engine, two doors).
 */
export class ServerContext {
  readonly keyspace: Keyspace;
  readonly config: Config;
  readonly commands: CommandTable;
  readonly clients = new Map<number, Client>();
  readonly startedAt = Date.now();
  readonly runId = Array.from({ length: 40 }, () => '0123456789abcdef'[(Math.random() * 16) | 0]).join('');
  nextClientId = 1;
  /** TCP port actually bound (0 for a purely embedded engine). */
  tcpPort = 0;
  readonly stats: ServerStats = {
    totalCommandsProcessed: 0,
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    totalNetInputBytes: 0,
    totalNetOutputBytes: 0,
    totalErrorReplies: 0,
  };
  /**
   * While a script runs past busy-reply-threshold (suspended between event-loop turns), the BUSY
   * error other clients get; null otherwise. Dispatch checks it.
   */
  busyScript: string | null = null;
  /** Installed by the TCP server: SHUTDOWN closes listeners and exits. */
  shutdown: (() => void) | null = null;
  /** Path of the config file the server was started with, if any. */
  configFile = '';
  /**
   * Run by RESET (and available to anything that must return a client to its initial state) so
   * each command group clears its own per-client state: MULTI, subscriptions, tracking…
   */
  readonly clientResetHooks: ((client: Client) => void)[] = [];
  /** Commands processed at the last INFO sample, for instantaneous_ops_per_sec. */
  private opsSample = { time: Date.now(), commands: 0, rate: 0 };

  constructor(options: { config?: Config; clock?: Clock } = {}) {
    this.config = options.config ?? new Config();
    this.keyspace = new Keyspace({ databases: this.config.typed.databases, clock: options.clock });
    this.keyspace.addExpiryHook(hashFieldExpiry);
    // `expired` keyspace events; it has no keyModified, so a write only skips over it.
    this.keyspace.addListener(keyspaceEventsListener(this));
    this.commands = new CommandTable(ALL_COMMANDS);
    recordStartupMemory(this);
    this.applyMemoryConfig();
  }

  /** maxmemory and its policy's parameters go to the keyspace at start and on every CONFIG SET. */
  private applyMemoryConfig(): void {
    const ks = this.keyspace;
    const apply = (): void => {
      const t = this.config.typed;
      ks.evictionTenacity = t.maxmemoryEvictionTenacity;
      ks.tune({ samples: t.maxmemorySamples, logFactor: t.lfuLogFactor, decayTime: t.lfuDecayTime });
      if (t.maxmemory !== ks.maxmemory) ks.setMaxmemory(t.maxmemory);
      ks.setPolicy(t.maxmemoryPolicy);
    };
    apply();
    ks.onEvicted = (db, key) => notifyEvicted(this, db, key);
    const previous = this.config.onChange;
    this.config.onChange = (name, value) => {
      previous?.(name, value);
      if (name.startsWith('maxmemory') || name.startsWith('lfu-')) apply();
    };
  }

  /**
   * Commands per second since the previous sample (taken at most every 100 ms), Redis's
   * instantaneous_ops_per_sec computed lazily instead of by a cron.
   */
  instantaneousOps(): number {
    const now = Date.now();
    const s = this.opsSample;
    const elapsed = now - s.time;
    if (elapsed >= 100) {
      s.rate = Math.round(((this.stats.totalCommandsProcessed - s.commands) * 1000) / elapsed);
      s.time = now;
      s.commands = this.stats.totalCommandsProcessed;
    }
    return s.rate;
  }

  resetStats(): void {
    this.keyspace.resetStats();
    const s = this.stats;
    s.totalCommandsProcessed = s.totalConnectionsReceived = s.rejectedConnections = 0;
    s.totalNetInputBytes = s.totalNetOutputBytes = s.totalErrorReplies = 0;
    this.opsSample.commands = 0;
    for (const cmd of this.commands.all()) {
      cmd.calls = cmd.usec = cmd.failedCalls = cmd.rejectedCalls = 0;
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) sub.calls = sub.usec = sub.failedCalls = sub.rejectedCalls = 0;
    }
  }
}
