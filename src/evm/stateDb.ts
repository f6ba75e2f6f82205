/**
 * The trie-node and code store under the state tries: classic-level on disk with an in-memory write
 * buffer. Every node a block creates lands in the buffer; `flush()` writes them in one level batch
 * together with the executor's metadata, and `discard()` drops a block that failed validation.
 * Nodes are content-addressed and never pruned, so the state of any stored block stays readable by
 * its root (history for RPC and cheap reorgs: switching heads is switching roots).
 *
 * Implements EthereumJS's `DB<string, string | Uint8Array>` (the MPT's CheckpointDB hands it
 * unprefixed hex keys).
 */
import type { BatchDBOp, DB } from '@ethereumjs/util';
import { ClassicLevel } from 'classic-level';
import { BUCKETS } from '../db/buckets.ts';
import { reachableNodes } from './reachable.ts';

/**
 * Key prefixes inside the executor's level database, from the registry. Only the bytes are taken,
 * not a Repository: the MPT hands over hex keys that are written straight into one buffer, on a
 * path that runs for every trie node of every block, through this store's own ClassicLevel.
 */
const NODE_PREFIX = BUCKETS.stateNode.id; // 'n' ‖ node hash / code hash (as the MPT names them)
const META_PREFIX = BUCKETS.stateMeta.id; // 'm' ‖ name

const LOAD_PARALLEL = 4;
const LOAD_CHUNK_MIN = 256;
const LEVEL_CACHE_BYTES = 32 * 1024 * 1024;
const LEVEL_WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

export interface StateDbOptions {
  cacheNodes?: number;
  cacheBytes?: number;
}

export type RawBatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

