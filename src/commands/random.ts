import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { INT64_MAX, isKeyword, parseInt64, rangeLong } from './args.js';

/**
 * HRANDFIELD, SRANDMEMBER and ZRANDMEMBER with a count (Redis's hrandfieldWithCountCommand,
 * srandmemberWithCountCommand, zrandmemberWithCountCommand): the same argument rules and the same
 * ways of picking.
 */

const HALF_LONG_MAX = INT64_MAX / 2n;

export interface RandomCount {
  /** Negative: that many independent draws; positive: that many distinct elements at most. */
  count: number;
  /** WITHVALUES / WITHSCORES was given. */
  withValues: boolean;
}

/**
 * Parses `key count [withWord]` (withWord is null for SRANDMEMBER, which takes no flag and checks
 * the argument count first). With the flag, twice the count must fit a long, as Redis's RESP2 reply
 * holds element and value.
 */
export function parseRandomCount(args: string[], withWord: string | null): RandomCount {
  if (withWord === null && args.length > 3) throw new ReplyError(ERR.syntax);
  const count = rangeLong(args[2]);
  if (args.length > 4 || (args.length === 4 && !isKeyword(args[3], withWord!))) throw new ReplyError(ERR.syntax);
  const withValues = args.length === 4;
  if (withValues) {
    const exact = parseInt64(args[2])!;
    if (exact < -HALF_LONG_MAX || exact > HALF_LONG_MAX) throw new ReplyError('ERR value is out of range');
  }
  return { count, withValues };
}

/** How many elements a count picks from a value of `size` elements. */
export function randomReplyLength(count: number, size: number): number {
  return count < 0 ? -count : Math.min(count, size);
}

/** What random picking needs from a container. */
export interface RandomSource<T> {
  readonly size: number;
  /** A uniformly random element (the container is not empty). */
  random(): T;
  /** Every element, in a new array the caller may reorder. */
  all(): T[];
}

/**
 * Emits the picks of a non-zero count below the size (a count at least the size is the whole
 * value, which callers reply in their own order): a negative count (or 1) draws independently,
 * repetitions allowed; a few distinct elements are drawn skipping repeats (Redis's CASE 4); many
 * come from a partial shuffle of all of them (CASE 3).
 */
export function pickRandom<T>(count: number, src: RandomSource<T>, emit: (x: T) => void): void {
  if (count < 0 || count === 1) {
    for (let i = Math.abs(count); i > 0; i--) emit(src.random());
    return;
  }
  if (count * 3 <= src.size) {
    const picked = new Set<T>();
    while (picked.size < count) {
      const x = src.random();
      if (picked.has(x)) continue;
      picked.add(x);
      emit(x);
    }
    return;
  }
  const all = src.all();
  for (let i = 0; i < count; i++) {
    const k = i + Math.floor(Math.random() * (all.length - i));
    const x = all[k];
    all[k] = all[i];
    all[i] = x;
    emit(x);
  }
}
