/**
 * Final slashes go to the root chain in signed batches, like checkpoints: the Delivery proposer
 * proposes SLASH_BATCH_TX (a side tx) with the oldest queued final slashes; each validator votes Yes
 * with its signature over keccak256(0x01 ‖ data); two heights later ⌊n·2/3⌋+1 valid signatures of
 * the Delivery set approve it (src/protocol/checkpoint/signature-set.ts), and the batch with its
 * sorted [R, S, V] signatures waits in the state for the submitter (submission.ts), which sends it to
 * SlashingManager.updateSlashedAmounts(data, sigs). Nothing is proposed while slashing is off.
 */
import { signRsv } from '../../../crypto/secp256k1.ts';
import type { SignatureVerifier } from '../../../pools/interface.ts';
import { SignatureSet } from '../../../protocol/checkpoint/signature-set.ts';
import { decodeSlashBatch, encodeSlashBatch, slashBatchVoteHash, type FinalSlash } from '../../../slashing/batch.ts';
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import type { Reader, Writer } from '../../app/binary.ts';
import type { DeliveryTx } from '../../app/types.ts';
import type { ApplyResult, BlockContext, TxCodec, Verdict, YesVote } from '../module.ts';
import { deliverySet, proposerSigner } from '../staking/state.ts';
import { SIGNED_KEPT, slashingOf, type FinalEntry, type SignedBatch, type SlashingState } from './state.ts';

export const SLASH_BATCH_TX = 21;
/** Slashes per batch (100 fit a root block: ~9.2M gas for downtime, ~21M for double sign; bench/slashing.ts). */
export const MAX_BATCH = 100;

export interface SlashBatchTx extends DeliveryTx {
  type: typeof SLASH_BATCH_TX;
  /** The ABI payload the validators sign and the SlashingManager takes. */
  data: Uint8Array;
}

export const slashBatchTxCodec: TxCodec<SlashBatchTx> = {
  type: SLASH_BATCH_TX,
  name: 'slash-batch',
  encode(w: Writer, tx: SlashBatchTx): void {
    w.var32(tx.data);
  },
  decode(r: Reader): SlashBatchTx {
    return { type: SLASH_BATCH_TX, data: r.var32('data', 1 << 20) };
  },
};

function finalSlash(f: FinalEntry): FinalSlash {
  return { validatorId: BigInt(f.validatorId), selfBps: f.selfBps, delegatorBps: f.delegatorBps, jailEpochs: f.jailEpochs, evidenceHash: f.id };
}

/** The batch the state expects next (null when nothing is queued). */
export function expectedBatch(s: SlashingState, proposer: string): Uint8Array | null {
  const items = s.slashingFinal.slice(0, MAX_BATCH);
  if (items.length === 0) return null;
  return encodeSlashBatch(BigInt(s.slashingNonce + 1), proposer, items.map(finalSlash));
}

export function validateBatchTx(tx: SlashBatchTx, ctx: BlockContext, enabled: boolean): string | null {
  if (!enabled) return 'slashing is disabled (config slashing.enabled): no batch is signed';
  const proposer = proposerSigner(ctx.state);
  if (!proposer) return 'no Delivery proposer';
  const want = expectedBatch(slashingOf(ctx.state), proposer);
  if (!want) return 'no final slash is queued';
  if (bytesToHex(want) !== bytesToHex(tx.data)) return `batch differs from the queued final slashes (expected nonce ${slashingOf(ctx.state).slashingNonce + 1} by ${proposer})`;
  return null;
}

export function batchVerdict(tx: SlashBatchTx, signerKey: Uint8Array): Verdict {
  return { vote: 'yes', signature: signRsv(hexToBytes(slashBatchVoteHash(tx.data)), signerKey) };
}

export async function tallyBatch(tx: SlashBatchTx, yes: readonly YesVote[], ctx: BlockContext, deps: { verifier: SignatureVerifier }): Promise<ApplyResult & { batch?: SignedBatch }> {
  const s = slashingOf(ctx.state);
  const b = decodeSlashBatch(tx.data);
  if (Number(b.nonce) !== s.slashingNonce + 1) return { outcome: 'stale', reason: `nonce ${b.nonce} already signed` };
  const set = new SignatureSet({ voteHash: hexToBytes(slashBatchVoteHash(tx.data)), validators: deliverySet(ctx.state).signers() }, { verifier: deps.verifier });
  await set.add(yes.filter((y) => y.signature.length === 65).map((y) => ({ signer: y.validator, signature: y.signature })));
  if (!set.approved) return { outcome: 'rejected', reason: `${set.count} valid signature(s), need ${set.threshold}` };
  const ids = new Set(b.slashes.map((x) => x.evidenceHash));
  s.slashingFinal = s.slashingFinal.filter((f) => !ids.has(f.id));
  s.slashingNonce = Number(b.nonce);
  const batch: SignedBatch = {
    nonce: s.slashingNonce,
    data: bytesToHex(tx.data),
    sigs: set.rootChainSignatures().map((t) => t.map((x) => x.toString()) as [string, string, string]),
    ids: [...ids],
    height: ctx.height,
  };
  s.slashingSigned = [...s.slashingSigned, batch].slice(-SIGNED_KEPT);
  return { outcome: 'applied', batch };
}
