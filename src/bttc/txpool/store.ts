/**
 * Persistence of accepted transactions, so a restart loses none: each record is
 * `sender(20) ‖ seq(8) ‖ raw` under the tx hash. Writes made in the same tick share one batch (an
 * RPC burst or a gossip batch costs one LevelDB write); `add` resolves only after its batch is on disk.
 */
import { BUCKETS } from '../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../db/interface.ts';
import { fixedBytesCodec, Repository, type Codec } from '../../db/repository.ts';

export interface StoredTx {
  hash: Uint8Array;
  sender: Uint8Array;
  seq: number;
  raw: Uint8Array;
}

/** A pooled transaction as stored: its hash is the key. */
type PooledRecord = Omit<StoredTx, 'hash'>;

/**
 * `sender(20) ‖ seq(u64) ‖ raw`. A record too short to hold sender and sequence decodes to null and
 * is skipped on load, so one damaged record does not cost the rest of the pool.
 */
const pooledTxCodec: Codec<PooledRecord | null> = {
  encode(tx) {
    if (!tx) throw new Error('txpool store: nothing to encode');
    const value = new Uint8Array(28 + tx.raw.length);
    value.set(tx.sender, 0);
    new DataView(value.buffer).setBigUint64(20, BigInt(tx.seq));
    value.set(tx.raw, 28);
    return value;
  },
  decode(v) {
    if (v.length < 28) return null;
    return { sender: v.slice(0, 20), seq: Number(new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(20)), raw: v.slice(28) };
  },
};

export class PoolStore {
  private readonly db: KeyValueStore;
  private readonly txs: Repository<Uint8Array, PooledRecord | null>;
  private ops: BatchOp[] = [];
  private flushing: Promise<void> | null = null;

  constructor(db: KeyValueStore) {
    this.db = db;
    this.txs = new Repository(db, BUCKETS.txpoolTx, fixedBytesCodec(32), pooledTxCodec);
  }

  put(tx: StoredTx): Promise<void> {
    this.ops.push(this.txs.putOp(tx.hash, tx));
    return this.schedule();
  }

  del(hash: Uint8Array): Promise<void> {
    this.ops.push(this.txs.delOp(hash));
    return this.schedule();
  }

  private schedule(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const ops = this.ops;
        this.ops = [];
        this.flushing = null;
        this.db.batch(ops).then(resolve, reject);
      });
    });
    return this.flushing;
  }

  async *load(): AsyncGenerator<StoredTx> {
    for await (const [hash, tx] of this.txs.entries()) if (tx) yield { hash, ...tx };
  }

  /** Waits for every queued write. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
