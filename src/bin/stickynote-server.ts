#!/usr/bin/env node
// First, so its V8 flags apply before the heap grows.
import './v8-flags.js';
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromArgv, ConfigLineError, type LoadedConfig } from '../config/args.js';
import type { Config } from '../config/config.js';
import { bindAddresses, StickyServer } from '../server/server.js';

/**
 * `stickynote-server [/path/to/redis.conf] [options] [-]`, redis-server's syntax and behaviour:
 * the same option parsing and FATAL CONFIG FILE ERROR report, Redis-style log lines on stdout
 * (or `logfile`), a clean shutdown with exit code 0 on SIGINT/SIGTERM/SHUTDOWN, exit code 1 when
 * the port is taken.
 */

const VERSION = readVersion();

function readVersion(): string {
  try {
    // dist/src/bin/ -> package root.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const USAGE = `Usage: stickynote-server [/path/to/redis.conf] [options] [-]
       stickynote-server - (read config from stdin)
       stickynote-server -v or --version
       stickynote-server -h or --help

Examples:
       stickynote-server (run the server with default conf)
       echo 'maxmemory 128mb' | stickynote-server -
       stickynote-server /etc/redis/6379.conf
       stickynote-server --port 7777
       stickynote-server --port 7777 --maxmemory 100mb --maxmemory-policy allkeys-lru
       stickynote-server /etc/myredis.conf --loglevel verbose -
`;

const LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;
type Level = (typeof LEVELS)[number];
const MARKS: Record<Level, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Redis's log line format: "pid:role dd Mon yyyy hh:mm:ss.mmm <mark> message". */
class Logger {
  role = 'C';
  constructor(private config: Config | null = null) {}

  use(config: Config): void {
    this.config = config;
  }

  log(level: Level, message: string): void {
    const threshold = this.config?.get('loglevel') ?? 'notice';
    if (threshold === 'nothing' || LEVELS.indexOf(level) < LEVELS.indexOf(threshold as Level)) return;
    const d = new Date();
    const p2 = (n: number) => String(n).padStart(2, '0');
    const stamp = `${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
    const line = `${process.pid}:${this.role} ${stamp} ${MARKS[level]} ${message}\n`;
    const file = this.config?.get('logfile') ?? '';
    if (file === '') process.stdout.write(line);
    else {
      try {
        appendFileSync(file, line);
      } catch {
        // Like Redis: a log line that cannot be written is dropped.
      }
    }
  }
}

function fatalConfig(reason: string, at?: { lineNumber: number; line: string }): never {
  let msg = `\n*** FATAL CONFIG FILE ERROR (stickynote ${VERSION}) ***\n`;
  if (at) msg += `Reading the configuration file, at line ${at.lineNumber}\n>>> '${at.line}'\n`;
  process.stderr.write(`${msg}${reason}\n`);
  process.exit(1);
}

function loadConfig(argv: string[], logger: Logger): LoadedConfig {
  try {
    return configFromArgv(argv);
  } catch (e) {
    if (e instanceof ConfigLineError) fatalConfig(e.reason, e);
    const err = e as NodeJS.ErrnoException;
    if (err.syscall === 'open' || err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      logger.log('warning', `Fatal error, can't open config file '${err.path ?? argv[0]}': ${describeErrno(err)}`);
      process.exit(1);
    }
    throw e;
  }
}

/** strerror()-like text for the errno codes a config or log file open can produce. */
function describeErrno(err: NodeJS.ErrnoException): string {
  const texts: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    EADDRINUSE: 'Address already in use',
    EADDRNOTAVAIL: 'Cannot assign requested address',
  };
  return texts[err.code ?? ''] ?? err.message;
}

/** Redis refuses to start when the log file cannot be opened for appending. */
function checkLogfile(config: Config): void {
  const file = config.get('logfile') ?? '';
  if (file === '') return;
  try {
    closeSync(openSync(file, 'a'));
  } catch (e) {
    fatalConfig(`Can't open the log file: ${describeErrno(e as NodeJS.ErrnoException)}`);
  }
}

