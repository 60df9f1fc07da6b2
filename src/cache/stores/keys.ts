/**
 * Key naming shared by the cache and the toolkit built on the stores: Redis Cluster hash slots,
 * hash-tagged names (so the keys one script touches live in one slot) and glob escaping.
 */

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

function crc16(bytes: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** Redis Cluster's hash slot of `key` (UTF-8 bytes), honouring `{hash tags}` as keyHashSlot() does. */
export function hashSlot(key: string): number {
  const b = Buffer.from(key, 'utf8');
  const open = b.indexOf(0x7b);
  if (open !== -1) {
    const close = b.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(b, open + 1, close) & 16383;
  }
  return crc16(b, 0, b.length) & 16383;
}

/**
 * `prefix{key}`: the braces make `key` the hash tag, so `prefix{key}` and any name that extends it
 * (`prefix{key}:lease`) share a slot. `}` and `%` in a key are escaped (`%7D`, `%25`), keeping the
 * mapping one-to-one and the tag closed where we closed it. Empty keys are refused: `{}` is no tag.
 */
export function taggedKey(prefix: string, key: string): string {
  if (key.length === 0) throw new TypeError('cache keys must be non-empty strings');
  if (key.indexOf('}') === -1 && key.indexOf('%') === -1) return prefix + '{' + key + '}';
  return prefix + '{' + key.replace(/%/g, '%25').replace(/\}/g, '%7D') + '}';
}

/** The key a `taggedKey` name was built from, or null if `name` is not one under `prefix`. */
export function untagKey(prefix: string, name: string): string | null {
  if (!name.startsWith(prefix + '{') || !name.endsWith('}')) return null;
  const inner = name.slice(prefix.length + 1, -1);
  if (inner.indexOf('}') !== -1) return null;
  return inner.indexOf('%') === -1 ? inner : inner.replace(/%7D/g, '}').replace(/%25/g, '%');
}

/** `s` with glob metacharacters escaped, for a literal prefix in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
