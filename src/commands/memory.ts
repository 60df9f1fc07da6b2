import type { Client } from './client.js';
import type { CommandDef } from './table.js';
import type { ServerContext } from './server-context.js';
import { ReplyError } from './reply.js';
import { ERR } from './errors.js';
import { parseInt64 } from './args.js';
import { replyHelp } from './connection.js';
import { DICT_ENTRY, STARTUP_MEMORY, dictBuckets } from '../engine/memory.js';

/**
 * MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP (Redis's object.c memoryCommand), from the
 * keyspace's live estimate (engine/memory.ts); the process's RSS stands for the allocator's.
 */

/** The figures INFO memory and MEMORY STATS share (Redis's getMemoryOverheadData). */
export interface MemoryFigures {
  used: number;
  peak: number;
  startup: number;
  /** Startup plus the keyspace dicts' overhead. */
  overhead: number;
  dataset: number;
  keys: number;
  rss: number;
  /** Per non-empty database: [id, main dict overhead, expires dict overhead]. */
  dbs: [number, number, number][];
}

export function memoryFigures(server: ServerContext): MemoryFigures {
  const ks = server.keyspace;
  const used = ks.sampleMemory();
  let overhead = STARTUP_MEMORY;
  let keys = 0;
  const dbs: [number, number, number][] = [];
  for (const db of ks.dbs) {
    if (db.size === 0) continue;
    const main = dictBuckets(db.size) + db.size * DICT_ENTRY;
    const expires = db.expiresCount === 0 ? 0 : dictBuckets(db.expiresCount) + db.expiresCount * DICT_ENTRY;
    overhead += main + expires;
    keys += db.size;
    dbs.push([db.id, main, expires]);
  }
  overhead = Math.min(overhead, used);
  return { used, peak: ks.peakMemory, startup: STARTUP_MEMORY, overhead, dataset: used - overhead, keys, rss: process.memoryUsage().rss, dbs };
}

const MEMORY_HELP = [
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

/** MEMORY USAGE key [SAMPLES count]: options are checked before the key is looked up, as in Redis. */
function usage(c: Client, args: string[]): void {
  for (let j = 3; j < args.length; j++) {
    if (args[j].toLowerCase() === 'samples' && j + 1 < args.length) {
      const n = parseInt64(args[j + 1]);
      if (n === null) throw new ReplyError(ERR.notInteger);
      if (n < 0n) throw new ReplyError(ERR.syntax);
      j++;
    } else throw new ReplyError(ERR.syntax);
  }
  // dbFind: no lazy expiry, no access-time update. Containers are counted whole, not sampled.
  const bytes = c.db.memoryUsage(args[2]);
  if (bytes === -1) c.reply.bulk(null);
  else c.reply.integer(bytes);
}

/** A float as Redis's addReplyDouble shows a C float (MEMORY STATS ratios are floats). */
function float(c: Client, x: number): void {
  c.reply.double(formatFloat(Math.fround(Number.isFinite(x) ? x : 0)));
}

function formatFloat(x: number): string {
  return x === Math.trunc(x) && Math.abs(x) < 1e17 ? String(x) : x.toPrecision(17).replace(/\.?0+$/, '');
}

function stats(c: Client): void {
  const m = memoryFigures(c.server);
  const net = m.used - m.startup;
  const r = c.reply;
  r.map(27 + m.dbs.length);
  const int = (name: string, v: number) => {
    r.bulk(name);
    r.integer(Math.round(v));
  };
  int('peak.allocated', m.peak);
  int('total.allocated', m.used);
  int('startup.allocated', m.startup);
  for (const name of ['replication.backlog', 'clients.slaves', 'clients.normal', 'cluster.links', 'aof.buffer', 'lua.caches', 'functions.caches']) int(name, 0);
  for (const [id, main, expires] of m.dbs) {
    r.bulk(`db.${id}`);
    r.map(3);
    int('overhead.hashtable.main', main);
    int('overhead.hashtable.expires', expires);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', m.overhead);
  int('keys.count', m.keys);
  int('keys.bytes-per-key', m.keys === 0 ? 0 : Math.floor(net / m.keys));
  int('dataset.bytes', m.dataset);
  r.bulk('dataset.percentage');
  float(c, net === 0 ? 0 : (m.dataset * 100) / net);
  r.bulk('peak.percentage');
  float(c, (m.used * 100) / m.peak);
  int('allocator.allocated', m.used);
  int('allocator.active', m.used);
  int('allocator.resident', m.rss);
  r.bulk('allocator-fragmentation.ratio');
  float(c, 1);
  int('allocator-fragmentation.bytes', 0);
  r.bulk('allocator-rss.ratio');
  float(c, m.rss / m.used);
  int('allocator-rss.bytes', m.rss - m.used);
  r.bulk('rss-overhead.ratio');
  float(c, 1);
  int('rss-overhead.bytes', 0);
  r.bulk('fragmentation');
  float(c, m.rss / m.used);
  int('fragmentation.bytes', m.rss - m.used);
}

/** getMemoryDoctorReport, for the conditions this server can have (empty, or a past peak). */
function doctor(c: Client): void {
  const m = memoryFigures(c.server);
  let report: string;
  if (m.used < 1024 * 1024 * 5) {
    report =
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.";
  } else if (m.peak / m.used > 1.5) {
    report =
      "Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\nI'm here to keep you safe, Sam. I want to help you.\n";
  } else {
    report = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
  }
  c.reply.verbatim(report, 'txt');
}

export const memoryCommands: CommandDef[] = [
  { name: 'memory|help', handler: (c) => replyHelp(c.reply, 'MEMORY', MEMORY_HELP) },
  { name: 'memory|usage', handler: usage },
  { name: 'memory|stats', handler: stats },
  { name: 'memory|doctor', handler: doctor },
  // There is no allocator of ours to report on: Redis answers this way when built without jemalloc.
  { name: 'memory|malloc-stats', handler: (c) => c.reply.verbatim('Stats not supported for the current allocator', 'txt') },
  { name: 'memory|purge', handler: (c) => c.reply.status('OK') },
];
