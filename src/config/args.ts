import { readFileSync } from 'node:fs';
import { splitArgs } from '../server/resp-parser.js';
import { Config, ConfigError } from './config.js';

/**
 * A config error located like redis-server reports it: the 1-based line of the combined config text
 * (file, then stdin, then command-line options) and that line, trimmed.
 */
export class ConfigLineError extends ConfigError {
  constructor(
    readonly reason: string,
    readonly lineNumber: number,
    readonly line: string,
  ) {
    super(`line ${lineNumber}: '${line}': ${reason}`);
  }
}

export interface LoadedConfig {
  config: Config;
  /** Config file path as given ('' when none). */
  file: string;
  /** Redis directives accepted but without effect here (persistence, replication, TLS…). */
  ignored: string[];
}

export interface ArgvSources {
  /** Reads a config file (default: the file system, latin1). Throws like fs.readFileSync. */
  readFile?: (path: string) => string;
  /** Reads the config given on stdin with `-` (default: fd 0). */
  readStdin?: () => string;
}

/**
 * Reads redis-server's command line exactly as redis-server's main() does: an optional config file
 * path first (any argument not starting with '-'), an optional `-` (config from stdin) first or last,
 * then `--name value…` options that become "name value" lines appended after the file's text, so they
 * win. `--save` with no value means `save ""`; an argument may hold both name and value ("--port 6380").
 */
export function configFromArgv(argv: string[], config = new Config(), sources: ArgvSources = {}): LoadedConfig {
  let file = '';
  let j = 0;
  if (argv.length > 0 && !argv[0].startsWith('-')) {
    file = argv[0];
    j = 1;
  }
  let fromStdin = false;
  const options: string[] = [];
  let lastHasValue = true;
  for (; j < argv.length; j++) {
    const a = argv[j];
    if (a === '-' && (j === 0 || j === argv.length - 1)) {
      fromStdin = true;
    } else if (lastHasValue && a.startsWith('--')) {
      options.push(`${a.slice(2)} `);
      lastHasValue = (splitArgs(a) ?? []).length > 1;
      const next = argv[j + 1];
      if (!lastHasValue && a.toLowerCase() === '--save' && (next === undefined || next.startsWith('--'))) {
        options[options.length - 1] += '""';
        lastHasValue = true;
      }
    } else {
      if (options.length === 0) options.push('');
      options[options.length - 1] += `${quoteArg(a)} `;
      lastHasValue = true;
    }
  }
  let text = '';
  if (file !== '') text += (sources.readFile ?? ((p) => readFileSync(p, 'latin1')))(file);
  if (fromStdin) text += (sources.readStdin ?? (() => readFileSync(0, 'latin1')))();
  if (options.length > 0) text += `\n${options.join('\n')}`;
  const ignored = applyConfigText(config, text);
  return { config, file, ignored };
}

/** Redis's sdscatrepr: a double-quoted string with escapes, so values survive the re-split. */
function quoteArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (c < 32 || c >= 127) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Applies a redis.conf text (Redis's loadServerConfigFromString): one directive per line, `#`
 * comments, quoted values, names case-insensitive. Throws ConfigLineError with Redis's reason text.
 * Returns the names of directives that Redis knows but that have no effect on this server.
 */
export function applyConfigText(config: Config, text: string): string[] {
  const ignored: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const words = splitArgs(line);
    if (words === null) throw new ConfigLineError('Unbalanced quotes in configuration line', i + 1, line);
    if (words.length === 0) continue;
    const reason = applyDirective(config, words[0].toLowerCase(), words.slice(1), ignored);
    if (reason !== null) throw new ConfigLineError(reason, i + 1, line);
  }
  return ignored;
}

/** Redis configs that take several arguments on one line. */
const MULTI_ARG = new Set(['bind', 'save', 'client-output-buffer-limit', 'oom-score-adj-values', 'latency-tracking-info-percentiles']);

