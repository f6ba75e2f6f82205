/**
 * No-acks: after `noAckWait` seconds without an ack on the staking chain, any proposer may include a
 * no-ack, which moves the checkpoint proposer by one. A plain tx: every validator judges it by the
 * block time alone, so it takes effect in its own block.
 */
import type { BlockContext } from '../module.ts';
import { rotateProposer } from '../staking/state.ts';
import { checkpointOf, requireTrack } from './state.ts';
import { CHECKPOINT_NOACK_TX, type CheckpointNoAckTx } from './txs.ts';

function noAckDue(ctx: BlockContext): boolean {
  const t = requireTrack(ctx.state, ctx.stakingChainId);
  return ctx.blockTime - Math.max(t.lastAckTime, checkpointOf(ctx.state).lastNoAckTime) >= ctx.config.checkpoint.noAckWait * 1000;
}

export function validateNoAckTx(tx: CheckpointNoAckTx, ctx: BlockContext): string | null {
  if (tx.rootChainId !== ctx.stakingChainId) return `no-ack applies to the staking chain ${ctx.stakingChainId} only`;
  if (!noAckDue(ctx)) return `no-ack before ${ctx.config.checkpoint.noAckWait}s without an ack`;
  return null;
}

export function applyNoAckTx(ctx: BlockContext): void {
  checkpointOf(ctx.state).lastNoAckTime = ctx.blockTime;
  rotateProposer(ctx.state);
}

export function proposeNoAck(ctx: BlockContext): CheckpointNoAckTx | null {
  return noAckDue(ctx) ? { type: CHECKPOINT_NOACK_TX, rootChainId: ctx.stakingChainId } : null;
}
