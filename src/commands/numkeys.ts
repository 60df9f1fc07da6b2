import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { isKeyword, parseLong, positiveCount } from './args.js';

/** Commands that name their keys with a `numkeys` argument: LMPOP/ZMPOP-style parsing and key positions. */

export interface MpopSpec {
  keys: string[];
  /** LEFT (list head) or MAX, as `parseWhere` decides. */
  front: boolean;
  count: number;
}

/**
 * Parses `numkeys key... WHERE [COUNT n]` starting at args[numkeysAt] (LMPOP, BLMPOP, ZMPOP,
 * BZMPOP); `parseWhere` reads WHERE (LEFT|RIGHT or MIN|MAX) or throws a syntax error.
 */
export function parseMpop(args: string[], numkeysAt: number, parseWhere: (arg: string) => boolean): MpopSpec {
  const numkeys = parseLong(args[numkeysAt]);
  if (numkeys === null || numkeys < 1) throw new ReplyError('ERR numkeys should be greater than 0');
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= args.length) throw new ReplyError(ERR.syntax);
  const front = parseWhere(args[whereAt]);
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && isKeyword(args[j], 'count') && j + 1 < args.length) {
      count = positiveCount(args[++j], 'ERR count should be greater than 0');
    } else {
      throw new ReplyError(ERR.syntax);
    }
  }
  return { keys: args.slice(numkeysAt + 1, whereAt), front, count: count === -1 ? 1 : count };
}

/** MIN → false, MAX → true (ZMPOP, BZMPOP), anything else a syntax error. */
export function parseMinMax(arg: string): boolean {
  if (isKeyword(arg, 'min')) return false;
  if (isKeyword(arg, 'max')) return true;
  throw new ReplyError(ERR.syntax);
}

/** Key positions of LMPOP-style commands (numkeys at `numkeysAt`, a WHERE must follow the keys). */
export function mpopKeys(numkeysAt: number): (args: string[]) => number[] {
  return (args) => {
    const n = parseLong(args[numkeysAt] ?? '');
    if (n === null || n < 1 || numkeysAt + n >= args.length) return [];
    const out: number[] = [];
    for (let i = 1; i <= n; i++) out.push(numkeysAt + i);
    return out;
  };
}

/** Key positions [numkeysAt + 1, numkeysAt + numkeys] (as many as are present), after the `fixed` ones. */
export function numkeysKeys(numkeysAt: number, fixed: number[] = []): (args: string[]) => number[] {
  return (args) => {
    const n = parseLong(args[numkeysAt] ?? '');
    const keys = fixed.slice();
    if (n === null || n < 1) return keys;
    for (let i = numkeysAt + 1; i <= numkeysAt + n && i < args.length; i++) keys.push(i);
    return keys;
  };
}
