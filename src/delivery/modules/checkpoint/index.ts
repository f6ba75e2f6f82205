/**
 * Checkpoints (spec §5), per root chain: the checkpoint proposer (Delivery set's proposer) proposes a
 * range; every validator checks the root against its own Bttc headers and votes Yes with its
 * checkpoint signature; at ⌊n·2/3⌋+1 valid signatures the checkpoint enters the buffer and its
 * proposer submits it; the root chain's NewHeaderBlock comes back as an ack that records it, bumps
 * the ack count, clears the buffer and (on the staking chain) moves the proposer by one. A no-ack
 * after `noAckWait` seconds without an ack also moves the proposer.
 */
import type { SignatureVerifier } from '../../../pools/interface.ts';
import type { RootEvent } from '../../../root/abi.ts';
import { checkpointRoot as inlineCheckpointRoot } from '../../../merkle/checkpoint.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { checkpointRangeError, checkpointVoteHash, signCheckpoint, type Checkpoint } from '../../../protocol/checkpoint/checkpoint.ts';
import { chooseCheckpointRange } from '../../../protocol/checkpoint/range.ts';
import { SignatureSet } from '../../../protocol/checkpoint/signature-set.ts';
import type { BttcHeaderReader, CheckpointHasher } from '../../app/interface.ts';
import { trackOf, type BufferedCheckpoint, type CheckpointTrack, type StateData } from '../../app/state.ts';
import { TxType, type CheckpointAckTx, type CheckpointNoAckTx, type CheckpointTx } from '../../app/types.ts';
import type { AckedCheckpoint } from '../../store/interface.ts';
import { argBigInt, argHex, argNumber, isConfiguredRootChain, type ApplyOutcome, type ModuleContext } from '../context.ts';

/** Header block ids step by this much per checkpoint on every RootChain contract. */
export const HEADER_BLOCK_STEP = 10000n;
/**
 * Delivery keeps no fee-dividend accounts yet, so the account root in every checkpoint is this
 * constant and validators check it equals it. The root contracts store it without checking it.
 */
export const ACCOUNT_ROOT_NONE = '0x' + '00'.repeat(32);

export type Verdict = { vote: 'yes'; signature?: Uint8Array } | { vote: 'no' } | { vote: 'abstain' };

function expectedStart(t: CheckpointTrack): number {
  return t.lastEnd === null ? 0 : t.lastEnd + 1;
}

function bufferOpen(t: CheckpointTrack, ctx: ModuleContext): boolean {
  return t.buffer === null || ctx.blockTime - t.buffer.time >= ctx.config.checkpoint.bufferTime * 1000;
}

export function checkpointProposer(s: StateData): string | null {
  return s.deliverySet.getProposer()?.signer ?? null;
}

