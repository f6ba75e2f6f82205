/** What the checkpoint module announces in a committed block (app.onCommitted listeners read them). */
import { notice } from '../module.ts';
import type { BufferedCheckpoint, BufferedCheckpointSync } from './state.ts';
import type { AckedCheckpoint } from './store.ts';
import type { SyncedCheckpoint } from './sync-store.ts';

/** A checkpoint approved by the side votes: it waits in the buffer; its proposer submits it. */
export const CHECKPOINT_APPROVED = notice<{ rootChainId: number; buffer: BufferedCheckpoint }>('checkpoint', 'approved');
/** A checkpoint acked by the root chain's NewHeaderBlock, as stored. */
export const CHECKPOINT_ACKED = notice<AckedCheckpoint>('checkpoint', 'acked');
/** A checkpoint-sync record approved by the side votes: it waits in its chain's sync buffer; its submitter sends it to the staking chain. */
export const CHECKPOINT_SYNC_APPROVED = notice<{ rootChainId: number; buffer: BufferedCheckpointSync }>('checkpoint', 'sync-approved');
/** A checkpoint the staking chain's StakeManager acked as a sync record (CheckpointSyncAck), as stored. */
export const CHECKPOINT_SYNCED = notice<SyncedCheckpoint>('checkpoint', 'synced');
