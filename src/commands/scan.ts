import type { Client } from './client.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { integerArg, isKeyword } from './args.js';
import { stringMatch } from '../engine/glob.js';

/** SCAN, HSCAN, SSCAN and ZSCAN share Redis's parseScanCursorOrReply and scanGenericCommand. */

const ERR_INVALID_CURSOR = 'ERR invalid cursor';

/**
 * parseScanCursorOrReply: strtoul(…, 10) over the whole argument (optional sign, digits; the empty
 * string is 0), no leading space, no trailing bytes, no overflow. "-N" wraps modulo 2^64 as strtoul
 * does, which is far beyond any slot. strtoul reads a C string: a NUL byte ends the cursor.
 */
export function parseScanCursor(arg: string): number {
  const nul = arg.indexOf('\0');
  const s = nul === -1 ? arg : arg.slice(0, nul);
  const n = s.length;
  if (n === 0) return 0;
  const sign = s.charCodeAt(0);
  let i = sign === 43 || sign === 45 ? 1 : 0; // + or -
  const digits = i;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === digits || i !== n) throw new ReplyError(ERR_INVALID_CURSOR);
  const v = BigInt(s.slice(digits));
  if (v >= 2n ** 64n) throw new ReplyError(ERR_INVALID_CURSOR);
  return Number(sign === 45 && v !== 0n ? 2n ** 64n - v : v);
}

export interface ScanOptions {
  count: number;
  /** null when there is no MATCH or it is exactly "*" (which matches everything). */
  pattern: string | null;
  /** TYPE filter, lowercased (SCAN only), or null. */
  type: string | null;
}

/** Parses [MATCH pattern] [COUNT count] (and [TYPE type] if `allowType`) from args[from..]. */
export function parseScanOptions(args: string[], from: number, allowType = false): ScanOptions {
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = from; i < args.length; i += 2) {
    const opt = args[i];
    const hasValue = i + 1 < args.length;
    if (hasValue && isKeyword(opt, 'count')) {
      opts.count = integerArg(args[i + 1]);
      if (opts.count < 1) throw new ReplyError(ERR.syntax);
    } else if (hasValue && isKeyword(opt, 'match')) {
      opts.pattern = args[i + 1] === '*' ? null : args[i + 1];
    } else if (hasValue && allowType && isKeyword(opt, 'type')) {
      opts.type = args[i + 1].toLowerCase();
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return opts;
}

/** Writes a SCAN reply: [cursor, [elements…]]. */
export function replyScan(c: Client, cursor: number, items: string[]): void {
  c.reply.array(2);
  c.reply.bulk(String(cursor));
  c.reply.array(items.length);
  for (const s of items) c.reply.bulk(s);
}

/**
 * One scan step over a container from `cursor`, visiting about `count` elements: each is passed to
 * `add` with its companion (a hash value, a zset score) if it has one. Returns the next cursor.
 */
export type ScanStep = (cursor: number, count: number, add: (element: string, companion?: string) => void) => number;

/**
 * HSCAN, SSCAN and ZSCAN after the cursor was parsed and the key looked up (`step` is undefined
 * for a missing key, which Redis answers before parsing the options): MATCH filters on the element,
 * and the companion goes with it.
 */
export function scanContainer(c: Client, args: string[], cursor: number, step: ScanStep | undefined): void {
  if (step === undefined) {
    replyScan(c, 0, []);
    return;
  }
  const { count, pattern } = parseScanOptions(args, 3);
  const items: string[] = [];
  const next = step(cursor, count, (element, companion) => {
    if (pattern !== null && !stringMatch(pattern, element)) return;
    items.push(element);
    if (companion !== undefined) items.push(companion);
  });
  replyScan(c, next, items);
}