/** Applies one directive; returns Redis's error reason, or null on success. */
function applyDirective(config: Config, name: string, values: string[], ignored: string[]): string | null {
  const spec = config.spec(name);
  if (spec) {
    if (!MULTI_ARG.has(spec.name) && values.length !== 1) return 'wrong number of arguments';
    try {
      config.set(spec.name, values.join(' '), true);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  }
  if (REDIS_CONFIGS.has(name) || DIRECTIVES.has(name)) {
    if (!MULTI_ARG.has(name) && !DIRECTIVES.has(name) && values.length !== 1) return 'wrong number of arguments';
    if (!ignored.includes(name)) ignored.push(name);
    return null;
  }
  return 'Bad directive or wrong number of arguments';
}

/** Non-config directives redis.conf may hold (and 7.0's deprecated names it still accepts). */
const DIRECTIVES = new Set(['include', 'rename-command', 'user', 'loadmodule', 'sentinel', 'list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);

/** Every parameter name of Redis 7.0 (`CONFIG GET *` plus aliases), so any real redis.conf loads. */
const REDIS_CONFIGS = new Set(
  `acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min active-defrag-ignore-bytes
  active-defrag-max-scan-fields active-defrag-threshold-lower active-defrag-threshold-upper active-expire-effort activedefrag
  activerehashing always-show-logo aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync aof-timestamp-enabled
  aof-use-rdb-preamble aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly auto-aof-rewrite-min-size
  auto-aof-rewrite-percentage bgsave_cpulist bind bind-source-addr bio_cpulist busy-reply-threshold client-output-buffer-limit
  client-query-buffer-limit cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down cluster-allow-replica-migration
  cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port cluster-announce-tls-port
  cluster-config-file cluster-enabled cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout cluster-port
  cluster-preferred-endpoint-type cluster-replica-no-failover cluster-replica-validity-factor cluster-require-full-coverage
  cluster-slave-no-failover cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled daemonize databases dbfilename
  dir disable-thp dynamic-hz enable-debug-command enable-module-command enable-protected-configs hash-max-listpack-entries
  hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes hz ignore-warnings io-threads
  io-threads-do-reads jemalloc-bg-thread latency-monitor-threshold latency-tracking latency-tracking-info-percentiles
  lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush
  lfu-decay-time lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size logfile loglevel lua-time-limit
  masterauth masteruser maxclients maxmemory maxmemory-clients maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples
  min-replicas-max-lag min-replicas-to-write min-slaves-max-lag min-slaves-to-write no-appendfsync-on-rewrite
  notify-keyspace-events oom-score-adj oom-score-adj-values pidfile port proc-title-template propagation-error-behavior
  protected-mode proto-max-bulk-len rdb-del-sync-files rdb-save-incremental-fsync rdbchecksum rdbcompression repl-backlog-size
  repl-backlog-ttl repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync repl-diskless-sync-delay
  repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period repl-timeout replica-announce-ip
  replica-announce-port replica-announced replica-ignore-disk-write-errors replica-ignore-maxmemory replica-lazy-flush
  replica-priority replica-read-only replica-serve-stale-data replicaof requirepass sanitize-dump-payload save server_cpulist
  set-max-intset-entries set-proc-title shutdown-on-sigint shutdown-on-sigterm shutdown-timeout slave-announce-ip
  slave-announce-port slave-ignore-maxmemory slave-lazy-flush slave-priority slave-read-only slave-serve-stale-data slaveof
  slowlog-log-slower-than slowlog-max-len socket-mark-id stop-writes-on-bgsave-error stream-node-max-bytes
  stream-node-max-entries supervised syslog-enabled syslog-facility syslog-ident tcp-backlog tcp-keepalive timeout
  tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites tls-client-cert-file
  tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file tls-key-file tls-key-file-pass tls-port
  tls-prefer-server-ciphers tls-protocols tls-replication tls-session-cache-size tls-session-cache-timeout tls-session-caching
  tracking-table-max-keys unixsocket unixsocketperm zset-max-listpack-entries zset-max-listpack-value zset-max-ziplist-entries
  zset-max-ziplist-value`.split(/\s+/),
);
