/**
 * A checkpoint proposal's life (spec §5), per root chain: the checkpoint proposer (the Delivery
 * set's proposer) proposes a range over confirmed Bttc blocks; every validator checks the root
 * against its own Bttc headers and votes Yes with its checkpoint signature; two heights later the
 * Yes signatures are counted against the Delivery set and at ⌊n·2/3⌋+1 the checkpoint enters the
 * buffer, where it waits for its ack.
 */
import type { SignatureVerifier } from '../../../pools/interface.ts';
import { checkpointRoot as inlineCheckpointRoot } from '../../../merkle/checkpoint.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { checkpointRangeError, checkpointVoteHash, signCheckpoint, type Checkpoint } from '../../../protocol/checkpoint/checkpoint.ts';
import { chooseCheckpointRange } from '../../../protocol/checkpoint/range.ts';
import { SignatureSet } from '../../../protocol/checkpoint/signature-set.ts';
import type { BttcHeaderReader, CheckpointHasher } from '../../app/interface.ts';
import type { DeliveryState } from '../../app/state.ts';
import type { ModuleContext } from '../context.ts';
import type { ApplyResult, BlockContext, Verdict, YesVote } from '../module.ts';
import { checkpointBufferTime } from '../gov/params.ts';
import { deliverySet, proposerSigner } from '../staking/state.ts';
import { requireTrack, stakingAckCount, trackOf, type BufferedCheckpoint, type CheckpointTrack } from './state.ts';
import { CHECKPOINT_TX, type CheckpointTx } from './txs.ts';

/**
 * Delivery keeps no fee-dividend accounts yet, so the account root in every checkpoint is this
 * constant and validators check it equals it. The root contracts store it without checking it.
 */
export const ACCOUNT_ROOT_NONE = '0x' + '00'.repeat(32);

/** The buffer time is governance's (gov/params.ts): the value in force for the block being judged. */
export function bufferOpen(t: CheckpointTrack, ctx: BlockContext): boolean {
  return t.buffer === null || ctx.blockTime - t.buffer.time >= checkpointBufferTime(ctx.state, ctx.height, ctx.config) * 1000;
}

/** Deterministic validity of a proposal against the committed state and the block's time. */
export function validateCheckpointTx(tx: CheckpointTx, ctx: BlockContext): string | null {
  const s = ctx.state;
  const t = trackOf(s, tx.rootChainId);
  if (!t) return `root chain ${tx.rootChainId} is not configured`;
  const cp = tx.checkpoint;
  const proposer = proposerSigner(s);
  if (cp.proposer !== proposer) return `only the current proposer ${proposer} may propose a checkpoint, not ${cp.proposer}`;
  if (cp.borChainId !== ctx.config.bttc.chainId) return `borChainId ${cp.borChainId} must be ${ctx.config.bttc.chainId}`;
  const epoch = stakingAckCount(s, ctx.stakingChainId) + 1;
  if (cp.epoch !== epoch) return `epoch ${cp.epoch} must be ${epoch} (staking-chain ack count + 1)`;
  if (cp.accountRootHash !== ACCOUNT_ROOT_NONE) return `accountRootHash must be ${ACCOUNT_ROOT_NONE}`;
  const rangeErr = checkpointRangeError(cp, t.lastEnd, ctx.config.checkpoint.maxLength);
  if (rangeErr) return rangeErr;
  if (!bufferOpen(t, ctx)) return `a checkpoint for root chain ${tx.rootChainId} is already in the buffer`;
  return null;
}

/** This validator's check of the proposed root against its own Bttc headers. */
export async function checkpointVerdict(tx: CheckpointTx, deps: { bttc: BttcHeaderReader; hasher?: CheckpointHasher | null; signerKey: Uint8Array }): Promise<Verdict> {
  const cp = tx.checkpoint;
  const headers = await deps.bttc.headers(cp.start, cp.end);
  if (!headers || headers.length !== cp.end - cp.start + 1) return { vote: 'abstain' };
  const root = deps.hasher ? await deps.hasher.checkpointRoot(headers) : inlineCheckpointRoot(headers);
  if (bytesToHex(root) !== cp.rootHash) return { vote: 'no' };
  return { vote: 'yes', signature: signCheckpoint(cp, deps.signerKey) };
}

/**
 * Tally two heights later: the Yes signatures (claimed by the precommit's validator) verified as a
 * set over the checkpoint's vote hash against the Delivery set; approved at ⌊n·2/3⌋+1.
 */
export async function tallyCheckpoint(tx: CheckpointTx, yes: readonly YesVote[], ctx: BlockContext, deps: { verifier: SignatureVerifier }): Promise<ApplyResult & { buffer?: BufferedCheckpoint }> {
  const t = requireTrack(ctx.state, tx.rootChainId);
  // The state may have moved since proposal (an ack landed): re-check what still matters.
  const rangeErr = checkpointRangeError(tx.checkpoint, t.lastEnd, ctx.config.checkpoint.maxLength);
  if (rangeErr) return { outcome: 'stale', reason: rangeErr };
  if (!bufferOpen(t, ctx)) return { outcome: 'stale', reason: 'buffer already holds a checkpoint' };
  const set = new SignatureSet({ voteHash: checkpointVoteHash(tx.checkpoint), validators: deliverySet(ctx.state).signers() }, { verifier: deps.verifier });
  // Only Yes votes carrying a 65-byte checkpoint signature count.
  await set.add(yes.filter((y) => y.signature.length === 65).map((y) => ({ signer: y.validator, signature: y.signature })));
  if (!set.approved) return { outcome: 'rejected', reason: `${set.count} valid signature(s), need ${set.threshold}` };
  const buffer: BufferedCheckpoint = {
    checkpoint: { ...tx.checkpoint },
    signatures: set.sortedSignatures().map((x) => ({ signer: x.signer, signature: bytesToHex(x.signature) })),
    time: ctx.blockTime,
    height: ctx.height,
  };
  t.buffer = buffer;
  return { outcome: 'applied', buffer };
}

/** What this node proposes when it is the checkpoint proposer: the §5 range over confirmed Bttc blocks. */
export async function proposeCheckpoint(
  s: DeliveryState,
  rootChainId: number,
  ctx: ModuleContext,
  deps: { bttc: BttcHeaderReader; hasher?: CheckpointHasher | null; me: string },
): Promise<CheckpointTx | null> {
  const t = trackOf(s, rootChainId);
  if (!t || proposerSigner(s) !== deps.me || !bufferOpen(t, { ...ctx, state: s })) return null;
  const latest = await deps.bttc.latestNumber();
  const choice = chooseCheckpointRange({ lastEnd: t.lastEnd, latest, now: Math.floor(ctx.blockTime / 1000), lastCheckpointTime: Math.floor(t.lastAckTime / 1000) }, ctx.config.checkpoint);
  if (!choice.ready) return null;
  const headers = await deps.bttc.headers(choice.start, choice.end);
  if (!headers || headers.length !== choice.end - choice.start + 1) return null;
  const root = deps.hasher ? await deps.hasher.checkpointRoot(headers) : inlineCheckpointRoot(headers);
  const checkpoint: Checkpoint = {
    proposer: deps.me,
    start: choice.start,
    end: choice.end,
    rootHash: bytesToHex(root),
    accountRootHash: ACCOUNT_ROOT_NONE,
    borChainId: ctx.config.bttc.chainId,
    epoch: stakingAckCount(s, ctx.stakingChainId) + 1,
  };
  return { type: CHECKPOINT_TX, rootChainId, checkpoint };
}
