/**
 * Readers for the cache traces in ../shared/traces/ (formats in its README). Traces are read in
 * place, never copied into the repo. Keys are renumbered densely (0..unique-1) so the simulators
 * can use them as slot numbers; `hashes` keeps a mixed hash of each original key for sketches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { mixHash } from '../src/engine/eviction/policy.js';

export const TRACES_DIR = fileURLToPath(new URL('../../../shared/traces/', import.meta.url));

export interface Trace {
  name: string;
  /** Dense key id per request. */
  keys: Int32Array;
  /** Original key per dense id (as the decimal string we send to Redis). */
  originals: number[];
  /** Hash per dense id. */
  hashes: Uint32Array;
  /** Object size in bytes per dense id (1 for the entry-count traces). */
  sizes: Float64Array | null;
  unique: number;
}

/** Renumbers keys densely in order of first appearance. */
function densify(name: string, raw: ArrayLike<number>, rawSizes: ArrayLike<number> | null): Trace {
  const ids = new Map<number, number>();
  const keys = new Int32Array(raw.length);
  const originals: number[] = [];
  const sizeList: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    let id = ids.get(raw[i]);
    if (id === undefined) {
      id = originals.length;
      ids.set(raw[i], id);
      originals.push(raw[i]);
      if (rawSizes) sizeList.push(rawSizes[i]);
    }
    keys[i] = id;
  }
  const hashes = new Uint32Array(originals.length);
  for (let i = 0; i < originals.length; i++) hashes[i] = mixHash(originals[i] | 0);
  return { name, keys, originals, hashes, sizes: rawSizes ? Float64Array.from(sizeList) : null, unique: originals.length };
}

function int32BE(buf: Buffer): Int32Array {
  const out = new Int32Array(buf.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt32BE(i * 4);
  return out;
}

/** LIRS text (glimpse): one integer per line; blank lines and `*` checkpoint markers skipped. */
export function readLirs(file: string, name: string): Trace {
  const lines = gunzipSync(readFileSync(TRACES_DIR + file)).toString('latin1').split('\n');
  const raw: number[] = [];
  for (const line of lines) {
    const l = line.trim();
    if (l && l !== '*') raw.push(Number(l));
  }
  return densify(name, raw, null);
}

/** gzip of big-endian int32 keys (cache2k's .trc.bin.gz). */
export function readInt32Gz(file: string, name: string): Trace {
  return densify(name, int32BE(gunzipSync(readFileSync(TRACES_DIR + file))), null);
}

/** Where the xz CLI is (Debian's xz-utils); node has no xz decoder built in. */
export function xzAvailable(): boolean {
  return ['/usr/bin/xz', '/bin/xz', '/usr/local/bin/xz'].some((p) => existsSync(p));
}

/** xz of big-endian int32 keys (orm-busy), decompressed by the `xz` CLI in a child process. */
export function readInt32Xz(file: string, name: string): Trace {
  const buf = execFileSync('xz', ['-dc', TRACES_DIR + file], { maxBuffer: 64 * 1024 * 1024 });
  return densify(name, int32BE(buf), null);
}

/** libCacheSim oracleGeneral: 24-byte LE records (timestamp u32, id u64, size u32, next i64). */
export function readOracleGeneral(file: string, name: string): Trace {
  const buf = readFileSync(TRACES_DIR + file);
  const n = buf.length / 24;
  const raw = new Float64Array(n);
  const sizes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    raw[i] = Number(buf.readBigUInt64LE(i * 24 + 4));
    sizes[i] = buf.readUInt32LE(i * 24 + 12);
  }
  const t = densify(name, raw, sizes);
  // Ids can exceed 32 bits: hash the low and high halves together.
  for (let i = 0; i < t.unique; i++) {
    const id = t.originals[i];
    t.hashes[i] = mixHash((id % 4294967296) ^ mixHash(Math.floor(id / 4294967296)));
  }
  return t;
}
