import type { ReplySink } from './reply.js';

/**
 * Command metadata as Redis 7.0 serves it (COMMAND INFO / COMMAND DOCS), in a compact JSON form:
 * bulk string → string, integer → number, status → {s}, map → {m: [k, v, …]}, set → {set: […]}.
 * The generated table lives in redis-metadata.generated.ts.
 */
export type Meta = string | number | null | Meta[] | { s: string } | { m: Meta[] } | { set: Meta[] };

/** Writes a metadata tree through a reply sink (RESP2 or RESP3 as the client speaks). */
export function writeMeta(reply: ReplySink, m: Meta): void {
  if (m === null) {
    reply.bulk(null);
  } else if (typeof m === 'string') {
    reply.bulk(m);
  } else if (typeof m === 'number') {
    reply.integer(m);
  } else if (Array.isArray(m)) {
    reply.array(m.length);
    for (const x of m) writeMeta(reply, x);
  } else if ('s' in m) {
    reply.status(m.s);
  } else if ('m' in m) {
    reply.map(m.m.length / 2);
    for (const x of m.m) writeMeta(reply, x);
  } else {
    reply.set(m.set.length);
    for (const x of m.set) writeMeta(reply, x);
  }
}

/** The fields of a COMMAND INFO entry that dispatch needs. */
export interface InfoFields {
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  aclCategories: string[];
}

export function infoFields(info: Meta): InfoFields {
  const a = info as Meta[];
  const names = (x: Meta) => ((x as { set: Meta[] }).set as { s: string }[]).map((e) => e.s);
  return {
    arity: a[1] as number,
    flags: names(a[2]),
    firstKey: a[3] as number,
    lastKey: a[4] as number,
    keyStep: a[5] as number,
    aclCategories: names(a[6]),
  };
}

/** The `group` and `summary` of a COMMAND DOCS entry. */
export function docsField(docs: Meta, field: string): Meta | undefined {
  if (docs === null || typeof docs !== 'object' || !('m' in docs)) return undefined;
  const m = docs.m;
  for (let i = 0; i < m.length; i += 2) if (m[i] === field) return m[i + 1];
  return undefined;
}
