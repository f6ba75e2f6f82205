/**
 * Checkpoint sync (spec §4; BTTC's MsgCheckpointSync), per root chain that is not the staking chain:
 * once its checkpoint N is acked (NewHeaderBlock on Ethereum or BSC), and N − 1 is synced, any
 * validator proposing a Delivery block includes the sync record {proposer, start, end, N, chain}
 * of that acked checkpoint. Every validator checks the record against the acked checkpoint (BTTC
 * reads it from the root chain's RootChain; Delivery mirrored exactly that in the ack) and votes Yes
 * with its signature over the record; two heights later the signatures are counted against the
 * Delivery set and at ⌊2n/3⌋+1 the record waits in the chain's sync buffer. The checkpoint proposer
 * of that moment submits it to the staking chain's StakeManager (submission.ts); its
 * CheckpointSyncAck comes back mirrored (sync-ack.ts).
 */
import type { SignatureVerifier } from '../../../pools/interface.ts';
import { checkpointSyncVoteHash, signCheckpointSync, type CheckpointSync } from '../../../protocol/checkpoint/checkpoint-sync.ts';
import { SignatureSet } from '../../../protocol/checkpoint/signature-set.ts';
import { bytesToHex } from '../../../util/bytes.ts';
import { isConfiguredRootChain } from '../context.ts';
import type { ApplyResult, BlockContext, ProposalContext, Verdict, YesVote } from '../module.ts';
import { checkpointBufferTime } from '../gov/params.ts';
import { deliverySet, proposerSigner } from '../staking/state.ts';
import { checkpointOf, requireTrack, syncBuffer, syncedCount, syncLineOf, trackOf, type BufferedCheckpointSync, type CheckpointTrack } from './state.ts';
import type { AckedCheckpoint, CheckpointStore } from './store.ts';
import { CHECKPOINT_SYNC_TX, type CheckpointSyncTx } from './sync-txs.ts';

/** One sync record per root chain per block and in flight. */
export function syncKey(rootChainId: number): string {
  return `checkpoint-sync/${rootChainId}`;
}

/**
 * A new record may be approved when none waits, or when the one waiting has had a fifth of the
 * buffer time to be acked (BTTC flushes the sync buffer after bufferTime/5 and lets the next go).
 */
export function syncBufferOpen(t: CheckpointTrack, ctx: BlockContext): boolean {
  const b = syncBuffer(t);
  return b === null || ctx.blockTime - b.time >= (checkpointBufferTime(ctx.state, ctx.height, ctx.config) * 1000) / 5;
}

/** Why `s` is not the record of `cp` (the acked checkpoint it names), or null. */
function mismatch(s: CheckpointSync, cp: AckedCheckpoint | null): string | null {
  if (!cp) return `checkpoint ${s.checkpointNumber} of root chain ${s.rootChainId} is not in the store`;
  if (cp.proposer !== s.proposer || cp.start !== s.start || cp.end !== s.end) {
    return `record {proposer ${s.proposer}, ${s.start}–${s.end}} differs from acked checkpoint ${cp.number} of root chain ${cp.rootChainId} {proposer ${cp.proposer}, ${cp.start}–${cp.end}}`;
  }
  return null;
}

/** Deterministic validity against the committed state and the block's time. */
export function validateSyncTx(tx: CheckpointSyncTx, ctx: BlockContext): string | null {
  const s = tx.sync;
  if (s.rootChainId === ctx.stakingChainId) return `root chain ${s.rootChainId} is the staking chain: its checkpoints need no sync`;
  const t = trackOf(ctx.state, s.rootChainId);
  if (!t || !isConfiguredRootChain(ctx.config, s.rootChainId)) return `root chain ${s.rootChainId} is not configured`;
  const next = syncedCount(t) + 1;
  if (s.checkpointNumber !== next) return `sync of checkpoint ${s.checkpointNumber} of root chain ${s.rootChainId}: the next to sync is ${next}`;
  if (s.checkpointNumber > t.ackCount) return `checkpoint ${s.checkpointNumber} of root chain ${s.rootChainId} is not acked yet (${t.ackCount} acked)`;
  if (s.end < s.start) return `sync record end ${s.end} before start ${s.start}`;
  if (!syncBufferOpen(t, ctx)) return `a sync record for root chain ${s.rootChainId} is already waiting for its ack`;
  return null;
}

