import os from 'node:os';
import type { Client } from './client.js';
import type { ServerContext } from './server-context.js';
import type { Command } from './table.js';
import { REDIS_VERSION } from './connection.js';
import { memoryFigures } from './memory.js';
import { functionsInfoOf } from './functions.js';
import { scriptingMemoryOf } from '../scripting/vm.js';

/**
 * INFO's text, section by section, with Redis 7.0's field names and formats (server.c
 * genRedisInfoString): "# Section" headers, "name:value" lines, CRLF line ends, one blank line
 * between sections. Figures are real where we have them (memory from process.memoryUsage(), CPU
 * from process.cpuUsage(), keyspace and command statistics) and Redis's idle values for
 * subsystems we do not have (persistence, replication, modules).
 */
const SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;
type Section = (typeof SECTIONS)[number];

const DEFAULT_SECTIONS: ReadonlySet<Section> = new Set(SECTIONS.filter((s) => s !== 'commandstats' && s !== 'latencystats'));

/** Which sections `INFO [section ...]` asks for (unknown names select nothing, as in Redis). */
export function selectSections(args: readonly string[]): Set<Section> {
  if (args.length === 0) return new Set(DEFAULT_SECTIONS);
  const out = new Set<Section>();
  for (const a of args) {
    const s = a.toLowerCase();
    if (s === 'all' || s === 'everything') for (const x of SECTIONS) out.add(x);
    else if (s === 'default') for (const x of DEFAULT_SECTIONS) out.add(x);
    else if ((SECTIONS as readonly string[]).includes(s)) out.add(s as Section);
  }
  return out;
}

/** Identifiers made once per server (replication id, build id). */
interface MemoryState {
  replId: string;
  buildId: string;
}
const memoryStates = new WeakMap<ServerContext, MemoryState>();

function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[(Math.random() * 16) | 0];
  return s;
}

function memoryState(server: ServerContext): MemoryState {
  let s = memoryStates.get(server);
  if (s === undefined) {
    s = { replId: randomHex(40), buildId: randomHex(15) };
    memoryStates.set(server, s);
  }
  return s;
}

/** Makes the per-server identifiers INFO shows (run at startup so they never change); ServerContext calls it. */
export function recordStartupMemory(server: ServerContext): void {
  memoryState(server);
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  const units: [number, string][] = [
    [1024, 'K'],
    [1024 ** 2, 'M'],
    [1024 ** 3, 'G'],
    [1024 ** 4, 'T'],
    [1024 ** 5, 'P'],
  ];
  if (n < 1024) return `${n}B`;
  for (let i = 0; i < units.length; i++) {
    if (i === units.length - 1 || n < units[i + 1][0]) return `${(n / units[i][0]).toFixed(2)}${units[i][1]}`;
  }
  return `${n}B`;
}

const pct = (x: number) => `${x.toFixed(2)}%`;
const secs = (us: number) => `${Math.floor(us / 1e6)}.${String(Math.floor(us % 1e6)).padStart(6, '0')}`;

type Lines = [string, string | number][];

