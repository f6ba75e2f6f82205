/**
 * Acks: the root chain's NewHeaderBlock, mirrored, records the checkpoint it accepted, bumps the ack
 * count, clears the buffer and, on the staking chain, moves the proposer by one.
 */
import type { DeliveryState } from '../../app/state.ts';
import { isConfiguredRootChain, type ApplyOutcome } from '../context.ts';
import type { BlockContext } from '../module.ts';
import { rotateProposer } from '../staking/state.ts';
import { requireTrack, trackOf, type CheckpointTrack } from './state.ts';
import type { AckedCheckpoint } from './store.ts';
import type { CheckpointAckTx } from './txs.ts';

/** Header block ids step by this much per checkpoint on every RootChain contract. */
export const HEADER_BLOCK_STEP = 10000n;

function expectedStart(t: CheckpointTrack): number {
  return t.lastEnd === null ? 0 : t.lastEnd + 1;
}

function ackError(t: CheckpointTrack, tx: CheckpointAckTx): { stale: boolean; reason: string } | null {
  const expectedId = BigInt(t.ackCount + 1) * HEADER_BLOCK_STEP;
  if (tx.headerBlockId < expectedId) return { stale: true, reason: `header block ${tx.headerBlockId} already acked (next is ${expectedId})` };
  if (tx.headerBlockId > expectedId) return { stale: false, reason: `header block ${tx.headerBlockId} is ahead of the next expected ${expectedId}` };
  if (tx.start !== expectedStart(t)) return { stale: true, reason: `ack start ${tx.start} must be ${expectedStart(t)}` };
  if (tx.end < tx.start) return { stale: true, reason: `ack end ${tx.end} before start ${tx.start}` };
  return null;
}

export function validateAckTx(tx: CheckpointAckTx, ctx: BlockContext): string | null {
  const t = trackOf(ctx.state, tx.ref.rootChainId);
  if (!t || !isConfiguredRootChain(ctx.config, tx.ref.rootChainId)) return `root chain ${tx.ref.rootChainId} is not configured`;
  return ackError(t, tx)?.reason ?? null;
}

/** A pooled ack for a header block already acked: never includable. */
export function ackStaleInPool(tx: CheckpointAckTx, s: DeliveryState): boolean {
  const t = trackOf(s, tx.ref.rootChainId);
  return !t || tx.headerBlockId <= BigInt(t.ackCount) * HEADER_BLOCK_STEP;
}

/** Records the acked checkpoint, bumps the ack count, clears the buffer, rotates the proposer (staking chain). */
export function applyAckTx(tx: CheckpointAckTx, ctx: BlockContext): { outcome: ApplyOutcome; record?: AckedCheckpoint; reason?: string } {
  const t = requireTrack(ctx.state, tx.ref.rootChainId);
  const err = ackError(t, tx);
  if (err) return { outcome: err.stale ? 'stale' : 'early', reason: err.reason };
  const b = t.buffer;
  const matches = b !== null && b.checkpoint.start === tx.start && b.checkpoint.end === tx.end && b.checkpoint.rootHash === tx.rootHash;
  const record: AckedCheckpoint = {
    rootChainId: t.rootChainId,
    number: t.ackCount + 1,
    headerBlockId: tx.headerBlockId.toString(),
    proposer: tx.proposer,
    start: tx.start,
    end: tx.end,
    rootHash: tx.rootHash,
    accountRootHash: matches ? b.checkpoint.accountRootHash : null,
    borChainId: ctx.config.bttc.chainId,
    epoch: matches ? b.checkpoint.epoch : null,
    signatureCount: matches ? b.signatures.length : 0,
    // Delivery stores the time the checkpoint entered its buffer (approved), not the ack's block time.
    timestamp: Math.floor((matches ? b.time : ctx.blockTime) / 1000),
    deliveryHeight: ctx.height,
    txHash: tx.ref.txHash,
  };
  t.ackCount += 1;
  t.lastEnd = tx.end;
  t.lastAckTime = ctx.blockTime;
  t.buffer = null;
  if (t.rootChainId === ctx.stakingChainId) rotateProposer(ctx.state);
  return { outcome: 'applied', record };
}
