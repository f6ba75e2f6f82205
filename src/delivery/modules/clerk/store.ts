/**
 * Event records by global id in the clerk module's bucket (`deliveryEventRecord`: id u64 → JSON).
 * Written only through batch operations of the block that applies them.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { jsonCodec, Repository, u64Codec } from '../../../db/repository.ts';

/** A state-sync event handed to Bttc's commitState (rlp([id, contract, data, txHash, logIndex, chainId])). */
export interface EventRecord {
  /** Global sequential id across root chains, from 1. */
  id: number;
  rootChainId: number;
  /** The StateSender's counter on its root chain. */
  stateId: string;
  contract: string;
  data: string;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  /** Delivery block time (unix seconds) of the block that applied it. */
  recordTime: number;
  bttcChainId: number;
}

export class EventRecordStore {
  private readonly repo: Repository<number, EventRecord>;

  constructor(db: KeyValueStore) {
    this.repo = new Repository(db, BUCKETS.deliveryEventRecord, u64Codec, jsonCodec<EventRecord>());
  }

  async get(id: number): Promise<EventRecord | null> {
    return (await this.repo.get(id)) ?? null;
  }

  /**
   * Records with id ≥ fromId and recordTime < toTime (unix seconds), at most `limit`, in id order.
   * Record times never decrease with the id (they are block times), so the scan stops at the first
   * record at or past toTime.
   */
  async list(fromId: number, toTime: number, limit: number): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    // Ids are safe integers: nothing is stored past the largest one.
    if (limit <= 0 || fromId > Number.MAX_SAFE_INTEGER) return out;
    for await (const r of this.repo.values({ gte: Math.max(0, Math.floor(fromId)) })) {
      if (r.recordTime >= toTime) break;
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  putOp(r: EventRecord): BatchOp {
    return this.repo.putOp(r.id, r);
  }
}
