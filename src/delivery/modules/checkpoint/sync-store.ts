/**
 * Checkpoints synced to the staking chain, per root chain and number, in the checkpoint module's
 * `deliveryCheckpointSync` bucket (root chain u8 ‖ number u64 → JSON). Written only through batch
 * operations of the block that applies the staking chain's CheckpointSyncAck.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { jsonCodec, Repository } from '../../../db/repository.ts';
import { checkpointKeyCodec, type CheckpointKey } from './store.ts';

export interface SyncedCheckpoint {
  /** The root chain whose checkpoint was synced, and its number there. */
  rootChainId: number;
  number: number;
  /** The chain whose StakeManager took the record. */
  stakingChainId: number;
  proposer: string;
  start: number;
  end: number;
  /** Signatures the approved record carried (0 when acked without a matching buffer entry). */
  signatureCount: number;
  /** Delivery block time (unix seconds) and height of the ack. */
  timestamp: number;
  deliveryHeight: number;
  /** Staking-chain transaction that emitted CheckpointSyncAck. */
  txHash: string;
}

export class CheckpointSyncStore {
  private readonly repo: Repository<CheckpointKey, SyncedCheckpoint>;

  constructor(db: KeyValueStore) {
    this.repo = new Repository(db, BUCKETS.deliveryCheckpointSync, checkpointKeyCodec, jsonCodec<SyncedCheckpoint>());
  }

  async get(rootChainId: number, number: number): Promise<SyncedCheckpoint | null> {
    return (await this.repo.get({ rootChainId, number })) ?? null;
  }

  putOp(c: SyncedCheckpoint): BatchOp {
    return this.repo.putOp({ rootChainId: c.rootChainId, number: c.number }, c);
  }
}
