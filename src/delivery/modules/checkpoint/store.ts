/**
 * Acked checkpoints, per root chain and number, in the checkpoint module's bucket
 * (`deliveryCheckpoint`: root chain u8 ‖ number u64 → JSON). Written only through batch operations
 * of the block that acks them.
 */
import { BUCKETS } from '../../../db/buckets.ts';
import type { BatchOp, KeyValueStore } from '../../../db/interface.ts';
import { jsonCodec, Repository, u64Codec, type Codec } from '../../../db/repository.ts';

export interface AckedCheckpoint {
  rootChainId: number;
  /** headerBlockId / 10000: 1 for the first checkpoint on that root chain. */
  number: number;
  headerBlockId: string;
  proposer: string;
  start: number;
  end: number;
  rootHash: string;
  /** From the approved buffer entry when it matches the acked range; null otherwise. */
  accountRootHash: string | null;
  borChainId: number;
  epoch: number | null;
  /** Signatures the approved checkpoint carried (0 when acked without a matching buffer entry). */
  signatureCount: number;
  /** Delivery block time (unix seconds) and height of the ack. */
  timestamp: number;
  deliveryHeight: number;
  /** Root-chain transaction that emitted NewHeaderBlock. */
  txHash: string;
}

export interface CheckpointKey {
  rootChainId: number;
  number: number;
}

/** root chain id u8 ‖ number u64 big-endian. */
export const checkpointKeyCodec: Codec<CheckpointKey> = {
  encode(k) {
    if (!Number.isInteger(k.rootChainId) || k.rootChainId < 0 || k.rootChainId > 0xff) throw new Error(`checkpoint key: root chain id ${k.rootChainId} is not one byte`);
    const out = new Uint8Array(9);
    out[0] = k.rootChainId;
    out.set(u64Codec.encode(k.number), 1);
    return out;
  },
  decode(b) {
    if (b.length !== 9) throw new Error(`checkpoint key: expected 9 bytes, got ${b.length}`);
    return { rootChainId: b[0]!, number: u64Codec.decode(b.subarray(1)) };
  },
};

export class CheckpointStore {
  private readonly repo: Repository<CheckpointKey, AckedCheckpoint>;

  constructor(db: KeyValueStore) {
    this.repo = new Repository(db, BUCKETS.deliveryCheckpoint, checkpointKeyCodec, jsonCodec<AckedCheckpoint>());
  }

  async get(rootChainId: number, number: number): Promise<AckedCheckpoint | null> {
    return (await this.repo.get({ rootChainId, number })) ?? null;
  }

  putOp(c: AckedCheckpoint): BatchOp {
    return this.repo.putOp({ rootChainId: c.rootChainId, number: c.number }, c);
  }
}
