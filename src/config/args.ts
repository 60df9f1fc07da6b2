import { readFileSync } from 'node:fs';
import { splitArgs } from '../server/resp-parser.js';
import { Config, ConfigError } from './config.js';

/**
 * Reads redis-server's command line: an optional config file path first, then `--name value…`
 * options that override it (`--port 6380 --maxmemory 100mb --save ""`). Options given as
 * `--name` followed by several words keep all of them (`--save 900 1`).
 */
export function configFromArgv(argv: string[], config = new Config()): { config: Config; file: string } {
  let file = '';
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith('--')) {
    file = argv[0];
    i = 1;
    if (file === '-') throw new ConfigError('reading the config from stdin is not supported');
    applyConfigText(config, readFileSync(file, 'latin1'), file);
  }
  const lines: string[][] = [];
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) lines.push([a.slice(2)]);
    else if (lines.length > 0) lines[lines.length - 1].push(a);
    else throw new ConfigError(`unexpected argument '${a}'`);
  }
  for (const [name, ...values] of lines) applyDirective(config, name, values, 'command line');
  return { config, file };
}

/** Applies a redis.conf text: one directive per line, # comments, quoted values. */
export function applyConfigText(config: Config, text: string, origin: string): void {
  const lines = text.split('\n');
  lines.forEach((line, n) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const words = splitArgs(trimmed);
    if (words === null) throw new ConfigError(`${origin}:${n + 1}: unbalanced quotes`);
    const [name, ...values] = words;
    applyDirective(config, name, values, `${origin}:${n + 1}`);
  });
}

/** Directives redis.conf may contain that have no effect on an in-memory server. */
const IGNORED = new Set(['save', 'appendonly', 'appendfsync', 'dir', 'dbfilename', 'appendfilename', 'pidfile', 'supervised', 'always-show-logo', 'io-threads', 'enable-debug-command', 'enable-protected-configs', 'enable-module-command', 'rdbcompression', 'rdbchecksum', 'stop-writes-on-bgsave-error', 'unixsocket', 'unixsocketperm']);

function applyDirective(config: Config, name: string, values: string[], origin: string): void {
  const key = name.toLowerCase();
  if (!config.spec(key)) {
    if (IGNORED.has(key)) return;
    throw new ConfigError(`${origin}: unknown option '${name}'`);
  }
  try {
    config.set(key, values.join(' '), true);
  } catch (e) {
    throw new ConfigError(`${origin}: '${name} ${values.join(' ')}': ${(e as Error).message}`);
  }
}
