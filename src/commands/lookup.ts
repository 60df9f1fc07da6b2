import type { Database } from '../engine/database.js';
import type { Value } from '../engine/values.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';

/** A container class a command works on (Hash, List, RedisSet, ZSet). */
type ValueClass<T> = abstract new (...args: never[]) => T;

/** Redis's checkType: `v` as a `cls`; undefined stays undefined; any other type is WRONGTYPE. */
export function typed<T>(v: Value | undefined, cls: ValueClass<T>): T | undefined {
  if (v === undefined || v instanceof cls) return v;
  throw new ReplyError(ERR.wrongType);
}

/** lookupKeyRead + checkType: counts a hit or miss and touches the key. */
export function readTyped<T>(db: Database, key: string, cls: ValueClass<T>): T | undefined {
  return typed(db.read(key), cls);
}

/** lookupKeyWrite + checkType: touches the key without counting. */
export function writeTyped<T>(db: Database, key: string, cls: ValueClass<T>): T | undefined {
  return typed(db.write(key), cls);
}
