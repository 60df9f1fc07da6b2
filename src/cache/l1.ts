import type { Entry } from './entry.js';

/**
 * The in-process tier: a bounded LRU of decoded entries (a Map in recency order) plus the tag
 * versions seen. It is only used while `coherent` (invalidations are being delivered); whatever
 * might have been missed — a lost tracking connection, FLUSHALL — empties it.
 *
 * A store read races with invalidations: a GET sent before a write may answer after the write's
 * invalidation arrived, and filling the L1 with it would keep a stale value. So reads are
 * bracketed with begin()/end(): an invalidation of a key being read marks it dirty, and end()
 * refuses to fill a dirty key.
 */
export class L1 {
  private readonly entries = new Map<string, Entry>();
  private readonly tagVersions = new Map<string, string>();
  private readonly reading = new Map<string, number>();
  private readonly dirty = new Set<string>();
  coherent = false;
  invalidations = 0;
  flushes = 0;
  /** Entries dropped to stay within maxEntries. */
  evictions = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(name: string): Entry | undefined {
    if (!this.coherent) return undefined;
    const e = this.entries.get(name);
    if (e !== undefined) {
      // Most recently used goes last.
      this.entries.delete(name);
      this.entries.set(name, e);
    }
    return e;
  }

  set(name: string, e: Entry): void {
    if (!this.coherent) return;
    this.entries.delete(name);
    this.entries.set(name, e);
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
      this.evictions++;
    }
  }

  tagVersion(tagKey: string): string | undefined {
    return this.coherent ? this.tagVersions.get(tagKey) : undefined;
  }

  setTagVersion(tagKey: string, version: string): void {
    if (!this.coherent) return;
    this.tagVersions.set(tagKey, version);
    if (this.tagVersions.size > this.maxEntries) this.tagVersions.delete(this.tagVersions.keys().next().value as string);
  }

  /** A store read of `name` starts. */
  begin(name: string): void {
    this.reading.set(name, (this.reading.get(name) ?? 0) + 1);
  }

  /** The read of `name` ended; true if nothing invalidated it meanwhile (the result may be kept). */
  end(name: string): boolean {
    const n = this.reading.get(name)! - 1;
    const clean = !this.dirty.has(name);
    if (n === 0) {
      this.reading.delete(name);
      this.dirty.delete(name);
    } else {
      this.reading.set(name, n);
    }
    return clean && this.coherent;
  }

  /** Keys changed in the store (null: anything may have). */
  invalidate(names: string[] | null): void {
    if (names === null) return this.flush();
    for (const name of names) {
      this.invalidations++;
      this.entries.delete(name);
      this.tagVersions.delete(name);
      if (this.reading.has(name)) this.dirty.add(name);
    }
  }

  flush(): void {
    this.flushes++;
    this.entries.clear();
    this.tagVersions.clear();
    for (const name of this.reading.keys()) this.dirty.add(name);
  }
}
