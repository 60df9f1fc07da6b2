/**
 * Server configuration: Redis 7.0's table of parameters (config.c `static_configs`) with their
 * names, aliases, types, bounds, defaults and flags. Used by the command line / config file parser
 * (redis-server syntax) and by CONFIG GET/SET/REWRITE. Values are kept as the canonical strings
 * CONFIG GET prints, plus a typed view (`cfg.typed`) refreshed on every change for hot paths.
 *
 * Where we deliberately differ from Redis's defaults: `save` is "" (we do not persist) and `bind`
 * is "127.0.0.1" (Redis: "* -::*"). Persistence, replication, cluster and TLS parameters are
 * accepted and shown so clients and GUIs that read them work, but have no effect.
 */
import { writeFileSync, readFileSync, renameSync } from 'node:fs';
import { stringMatch } from '../engine/glob.js';

export type ParamType = 'bool' | 'int' | 'memory' | 'enum' | 'string' | 'special';

export interface ParamSpec {
  name: string;
  type: ParamType;
  default: string;
  /** false: may be set only at startup (Redis's IMMUTABLE_CONFIG). */
  mutable?: boolean;
  /** Refused by CONFIG SET while enable-protected-configs is "no" (Redis's PROTECTED_CONFIG). */
  protected?: boolean;
  /** Matched by CONFIG GET only by exact name, never by a pattern. */
  hidden?: boolean;
  /** Takes several space-separated words (save, bind, client-output-buffer-limit…). */
  multiArg?: boolean;
  /** Numeric bounds (bigint: Redis's are up to ULLONG_MAX). */
  min?: bigint;
  max?: bigint;
  /** Bounds compare as unsigned 64-bit (Redis's size_t / unsigned long long / unsigned int). */
  unsigned?: boolean;
  /** Memory configs that also accept "N%" (maxmemory-clients), stored as a negative number. */
  percent?: boolean;
  /** Octal number (unixsocketperm). */
  octal?: boolean;
  values?: readonly string[];
  /** Enum values of ours beyond Redis's, accepted but not listed in Redis's error text. */
  extraValues?: readonly string[];
  /** Enum whose words combine as bit flags (shutdown-on-sigint). */
  flagsEnum?: boolean;
  alias?: string;
  /** Extra validation / normalisation: returns the canonical value or throws ConfigError. */
  check?: (value: string, config: Config) => string;
}

export class ConfigError extends Error {}

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

type Opts = Partial<ParamSpec>;
const bool = (name: string, def: boolean, o: Opts = {}): ParamSpec => ({ name, type: 'bool', default: def ? 'yes' : 'no', ...o });
const str = (name: string, def: string, o: Opts = {}): ParamSpec => ({ name, type: 'string', default: def, ...o });
const en = (name: string, values: string[], def: string, o: Opts = {}): ParamSpec => ({ name, type: 'enum', values, default: def, ...o });
const int = (name: string, min: bigint, max: bigint, def: number, o: Opts = {}): ParamSpec => ({
  name,
  type: 'int',
  min,
  max,
  default: String(def),
  ...o,
});
const mem = (name: string, min: bigint, max: bigint, def: number, o: Opts = {}): ParamSpec => ({
  name,
  type: 'memory',
  min,
  max,
  default: String(def),
  ...o,
});
const special = (name: string, def: string, check: ParamSpec['check'], o: Opts = {}): ParamSpec => ({
  name,
  type: 'special',
  default: def,
  check,
  ...o,
});
const IMM = { mutable: false } as const;
const PROTECTED = ['yes', 'no', 'local'];
const HOSTNAME_OK = /^[A-Za-z0-9.-]*$/;

