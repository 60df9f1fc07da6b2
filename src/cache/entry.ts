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

/** The decimal integer in s[from, to) (a header field we wrote), or NaN. */
function intAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return i === from && s[i] === '-' ? -intAt(s, from + 1, to) : NaN;
    n = n * 10 + d;
  }
  return to > from ? n : NaN;
}

/** The entry in `raw`, or null if it is not one of ours (then it is treated as a miss). */
export function decodeEntry(raw: string, serializer: Serializer): Entry | null {
  // "1,k," then three integers and the tags, each ending at a comma, the last at the newline.
  if (raw.charCodeAt(0) !== 49 || raw.charCodeAt(1) !== 44 || raw.charCodeAt(3) !== 44) return null;
  const c2 = raw.indexOf(',', 4);
  const c3 = c2 === -1 ? -1 : raw.indexOf(',', c2 + 1);
  const c4 = c3 === -1 ? -1 : raw.indexOf(',', c3 + 1);
  const nl = c4 === -1 ? -1 : raw.indexOf('\n', c4 + 1);
  if (nl === -1) return null;
  const freshUntil = intAt(raw, 4, c2);
  const staleUntil = intAt(raw, c2 + 1, c3);
  const delta = intAt(raw, c3 + 1, c4);
  if (Number.isNaN(freshUntil) || Number.isNaN(staleUntil) || Number.isNaN(delta)) return null;
  const kind = raw.charCodeAt(2);
  const payload = raw.slice(nl + 1);
  return {
    negative: kind === 110, // n
    value: kind === 110 ? undefined : kind === 66 /* B */ ? Buffer.from(payload, 'base64') : serializer.deserialize(payload),
    freshUntil,
    staleUntil,
    delta,
    tags: nl === c4 + 1 ? null : (JSON.parse(raw.slice(c4 + 1, nl)) as [string, string][]),
  };
}
