/** A duration in ms, or a string such as '500ms', '10s', '5m', '1h', '1d' (as bentocache/ms accept). */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `d`; NaN when a string does not parse (callers range-check the result). */
export function toMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(d);
  return m ? Number(m[1]) * UNITS[m[2] ?? 'ms'] : NaN;
}