export const PARAMS: readonly ParamSpec[] = [
  // Bool configs
  bool('rdbchecksum', true, IMM),
  bool('daemonize', false, IMM),
  bool('io-threads-do-reads', false, IMM),
  bool('always-show-logo', false, IMM),
  bool('protected-mode', true),
  bool('rdbcompression', true),
  bool('rdb-del-sync-files', false),
  bool('activerehashing', true),
  bool('stop-writes-on-bgsave-error', true),
  bool('set-proc-title', true, IMM),
  bool('dynamic-hz', true),
  bool('lazyfree-lazy-eviction', false),
  bool('lazyfree-lazy-expire', false),
  bool('lazyfree-lazy-server-del', false),
  bool('lazyfree-lazy-user-del', false),
  bool('lazyfree-lazy-user-flush', false),
  bool('repl-disable-tcp-nodelay', false),
  bool('repl-diskless-sync', true),
  bool('aof-rewrite-incremental-fsync', true),
  bool('no-appendfsync-on-rewrite', false),
  bool('cluster-require-full-coverage', true),
  bool('rdb-save-incremental-fsync', true),
  bool('aof-load-truncated', true),
  bool('aof-use-rdb-preamble', true),
  bool('aof-timestamp-enabled', false),
  bool('cluster-replica-no-failover', false, { alias: 'cluster-slave-no-failover' }),
  bool('replica-lazy-flush', false, { alias: 'slave-lazy-flush' }),
  bool('replica-serve-stale-data', true, { alias: 'slave-serve-stale-data' }),
  bool('replica-read-only', true, { alias: 'slave-read-only' }),
  bool('replica-ignore-maxmemory', true, { alias: 'slave-ignore-maxmemory' }),
  bool('jemalloc-bg-thread', true),
  bool('activedefrag', false),
  bool('syslog-enabled', false, IMM),
  bool('cluster-enabled', false, IMM),
  bool('appendonly', false),
  bool('cluster-allow-reads-when-down', false),
  bool('cluster-allow-pubsubshard-when-down', true),
  bool('crash-log-enabled', true),
  bool('crash-memcheck-enabled', true),
  bool('use-exit-on-panic', false, { hidden: true }),
  bool('disable-thp', true, IMM),
  bool('cluster-allow-replica-migration', true),
  bool('replica-announced', true),
  bool('latency-tracking', true),
  bool('aof-disable-auto-gc', false),
  bool('replica-ignore-disk-write-errors', false),

  // String configs
  str('aclfile', '', IMM),
  str('unixsocket', '', IMM),
  str('pidfile', '', IMM),
  str('replica-announce-ip', '', { alias: 'slave-announce-ip' }),
  str('masteruser', ''),
  str('cluster-announce-ip', ''),
  str('cluster-config-file', 'nodes.conf', IMM),
  str('cluster-announce-hostname', '', { check: checkHostname }),
  str('syslog-ident', 'redis', IMM),
  str('dbfilename', 'dump.rdb', { protected: true, check: checkBaseName('dbfilename', 'a filename') }),
  str('appendfilename', 'appendonly.aof', { ...IMM, check: checkBaseName('appendfilename', 'a filename') }),
  str('appenddirname', 'appendonlydir', { ...IMM, check: checkBaseName('appenddirname', 'a dirname') }),
  str('server_cpulist', '', IMM),
  str('bio_cpulist', '', IMM),
  str('aof_rewrite_cpulist', '', IMM),
  str('bgsave_cpulist', '', IMM),
  str('ignore-warnings', ''),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', { check: checkProcTitle }),
  str('bind-source-addr', ''),
  str('logfile', '', IMM),
  str('masterauth', ''),
  str('requirepass', ''),

  // Enum configs
  en('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', IMM),
  en('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', IMM),
  en('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled'),
  en('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice'),
  en(
    'maxmemory-policy',
    ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
    'noeviction',
    // stickynote's own policy and its volatile twin (engine/eviction/wtinylfu.ts).
    { extraValues: ['allkeys-wtinylfu', 'volatile-wtinylfu'] },
  ),
  en('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  en('oom-score-adj', ['no', 'yes', 'relative', 'absolute'], 'no'),
  en('acl-pubsub-default', ['allchannels', 'resetchannels'], 'resetchannels'),
  en('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),
  en('enable-protected-configs', PROTECTED, 'no', IMM),
  en('enable-debug-command', PROTECTED, 'no', IMM),
  en('enable-module-command', PROTECTED, 'no', IMM),
  en('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip'),
  en('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),
  en('shutdown-on-sigint', ['default', 'save', 'nosave', 'now', 'force'], 'default', { multiArg: true, flagsEnum: true }),
  en('shutdown-on-sigterm', ['default', 'save', 'nosave', 'now', 'force'], 'default', { multiArg: true, flagsEnum: true }),

  // Integer configs
  int('databases', 1n, INT_MAX, 16, IMM),
  int('port', 0n, 65535n, 6379),
  int('io-threads', 1n, 128n, 1, IMM),
  int('auto-aof-rewrite-percentage', 0n, INT_MAX, 100),
  int('cluster-replica-validity-factor', 0n, INT_MAX, 10, { alias: 'cluster-slave-validity-factor' }),
  int('list-max-listpack-size', INT_MIN, INT_MAX, -2, { alias: 'list-max-ziplist-size' }),
  int('tcp-keepalive', 0n, INT_MAX, 300),
  int('cluster-migration-barrier', 0n, INT_MAX, 1),
  int('active-defrag-cycle-min', 1n, 99n, 1),
  int('active-defrag-cycle-max', 1n, 99n, 25),
  int('active-defrag-threshold-lower', 0n, 1000n, 10),
  int('active-defrag-threshold-upper', 0n, 1000n, 100),
  int('lfu-log-factor', 0n, INT_MAX, 10),
  int('lfu-decay-time', 0n, INT_MAX, 1),
  int('replica-priority', 0n, INT_MAX, 100, { alias: 'slave-priority' }),
  int('repl-diskless-sync-delay', 0n, INT_MAX, 5),
  int('maxmemory-samples', 1n, INT_MAX, 5),
  int('maxmemory-eviction-tenacity', 0n, 100n, 10),
  int('timeout', 0n, INT_MAX, 0),
  int('replica-announce-port', 0n, 65535n, 0, { alias: 'slave-announce-port' }),
  int('tcp-backlog', 0n, INT_MAX, 511, IMM),
  int('cluster-port', 0n, 65535n, 0, IMM),
  int('cluster-announce-bus-port', 0n, 65535n, 0),
  int('cluster-announce-port', 0n, 65535n, 0),
  int('cluster-announce-tls-port', 0n, 65535n, 0),
  int('repl-timeout', 1n, INT_MAX, 60),
  int('repl-ping-replica-period', 1n, INT_MAX, 10, { alias: 'repl-ping-slave-period' }),
  int('list-compress-depth', 0n, INT_MAX, 0),
  int('rdb-key-save-delay', INT_MIN, INT_MAX, 0, { hidden: true }),
  int('key-load-delay', INT_MIN, INT_MAX, 0, { hidden: true }),
  int('active-expire-effort', 1n, 10n, 1),
  int('hz', 0n, INT_MAX, 10, { check: (v) => String(Math.min(500, Math.max(1, Number(v)))) }),
  int('min-replicas-to-write', 0n, INT_MAX, 0, { alias: 'min-slaves-to-write' }),
  int('min-replicas-max-lag', 0n, INT_MAX, 10, { alias: 'min-slaves-max-lag' }),
  int('watchdog-period', 0n, INT_MAX, 0, { hidden: true }),
  int('shutdown-timeout', 0n, INT_MAX, 10),
  int('repl-diskless-sync-max-replicas', 0n, INT_MAX, 0),
  int('maxclients', 1n, UINT_MAX, 10000, { unsigned: true }),
  int('unixsocketperm', 0n, 0o777n, 0, { ...IMM, unsigned: true, octal: true }),
  int('socket-mark-id', 0n, UINT_MAX, 0, { ...IMM, unsigned: true }),
  int('active-defrag-max-scan-fields', 1n, LONG_MAX, 1000),
  int('slowlog-max-len', 0n, LONG_MAX, 128),
  int('acllog-max-len', 0n, LONG_MAX, 128),
  int('busy-reply-threshold', 0n, LONG_MAX, 5000, { alias: 'lua-time-limit' }),
  int('cluster-node-timeout', 0n, LONG_MAX, 15000),
  int('slowlog-log-slower-than', -1n, LONG_MAX, 10000),
  int('latency-monitor-threshold', 0n, LONG_MAX, 0),
  mem('proto-max-bulk-len', 1024n * 1024n, LONG_MAX, 512 * 1024 * 1024),
  int('stream-node-max-entries', 0n, LONG_MAX, 100),
  mem('repl-backlog-size', 1n, LONG_MAX, 1024 * 1024),
  mem('maxmemory', 0n, ULLONG_MAX, 0, { unsigned: true }),
  mem('cluster-link-sendbuf-limit', 0n, ULLONG_MAX, 0, { unsigned: true }),
  int('hash-max-listpack-entries', 0n, LONG_MAX, 512, { unsigned: true, alias: 'hash-max-ziplist-entries' }),
  int('set-max-intset-entries', 0n, LONG_MAX, 512, { unsigned: true }),
  int('zset-max-listpack-entries', 0n, LONG_MAX, 128, { unsigned: true, alias: 'zset-max-ziplist-entries' }),
  mem('active-defrag-ignore-bytes', 1n, LONG_MAX, 100 * 1024 * 1024, { unsigned: true }),
  mem('hash-max-listpack-value', 0n, LONG_MAX, 64, { unsigned: true, alias: 'hash-max-ziplist-value' }),
  mem('stream-node-max-bytes', 0n, LONG_MAX, 4096, { unsigned: true }),
  mem('zset-max-listpack-value', 0n, LONG_MAX, 64, { unsigned: true, alias: 'zset-max-ziplist-value' }),
  mem('hll-sparse-max-bytes', 0n, LONG_MAX, 3000, { unsigned: true }),
  int('tracking-table-max-keys', 0n, LONG_MAX, 1000000, { unsigned: true }),
  mem('client-query-buffer-limit', 1024n * 1024n, LONG_MAX, 1024 * 1024 * 1024, { unsigned: true }),
  mem('maxmemory-clients', -100n, LONG_MAX, 0, { percent: true }),
  int('repl-backlog-ttl', 0n, LONG_MAX, 3600),
  mem('auto-aof-rewrite-min-size', 0n, LONG_MAX, 64 * 1024 * 1024),
  int('loading-process-events-interval-bytes', 1024n, INT_MAX, 2 * 1024 * 1024, { hidden: true }),

  // TLS (Debian's redis-server is built with TLS; we accept and show the settings)
  int('tls-port', 0n, 65535n, 0),
  int('tls-session-cache-size', 0n, INT_MAX, 20 * 1024),
  int('tls-session-cache-timeout', 0n, INT_MAX, 300),
  bool('tls-cluster', false),
  bool('tls-replication', false),
  en('tls-auth-clients', ['no', 'yes', 'optional'], 'yes'),
  bool('tls-prefer-server-ciphers', false),
  bool('tls-session-caching', true),
  ...[
    'tls-cert-file',
    'tls-key-file',
    'tls-key-file-pass',
    'tls-client-cert-file',
    'tls-client-key-file',
    'tls-client-key-file-pass',
    'tls-dh-params-file',
    'tls-ca-cert-file',
    'tls-ca-cert-dir',
    'tls-protocols',
    'tls-ciphers',
    'tls-ciphersuites',
  ].map((n) => str(n, '')),

  // Special configs
  special('dir', '', checkDir, { protected: true }),
  special('save', '', checkSave, { multiArg: true }),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', checkOutputBufferLimit, {
    multiArg: true,
  }),
  special('oom-score-adj-values', '0 200 800', checkOomValues, { multiArg: true }),
  special('notify-keyspace-events', '', checkNotifyKeyspaceEvents),
  special('bind', '127.0.0.1', checkBind, { multiArg: true }),
  special('replicaof', '', checkReplicaOf, { ...IMM, multiArg: true, alias: 'slaveof' }),
  special('latency-tracking-info-percentiles', '50 99 99.9', checkPercentiles, { multiArg: true }),
];

// ---- validators (Redis's is_valid_fn and special set functions, with their error texts) -------

function checkHostname(v: string): string {
  if (v.length >= 256) throw new ConfigError('Hostnames must be less than 256 characters');
  if (!HOSTNAME_OK.test(v)) throw new ConfigError('Hostnames may only contain alphanumeric characters, hyphens or dots');
  return v;
}

function checkBaseName(name: string, what: string): (v: string) => string {
  return (v) => {
    if (name !== 'dbfilename' && v === '') throw new ConfigError(`${name} can't be empty`);
    if (v.includes('/')) throw new ConfigError(`${name} can't be a path, just ${what}`);
    return v;
  };
}

const PROC_TITLE_VARS = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);