/** This validator's check: the record is the acked checkpoint's, so it signs it. */
export async function syncVerdict(tx: CheckpointSyncTx, deps: { store: CheckpointStore; signerKey: Uint8Array }): Promise<Verdict> {
  const s = tx.sync;
  const cp = await deps.store.get(s.rootChainId, s.checkpointNumber);
  // Not stored here (yet): say nothing rather than No.
  if (!cp) return { vote: 'abstain' };
  if (mismatch(s, cp)) return { vote: 'no' };
  return { vote: 'yes', signature: signCheckpointSync(s, deps.signerKey) };
}

/**
 * Tally two heights later: the record must still be the next to sync and match the acked checkpoint
 * (the committed store holds it: it was acked before the record could be proposed), then the Yes
 * signatures are verified as a set over the record's vote hash against the Delivery set.
 */
export async function tallySync(
  tx: CheckpointSyncTx,
  yes: readonly YesVote[],
  ctx: BlockContext,
  deps: { verifier: SignatureVerifier; store: CheckpointStore },
): Promise<ApplyResult & { buffer?: BufferedCheckpointSync }> {
  const s = tx.sync;
  const t = requireTrack(ctx.state, s.rootChainId);
  // The state may have moved since the proposal (the ack of this number landed).
  if (s.checkpointNumber !== syncedCount(t) + 1)
    return { outcome: 'stale', reason: `checkpoint ${s.checkpointNumber} of root chain ${s.rootChainId} is no longer the next to sync (${syncedCount(t)} synced)` };
  if (!syncBufferOpen(t, ctx)) return { outcome: 'stale', reason: `a sync record for root chain ${s.rootChainId} already waits for its ack` };
  const wrong = mismatch(s, await deps.store.get(s.rootChainId, s.checkpointNumber));
  if (wrong) return { outcome: 'rejected', reason: wrong };
  const set = new SignatureSet({ voteHash: checkpointSyncVoteHash(s), validators: deliverySet(ctx.state).signers() }, { verifier: deps.verifier });
  await set.add(yes.filter((y) => y.signature.length === 65).map((y) => ({ signer: y.validator, signature: y.signature })));
  if (!set.approved) return { outcome: 'rejected', reason: `${set.count} valid signature(s) over the sync record, need ${set.threshold}` };
  const submitter = proposerSigner(ctx.state);
  if (submitter === null) return { outcome: 'rejected', reason: 'no checkpoint proposer to submit the sync record' };
  const buffer: BufferedCheckpointSync = {
    sync: { ...s },
    signatures: set.sortedSignatures().map((x) => ({ signer: x.signer, signature: bytesToHex(x.signature) })),
    submitter,
    time: ctx.blockTime,
    height: ctx.height,
  };
  syncLineOf(t).buffer = buffer;
  return { outcome: 'applied', buffer };
}

/** The records this block's proposer includes: per non-staking chain, its next acked checkpoint not yet synced. */
export async function proposeSyncs(p: ProposalContext, deps: { store: CheckpointStore }): Promise<CheckpointSyncTx[]> {
  const out: CheckpointSyncTx[] = [];
  for (const t of checkpointOf(p.state).tracks) {
    if (t.rootChainId === p.stakingChainId || p.pending(syncKey(t.rootChainId))) continue;
    const number = syncedCount(t) + 1;
    if (number > t.ackCount || !syncBufferOpen(t, p)) continue;
    const cp = await deps.store.get(t.rootChainId, number);
    if (!cp) continue;
    out.push({ type: CHECKPOINT_SYNC_TX, sync: { proposer: cp.proposer, start: cp.start, end: cp.end, checkpointNumber: number, rootChainId: t.rootChainId } });
  }
  return out;
}
