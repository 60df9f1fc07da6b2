import type { ContainerValue } from './values.js';
import { LISTPACK_EMPTY, ROBJ, listpackEntry, mallocSize } from './memory.js';

/**
 * A stream value (Redis's t_stream.c). An entry ID is two unsigned 64-bit numbers, milliseconds
 * and sequence; here both live in one BigInt, `ms << 64 | seq`, so IDs compare, increment and
 * decrement as plain integers, up to 18446744073709551615-18446744073709551615.
 *
 * Entries are an array in ID order from `head` (trimming from the front moves `head`; the array
 * is compacted once most of it is dead), found by binary search: appends are O(1), range scans
 * O(log n + k). Redis stores entries in listpack nodes of up to stream-node-max-entries entries
 * (or stream-node-max-bytes), and approximate trimming (MAXLEN ~ / MINID ~) removes whole nodes
 * only, so the node boundaries are modelled too (`node` per entry, counts per node) to trim
 * exactly what Redis trims.
 */

export type StreamId = bigint;

export const ID_MAX: StreamId = (1n << 128n) - 1n;
const SEQ_MASK = (1n << 64n) - 1n;

export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

export function idMs(id: StreamId): bigint {
  return id >> 64n;
}

export function idSeq(id: StreamId): bigint {
  return id & SEQ_MASK;
}