function checkProcTitle(v: string): string {
  const bad = () => new ConfigError('template format is invalid or contains unknown variables');
  let rest = v;
  for (;;) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open === -1) {
      if (close !== -1) throw bad();
      break;
    }
    const end = rest.indexOf('}', open);
    if (end === -1 || (close !== -1 && close < open) || !PROC_TITLE_VARS.has(rest.slice(open + 1, end))) throw bad();
    rest = rest.slice(end + 1);
  }
  if (v.trim() === '') throw bad();
  return v;
}

function checkDir(v: string): string {
  const words = splitWords(v);
  if (words.length !== 1) throw new ConfigError('wrong number of arguments');
  return v;
}

/** Splits a multi-argument value as Redis's CONFIG SET does (on single spaces). */
function splitWords(v: string): string[] {
  return v.split(' ');
}

/** Multi-arg values where a single "" means "no arguments". */
function argsOf(v: string): string[] {
  return v === '' ? [] : splitWords(v);
}

/** Redis's strtoll(..., 10) with "must consume everything" (accepts a leading sign and spaces). */
function strtollStrict(s: string): bigint | null {
  return /^\s*[+-]?\d+$/.test(s) ? BigInt(s.trim()) : null;
}

function checkSave(v: string): string {
  const args = argsOf(v);
  const invalid = () => new ConfigError('Invalid save parameters');
  if (args.length % 2 !== 0) throw invalid();
  for (let j = 0; j < args.length; j++) {
    const n = strtollStrict(args[j]);
    if (n === null || (j % 2 === 0 && n < 1n) || (j % 2 === 1 && n < 0n)) throw invalid();
  }
  const pairs: string[] = [];
  for (let j = 0; j < args.length; j += 2) {
    pairs.push(`${BigInt(args[j].trim())} ${BigInt.asIntN(32, BigInt(args[j + 1].trim()))}`);
  }
  return pairs.join(' ');
}

