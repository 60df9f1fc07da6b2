/**
 * Server configuration: one table of parameters with Redis's names, types, defaults and
 * validation. Used by the command line / config file parser (redis-server syntax) and by
 * CONFIG GET/SET. Values are kept as the canonical strings CONFIG GET prints, plus a typed view
 * (`cfg.typed`) refreshed on every change for hot paths.
 */

export type ParamType = 'bool' | 'int' | 'memory' | 'enum' | 'string';

export interface ParamSpec {
  name: string;
  type: ParamType;
  default: string;
  /** false: may be set only at startup. */
  mutable?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  alias?: string;
}

export const PARAMS: readonly ParamSpec[] = [
  { name: 'port', type: 'int', default: '6379', min: 0, max: 65535, mutable: true },
  { name: 'bind', type: 'string', default: '127.0.0.1', mutable: true },
  { name: 'requirepass', type: 'string', default: '', mutable: true },
  { name: 'databases', type: 'int', default: '16', min: 1, max: 2147483647, mutable: false },
  { name: 'maxmemory', type: 'memory', default: '0', min: 0, mutable: true },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
    mutable: true,
  },
  { name: 'maxmemory-samples', type: 'int', default: '5', min: 1, max: 2147483647, mutable: true },
  { name: 'proto-max-bulk-len', type: 'memory', default: '536870912', min: 1024 * 1024, mutable: true },
  { name: 'client-query-buffer-limit', type: 'memory', default: '1073741824', min: 1024 * 1024, mutable: true },
  { name: 'maxclients', type: 'int', default: '10000', min: 1, max: 2147483647, mutable: true },
  { name: 'timeout', type: 'int', default: '0', min: 0, max: 2147483647, mutable: true },
  { name: 'hz', type: 'int', default: '10', min: 0, max: 2147483647, mutable: true },
  { name: 'tcp-keepalive', type: 'int', default: '300', min: 0, max: 2147483647, mutable: true },
  { name: 'loglevel', type: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning', 'nothing'], mutable: true },
  { name: 'logfile', type: 'string', default: '', mutable: false },
  { name: 'daemonize', type: 'bool', default: 'no', mutable: false },
  { name: 'protected-mode', type: 'bool', default: 'yes', mutable: true },
];

export class ConfigError extends Error {}

const MEMORY_UNITS: Record<string, number> = {
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Redis's memtoull: "100mb", "1gb", "512k", plain bytes. Returns null if invalid. */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)([a-z]*)$/i.exec(s);
  if (!m) return null;
  const unit = MEMORY_UNITS[m[2].toLowerCase() || 'b'];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

export interface TypedConfig {
  port: number;
  bind: string;
  requirepass: string;
  databases: number;
  maxmemory: number;
  maxmemoryPolicy: string;
  protoMaxBulkLen: number;
  clientQueryBufferLimit: number;
  maxclients: number;
  timeout: number;
  hz: number;
}

export class Config {
  private readonly specs = new Map<string, ParamSpec>();
  private readonly values = new Map<string, string>();
  readonly typed = {} as TypedConfig;
  /** Called after a parameter changes (the server reacts, e.g. to `port` or `hz`). */
  onChange: ((name: string, value: string) => void) | null = null;

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
    return spec ? this.values.get(spec.name) : undefined;
  }

  /**
   * Validates and stores a value. Throws ConfigError with Redis's reason text
   * (e.g. "argument must be a memory value").
   */
  set(name: string, raw: string, atStartup = false): void {
    const spec = this.spec(name);
    if (!spec) throw new ConfigError('Unknown option or number of arguments for CONFIG SET');
    if (!atStartup && spec.mutable === false) throw new ConfigError("can't set immutable config");
    const value = this.normalize(spec, raw);
    this.values.set(spec.name, value);
    this.refresh();
    this.onChange?.(spec.name, value);
  }

  private normalize(spec: ParamSpec, raw: string): string {
    switch (spec.type) {
      case 'bool': {
        const v = raw.toLowerCase();
        if (v !== 'yes' && v !== 'no') throw new ConfigError('argument must be \'yes\' or \'no\'');
        return v;
      }
      case 'int': {
        if (!/^-?\d+$/.test(raw)) throw new ConfigError('argument couldn\'t be parsed into an integer');
        const n = Number(raw);
        if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          throw new ConfigError(`argument must be between ${spec.min} and ${spec.max} inclusive`);
        }
        return String(n);
      }
      case 'memory': {
        const n = parseMemory(raw);
        if (n === null) throw new ConfigError('argument must be a memory value');
        if (spec.min !== undefined && n < spec.min && !(spec.name === 'maxmemory' && n === 0)) {
          throw new ConfigError(`argument must be between ${spec.min} and ${Number.MAX_SAFE_INTEGER} inclusive`);
        }
        return String(n);
      }
      case 'enum': {
        const v = raw.toLowerCase();
        if (!spec.values!.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
        return v;
      }
      default:
        return raw;
    }
  }

  private refresh(): void {
    const num = (n: string) => Number(this.values.get(n));
    Object.assign(this.typed, {
      port: num('port'),
      bind: this.values.get('bind')!,
      requirepass: this.values.get('requirepass')!,
      databases: num('databases'),
      maxmemory: num('maxmemory'),
      maxmemoryPolicy: this.values.get('maxmemory-policy')!,
      protoMaxBulkLen: num('proto-max-bulk-len'),
      clientQueryBufferLimit: num('client-query-buffer-limit'),
      maxclients: num('maxclients'),
      timeout: num('timeout'),
      hz: num('hz'),
    } satisfies TypedConfig);
  }
}