function nodeKey(hexKey: string): Uint8Array {
  const out = Buffer.allocUnsafeSlow(1 + (hexKey.length >> 1));
  out[0] = NODE_PREFIX;
  out.write(hexKey, 1, 'hex');
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export class StateDb implements DB<string, string | Uint8Array> {
  readonly level: ClassicLevel<Uint8Array, Uint8Array>;
  private pending = new Map<string, Uint8Array>();
  /**
   * Buffered nodes put through `put` (the MPT's own paths, code) rather than `putResult`: only
   * those can be garbage of the block itself, so only when there are any does `flush` walk the roots.
   */
  private unsure = 0;
  /**
   * Recently written or read nodes. The MPT's own LRU is bypassed on its batch path, so without this
   * every block re-reads the upper trie levels from level, one async round trip per node.
   */
  private cache = new Map<string, Uint8Array>();
  private readonly cacheLimit: number;
  private readonly cacheByteLimit: number;
  private cacheBytes = 0;
  /** Reads served from the pending buffer or level; for the bench's "where the time goes". */
  stats = { reads: 0, diskReads: 0, writes: 0, knownWrites: 0, prefetched: 0, prefetchMs: 0, writeMs: 0, flushedNodes: 0, droppedNodes: 0 };

  /**
   * `cacheNodes` (default 500k) and `cacheBytes` (node bytes, default 256 MiB) bound the node cache;
   * whichever is reached first evicts the least recently used nodes.
   */
  constructor(level: ClassicLevel<Uint8Array, Uint8Array>, opts: StateDbOptions = {}) {
    this.level = level;
    this.cacheLimit = opts.cacheNodes ?? 500_000;
    this.cacheByteLimit = opts.cacheBytes ?? 256 * 1024 * 1024;
  }

  static async open(path: string, opts: StateDbOptions = {}): Promise<StateDb> {
    const level = new ClassicLevel<Uint8Array, Uint8Array>(path, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      // Trie nodes are mostly 32-byte hashes, which snappy cannot shrink: compression only cost every
      // random read a block decompression (at 1M accounts each block reads ~1,000 cold leaves).
      compression: false,
      // LevelDB's block cache and memtable (defaults 8 MB and 4 MB): a block writes ~3.5 MB of nodes
      // at 1M accounts, so the default memtable was flushed to L0 on nearly every block.
      cacheSize: LEVEL_CACHE_BYTES,
      writeBufferSize: LEVEL_WRITE_BUFFER_BYTES,
    });
    await level.open();
    return new StateDb(level, opts);
  }

  private remember(key: string, value: Uint8Array): void {
    // Map keeps insertion order: re-inserting marks recent use, the first key is the least recent.
    const old = this.cache.get(key);
    if (old !== undefined) {
      this.cacheBytes -= old.length;
      this.cache.delete(key);
    }
    this.cache.set(key, value);
    this.cacheBytes += value.length;
    if (this.cache.size > this.cacheLimit || this.cacheBytes > this.cacheByteLimit) {
      // drop the least recent 1/16 beyond the bounds at once, so eviction is not paid per insert
      const drop = Math.max(0, this.cache.size - this.cacheLimit) + (this.cacheLimit >> 4);
      let n = 0;
      for (const [k, v] of this.cache) {
        if (n++ >= drop && this.cacheBytes <= this.cacheByteLimit - (this.cacheByteLimit >> 4)) break;
        this.cache.delete(k);
        this.cacheBytes -= v.length;
      }
    }
  }

  /** Nodes and bytes in the node cache (bounded by `cacheNodes` and `cacheBytes`). */
  cacheSize(): { nodes: number; bytes: number } {
    return { nodes: this.cache.size, bytes: this.cacheBytes };
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.stats.reads++;
    const p = this.pending.get(key) ?? this.cache.get(key);
    if (p !== undefined) return p;
    this.stats.diskReads++;
    const v = (await this.level.get(nodeKey(key))) ?? undefined;
    if (v !== undefined) this.remember(key, v);
    return v;
  }

  /**
   * A read for another thread's state view (the call worker): the buffer, the cache, else level,
   * without remembering what it read, so RPC reads do not push the block path's nodes out of the cache.
   */
  async peek(key: string): Promise<Uint8Array | undefined> {
    const p = this.pending.get(key) ?? this.cache.get(key);
    if (p !== undefined) return p;
    return (await this.level.get(nodeKey(key))) ?? undefined;
  }

  /** A node in the write buffer or the cache, without counting a read (the prefetcher's check). */
  cached(key: string): Uint8Array | undefined {
    return this.pending.get(key) ?? this.cache.get(key);
  }

  /** Reads `keys` from level in one native call into the cache (src/evm/prefetch.ts). */
  async loadMany(keys: string[]): Promise<void> {
    const want = keys.filter((k) => !this.pending.has(k) && !this.cache.has(k));
    if (want.length === 0) return;
    const t = performance.now();
    // LevelDB's getMany reads its keys one after another on one libuv thread; a few calls in parallel
    // use the other threads while the disk or page cache answers.
    const parts = Math.min(LOAD_PARALLEL, Math.ceil(want.length / LOAD_CHUNK_MIN));
    const size = Math.ceil(want.length / parts);
    const chunks: Promise<(Uint8Array | undefined)[]>[] = [];
    for (let i = 0; i < want.length; i += size) chunks.push(this.level.getMany(want.slice(i, i + size).map(nodeKey)));
    const values = (await Promise.all(chunks)).flat();
    this.stats.prefetchMs += performance.now() - t;
    for (let i = 0; i < want.length; i++) {
      const v = values[i];
      if (v === undefined) continue;
      this.stats.prefetched++;
      this.remember(want[i]!, v);
    }
  }

  /**
   * Counts a write and says whether the node is already stored. The cache holds only nodes that are
   * on disk (read from level or flushed), and a key is its node's hash: putting it again changes
   * nothing. The MPT's checkpoint DB re-puts every node it read during a block at the block's
   * commit; without this they were written to level again.
   */
  private alreadyStored(key: string): boolean {
    this.stats.writes++;
    if (!this.cache.has(key)) return false;
    this.stats.knownWrites++;
    return true;
  }

  async put(key: string, value: string | Uint8Array): Promise<void> {
    if (this.alreadyStored(key)) return;
    if (!this.pending.has(key)) this.unsure++;
    this.pending.set(key, typeof value === 'string' ? Buffer.from(value, 'hex') : value);
  }

  /**
   * A node of a BatchTrie update's result: referenced by the root the update returns, so a block made
   * only of these needs no reachability walk at its flush (src/evm/reachable.ts); the walk cost as much
   * as hashing the nodes at 1M accounts. Already-stored nodes are skipped as in `put`.
   */
  putResult(key: string, value: Uint8Array): void {
    if (this.alreadyStored(key)) return;
    this.pending.set(key, value);
  }

  // Content-addressed nodes are never deleted (no pruning): a delete would break older roots.
  async del(_key: string): Promise<void> {}

  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') await this.put(op.key, op.value as string | Uint8Array);
  }

  shallowCopy(): DB<string, string | Uint8Array> {
    return this;
  }

  async open(): Promise<void> {}

  pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Writes buffered nodes plus `extra` (metadata) in one atomic level batch. With `roots` (the block's
   * post-state root), only the buffered nodes those roots reach are written: the rest are nodes the
   * block itself replaced (src/evm/reachable.ts). Without, everything buffered is written (genesis
   * writes a trie bottom-up in several flushes, before its root exists).
   */
  async flush(extra: RawBatchOp[] = [], roots?: readonly Uint8Array[]): Promise<void> {
    const keep = roots && this.unsure > 0 ? reachableNodes(roots, this.pending) : null;
    const ops: RawBatchOp[] = [];
    for (const [k, v] of this.pending) if (!keep || keep.has(k)) ops.push({ type: 'put', key: nodeKey(k), value: v });
    for (const op of extra) ops.push(op);
    this.stats.flushedNodes += ops.length - extra.length;
    this.stats.droppedNodes += this.pending.size - (ops.length - extra.length);
    const t = performance.now();
    if (ops.length > 0) await this.level.batch(ops);
    this.stats.writeMs += performance.now() - t;
    for (const [k, v] of this.pending) if (!keep || keep.has(k)) this.remember(k, v);
    this.pending.clear();
    this.unsure = 0;
  }

  /**
   * Compacts the node range after a bulk load (a large genesis): LevelDB otherwise compacts the
   * freshly written level-0 files in the background during the first blocks, stalling their reads
   * and writes for up to a second each at 1M accounts. Small stores are left alone.
   */
  async settleBulkLoad(minNodes = 200_000): Promise<void> {
    if (this.stats.flushedNodes < minNodes) return;
    await this.level.compactRange(Uint8Array.of(NODE_PREFIX), Uint8Array.of(NODE_PREFIX + 1));
  }

  discard(): void {
    this.pending.clear();
    this.unsure = 0;
  }

  async getMeta(name: string): Promise<Uint8Array | undefined> {
    return (await this.level.get(metaKey(name))) ?? undefined;
  }

  close(): Promise<void> {
    return this.level.close();
  }
}

export function metaKey(name: string): Uint8Array {
  const b = Buffer.from(name, 'utf8');
  const out = new Uint8Array(1 + b.length);
  out[0] = META_PREFIX;
  out.set(b, 1);
  return out;
}