const OBUF_CLASSES: Record<string, number> = { normal: 0, slave: 1, replica: 1, pubsub: 2 };
const OBUF_NAMES = ['normal', 'slave', 'pubsub'];

function checkOutputBufferLimit(v: string, config: Config): string {
  const args = splitWords(v);
  if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const current = (config.get('client-output-buffer-limit') ?? '').split(' ');
  const values: string[][] = [0, 1, 2].map((i) => current.slice(i * 4 + 1, i * 4 + 4));
  for (let j = 0; j < args.length; j += 4) {
    const cls = OBUF_CLASSES[args[j].toLowerCase()];
    if (cls === undefined) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(args[j + 1]);
    const soft = memtoull(args[j + 2]);
    const secs = /^[+-]?\d+$/.test(args[j + 3].replace(/^\s+/, '')) ? BigInt(args[j + 3].trim()) : null;
    if (hard === null || soft === null || secs === null || secs < 0n) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    values[cls] = [String(hard), String(soft), String(secs)];
  }
  return values.map((x, i) => `${OBUF_NAMES[i]} ${x.join(' ')}`).join(' ');
}

function checkOomValues(v: string): string {
  const args = splitWords(v);
  if (args.length !== 3) throw new ConfigError('wrong number of arguments');
  for (const a of args) {
    const n = strtollStrict(a);
    if (n === null || n < -2000n || n > 2000n) {
      throw new ConfigError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
    }
  }
  return args.map((a) => String(BigInt(a.trim()))).join(' ');
}

