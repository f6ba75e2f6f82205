/**
 * The checkpoint module's read side: CheckpointQueries (queries.ts: acks, buffers, checkpoints per
 * root chain) plus the sync records, per root chain that is not the staking chain: how many of its
 * checkpoints the staking chain took, the approved record waiting for its ack, the synced records.
 */
import type { CommittedState } from '../../app/state.ts';
import { CheckpointQueries } from './queries.ts';
import { checkpointOf, syncBuffer, syncedCount, trackOf, type BufferedCheckpointSync } from './state.ts';
import type { CheckpointStore } from './store.ts';
import type { CheckpointSyncStore, SyncedCheckpoint } from './sync-store.ts';

export class CheckpointModuleQueries extends CheckpointQueries {
  private readonly state: CommittedState;
  private readonly syncStore: CheckpointSyncStore;

  constructor(stakingChainId: number, deps: { committed: CommittedState; store: CheckpointStore; syncStore: CheckpointSyncStore }) {
    super(stakingChainId, { committed: deps.committed, store: deps.store });
    this.state = deps.committed;
    this.syncStore = deps.syncStore;
  }

  /** Checkpoints of `rootChainId` synced to the staking chain; null for an unknown chain. */
  syncedCount(rootChainId: number): number | null {
    const t = trackOf(this.state.get(), rootChainId);
    return t ? syncedCount(t) : null;
  }

  /** The approved sync record of `rootChainId` waiting for its ack (a copy). */
  syncBuffer(rootChainId: number): BufferedCheckpointSync | null {
    const t = trackOf(this.state.get(), rootChainId);
    const b = t ? syncBuffer(t) : null;
    return b ? structuredClone(b) : null;
  }

  /** Every root chain's approved, not yet acked sync record (copies). */
  syncBuffers(): { rootChainId: number; buffer: BufferedCheckpointSync }[] {
    return checkpointOf(this.state.get()).tracks.flatMap((t) => {
      const b = syncBuffer(t);
      return b ? [{ rootChainId: t.rootChainId, buffer: structuredClone(b) }] : [];
    });
  }

  synced(rootChainId: number, number: number): Promise<SyncedCheckpoint | null> {
    return this.syncStore.get(rootChainId, number);
  }
}
