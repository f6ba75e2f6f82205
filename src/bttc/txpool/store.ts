/**
 * Persistence of accepted transactions, so a restart loses none: each record is
 * `sender(20) ‖ seq(8) ‖ raw` under the tx hash. Writes made in the same tick share one batch (an
 * RPC burst or a gossip batch costs one LevelDB write); `add` resolves only after its batch is on disk.
 */
import type { BatchOp, KeyValueStore } from '../../db/interface.ts';
import { bucketKey, prefixEnd } from '../../db/level.ts';
import { BUCKET_TXPOOL_TX } from '../buckets.ts';

export interface StoredTx {
  hash: Uint8Array;
  sender: Uint8Array;
  seq: number;
  raw: Uint8Array;
}

export class PoolStore {
  private readonly db: KeyValueStore;
  private ops: BatchOp[] = [];
  private flushing: Promise<void> | null = null;

  constructor(db: KeyValueStore) {
    this.db = db;
  }

  put(tx: StoredTx): Promise<void> {
    const value = new Uint8Array(28 + tx.raw.length);
    value.set(tx.sender, 0);
    new DataView(value.buffer).setBigUint64(20, BigInt(tx.seq));
    value.set(tx.raw, 28);
    this.ops.push({ type: 'put', key: bucketKey(BUCKET_TXPOOL_TX, tx.hash), value });
    return this.schedule();
  }

  del(hash: Uint8Array): Promise<void> {
    this.ops.push({ type: 'del', key: bucketKey(BUCKET_TXPOOL_TX, hash) });
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
    const gte = bucketKey(BUCKET_TXPOOL_TX);
    for await (const [k, v] of this.db.entries({ gte, lt: prefixEnd(gte) })) {
      if (v.length < 28) continue;
      yield { hash: k.slice(1), sender: v.slice(0, 20), seq: Number(new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(20)), raw: v.slice(28) };
    }
  }

  /** Waits for every queued write. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