/** Keyspace notification classes in the order Redis prints them (notify.c). */
const NOTIFY_CLASSES = 'g$lshzxetdn';
const NOTIFY_ALL = 'g$lshzxetd';

function checkNotifyKeyspaceEvents(v: string): string {
  const set = new Set<string>();
  for (const ch of v) {
    if (ch === 'A') for (const c of NOTIFY_ALL) set.add(c);
    else if ((NOTIFY_CLASSES + 'KEm').includes(ch)) set.add(ch);
    else throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  let out = '';
  // "A" stands for all classes but 'n'. Redis prints it hiding an 'n' set alongside, yet keeps
  // the flag: stored here as "An…", shown by notifyEventsShown.
  if ([...NOTIFY_ALL].every((c) => set.has(c))) out = set.has('n') ? 'An' : 'A';
  else for (const c of NOTIFY_CLASSES) if (set.has(c)) out += c;
  for (const c of 'KEm') if (set.has(c)) out += c;
  return out;
}

/** notify-keyspace-events as Redis shows it (CONFIG GET, CONFIG REWRITE): "A" hides an "n". */
function notifyEventsShown(stored: string): string {
  return stored.startsWith('An') ? 'A' + stored.slice(2) : stored;
}

function checkBind(v: string): string {
  const args = splitWords(v);
  if (args.length > 16) throw new ConfigError('Too many bind addresses specified.');
  return v;
}

function checkReplicaOf(v: string): string {
  const args = splitWords(v);
  if (args.length !== 2) throw new ConfigError('wrong number of arguments');
  if (args[0].toLowerCase() === 'no' && args[1].toLowerCase() === 'one') return '';
  const port = /^[+-]?\d+$/.test(args[1]) ? Number(args[1]) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new ConfigError('Invalid master port');
  return `${args[0]} ${port}`;
}

function checkPercentiles(v: string): string {
  const args = argsOf(v);
  const out: string[] = [];
  for (const a of args) {
    const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a) ? Number(a) : NaN;
    if (Number.isNaN(n)) throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
    if (n > 100 || n < 0) throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
    out.push(n.toFixed(6).replace(/\.?0+$/, ''));
  }
  return out.join(' ');
}

// ---- numbers ----------------------------------------------------------------------------------

const MEMORY_UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * Redis's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb; any case). Like Redis,
 * no digits means 0 ("" and "mb" are 0), and the result wraps at 64 bits. Returns null if invalid.
 */
function memtoull(s: string): bigint | null {
  const m = /^(\d*)([a-zA-Z]*)$/.exec(s);
  if (!m) return null;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined || m[1].length >= 128) return null;
  let n = m[1] === '' ? 0n : BigInt(m[1]);
  if (n > ULLONG_MAX) n = ULLONG_MAX; // strtoull saturates
  return BigInt.asUintN(64, n * unit);
}

