/**
 * Persistence of accepted transactions, so a restart loses none: each record is
 * `sender(20) ‖ seq(8) ‖ raw` under the tx hash.
 *
 * Writes are group-committed: at most one LevelDB batch is in flight, writes start at least
 * `minWriteIntervalMs` apart (JOURNAL_WRITE_INTERVAL_MS), and everything queued meanwhile goes out
 * together in the next one. Each batch call costs the node's main thread ≈ 0.3 ms under load
 * (profile in docs/performance.md), so a busy intake (an RPC batch every 20 ms) pays one write per
 * interval instead of one per intake call. The price is acknowledgement latency, not inclusion: a
 * transaction is in the pool, and can be built into a block, before its record is on disk; only the
 * RPC answer waits, at most one interval (an idle store writes at once). What a crash may lose:
 * - `put` (an accepted transaction) resolves only after the batch holding it is on disk, and the
 *   pool acknowledges a transaction only then: an acknowledged transaction is never lost.
 * - `del` does not start a write of its own: deletions ride with the next put batch, or go out
 *   within DEL_FLUSH_MS, or on `settle`/close. A crash may therefore lose the deletions of the last
 *   DEL_FLUSH_MS. Nothing wrong comes back from that: a transaction the chain included is dropped on
 *   reload (its nonce is below the account's); one the executor refused or a caller removed is
 *   reloaded and checked again like any other. A deletion caused by an insert (replaced, evicted) is
 *   queued in the same tick as that insert's put, so it is written with it.
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

/** Deletions wait at most this long for a put batch to ride with. */
export const DEL_FLUSH_MS = 500;
/** Default PoolStore minWriteIntervalMs. */
export const JOURNAL_WRITE_INTERVAL_MS = 50;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class PoolStore {
  private readonly db: KeyValueStore;
  private readonly txs: Repository<Uint8Array, PooledRecord | null>;
  private ops: BatchOp[] = [];
  /** Settles when the ops queued now are on disk (null: nobody waits for them yet). */
  private queued: Deferred | null = null;
  /** The write in flight, errors swallowed (its callers see them through their own promise). */
  private current: Promise<void> | null = null;
  /** A write is in flight or about to start. */
  private busy = false;
  private delTimer: NodeJS.Timeout | null = null;
  private readonly minWriteIntervalMs: number;
  /** performance.now() when the last write started. */
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(db: KeyValueStore, opts: { minWriteIntervalMs?: number } = {}) {
    this.db = db;
    this.minWriteIntervalMs = opts.minWriteIntervalMs ?? JOURNAL_WRITE_INTERVAL_MS;
    this.txs = new Repository(db, BUCKETS.txpoolTx, fixedBytesCodec(32), pooledTxCodec);
  }

  /** Resolves once the record is on disk. */
  put(tx: StoredTx): Promise<void> {
    this.ops.push(this.txs.putOp(tx.hash, tx));
    return this.schedule();
  }

  /** Queues a deletion: written with the next put batch or within DEL_FLUSH_MS (see the header). */
  del(hash: Uint8Array): void {
    this.ops.push(this.txs.delOp(hash));
    this.armDelTimer();
  }

  private armDelTimer(): void {
    if (this.queued || this.delTimer || this.ops.length === 0) return;
    this.delTimer = setTimeout(() => {
      this.delTimer = null;
      // A lost deletion only means the transaction is checked again on reload.
      if (this.ops.length) this.schedule().catch(() => {});
    }, DEL_FLUSH_MS);
    this.delTimer.unref();
  }

  /** The promise of the write that will carry everything queued so far. */
  private schedule(): Promise<void> {
    if (this.delTimer) clearTimeout(this.delTimer);
    this.delTimer = null;
    this.queued ??= deferred();
    if (!this.busy) {
      this.busy = true;
      // Same-tick calls share the batch; calls while a write runs or the interval lasts share the next one.
      this.startWrite();
    }
    return this.queued.promise;
  }

  private startWrite(): void {
    const wait = this.lastWrite + this.minWriteIntervalMs - performance.now();
    if (wait > 0) setTimeout(() => this.write(), wait);
    else setImmediate(() => this.write());
  }

  private write(): void {
    this.lastWrite = performance.now();
    const d = this.queued;
    const ops = this.ops;
    this.queued = null;
    this.ops = [];
    const w = ops.length ? this.db.batch(ops) : Promise.resolve();
    w.then(
      () => d?.resolve(),
      (err: unknown) => d?.reject(err),
    );
    this.current = w.then(
      () => this.written(),
      () => this.written(),
    );
  }

  private written(): void {
    this.current = null;
    if (this.queued) {
      this.startWrite();
      return;
    }
    this.busy = false;
    this.armDelTimer();
  }

  async *load(): AsyncGenerator<StoredTx> {
    for await (const [hash, tx] of this.txs.entries()) if (tx) yield { hash, ...tx };
  }

  /** Writes everything queued (deletions included) and waits for it. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.ops.length || this.queued) await this.schedule();
      else if (this.current) await this.current;
      else return;
    }
  }
}
