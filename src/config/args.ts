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
  /** Directives accepted without effect here (rename-command, user, loadmodule…), to warn about. */
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
  if (file !== '') text += (sources.readFile ?? readLatin1)(file);
  if (fromStdin) text += (sources.readStdin ?? (() => readFileSync(0, 'latin1')))();
  if (options.length > 0) text += `\n${options.join('\n')}`;
  const ignored = applyConfigText(config, text, sources.readFile);
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
 * comments, quoted values, names case-insensitive, `include` of other files. Throws
 * ConfigLineError with Redis's reason text. Returns the directives accepted without effect here.
 */
export function applyConfigText(config: Config, text: string, readFile: (path: string) => string = readLatin1, ignored: string[] = []): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const words = splitArgs(line);
    if (words === null) throw new ConfigLineError('Unbalanced quotes in configuration line', i + 1, line);
    if (words.length === 0) continue;
    const name = words[0].toLowerCase();
    const values = words.slice(1);
    if (name === 'include' && values.length === 1 && !config.spec(name)) {
      applyConfigText(config, readFile(values[0]), readFile, ignored);
      continue;
    }
    const reason = applyDirective(config, name, values, ignored);
    if (reason !== null) throw new ConfigLineError(reason, i + 1, line);
  }
  return ignored;
}

function readLatin1(path: string): string {
  return readFileSync(path, 'latin1');
}

/** Applies one directive; returns Redis's error reason, or null on success. */
function applyDirective(config: Config, name: string, values: string[], ignored: string[]): string | null {
  const spec = config.spec(name);
  if (spec) {
    if (!spec.multiArg && values.length !== 1) return 'wrong number of arguments';
    try {
      config.set(spec.name, values.join(' '), true);
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  }
  const arity = DIRECTIVES.get(name);
  if (arity === undefined || (arity >= 0 ? values.length !== arity : values.length < -arity)) return 'Bad directive or wrong number of arguments';
  if (!ignored.includes(name)) ignored.push(name);
  return null;
}

/**
 * Directives that are not configs and that stickynote accepts without effect, with Redis's argument
 * counts (negative: at least that many): ACL users, modules and renamed commands do not exist here,
 * and 7.0 still accepts (and ignores) a few deprecated names.
 */
const DIRECTIVES = new Map<string, number>([
  ['rename-command', 2],
  ['user', -1],
  ['loadmodule', -1],
  ['sentinel', -1],
  ['list-max-ziplist-entries', 1],
  ['list-max-ziplist-value', 1],
  ['lua-replicate-commands', 1],
]);