/** Redis's memtoull as a number ("100mb", "1gb", "512k", plain bytes). Returns null if invalid. */
export function parseMemory(s: string): number | null {
  const n = memtoull(s);
  return n === null ? null : Number(n);
}

/** Redis's string2ll: optional '-', digits, no leading zeros or spaces, within int64. */
function string2ll(s: string): bigint | null {
  if (!/^(0|-?[1-9]\d*)$/.test(s)) return null;
  const n = BigInt(s);
  return n >= -LONG_MAX - 1n && n <= LONG_MAX ? n : null;
}

function parseNumeric(spec: ParamSpec, raw: string): bigint {
  if (spec.type === 'memory') {
    const n = memtoull(raw);
    if (n !== null) return spec.unsigned ? n : BigInt.asIntN(64, n);
    if (spec.percent && raw.length > 1 && raw.endsWith('%')) {
      const p = string2ll(raw.slice(0, -1));
      if (p !== null && p >= 0n) return -p;
    }
    throw new ConfigError(spec.percent ? 'argument must be a memory or percent value' : 'argument must be a memory value');
  }
  if (spec.octal) {
    if (/^[+-]?[0-7]+$/.test(raw.trim())) return BigInt(parseInt(raw, 8));
    throw new ConfigError("argument couldn't be parsed as an octal number");
  }
  const n = string2ll(raw);
  if (n === null) throw new ConfigError("argument couldn't be parsed into an integer");
  return spec.unsigned ? BigInt.asUintN(64, n) : n;
}

function checkBounds(spec: ParamSpec, n: bigint): void {
  const min = spec.min!;
  const max = spec.max!;
  if (spec.percent && n < 0n) {
    if (n < min) throw new ConfigError(`percentage argument must be less or equal to ${-min}`);
    return;
  }
  if (n < min || n > max) {
    const fmt = (x: bigint) => (spec.octal ? x.toString(8) : String(x));
    throw new ConfigError(`argument must be between ${fmt(min)} and ${fmt(max)} inclusive`);
  }
}

function formatNumeric(spec: ParamSpec, n: bigint): string {
  if (spec.percent && n < 0n) return `${-n}%`;
  if (spec.octal) return n.toString(8);
  return String(n);
}

// ---- the table ----------------------------------------------------------------------------------

export interface TypedConfig {
  port: number;
  bind: string;
  requirepass: string;
  databases: number;
  maxmemory: number;
  maxmemoryPolicy: string;
  maxmemorySamples: number;
  maxmemoryEvictionTenacity: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  maxclients: number;
  timeout: number;
  tcpKeepalive: number;
  hz: number;
  dynamicHz: boolean;
  activeExpireEffort: number;
  /** Canonical notify-keyspace-events flags ("" = off, e.g. "AKE", "gxE"; "AnKE" is A with n). */
  notifyKeyspaceEvents: string;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
  listCompressDepth: number;
  busyReplyThreshold: number;
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  latencyMonitorThreshold: number;
  trackingTableMaxKeys: number;
  lazyfreeLazyUserDel: boolean;
  lazyfreeLazyUserFlush: boolean;
  /** "no", "yes" or "local" (DEBUG is refused unless allowed, as in Redis 7.0). */
  enableDebugCommand: string;
  enableProtectedConfigs: string;
  appendonly: boolean;
}

export class Config {
  private readonly specs = new Map<string, ParamSpec>();
  private readonly values = new Map<string, string>();
  readonly typed = {} as TypedConfig;
  /** Called after a parameter changes (the server reacts, e.g. to `port` or `hz`). */
  onChange: ((name: string, value: string) => void) | null = null;
  /** Startup loading: the first `save` line replaces the default, later ones add to it. */
  private saveLoaded = false;

  constructor() {
    for (const p of PARAMS) {
      this.specs.set(p.name, p);
      if (p.alias) this.specs.set(p.alias, p);
      this.values.set(p.name, p.default);
    }
    this.refresh();
  }

  spec(name: string): ParamSpec | undefined {
    return this.specs.get(name.toLowerCase());
  }

  /** Canonical parameter names. */
  names(): string[] {
    return PARAMS.map((p) => p.name);
  }

  get(name: string): string | undefined {
    const spec = this.spec(name);
    if (!spec) return undefined;
    if (spec.name === 'dir' && this.values.get('dir') === '') return process.cwd();
    if (spec.name === 'notify-keyspace-events') return notifyEventsShown(this.values.get(spec.name)!);
    return this.values.get(spec.name);
  }

