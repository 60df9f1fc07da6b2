import type { Client } from './client.js';
import { type Meta, docsField, infoFields } from './metadata.js';
import { REDIS_METADATA } from './redis-metadata.generated.js';

export type Handler = (client: Client, args: string[]) => void;

/** Metadata for a command Redis 7.0 does not have (or where we must differ). */
export interface ExtraSpec {
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  group: string;
  summary: string;
  since: string;
  complexity?: string;
  aclCategories?: string[];
}

/**
 * What a command group file declares for each command: its name ('get', or 'config|get' for a
 * subcommand) and handler. Arity, flags, key positions, ACL categories and docs come from
 * Redis's own metadata (redis-metadata.generated.ts), so they match Redis exactly; commands
 * Redis 7.0 lacks bring an `extra` spec instead.
 */
export interface CommandDef {
  name: string;
  handler: Handler;
  /** Key argument indexes for commands whose keys depend on the arguments (movablekeys). */
  keys?: (args: string[]) => number[];
  extra?: ExtraSpec;
}

/** Commands that run at once inside MULTI instead of being queued (processCommand's list). */
const RUN_INSIDE_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** A command as dispatch sees it. Flags are plain booleans so the hot path reads fields. */
export class Command {
  readonly name: string;
  readonly fullname: string;
  readonly arity: number;
  readonly flags: readonly string[];
  readonly write: boolean;
  readonly readonly: boolean;
  readonly denyoom: boolean;
  readonly fast: boolean;
  readonly noscript: boolean;
  readonly noauth: boolean;
  readonly blocking: boolean;
  readonly pubsub: boolean;
  readonly noMulti: boolean;
  /** Runs at once inside MULTI instead of being queued (Redis's processCommand list). */
  readonly runsInsideMulti: boolean;
  readonly admin: boolean;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly group: string;
  subcommands: Map<string, Command> | null = null;
  /** Calls counted for INFO commandstats. */
  calls = 0;
  usec = 0;
  failedCalls = 0;
  rejectedCalls = 0;

  constructor(
    fullname: string,
    readonly handler: Handler | null,
    readonly info: Meta,
    readonly docs: Meta,
    readonly movableKeys: ((args: string[]) => number[]) | null,
  ) {
    this.fullname = fullname;
    const bar = fullname.indexOf('|');
    this.name = bar === -1 ? fullname : fullname.slice(bar + 1);
    const f = infoFields(info);
    this.arity = f.arity;
    this.flags = f.flags;
    const has = (x: string) => f.flags.includes(x);
    this.write = has('write');
    this.readonly = has('readonly');
    this.denyoom = has('denyoom');
    this.fast = has('fast');
    this.noscript = has('noscript');
    this.noauth = has('no_auth');
    this.blocking = has('blocking');
    this.pubsub = has('pubsub');
    this.noMulti = has('no_multi');
    this.runsInsideMulti = RUN_INSIDE_MULTI.has(fullname);
    this.admin = has('admin');
    this.firstKey = f.firstKey;
    this.lastKey = f.lastKey;
    this.keyStep = f.keyStep;
    this.group = String(docsField(docs, 'group') ?? 'generic');
  }

  /** Indexes of the key arguments in `args` (args[0] is the command name). */
  keyIndexes(args: string[]): number[] {
    if (this.movableKeys) return this.movableKeys(args);
    if (this.firstKey <= 0) return [];
    const last = this.lastKey < 0 ? args.length + this.lastKey : this.lastKey;
    const out: number[] = [];
    for (let i = this.firstKey; i <= last && i < args.length; i += this.keyStep) out.push(i);
    return out;
  }
}

function toMeta(name: string, x: ExtraSpec, subcommands: Meta[] = []): { info: Meta; docs: Meta } {
  const set = (xs: string[]) => ({ set: xs.map((s) => ({ s })) });
  return {
    info: [name, x.arity, set(x.flags), x.firstKey, x.lastKey, x.keyStep, set(x.aclCategories ?? []), { set: [] }, [], subcommands],
    docs: { m: ['summary', x.summary, 'since', x.since, 'group', x.group, 'complexity', x.complexity ?? 'O(1)'] },
  };
}

/** Lowercase name → command, subcommands nested under their container. */
export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** byName plus each name in upper case: a command name as sent needs no toLowerCase(). */
  private readonly bySpelling = new Map<string, Command>();

  constructor(defs: readonly CommandDef[]) {
    const subs: CommandDef[] = [];
    for (const def of defs) {
      if (def.name.includes('|')) subs.push(def);
      else this.byName.set(def.name, this.build(def.name, def));
    }
    for (const def of subs) {
      const [parentName] = def.name.split('|');
      let parent = this.byName.get(parentName);
      if (parent === undefined) {
        parent = this.build(parentName, { name: parentName, handler: null as unknown as Handler });
        this.byName.set(parentName, parent);
      }
      parent.subcommands ??= new Map();
      parent.subcommands.set(def.name.slice(parentName.length + 1), this.build(def.name, def));
    }
    for (const [name, cmd] of this.byName) this.bySpelling.set(name, cmd).set(name.toUpperCase(), cmd);
  }

  private build(fullname: string, def: CommandDef): Command {
    let meta: { info: Meta; docs: Meta } | undefined;
    const bar = fullname.indexOf('|');
    if (bar === -1) {
      meta = REDIS_METADATA[fullname];
    } else {
      const parent = REDIS_METADATA[fullname.slice(0, bar)];
      const subInfo = parent && ((parent.info as Meta[])[9] as Meta[]).find((s) => (s as Meta[])[0] === fullname);
      const subDocs = parent && docsField(parent.docs, 'subcommands');
      const docs = subDocs ? docsField(subDocs, fullname) : undefined;
      if (subInfo) meta = { info: subInfo, docs: docs ?? null };
    }
    if (def.extra) meta = toMeta(fullname, def.extra);
    if (!meta) throw new Error(`command ${fullname}: not in Redis's metadata and no extra spec`);
    return new Command(fullname, def.handler ?? null, meta.info, meta.docs, def.keys ?? null);
  }

  get(name: string): Command | undefined {
    return this.byName.get(name);
  }

  /**
   * The command a client named, in any case. Lower and upper case spellings (what clients and
   * redis-benchmark send) are found in one probe; others are folded first.
   */
  lookup(name: string): Command | undefined {
    return this.bySpelling.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /** Top-level commands. */
  all(): IterableIterator<Command> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }
}
