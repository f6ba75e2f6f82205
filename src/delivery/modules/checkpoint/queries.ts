/** Checkpoint's read side: per root chain (the staking chain by default) its ack count, buffer and acked checkpoints. */
import type { NodeConfig } from '../../../config/types.ts';
import type { CommittedState } from '../../app/state.ts';
import { checkpointBufferTime } from '../gov/params.ts';
import { proposerSigner } from '../staking/state.ts';
import { checkpointOf, trackOf, type BufferedCheckpoint } from './state.ts';
import type { AckedCheckpoint, CheckpointStore } from './store.ts';

export class CheckpointQueries {
  private readonly committed: CommittedState;
  private readonly store: CheckpointStore;
  readonly stakingChainId: number;

  constructor(stakingChainId: number, deps: { committed: CommittedState; store: CheckpointStore }) {
    this.stakingChainId = stakingChainId;
    this.committed = deps.committed;
    this.store = deps.store;
  }

  /** checkpoint_buffer_time (s) in force for block `height`: the genesis config's or governance's (gov/params.ts). */
  checkpointBufferTime(config: NodeConfig, height: number): number {
    return checkpointBufferTime(this.committed.get(), height, config);
  }

  rootChainIds(): number[] {
    return checkpointOf(this.committed.get()).tracks.map((t) => t.rootChainId);
  }

  ackCount(rootChainId = this.stakingChainId): number | null {
    return trackOf(this.committed.get(), rootChainId)?.ackCount ?? null;
  }

  /** End block of the last acked checkpoint ("finalized" for Bttc RPC). */
  lastEnd(rootChainId = this.stakingChainId): number | null {
    return trackOf(this.committed.get(), rootChainId)?.lastEnd ?? null;
  }

  /** The approved checkpoint waiting for its ack (a copy). */
  buffer(rootChainId = this.stakingChainId): BufferedCheckpoint | null {
    const b = trackOf(this.committed.get(), rootChainId)?.buffer;
    return b ? structuredClone(b) : null;
  }

  /** Every root chain's approved, not yet acked checkpoint (copies). */
  buffers(): { rootChainId: number; buffer: BufferedCheckpoint }[] {
    return checkpointOf(this.committed.get()).tracks.flatMap((t) => (t.buffer ? [{ rootChainId: t.rootChainId, buffer: structuredClone(t.buffer) }] : []));
  }

  /** Who proposes the next checkpoint: the Delivery set's proposer. */
  proposer(): string | null {
    return proposerSigner(this.committed.get());
  }

  get(rootChainId: number, number: number): Promise<AckedCheckpoint | null> {
    return this.store.get(rootChainId, number);
  }

  async latest(rootChainId = this.stakingChainId): Promise<AckedCheckpoint | null> {
    const n = this.ackCount(rootChainId);
    return n ? this.store.get(rootChainId, n) : null;
  }

  /** Delivery block time (ms) of the last no-ack (genesis time before the first). */
  lastNoAckTime(): number {
    return checkpointOf(this.committed.get()).lastNoAckTime;
  }
}
