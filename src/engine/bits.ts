/** Byte-level helpers for the bitmap commands (Redis's bitops.c redisPopcount / redisBitpos). */

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Number of set bits in one byte. */
export function bitsInByte(b: number): number {
  return POPCOUNT[b & 0xff];
}

/** Number of set bits in bytes[from, from+count). */
export function popcount(bytes: Uint8Array, from: number, count: number): number {
  let n = 0;
  const end = from + count;
  for (let i = from; i < end; i++) n += POPCOUNT[bytes[i]];
  return n;
}

/**
 * Position of the first bit equal to `bit` in bytes[from, from+count), counted from `from`.
 * Not found: -1 when looking for a 1, count*8 when looking for a 0 (the first bit past the end,
 * as if the string were padded with zeros), like redisBitpos.
 */
export function bitpos(bytes: Uint8Array, from: number, count: number, bit: 0 | 1): number {
  const skip = bit === 1 ? 0 : 0xff;
  const end = from + count;
  for (let i = from; i < end; i++) {
    const b = bytes[i];
    if (b !== skip) {
      const x = bit === 1 ? b : ~b & 0xff;
      return (i - from) * 8 + Math.clz32(x) - 24;
    }
  }
  return bit === 1 ? -1 : count * 8;
}

/** bitpos() over the single byte `b`: 0..7, or -1 / 8 when absent. */
export function bitposInByte(b: number, bit: 0 | 1): number {
  const x = bit === 1 ? b & 0xff : ~b & 0xff;
  if (x !== 0) return Math.clz32(x) - 24;
  return bit === 1 ? -1 : 8;
}
