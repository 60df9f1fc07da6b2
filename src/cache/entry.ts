/** How values become strings in the store; JSON by default. */
export interface Serializer {
  serialize(value: unknown): string;
  deserialize(text: string): unknown;
}

export const jsonSerializer: Serializer = {
  serialize: (v) => JSON.stringify(v),
  deserialize: (t) => JSON.parse(t) as unknown,
};

/**
 * A cache entry as stored. Its presence is what makes a hit, so 0, '', false and null are values
 * like any other; `negative` marks a cached absence (the loader found nothing).
 */
export interface Entry {
  negative: boolean;
  value: unknown;
  /** Fresh until this time (ms, store clock); stale, but still servable, until `staleUntil`. */
  freshUntil: number;
  staleUntil: number;
  /** How long the load took (ms): XFetch's delta. */
  delta: number;
  /** The version of each tag when the value was loaded: [tag, version] pairs, or null. */
  tags: [string, string][] | null;
}

/*
 * Stored form: a header line "1,<kind>,<freshUntil>,<staleUntil>,<delta>,<tags JSON or empty>"
 * then the payload. kind: s = serializer text, B = Buffer as base64, n = negative (no payload).
 * JSON escapes newlines, so the first newline always ends the header.
 */

export function encodeEntry(e: Entry, serializer: Serializer): string {
  let kind: string;
  let payload: string;
  if (e.negative) {
    kind = 'n';
    payload = '';
  } else if (Buffer.isBuffer(e.value)) {
    kind = 'B';
    payload = e.value.toString('base64');
  } else {
    kind = 's';
    payload = serializer.serialize(e.value);
  }
  const tags = e.tags === null ? '' : JSON.stringify(e.tags);
  return `1,${kind},${e.freshUntil},${e.staleUntil},${e.delta},${tags}\n${payload}`;
}

/** The entry in `raw`, or null if it is not one of ours (then it is treated as a miss). */
export function decodeEntry(raw: string, serializer: Serializer): Entry | null {
  const nl = raw.indexOf('\n');
  if (nl === -1 || !raw.startsWith('1,')) return null;
  const c1 = 3; // after "1,k"
  const c2 = raw.indexOf(',', c1 + 1);
  const c3 = raw.indexOf(',', c2 + 1);
  const c4 = raw.indexOf(',', c3 + 1);
  if (raw[c1] !== ',' || c2 === -1 || c3 === -1 || c4 === -1 || c4 > nl) return null;
  const kind = raw[2];
  const tagText = raw.slice(c4 + 1, nl);
  const payload = raw.slice(nl + 1);
  return {
    negative: kind === 'n',
    value: kind === 'n' ? undefined : kind === 'B' ? Buffer.from(payload, 'base64') : serializer.deserialize(payload),
    freshUntil: Number(raw.slice(c1 + 1, c2)),
    staleUntil: Number(raw.slice(c2 + 1, c3)),
    delta: Number(raw.slice(c3 + 1, c4)),
    tags: tagText === '' ? null : (JSON.parse(tagText) as [string, string][]),
  };
}