/** Deterministic validity of a proposal against the committed state and the block's time. */
export function validateCheckpointTx(s: StateData, tx: CheckpointTx, ctx: ModuleContext): string | null {
  const t = trackOf(s, tx.rootChainId);
  if (!t) return `root chain ${tx.rootChainId} is not configured`;
  const cp = tx.checkpoint;
  const proposer = checkpointProposer(s);
  if (cp.proposer !== proposer) return `only the current proposer ${proposer} may propose a checkpoint, not ${cp.proposer}`;
  if (cp.borChainId !== ctx.config.bttc.chainId) return `borChainId ${cp.borChainId} must be ${ctx.config.bttc.chainId}`;
  const staking = trackOf(s, ctx.stakingChainId)!;
  if (cp.epoch !== staking.ackCount + 1) return `epoch ${cp.epoch} must be ${staking.ackCount + 1} (staking-chain ack count + 1)`;
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
export async function tallyCheckpoint(
  s: StateData,
  tx: CheckpointTx,
  yes: { validator: string; signature: Uint8Array }[],
  ctx: ModuleContext,
  deps: { verifier: SignatureVerifier },
): Promise<{ outcome: ApplyOutcome; buffer?: BufferedCheckpoint; reason?: string }> {
  const t = trackOf(s, tx.rootChainId)!;
  // The state may have moved since proposal (an ack landed): re-check what still matters.
  const rangeErr = checkpointRangeError(tx.checkpoint, t.lastEnd, ctx.config.checkpoint.maxLength);
  if (rangeErr) return { outcome: 'stale', reason: rangeErr };
  if (!bufferOpen(t, ctx)) return { outcome: 'stale', reason: 'buffer already holds a checkpoint' };
  const set = new SignatureSet({ voteHash: checkpointVoteHash(tx.checkpoint), validators: s.deliverySet.signers() }, { verifier: deps.verifier });
  await set.add(yes.map((y) => ({ signer: y.validator, signature: y.signature })));
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
  s: StateData,
  rootChainId: number,
  ctx: ModuleContext,
  deps: { bttc: BttcHeaderReader; hasher?: CheckpointHasher | null; me: string },
): Promise<CheckpointTx | null> {
  const t = trackOf(s, rootChainId);
  if (!t || checkpointProposer(s) !== deps.me || !bufferOpen(t, ctx)) return null;
  const latest = await deps.bttc.latestNumber();
  const choice = chooseCheckpointRange({ lastEnd: t.lastEnd, latest, now: Math.floor(ctx.blockTime / 1000), lastCheckpointTime: Math.floor(t.lastAckTime / 1000) }, ctx.config.checkpoint);
  if (!choice.ready) return null;
  const headers = await deps.bttc.headers(choice.start, choice.end);
  if (!headers || headers.length !== choice.end - choice.start + 1) return null;
  const root = deps.hasher ? await deps.hasher.checkpointRoot(headers) : inlineCheckpointRoot(headers);
  const staking = trackOf(s, ctx.stakingChainId)!;
  const checkpoint: Checkpoint = {
    proposer: deps.me,
    start: choice.start,
    end: choice.end,
    rootHash: bytesToHex(root),
    accountRootHash: ACCOUNT_ROOT_NONE,
    borChainId: ctx.config.bttc.chainId,
    epoch: staking.ackCount + 1,
  };
  return { type: TxType.Checkpoint, rootChainId, checkpoint };
}

// ---- ack -----------------------------------------------------------------------------------

export function ackTxFromEvent(ev: RootEvent): CheckpointAckTx | null {
  if (ev.contract !== 'RootChain' || ev.name !== 'NewHeaderBlock') return null;
  const a = ev.args;
  return {
    type: TxType.CheckpointAck,
    ref: { rootChainId: ev.rootChainId, sequence: ev.sequence, blockNumber: ev.blockNumber, logIndex: ev.logIndex, txHash: ev.txHash.toLowerCase() },
    headerBlockId: argBigInt(a, 'headerBlockId', ev.name),
    proposer: argHex(a, 'proposer', ev.name, 20),
    start: argNumber(a, 'start', ev.name),
    end: argNumber(a, 'end', ev.name),
    rootHash: argHex(a, 'root', ev.name, 32),
  };
}

function ackError(t: CheckpointTrack, tx: CheckpointAckTx): { stale: boolean; reason: string } | null {
  const expectedId = BigInt(t.ackCount + 1) * HEADER_BLOCK_STEP;
  if (tx.headerBlockId < expectedId) return { stale: true, reason: `header block ${tx.headerBlockId} already acked (next is ${expectedId})` };
  if (tx.headerBlockId > expectedId) return { stale: false, reason: `header block ${tx.headerBlockId} is ahead of the next expected ${expectedId}` };
  if (tx.start !== expectedStart(t)) return { stale: true, reason: `ack start ${tx.start} must be ${expectedStart(t)}` };
  if (tx.end < tx.start) return { stale: true, reason: `ack end ${tx.end} before start ${tx.start}` };
  return null;
}

export function validateAckTx(s: StateData, tx: CheckpointAckTx, ctx: ModuleContext): string | null {
  const t = trackOf(s, tx.ref.rootChainId);
  if (!t || !isConfiguredRootChain(ctx.config, tx.ref.rootChainId)) return `root chain ${tx.ref.rootChainId} is not configured`;
  return ackError(t, tx)?.reason ?? null;
}

/** Records the acked checkpoint, bumps the ack count, clears the buffer, rotates the proposer (staking chain). */
export function applyAckTx(s: StateData, tx: CheckpointAckTx, ctx: ModuleContext): { outcome: ApplyOutcome; record?: AckedCheckpoint; reason?: string } {
  const t = trackOf(s, tx.ref.rootChainId)!;
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
    timestamp: Math.floor(ctx.blockTime / 1000),
    deliveryHeight: ctx.height,
    txHash: tx.ref.txHash,
  };
  t.ackCount += 1;
  t.lastEnd = tx.end;
  t.lastAckTime = ctx.blockTime;
  t.buffer = null;
  if (t.rootChainId === ctx.stakingChainId) s.deliverySet.incrementProposerPriority(1);
  return { outcome: 'applied', record };
}

// ---- no-ack ----------------------------------------------------------------------------------

function noAckDue(s: StateData, ctx: ModuleContext): boolean {
  const t = trackOf(s, ctx.stakingChainId)!;
  return ctx.blockTime - Math.max(t.lastAckTime, s.lastNoAckTime) >= ctx.config.checkpoint.noAckWait * 1000;
}

export function validateNoAckTx(s: StateData, tx: CheckpointNoAckTx, ctx: ModuleContext): string | null {
  if (tx.rootChainId !== ctx.stakingChainId) return `no-ack applies to the staking chain ${ctx.stakingChainId} only`;
  if (!noAckDue(s, ctx)) return `no-ack before ${ctx.config.checkpoint.noAckWait}s without an ack`;
  return null;
}

/** Applied in its own block (not a side tx: every validator judges it by the block time alone). */
export function applyNoAckTx(s: StateData, ctx: ModuleContext): void {
  s.lastNoAckTime = ctx.blockTime;
  s.deliverySet.incrementProposerPriority(1);
}

export function proposeNoAck(s: StateData, ctx: ModuleContext): CheckpointNoAckTx | null {
  return noAckDue(s, ctx) ? { type: TxType.CheckpointNoAck, rootChainId: ctx.stakingChainId } : null;
}
