/** A duration: milliseconds, or a string such as '500ms', '10s', '5m', '1h', '1d'. */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Strings already read: per-call options ({ ttl: '1h' }) would otherwise run the regex on every call. */
const parsed = new Map<string, number>();

/** Milliseconds of a Duration; throws a TypeError on anything it cannot read or below zero. */
export function toMs(d: Duration): number {
  if (typeof d === 'number') {
    if (!(d >= 0) || !Number.isFinite(d)) throw new TypeError(`invalid duration: ${d}`);
    return d;
  }
  let ms = parsed.get(d);
  if (ms === undefined) {
    ms = parse(d);
    if (parsed.size >= 1000) parsed.clear(); // bounded: durations built from data must not grow it forever
    parsed.set(d, ms);
  }
  return ms;
}

function parse(d: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(d);
  if (!m) throw new TypeError(`invalid duration: '${d}' (use milliseconds or e.g. '500ms', '10s', '5m', '1h', '1d')`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms'];
}
