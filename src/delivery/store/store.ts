/**
 * Delivery state in classic-level (or any KeyValueStore): one bucket byte per entity, numeric keys
 * big-endian, and exactly one batch per committed Delivery block holding the block, the new state
 * snapshot and every record the block produced — so a crash leaves either the whole block or none of
 * it, and a restart resumes from the last committed height.
 *
 * The root-event pool (events our watcher saw, not yet applied) is written on arrival, outside the
 * block batches: the watcher advances its cursor once `onRootEvent` returns, so the event must be
 * durable by then; the block that applies it deletes it in its own batch.
 */
import type { BatchOp, KeyValueStore } from '../../db/interface.ts';
import { bucketKey, prefixEnd, u64be } from '../../db/level.ts';
import { decodeTx, encodeTx } from '../app/codec.ts';
import { decodeState, encodeState, type StateData } from '../app/state.ts';
import type { DeliveryTx } from '../app/types.ts';
import type { AckedCheckpoint, EventRecord, StoredSpanJson } from './interface.ts';

export const BUCKET_META = 0xe0;
export const BUCKET_BLOCK = 0xe1;
export const BUCKET_PROCESSED = 0xe2;
export const BUCKET_CHECKPOINT = 0xe3;
export const BUCKET_SPAN = 0xe4;
export const BUCKET_EVENT_RECORD = 0xe5;
export const BUCKET_POOL = 0xe6;
/** The commit that decided each block (app/commit.ts stored form), for peers syncing by range. */
export const BUCKET_COMMIT = 0xe7;

/** Replay-protection namespaces (one per event family). */
export const ProcessedKind = { Staking: 1, Ack: 2, Clerk: 3 } as const;
export type ProcessedKind = (typeof ProcessedKind)[keyof typeof ProcessedKind];

const META_KEY = bucketKey(BUCKET_META, Uint8Array.of(1));
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
const dec = <T>(b: Uint8Array): T => JSON.parse(new TextDecoder().decode(b)) as T;

/** Everything one committed block writes. */
export interface BlockWrite {
  state: StateData;
  blockBytes: Uint8Array;
  /** The block's commit in the stored form of app/commit.ts. */
  commit?: Uint8Array;
  processed: { kind: ProcessedKind; rootChainId: number; sequence: bigint }[];
  checkpoints: AckedCheckpoint[];
  spans: StoredSpanJson[];
  eventRecords: EventRecord[];
  /** Pool entries to drop (applied or found stale). */
  poolDeletes: { rootChainId: number; type: number; sequence: bigint }[];
}

export function processedKey(kind: ProcessedKind, rootChainId: number, sequence: bigint): Uint8Array {
  return bucketKey(BUCKET_PROCESSED, Uint8Array.of(kind, rootChainId), sequence);
}

function poolKey(rootChainId: number, type: number, sequence: bigint): Uint8Array {
  return bucketKey(BUCKET_POOL, Uint8Array.of(rootChainId, type), sequence);
}

export class DeliveryStore {
  readonly db: KeyValueStore;

  constructor(db: KeyValueStore) {
    this.db = db;
  }

  async loadState(): Promise<StateData | null> {
    const raw = await this.db.get(META_KEY);
    return raw ? decodeState(raw) : null;
  }

