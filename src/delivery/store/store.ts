/**
 * The Delivery app's own records on the node db (src/db/buckets.ts: deliveryMeta, deliveryBlock,
 * deliveryCommit, deliveryProcessed, deliveryPool), each through a Repository; the modules keep
 * theirs (modules/<name>/store.ts). Exactly one batch per committed Delivery block holds the block,
 * its commit, the new state snapshot, the processed markers, the pool deletions and every record the
 * modules produced — so a crash leaves either the whole block or none of it, and a restart resumes
 * from the last committed height.
 *
 * The root-event pool (events our watcher saw, not yet applied) is written on arrival, outside the
 * block batches: the watcher advances its cursor once `onRootEvent` returns, so the event must be
 * durable by then; the block that applies it deletes it in its own batch.
 *
 * Key layout (unchanged since before modules, so existing data dirs open):
 *   meta      0xe0 ‖ 0x01                                  → state snapshot (JSON)
 *   block     0xe1 ‖ height u64                            → block bytes
 *   processed 0xe2 ‖ kind u8 ‖ root chain u8 ‖ sequence u64  → 0x01
 *   pool      0xe6 ‖ root chain u8 ‖ tx type u8 ‖ sequence u64 → tx bytes
 *   commit    0xe7 ‖ height u64                            → the commit (app/commit.ts stored form)
 */
import { BUCKETS } from '../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../db/interface.ts';
import { bytesCodec, Repository, u64BigCodec, u64Codec, type Codec } from '../../db/repository.ts';

/** The one meta record: the committed state snapshot. */
const STATE_KEY = 1;

/** A replay marker: this event (its root chain and sequence, in its module's namespace) took effect or was found stale. */
export interface ProcessedRef {
  kind: number;
  rootChainId: number;
  sequence: bigint;
}

/** A pooled root event: by root chain, tx type and sequence. */
export interface PoolRef {
  rootChainId: number;
  type: number;
  sequence: bigint;
}

function byte(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new Error(`delivery store: ${what} ${n} is not one byte`);
  return n;
}

const u8Codec: Codec<number> = {
  encode: (n) => Uint8Array.of(byte(n, 'key')),
  decode(b) {
    if (b.length !== 1) throw new Error(`u8 key: expected 1 byte, got ${b.length}`);
    return b[0]!;
  },
};

/** Two bytes then a u64 sequence: the processed and pool keys share this shape. */
function twoBytesAndSequence<T>(pack: (t: T) => [number, number, bigint], unpack: (a: number, b: number, seq: bigint) => T): Codec<T> {
  return {
    encode(t) {
      const [a, b, seq] = pack(t);
      const out = new Uint8Array(10);
      out[0] = byte(a, 'key byte');
      out[1] = byte(b, 'key byte');
      out.set(u64BigCodec.encode(seq), 2);
      return out;
    },
    decode(k) {
      if (k.length !== 10) throw new Error(`delivery store: expected a 10-byte key, got ${k.length}`);
      return unpack(k[0]!, k[1]!, u64BigCodec.decode(k.subarray(2)));
    },
  };
}

const processedKeyCodec = twoBytesAndSequence<ProcessedRef>(
  (p) => [p.kind, p.rootChainId, p.sequence],
  (kind, rootChainId, sequence) => ({ kind, rootChainId, sequence }),
);
const poolKeyCodec = twoBytesAndSequence<PoolRef>(
  (p) => [p.rootChainId, p.type, p.sequence],
  (rootChainId, type, sequence) => ({ rootChainId, type, sequence }),
);
const MARKER = Uint8Array.of(1);
const markerCodec: Codec<true> = { encode: () => MARKER, decode: () => true };

/** Everything one committed block writes. */
export interface BlockWrite {
  height: number;
  /** The state snapshot after the block (DeliveryState.encode). */
  state: Uint8Array;
  block: Uint8Array;
  /** The block's commit in the stored form of app/commit.ts. */
  commit?: Uint8Array;
  processed: ProcessedRef[];
  /** Pool entries to drop (applied or found stale). */
  poolDeletes: PoolRef[];
  /** The modules' records: batch operations on their own buckets. */
  ops: BatchOp[];
}

export class DeliveryStore {
  readonly db: KeyValueStore;
  private readonly meta: Repository<number, Uint8Array>;
  private readonly blocks: Repository<number, Uint8Array>;
  private readonly commits: Repository<number, Uint8Array>;
  private readonly processed: Repository<ProcessedRef, true>;
  private readonly pool: Repository<PoolRef, Uint8Array>;

  constructor(db: KeyValueStore) {
    this.db = db;
    this.meta = new Repository(db, BUCKETS.deliveryMeta, u8Codec, bytesCodec);
    this.blocks = new Repository(db, BUCKETS.deliveryBlock, u64Codec, bytesCodec);
    this.commits = new Repository(db, BUCKETS.deliveryCommit, u64Codec, bytesCodec);
    this.processed = new Repository(db, BUCKETS.deliveryProcessed, processedKeyCodec, markerCodec);
    this.pool = new Repository(db, BUCKETS.deliveryPool, poolKeyCodec, bytesCodec);
  }

  /** The committed state snapshot, undefined for an empty store. */
  loadState(): Promise<Uint8Array | undefined> {
    return this.meta.get(STATE_KEY);
  }

  /** The block's single atomic write. */
  async commitBlock(w: BlockWrite): Promise<void> {
    const ops: BatchOp[] = [this.meta.putOp(STATE_KEY, w.state), this.blocks.putOp(w.height, w.block)];
    if (w.commit) ops.push(this.commits.putOp(w.height, w.commit));
    for (const p of w.processed) ops.push(this.processed.putOp(p, true));
    ops.push(...w.ops);
    for (const d of w.poolDeletes) ops.push(this.pool.delOp(d));
    await this.db.batch(ops);
  }

  /** Genesis: the state at height 0 and the modules' genesis records (span 0), in one batch. */
  async writeGenesis(state: Uint8Array, ops: readonly BatchOp[]): Promise<void> {
    await this.db.batch([this.meta.putOp(STATE_KEY, state), ...ops]);
  }

  getBlock(height: number): Promise<Uint8Array | undefined> {
    return this.blocks.get(height);
  }

  /** Undefined for genesis and for blocks committed before commits were kept. */
  getCommit(height: number): Promise<Uint8Array | undefined> {
    return this.commits.get(height);
  }

  isProcessed(p: ProcessedRef): Promise<boolean> {
    return this.processed.has(p);
  }

  // ---- root-event pool -------------------------------------------------------------------

  putPoolTx(ref: PoolRef, tx: Uint8Array): Promise<void> {
    return this.pool.put(ref, tx);
  }

  deletePoolTx(ref: PoolRef): Promise<void> {
    return this.pool.del(ref);
  }

  /** Every pooled tx's bytes, in key order. */
  async loadPool(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const v of this.pool.values()) out.push(v);
    return out;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