function serverSection(c: Client): Lines {
  const server = c.server;
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const cfg = server.config.typed;
  const platformApi: Record<string, string> = { linux: 'epoll', darwin: 'kqueue', win32: 'iocp' };
  return [
    ['redis_version', REDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', memoryState(server).buildId],
    ['redis_mode', 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', platformApi[process.platform] ?? 'poll'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', server.runId],
    ['tcp_port', server.tcpPort],
    ['server_time_usec', Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', cfg.hz],
    ['configured_hz', cfg.hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.argv[1] ?? process.execPath],
    ['config_file', server.configFile],
    ['io_threads_active', 0],
  ];
}

function clientsSection(c: Client): Lines {
  let blocked = 0;
  let tracking = 0;
  for (const cl of c.server.clients.values()) {
    if (cl.blocked) blocked++;
    if (cl.tracking) tracking++;
  }
  return [
    ['connected_clients', c.server.clients.size],
    ['cluster_connections', 0],
    ['maxclients', c.server.config.typed.maxclients],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', 0],
    ['blocked_clients', blocked],
    ['tracking_clients', tracking],
    ['clients_in_timeout_table', blocked],
  ];
}

/**
 * used_memory and the figures derived from it are the keyspace's live estimate (engine/memory.ts,
 * what maxmemory is compared with); RSS is the process's; the allocator_* figures are V8's heap.
 */
function memorySection(c: Client): Lines {
  const f = memoryFigures(c.server);
  const used = f.used;
  const m = process.memoryUsage();
  const cfg = c.server.config.typed;
  const maxmemory = BigInt(c.server.config.get('maxmemory') ?? '0');
  const heap = m.heapUsed + m.external;
  const allocated = m.heapTotal + m.external;
  const lua = scriptingMemoryOf(c.server);
  const fns = functionsInfoOf(c.server);
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', m.rss],
    ['used_memory_rss_human', bytesToHuman(m.rss)],
    ['used_memory_peak', f.peak],
    ['used_memory_peak_human', bytesToHuman(f.peak)],
    ['used_memory_peak_perc', pct((used * 100) / f.peak)],
    ['used_memory_overhead', f.overhead],
    ['used_memory_startup', f.startup],
    ['used_memory_dataset', f.dataset],
    ['used_memory_dataset_perc', pct(used === f.startup ? 0 : (f.dataset * 100) / (used - f.startup))],
    ['allocator_allocated', heap],
    ['allocator_active', allocated],
    ['allocator_resident', m.rss],
    ['total_system_memory', os.totalmem()],
    ['total_system_memory_human', bytesToHuman(os.totalmem())],
    ['used_memory_lua', lua.evalVm],
    ['used_memory_vm_eval', lua.evalVm],
    ['used_memory_lua_human', bytesToHuman(lua.evalVm)],
    ['used_memory_scripts_eval', lua.scriptBytes],
    ['number_of_cached_scripts', lua.cachedScripts],
    ['number_of_functions', fns.functions],
    ['number_of_libraries', fns.libraries],
    ['used_memory_vm_functions', lua.functionVm],
    ['used_memory_vm_total', lua.evalVm + lua.functionVm],
    ['used_memory_vm_total_human', bytesToHuman(lua.evalVm + lua.functionVm)],
    ['used_memory_functions', fns.codeBytes],
    ['used_memory_scripts', lua.scriptBytes + fns.codeBytes],
    ['used_memory_scripts_human', bytesToHuman(lua.scriptBytes + fns.codeBytes)],
    ['maxmemory', String(maxmemory)],
    ['maxmemory_human', bytesToHuman(Number(maxmemory))],
    ['maxmemory_policy', cfg.maxmemoryPolicy],
    ['allocator_frag_ratio', (allocated / Math.max(1, heap)).toFixed(2)],
    ['allocator_frag_bytes', Math.max(0, allocated - heap)],
    ['allocator_rss_ratio', (m.rss / Math.max(1, allocated)).toFixed(2)],
    ['allocator_rss_bytes', m.rss - allocated],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', (m.rss / Math.max(1, used)).toFixed(2)],
    ['mem_fragmentation_bytes', m.rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', 0],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

function persistenceSection(c: Client): Lines {
  return [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', 0],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', Math.floor(c.server.startedAt / 1000)],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', 0],
    ['aof_enabled', 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsSection(c: Client): Lines {
  const s = c.server.stats;
  const k = c.server.keyspace.stats;
  return [
    ['total_connections_received', s.totalConnectionsReceived],
    ['total_commands_processed', s.totalCommandsProcessed],
    ['instantaneous_ops_per_sec', c.server.instantaneousOps()],
    ['total_net_input_bytes', s.totalNetInputBytes],
    ['total_net_output_bytes', s.totalNetOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', k.expiredKeys],
    ['expired_stale_perc', k.expiredStalePercent.toFixed(2)],
    ['expired_time_cap_reached_count', k.expiredTimeCapReached],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', k.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', k.keyspaceHits],
    ['keyspace_misses', k.keyspaceMisses],
    ['pubsub_channels', 0],
    ['pubsub_patterns', 0],
    ['pubsubshard_channels', 0],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', 0],
    ['tracking_total_items', 0],
    ['tracking_total_prefixes', 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', s.totalErrorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

function replicationSection(c: Client): Lines {
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', memoryState(c.server).replId],
    ['master_replid2', '0'.repeat(40)],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', c.server.config.get('repl-backlog-size') ?? '1048576'],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuSection(): Lines {
  const u = process.cpuUsage();
  return [
    ['used_cpu_sys', secs(u.system)],
    ['used_cpu_user', secs(u.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', secs(u.system)],
    ['used_cpu_user_main_thread', secs(u.user)],
  ];
}

function commandStatLine(cmd: Command): [string, string] {
  const usec = Math.floor(cmd.usec);
  const perCall = cmd.calls === 0 ? 0 : usec / cmd.calls;
  return [
    `cmdstat_${cmd.fullname}`,
    `calls=${cmd.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${cmd.rejectedCalls},failed_calls=${cmd.failedCalls}`,
  ];
}

function commandstatsSection(c: Client): Lines {
  const out: Lines = [];
  const add = (cmd: Command) => {
    if (cmd.calls || cmd.failedCalls || cmd.rejectedCalls) out.push(commandStatLine(cmd));
  };
  for (const cmd of c.server.commands.all()) {
    add(cmd);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) add(sub);
  }
  return out;
}

/**
 * avg_ttl: Redis keeps a running estimate from its expiry sampling; we sample up to 100 keys
 * with a TTL and average their remaining time.
 */
function averageTtl(c: Client, dbIndex: number): number {
  const db = c.server.keyspace.dbs[dbIndex];
  if (db.expiresCount === 0) return 0;
  const now = c.server.keyspace.now;
  let sum = 0;
  let n = 0;
  let cursor = 0;
  do {
    cursor = db.scan(cursor, 100, (key) => {
      const at = db.getExpire(key);
      if (at > now) {
        sum += at - now;
        n++;
      }
    });
  } while (cursor !== 0 && n < 100);
  return n === 0 ? 0 : Math.floor(sum / n);
}

function keyspaceSection(c: Client): Lines {
  const out: Lines = [];
  c.server.keyspace.dbs.forEach((db, i) => {
    if (db.size > 0) out.push([`db${i}`, `keys=${db.size},expires=${db.expiresCount},avg_ttl=${averageTtl(c, i)}`]);
  });
  return out;
}

const TITLES: Record<Section, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

function sectionLines(c: Client, s: Section): Lines {
  switch (s) {
    case 'server':
      return serverSection(c);
    case 'clients':
      return clientsSection(c);
    case 'memory':
      return memorySection(c);
    case 'persistence':
      return persistenceSection(c);
    case 'stats':
      return statsSection(c);
    case 'replication':
      return replicationSection(c);
    case 'cpu':
      return cpuSection();
    case 'commandstats':
      return commandstatsSection(c);
    case 'cluster':
      return [['cluster_enabled', 0]];
    case 'keyspace':
      return keyspaceSection(c);
    default:
      // modules, errorstats, latencystats: nothing to report.
      return [];
  }
}

/** The INFO text for the selected sections. */
export function infoText(c: Client, sections: ReadonlySet<Section>): string {
  let out = '';
  let n = 0;
  for (const s of SECTIONS) {
    if (!sections.has(s)) continue;
    if (n++ > 0) out += '\r\n';
    out += `# ${TITLES[s]}\r\n`;
    for (const [name, value] of sectionLines(c, s)) out += `${name}:${value}\r\n`;
  }
  return out;
}