  /** The block's single atomic write. */
  async commitBlock(w: BlockWrite): Promise<void> {
    const ops: BatchOp[] = [];
    ops.push({ type: 'put', key: META_KEY, value: encodeState(w.state) });
    ops.push({ type: 'put', key: bucketKey(BUCKET_BLOCK, w.state.height), value: w.blockBytes });
    if (w.commit) ops.push({ type: 'put', key: bucketKey(BUCKET_COMMIT, w.state.height), value: w.commit });
    for (const p of w.processed) ops.push({ type: 'put', key: processedKey(p.kind, p.rootChainId, p.sequence), value: Uint8Array.of(1) });
    for (const c of w.checkpoints) ops.push({ type: 'put', key: bucketKey(BUCKET_CHECKPOINT, Uint8Array.of(c.rootChainId), c.number), value: enc(c) });
    for (const s of w.spans) ops.push({ type: 'put', key: bucketKey(BUCKET_SPAN, s.id), value: enc(s) });
    for (const r of w.eventRecords) ops.push({ type: 'put', key: bucketKey(BUCKET_EVENT_RECORD, r.id), value: enc(r) });
    for (const d of w.poolDeletes) ops.push({ type: 'del', key: poolKey(d.rootChainId, d.type, d.sequence) });
    await this.db.batch(ops);
  }

  /** Genesis: the state at height 0 and span 0, in one batch. */
  async writeGenesis(state: StateData, span0: StoredSpanJson): Promise<void> {
    await this.db.batch([
      { type: 'put', key: META_KEY, value: encodeState(state) },
      { type: 'put', key: bucketKey(BUCKET_SPAN, span0.id), value: enc(span0) },
    ]);
  }

  async getBlock(height: number): Promise<Uint8Array | undefined> {
    return this.db.get(bucketKey(BUCKET_BLOCK, height));
  }

  /** Undefined for genesis and for blocks committed before commits were kept. */
  async getCommit(height: number): Promise<Uint8Array | undefined> {
    return this.db.get(bucketKey(BUCKET_COMMIT, height));
  }

  async isProcessed(kind: ProcessedKind, rootChainId: number, sequence: bigint): Promise<boolean> {
    return (await this.db.get(processedKey(kind, rootChainId, sequence))) !== undefined;
  }

  async getCheckpoint(rootChainId: number, number: number): Promise<AckedCheckpoint | null> {
    const raw = await this.db.get(bucketKey(BUCKET_CHECKPOINT, Uint8Array.of(rootChainId), number));
    return raw ? dec<AckedCheckpoint>(raw) : null;
  }

  async getSpan(id: number): Promise<StoredSpanJson | null> {
    const raw = await this.db.get(bucketKey(BUCKET_SPAN, id));
    return raw ? dec<StoredSpanJson>(raw) : null;
  }

  async getEventRecord(id: number): Promise<EventRecord | null> {
    const raw = await this.db.get(bucketKey(BUCKET_EVENT_RECORD, id));
    return raw ? dec<EventRecord>(raw) : null;
  }

  /**
   * Records with id ≥ fromId and recordTime < toTime (unix seconds), at most `limit`, in id order.
   * Record times never decrease with the id (they are block times), so the scan stops at the first
   * record at or past toTime.
   */
  async listEventRecords(fromId: number, toTime: number, limit: number): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    if (limit <= 0) return out;
    const gte = bucketKey(BUCKET_EVENT_RECORD, Math.max(0, fromId));
    const lt = prefixEnd(Uint8Array.of(BUCKET_EVENT_RECORD));
    for await (const [, v] of this.db.entries({ gte, lt })) {
      const r = dec<EventRecord>(v);
      if (r.recordTime >= toTime) break;
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  // ---- root-event pool -------------------------------------------------------------------

  async putPoolTx(tx: DeliveryTx & { ref: { rootChainId: number; sequence: bigint } }): Promise<void> {
    await this.db.put(poolKey(tx.ref.rootChainId, tx.type, tx.ref.sequence), encodeTx(tx));
  }

  async deletePoolTx(rootChainId: number, type: number, sequence: bigint): Promise<void> {
    await this.db.del(poolKey(rootChainId, type, sequence));
  }

  async loadPool(): Promise<DeliveryTx[]> {
    const out: DeliveryTx[] = [];
    const lo = Uint8Array.of(BUCKET_POOL);
    for await (const [, v] of this.db.entries({ gte: lo, lt: prefixEnd(lo) })) out.push(decodeTx(v));
    return out;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export { u64be };