/** Set in the environment of the detached copy that `daemonize yes` starts. */
const DAEMON_CHILD = 'STICKYNOTE_DAEMON_CHILD';
/** Redis's CONFIG_DEFAULT_PID_FILE, for a daemon without a `pidfile`. */
const DEFAULT_PIDFILE = '/var/run/stickynote.pid';

/**
 * `daemonize yes`: Node cannot fork, so start a detached copy of this process (same argv, no
 * terminal, output discarded as Redis's daemon does) and exit 0 at once, as redis-server's parent.
 */
function daemonize(argv: string[]): never {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });
  child.unref();
  process.exit(0);
}

function writePidfile(path: string, logger: Logger): void {
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (e) {
    logger.log('warning', `Failed to write PID file: ${describeErrno(e as NodeJS.ErrnoException)}`);
  }
}

function removePidfile(path: string, logger: Logger): void {
  logger.log('notice', 'Removing the pid file.');
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to clean up.
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(`stickynote-server v=${VERSION} redis-compat=7.0 node=${process.version} bits=64\n`);
    return;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write(USAGE);
    process.exit(1);
  }
  const logger = new Logger();
  const { config, file, ignored } = loadConfig(argv, logger);
  checkLogfile(config);
  const daemonized = config.get('daemonize') === 'yes' && config.get('supervised') !== 'systemd' && config.get('supervised') !== 'upstart';
  if (daemonized && process.env[DAEMON_CHILD] !== '1') daemonize(argv);
  // As in Redis, the first lines go to the configured log (file and level), after the config loaded.
  logger.use(config);
  logger.log('warning', 'oO0OoO0OoO0Oo stickynote is starting oO0OoO0OoO0Oo');
  logger.log('warning', `stickynote version=${VERSION}, node=${process.version}, pid=${process.pid}, just started`);
  if (argv.length === 0) {
    logger.log('warning', 'Warning: no config file specified, using the default config. In order to specify a config file use stickynote-server /path/to/redis.conf');
  } else {
    logger.log('warning', 'Configuration loaded');
  }
  logger.role = 'M';
  if (ignored.length > 0) logger.log('warning', `Ignoring config directives stickynote does not support: ${ignored.join(', ')}`);

  const { port, bind } = config.typed;
  if (port === 0) {
    // Redis treats port 0 as "no TCP listener"; without unix sockets there is nothing left to serve.
    logger.log('warning', 'Configured to not listen anywhere, exiting.');
    process.exit(1);
  }
  const server = new StickyServer({ config });
  // Absolute, as Redis keeps it, so CONFIG REWRITE and INFO's config_file do not depend on the cwd.
  server.context.configFile = file === '' ? '' : resolve(file);
  try {
    await server.listen(port, bind);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { address?: string };
    const shown = bindAddresses(bind).find((a) => a.host === err.address)?.shown ?? err.address ?? bind;
    logger.log('warning', `Warning: Could not create server TCP listening socket ${shown}:${port}: bind: ${describeErrno(err)}`);
    logger.log('warning', `Failed listening on port ${port} (TCP), aborting.`);
    process.exit(1);
  }
  logger.log('notice', `Running mode=standalone, port=${server.port}.`);
  logger.log('warning', 'Server initialized');
  const pidfile = config.get('pidfile') || (daemonized ? DEFAULT_PIDFILE : '');
  if (pidfile !== '') writePidfile(pidfile, logger);
  logger.log('notice', 'Ready to accept connections');

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    logger.log('warning', 'User requested shutdown...');
    void server.close().then(() => {
      if (pidfile !== '') removePidfile(pidfile, logger);
      logger.log('warning', 'stickynote is now ready to exit, bye bye...');
      process.exit(0);
    });
  };
  const onSignal = (signal: string) => {
    if (stopping && signal === 'SIGINT') {
      // Like Redis: a second Ctrl-C does not wait for the graceful shutdown.
      logger.log('warning', 'You insist... exiting now.');
      process.exit(1);
    }
    logger.log('warning', `Received ${signal} scheduling shutdown...`);
    shutdown();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  server.context.shutdown = shutdown;
}

void main();
