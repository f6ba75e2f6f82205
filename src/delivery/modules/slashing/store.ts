/** Slashing records by evidence id (`slashingRecord` bucket): written only in the block's batch. */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { bytesCodec, jsonCodec, Repository } from '../../../db/repository.ts';
import { hexToBytes } from '../../../util/bytes.ts';
import type { Evidence, Offense } from '../../../slashing/evidence.ts';
import type { OffenseRule } from '../../../slashing/penalty.ts';

/** recorded: slashing is off (kept, nothing cut); candidate → voided | final. */
export type SlashStatus = 'recorded' | 'candidate' | 'voided' | 'final';

export interface SlashRecord {
  id: string;
  offense: Offense;
  status: SlashStatus;
  validator: string;
  validatorId: number;
  /** The height the offense is about. */
  height: number;
  /** Delivery height of the block that recorded it. */
  recordedAt: number;
  closesAt: number | null;
  voidedAt: number | null;
  voidReason: string | null;
  finalAt: number | null;
  penalty: (OffenseRule & { prior: number }) | null;
  evidence: Evidence;
}

export class SlashRecordStore {
  private readonly repo: Repository<Uint8Array, SlashRecord>;

  constructor(db: KeyValueStore) {
    this.repo = new Repository(db, BUCKETS.slashingRecord, bytesCodec, jsonCodec<SlashRecord>());
  }

  async get(id: string): Promise<SlashRecord | null> {
    return (await this.repo.get(hexToBytes(id))) ?? null;
  }

  async all(): Promise<SlashRecord[]> {
    const out: SlashRecord[] = [];
    for await (const r of this.repo.values({})) out.push(r);
    return out.sort((a, b) => a.recordedAt - b.recordedAt || (a.id < b.id ? -1 : 1));
  }

  putOp(r: SlashRecord): BatchOp {
    return this.repo.putOp(hexToBytes(r.id), r);
  }
}