export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & SEQ_MASK}`;
}

export interface StreamEntry {
  readonly id: StreamId;
  /** Field, value, field, value… */
  readonly fields: readonly string[];
  /** The listpack node (Redis's rax node) holding the entry. */
  readonly node: number;
}

/**
 * A listpack node: its live and deleted entry counts, its bytes (deleted entries stay in the
 * listpack, flagged, until the node is freed), its allocation, its master fields.
 */
interface StreamNode {
  /** The ID of the entry that created the node: its key in Redis's radix tree. */
  readonly masterId: StreamId;
  live: number;
  deleted: number;
  bytes: number;
  /** Allocated bytes: preallocated for the tail node, shrunk to fit once another node follows. */
  alloc: number;
  readonly master: readonly string[];
}

/** A pending entry (Redis's streamNACK): delivered to `consumer`, not acknowledged yet. */
export interface PendingEntry {
  deliveryTime: number;
  deliveryCount: number;
  consumer: Consumer;
}

/** IDs in order with a value each (Redis keeps PELs in radix trees, iterated in ID order). */
export class IdMap<T> {
  private readonly ids: StreamId[] = [];
  private readonly map = new Map<StreamId, T>();

  get size(): number {
    return this.map.size;
  }

  get(id: StreamId): T | undefined {
    return this.map.get(id);
  }

  set(id: StreamId, value: T): void {
    if (!this.map.has(id)) {
      const ids = this.ids;
      if (ids.length === 0 || ids[ids.length - 1] < id) ids.push(id);
      else ids.splice(lowerBound(ids, id), 0, id);
    }
    this.map.set(id, value);
  }

  delete(id: StreamId): boolean {
    if (!this.map.delete(id)) return false;
    this.ids.splice(lowerBound(this.ids, id), 1);
    return true;
  }

  /** Entries with from ≤ id ≤ to, in ID order. */
  *range(from: StreamId, to: StreamId): Generator<[StreamId, T]> {
    const ids = this.ids;
    for (let i = lowerBound(ids, from); i < ids.length && ids[i] <= to; i++) yield [ids[i], this.map.get(ids[i])!];
  }

  first(): StreamId | undefined {
    return this.ids[0];
  }

  last(): StreamId | undefined {
    return this.ids[this.ids.length - 1];
  }
}

function lowerBound(ids: readonly StreamId[], id: StreamId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Consumer {
  readonly pel = new IdMap<PendingEntry>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** Entries read "not available" (Redis's SCG_INVALID_ENTRIES_READ). */
export const ENTRIES_READ_INVALID = -1;

export class ConsumerGroup {
  readonly pel = new IdMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    public entriesRead: number,
  ) {}
}

/** sizeof(stream) in 7.0. */
const STREAM_STRUCT = 80;
/** streamRadixTreeMemoryUsage: per element (a stream ID) and per node (raxNode + 30 longs). */
const RAX_PER_ELEMENT = 16;
const RAX_PER_NODE = 4 + 8 * 30;
/** A new node's listpack is preallocated (STREAM_LISTPACK_MAX_PRE_ALLOCATE). */
const LISTPACK_PREALLOC = 4096;
/** MEMORY USAGE's default SAMPLES: the first listpacks stand for the others. */
const SAMPLES = 5;

export class Stream implements ContainerValue {
  readonly type = 'stream' as const;
  private entries: StreamEntry[] = [];
  private head = 0;
  private readonly nodes = new Map<number, StreamNode>();
  private nextNode = 0;
  /** The last node (new entries go there while it has room); -1 when there is none. */
  private tailNode = -1;
  lastId: StreamId = 0n;
  maxDeletedId: StreamId = 0n;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  /** Radix tree node count, recomputed when nodes come or go (-1: stale). */
  private raxNodeCount = 1;

  /** Entries, not keys: an empty stream is still a stream (Redis never deletes it on its own). */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Always 1 so the keyspace keeps an emptied stream, as Redis does. */
  get size(): number {
    return 1;
  }

  encoding(): string {
    return 'stream';
  }

  /** Listpack nodes (keys of Redis's radix tree). */
  get radixKeys(): number {
    return this.nodes.size;
  }

  /**
   * Nodes of Redis's radix tree over the nodes' master IDs (16 bytes, big endian): the compressed
   * trie's nodes, counted from the keys (XINFO STREAM's radix-tree-nodes).
   */
  get radixNodes(): number {
    if (this.raxNodeCount === -1) this.raxNodeCount = raxNodeCount(this.nodes.values());
    return this.raxNodeCount;
  }

  get firstId(): StreamId {
    return this.length === 0 ? 0n : this.entries[this.head].id;
  }

  firstEntry(): StreamEntry | undefined {
    return this.entries[this.head];
  }

  lastEntry(): StreamEntry | undefined {
    return this.length === 0 ? undefined : this.entries[this.entries.length - 1];
  }

  /** Appends an entry whose ID is above lastId; `nodeMaxEntries`/`nodeMaxBytes` as the config says. */
  append(id: StreamId, fields: readonly string[], nodeMaxEntries: number, nodeMaxBytes: number): void {
    let totalLen = 0;
    for (const f of fields) totalLen += f.length;
    let node = this.tailNode >= 0 ? this.nodes.get(this.tailNode) : undefined;
    if (node !== undefined) {
      const maxBytes = nodeMaxBytes === 0 || nodeMaxBytes > 2 ** 30 ? 2 ** 30 : nodeMaxBytes;
      if (node.bytes + totalLen >= maxBytes || (nodeMaxEntries > 0 && node.live + node.deleted >= nodeMaxEntries)) {
        node.alloc = mallocSize(node.bytes); // lpShrinkToFit
        node = undefined;
      }
    }
    if (node === undefined) {
      const master: string[] = [];
      for (let i = 0; i < fields.length; i += 2) master.push(fields[i]);
      const prealloc = nodeMaxBytes > 0 && nodeMaxBytes < LISTPACK_PREALLOC ? nodeMaxBytes : LISTPACK_PREALLOC;
      const bytes = nodeHeader(master);
      node = { masterId: id, live: 0, deleted: 0, bytes, alloc: mallocSize(Math.max(prealloc, bytes)), master };
      this.tailNode = this.nextNode++;
      this.nodes.set(this.tailNode, node);
      this.raxNodeCount = -1;
    }
    node.bytes += entryBytes(id, fields, node);
    if (node.bytes > node.alloc) node.alloc = mallocSize(node.bytes);
    node.live++;
    this.entries.push({ id, fields, node: this.tailNode });
    this.lastId = id;
    this.entriesAdded++;
  }

  /** Index (in the entries array) of the first entry with an ID ≥ id. */
  private seek(id: StreamId): number {
    const entries = this.entries;
    let lo = this.head;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Entries with start ≤ ID ≤ end, ascending (or descending), at most `count` (-1: all). */
  range(start: StreamId, end: StreamId, count: number, rev = false): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (start > end || count === 0) return out;
    const entries = this.entries;
    if (!rev) {
      for (let i = this.seek(start); i < entries.length && entries[i].id <= end; i++) {
        out.push(entries[i]);
        if (out.length === count) break;
      }
    } else {
      let i = this.seek(end);
      if (i === entries.length || entries[i].id > end) i--;
      for (; i >= this.head && entries[i].id >= start; i--) {
        out.push(entries[i]);
        if (out.length === count) break;
      }
    }
    return out;
  }

  get(id: StreamId): StreamEntry | undefined {
    const i = this.seek(id);
    const e = this.entries[i];
    return e !== undefined && e.id === id ? e : undefined;
  }

  /** XDEL of one ID: whether it was there. */
  delete(id: StreamId): boolean {
    const i = this.seek(id);
    const e = this.entries[i];
    if (e === undefined || e.id !== id) return false;
    if (i === this.head) this.dropFront(1);
    else {
      this.entries.splice(i, 1);
      this.forget(e);
    }
    if (id > this.maxDeletedId) this.maxDeletedId = id;
    return true;
  }

  /** Removes the first `n` entries. */
  private dropFront(n: number): void {
    for (let i = 0; i < n; i++) this.forget(this.entries[this.head + i]);
    this.head += n;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Node bookkeeping for a removed entry: a node with no live entries goes (Redis frees it). */
  private forget(e: StreamEntry): void {
    const node = this.nodes.get(e.node)!;
    node.live--;
    node.deleted++;
    if (node.live === 0) {
      this.raxNodeCount = -1;
      this.nodes.delete(e.node);
      // New entries go to the last node left, as Redis appends to the rax's last listpack.
      if (this.tailNode === e.node) {
        this.tailNode = -1;
        for (const k of this.nodes.keys()) if (k > this.tailNode) this.tailNode = k;
      }
    }
  }

  /**
   * Redis's streamTrim: whole nodes from the front while the stream stays long enough (MAXLEN) or
   * the node ends below `minId` (MINID); then, unless `approx`, single entries. `limit` (0: none)
   * caps the entries removed, counted in whole nodes. Returns the number removed.
   */
  trim(maxLen: number, minId: StreamId | null, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.length > 0) {
      if (minId === null && this.length <= maxLen) break;
      const first = this.entries[this.head];
      const node = this.nodes.get(first.node)!;
      const inNode = node.live;
      if (limit > 0 && deleted + inNode > limit) break;
      const removeNode = minId === null ? this.length - inNode >= maxLen : this.entries[this.head + inNode - 1].id < minId;
      if (removeNode) {
        this.dropFront(inNode);
        deleted += inNode;
        continue;
      }
      if (approx) break;
      // Within the node: entries one by one until the condition holds.
      let n = 0;
      while (n < inNode && (minId === null ? this.length - n > maxLen : this.entries[this.head + n].id < minId)) n++;
      this.dropFront(n);
      deleted += n;
      break;
    }
    return deleted;
  }

  addGroup(name: string, lastId: StreamId, entriesRead: number): ConsumerGroup | null {
    if (this.groups.has(name)) return null;
    const g = new ConsumerGroup(name, lastId, entriesRead);
    this.groups.set(name, g);
    return g;
  }

  deleteGroup(name: string): boolean {
    return this.groups.delete(name);
  }

  /**
   * Redis's streamEstimateDistanceFromFirstEverEntry: the number of entries added before `id`
   * (its entries_read), when it can be known without scanning; -1 otherwise.
   */
  estimateEntriesRead(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id < this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return ENTRIES_READ_INVALID;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return ENTRIES_READ_INVALID;
  }

  /** Whether a range of entries may contain tombstones (Redis's streamRangeHasTombstones). */
  rangeHasTombstones(start: StreamId): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    return this.maxDeletedId >= start && this.maxDeletedId >= this.firstId;
  }

  clone(): Stream {
    const s = new Stream();
    s.entries = this.entries.slice(this.head);
    for (const [k, n] of this.nodes) s.nodes.set(k, { ...n });
    s.raxNodeCount = this.raxNodeCount;
    s.nextNode = this.nextNode;
    s.tailNode = this.tailNode;
    s.lastId = this.lastId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    for (const g of this.groups.values()) {
      const copy = new ConsumerGroup(g.name, g.lastId, g.entriesRead);
      for (const c of g.consumers.values()) {
        const cc = new Consumer(c.name, c.seenTime);
        copy.consumers.set(c.name, cc);
        for (const [id, p] of c.pel.range(0n, ID_MAX)) {
          const pp = { deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount, consumer: cc };
          cc.pel.set(id, pp);
          copy.pel.set(id, pp);
        }
      }
      s.groups.set(g.name, copy);
    }
    return s;
  }

  /**
   * Redis 7.0's objectComputeSize for a stream: the structs, the radix tree
   * (streamRadixTreeMemoryUsage), and the listpacks' allocations, the first SAMPLES standing for
   * all but the last (MEMORY USAGE's sampling). Consumer groups are left out: Redis changes them
   * (XREADGROUP, XACK, XCLAIM) without signalling the key, so the keyspace could not follow them.
   */
  memoryUsage(): number {
    return this.usage(this.radixNodes);
  }

  memoryUsageFromScratch(): number {
    return this.usage(raxNodeCount(this.nodes.values()));
  }

  private usage(raxNodes: number): number {
    const n = this.nodes.size;
    let sampled = 0;
    let samples = 0;
    for (const node of this.nodes.values()) {
      if (samples === SAMPLES) break;
      sampled += node.alloc;
      samples++;
    }
    // Beyond the samples: their average for all nodes but the last, which is counted as it is.
    const lists = n <= samples ? sampled : Math.floor(sampled / samples) * (n - 1) + this.nodes.get(this.tailNode)!.alloc;
    return ROBJ + STREAM_STRUCT + n * RAX_PER_ELEMENT + raxNodes * RAX_PER_NODE + lists;
  }
}

/** Nodes of the radix tree keyed by the nodes' master IDs (16 bytes, big endian). */
function raxNodeCount(nodes: Iterable<StreamNode>): number {
  const keys: string[] = [];
  for (const n of nodes) keys.push(n.masterId.toString(16).padStart(32, '0'));
  keys.sort();
  return keys.length === 0 ? 1 : raxNodes(keys, 0, keys.length, 0);
}

/**
 * Nodes of a rax holding the sorted keys [lo, hi), all equal up to byte `depth` (keys are hex,
 * two characters a byte): a compressed node for a longer common prefix, a branching node, then
 * each branch; a single key is a compressed node for its rest and its leaf.
 */
function raxNodes(keys: readonly string[], lo: number, hi: number, depth: number): number {
  if (hi - lo === 1) return depth < 16 ? 2 : 1;
  const byte = (k: string, d: number): string => k.slice(2 * d, 2 * d + 2);
  let l = depth;
  while (byte(keys[lo], l) === byte(keys[hi - 1], l)) l++;
  let n = (l > depth ? 1 : 0) + 1;
  for (let i = lo; i < hi; ) {
    let j = i + 1;
    while (j < hi && byte(keys[j], l) === byte(keys[i], l)) j++;
    n += raxNodes(keys, i, j, l + 1);
    i = j;
  }
  return n;
}

/** A listpack integer element (lpAppendInteger). */
function lpInt(v: bigint): number {
  return listpackEntry(String(v));
}

/** A node's listpack header and end byte, and its master entry: counts, fields, terminator. */
function nodeHeader(master: readonly string[]): number {
  let bytes = LISTPACK_EMPTY + 2 + 2 + lpInt(BigInt(master.length)) + 2;
  for (const f of master) bytes += listpackEntry(f);
  return bytes;
}

/**
 * Listpack bytes of one entry (streamAppendItem): flags, ms and seq deltas from the master ID,
 * the field count and fields unless they are the master fields, the values, the element count.
 */
function entryBytes(id: StreamId, fields: readonly string[], node: StreamNode): number {
  const master = node.master;
  const n = fields.length / 2;
  let same = n === master.length;
  for (let i = 0; same && i < n; i++) same = fields[i * 2] === master[i];
  const msDiff = BigInt.asIntN(64, idMs(id) - idMs(node.masterId));
  const seqDiff = BigInt.asIntN(64, idSeq(id) - idSeq(node.masterId));
  let bytes = 2 + lpInt(msDiff) + lpInt(seqDiff);
  if (!same) bytes += lpInt(BigInt(n));
  for (let i = 0; i < fields.length; i += 2) {
    if (!same) bytes += listpackEntry(fields[i]);
    bytes += listpackEntry(fields[i + 1]);
  }
  return bytes + lpInt(BigInt(same ? n + 3 : 2 * n + 4));
}