  /**
   * CONFIG GET: the parameters matching any of `patterns` (glob, case-insensitive; an exact name
   * keeps the spelling asked for), each once, as [name, value] pairs.
   */
  match(patterns: readonly string[]): [string, string][] {
    const out = new Map<string, [string, string]>();
    for (const pattern of patterns) {
      if (!/[[*?]/.test(pattern)) {
        const spec = this.spec(pattern);
        if (spec && !out.has(pattern.toLowerCase())) out.set(pattern.toLowerCase(), [pattern, this.get(spec.name)!]);
        continue;
      }
      for (const [name, spec] of this.specs) {
        if (spec.hidden || out.has(name)) continue;
        if (stringMatch(pattern, name, true)) out.set(name, [name, this.get(spec.name)!]);
      }
    }
    return [...out.values()];
  }

  /**
   * Validates and stores a value. Throws ConfigError with Redis's reason text
   * (e.g. "argument must be a memory value").
   */
  set(name: string, raw: string, atStartup = false): void {
    const spec = this.spec(name);
    if (!spec) throw new ConfigError('Unknown option or number of arguments for CONFIG SET');
    if (!atStartup) this.checkSettable(spec);
    this.store(spec, this.normalize(spec, raw, atStartup));
  }

  /**
   * CONFIG SET with several pairs, all or nothing, with Redis 7.0's error precedence: the first
   * unknown, immutable, protected or duplicate name, then the first invalid value. Throws
   * ConfigError with the full reply text (without "ERR ").
   */
  setMany(pairs: readonly [string, string][]): void {
    let unknown: string | null = null;
    let early: ConfigError | null = null;
    const specs: ParamSpec[] = [];
    for (const [name] of pairs) {
      const spec = this.spec(name);
      if (!spec) {
        if (early === null) unknown ??= name;
        continue;
      }
      if (unknown !== null || early !== null) continue;
      try {
        this.checkSettable(spec);
        if (specs.includes(spec)) throw new ConfigError('duplicate parameter');
      } catch (e) {
        early = new ConfigError(`CONFIG SET failed (possibly related to argument '${name}') - ${(e as Error).message}`);
      }
      specs.push(spec);
    }
    if (unknown !== null) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
    if (early) throw early;
    const next: string[] = [];
    for (let i = 0; i < pairs.length; i++) {
      try {
        next.push(this.normalize(specs[i], pairs[i][1], false));
      } catch (e) {
        throw new ConfigError(`CONFIG SET failed (possibly related to argument '${specs[i].name}') - ${(e as Error).message}`);
      }
    }
    for (let i = 0; i < pairs.length; i++) this.store(specs[i], next[i]);
  }

  private checkSettable(spec: ParamSpec): void {
    if (spec.mutable === false) throw new ConfigError("can't set immutable config");
    if (spec.protected && this.values.get('enable-protected-configs') !== 'yes') throw new ConfigError("can't set protected config");
  }

  private store(spec: ParamSpec, value: string): void {
    this.values.set(spec.name, value);
    this.refresh();
    this.onChange?.(spec.name, value);
  }

  private normalize(spec: ParamSpec, raw: string, atStartup: boolean): string {
    switch (spec.type) {
      case 'bool': {
        const v = raw.toLowerCase();
        if (v !== 'yes' && v !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
        return v;
      }
      case 'int':
      case 'memory': {
        const n = parseNumeric(spec, raw);
        checkBounds(spec, n);
        const value = formatNumeric(spec, n);
        return spec.check ? spec.check(value, this) : value;
      }
      case 'enum':
        return this.normalizeEnum(spec, raw);
      case 'special': {
        const value = spec.check!(raw, this);
        if (spec.name !== 'save' || !atStartup) return value;
        if (!this.saveLoaded) {
          this.saveLoaded = true;
          return value;
        }
        return [this.values.get('save'), value].filter((x) => x !== '').join(' ');
      }
      default:
        return spec.check ? spec.check(raw, this) : raw;
    }
  }

  private normalizeEnum(spec: ParamSpec, raw: string): string {
    const values = spec.values!;
    const words = spec.flagsEnum ? splitWords(raw) : [raw];
    const picked = new Set<string>();
    for (const w of words) {
      const v = w.toLowerCase();
      if (!values.includes(v) && !spec.extraValues?.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${values.join(', ')}`);
      picked.add(v);
    }
    if (!spec.flagsEnum) return [...picked][0];
    const set = values.filter((v) => v !== values[0] && picked.has(v));
    return set.length === 0 ? values[0] : set.join(' ');
  }

  /** Redis's CONFIG REWRITE, simplified: rewrites `path` keeping comments and unknown lines. */
  rewrite(path: string): void {
    let old: string[] = [];
    try {
      old = readFileSync(path, 'latin1').split('\n');
      if (old[old.length - 1] === '') old.pop();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const pending = new Map<string, string>();
    for (const p of PARAMS) {
      if (p.hidden) continue;
      const stored = this.values.get(p.name)!;
      const value = p.name === 'notify-keyspace-events' ? notifyEventsShown(stored) : stored;
      const explicit = old.some((l) => this.lineOption(l) === p.name);
      if (value !== p.default || explicit) pending.set(p.name, `${p.name} ${quoteConfigValue(p, value)}`);
    }
    const lines: string[] = [];
    for (const line of old) {
      const opt = this.lineOption(line);
      if (opt === null) lines.push(line);
      else if (pending.has(opt)) {
        lines.push(pending.get(opt)!);
        pending.delete(opt);
      } else if (!this.spec(opt)) lines.push(line);
    }
    if (pending.size > 0) {
      if (!lines.includes('# Generated by CONFIG REWRITE')) lines.push('# Generated by CONFIG REWRITE');
      lines.push(...pending.values());
    }
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, lines.join('\n') + '\n', { mode: 0o644 });
    renameSync(tmp, path);
  }

  /** The canonical option a config line sets, or null for comments and blank lines. */
  private lineOption(line: string): string | null {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return null;
    const name = t.split(/\s+/)[0].toLowerCase();
    return this.spec(name)?.name ?? name;
  }

  private refresh(): void {
    const v = (n: string) => this.values.get(n)!;
    const num = (n: string) => Number(this.values.get(n));
    const yes = (n: string) => this.values.get(n) === 'yes';
    Object.assign(this.typed, {
      port: num('port'),
      bind: v('bind'),
      requirepass: v('requirepass'),
      databases: num('databases'),
      maxmemory: num('maxmemory'),
      maxmemoryPolicy: v('maxmemory-policy'),
      maxmemorySamples: num('maxmemory-samples'),
      maxmemoryEvictionTenacity: num('maxmemory-eviction-tenacity'),
      lfuLogFactor: num('lfu-log-factor'),
      lfuDecayTime: num('lfu-decay-time'),
      protoMaxBulkLen: num('proto-max-bulk-len'),
      clientQueryBufferLimit: num('client-query-buffer-limit'),
      maxclients: num('maxclients'),
      timeout: num('timeout'),
      tcpKeepalive: num('tcp-keepalive'),
      hz: num('hz'),
      dynamicHz: yes('dynamic-hz'),
      activeExpireEffort: num('active-expire-effort'),
      notifyKeyspaceEvents: v('notify-keyspace-events'),
      hashMaxListpackEntries: num('hash-max-listpack-entries'),
      hashMaxListpackValue: num('hash-max-listpack-value'),
      setMaxIntsetEntries: num('set-max-intset-entries'),
      zsetMaxListpackEntries: num('zset-max-listpack-entries'),
      zsetMaxListpackValue: num('zset-max-listpack-value'),
      listMaxListpackSize: num('list-max-listpack-size'),
      listCompressDepth: num('list-compress-depth'),
      busyReplyThreshold: num('busy-reply-threshold'),
      slowlogLogSlowerThan: num('slowlog-log-slower-than'),
      slowlogMaxLen: num('slowlog-max-len'),
      latencyMonitorThreshold: num('latency-monitor-threshold'),
      trackingTableMaxKeys: num('tracking-table-max-keys'),
      lazyfreeLazyUserDel: yes('lazyfree-lazy-user-del'),
      lazyfreeLazyUserFlush: yes('lazyfree-lazy-user-flush'),
      enableDebugCommand: v('enable-debug-command'),
      enableProtectedConfigs: v('enable-protected-configs'),
      appendonly: yes('appendonly'),
    } satisfies TypedConfig);
  }
}

/** A value as CONFIG REWRITE writes it: memory in the largest exact unit, strings quoted. */
function quoteConfigValue(spec: ParamSpec, value: string): string {
  if (spec.type === 'memory' && /^\d+$/.test(value)) {
    const n = BigInt(value);
    for (const [unit, size] of [['gb', 1n << 30n], ['mb', 1n << 20n], ['kb', 1n << 10n]] as const) {
      if (n !== 0n && n % size === 0n) return `${n / size}${unit}`;
    }
    return value;
  }
  if (spec.type === 'string') return JSON.stringify(value);
  if (spec.multiArg && value === '') return '""';
  return value;
}
