/**
 * Sync acks (BTTC's MsgCheckpointSyncAck): the staking chain's CheckpointSyncAck, mirrored, records
 * that its StakeManager took checkpoint N of a root chain, moves that chain's synced count to N and
 * clears its sync buffer. Numbers follow each other per root chain on the StakeManager, so an ack
 * below the next expected number is stale (already applied) and one above it waits in the pool.
 */
import type { DeliveryState } from '../../app/state.ts';
import { isConfiguredRootChain, type ApplyOutcome } from '../context.ts';
import type { BlockContext } from '../module.ts';
import { syncedCount, syncLineOf, trackOf, type CheckpointTrack } from './state.ts';
import type { SyncedCheckpoint } from './sync-store.ts';
import type { CheckpointSyncAckTx } from './sync-txs.ts';

function syncAckError(t: CheckpointTrack, tx: CheckpointSyncAckTx): { stale: boolean; reason: string } | null {
  const next = syncedCount(t) + 1;
  if (tx.number < next) return { stale: true, reason: `checkpoint ${tx.number} of root chain ${tx.syncedChainId} already synced (next is ${next})` };
  if (tx.number > next) return { stale: false, reason: `sync ack of checkpoint ${tx.number} of root chain ${tx.syncedChainId} is ahead of the next expected ${next}` };
  if (tx.end < tx.start) return { stale: true, reason: `sync ack end ${tx.end} before start ${tx.start}` };
  return null;
}

/** The chain the ack is about, when it is ours to track; else why not. */
function syncedTrack(tx: CheckpointSyncAckTx, s: DeliveryState, ctx: { stakingChainId: number; config: BlockContext['config'] }): CheckpointTrack | string {
  if (tx.ref.rootChainId !== ctx.stakingChainId) return `sync acks come from the staking chain ${ctx.stakingChainId}, not ${tx.ref.rootChainId}`;
  if (tx.syncedChainId === ctx.stakingChainId) return `root chain ${tx.syncedChainId} is the staking chain: its checkpoints are not synced`;
  const t = trackOf(s, tx.syncedChainId);
  if (!t || !isConfiguredRootChain(ctx.config, tx.syncedChainId)) return `root chain ${tx.syncedChainId} is not configured`;
  return t;
}

export function validateSyncAckTx(tx: CheckpointSyncAckTx, ctx: BlockContext): string | null {
  const t = syncedTrack(tx, ctx.state, ctx);
  if (typeof t === 'string') return t;
  return syncAckError(t, tx)?.reason ?? null;
}

/**
 * A pooled ack that can never be included: its number is synced already, or it is about a chain
 * this Delivery does not track. The staking chain is not known here, so only the second half of the
 * chain checks applies (validate keeps the rest out of blocks).
 */
export function syncAckStaleInPool(tx: CheckpointSyncAckTx, s: DeliveryState): boolean {
  const t = trackOf(s, tx.syncedChainId);
  return !t || tx.number <= syncedCount(t);
}

/** Records the synced checkpoint, moves the synced count and clears the chain's sync buffer. */
export function applySyncAckTx(tx: CheckpointSyncAckTx, ctx: BlockContext): { outcome: ApplyOutcome; record?: SyncedCheckpoint; reason?: string } {
  const t = syncedTrack(tx, ctx.state, ctx);
  if (typeof t === 'string') return { outcome: 'stale', reason: t };
  const err = syncAckError(t, tx);
  if (err) return { outcome: err.stale ? 'stale' : 'early', reason: err.reason };
  const line = syncLineOf(t);
  const b = line.buffer;
  const matches = b !== null && b.sync.checkpointNumber === tx.number && b.sync.start === tx.start && b.sync.end === tx.end && b.sync.proposer === tx.proposer;
  const record: SyncedCheckpoint = {
    rootChainId: tx.syncedChainId,
    number: tx.number,
    stakingChainId: ctx.stakingChainId,
    proposer: tx.proposer,
    start: tx.start,
    end: tx.end,
    signatureCount: matches ? b.signatures.length : 0,
    timestamp: Math.floor(ctx.blockTime / 1000),
    deliveryHeight: ctx.height,
    txHash: tx.ref.txHash,
  };
  line.count = tx.number;
  // BTTC flushes the sync buffer on the ack, whoever's record the StakeManager took.
  line.buffer = null;
  return { outcome: 'applied', record };
}
