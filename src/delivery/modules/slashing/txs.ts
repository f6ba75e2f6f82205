/**
 * Slashing's transactions (plain: judged against the committed state when their block commits):
 *   SLASH_EVIDENCE_TX  canonical evidence bytes (src/slashing/evidence.ts); refused with a reason code
 *   SLASH_CHALLENGE_TX evidence id ‖ counter-evidence JSON: voids an open candidate when it holds
 * Both are deterministic: every validator runs src/slashing/checks.ts on the same state.
 */
import { bytesToHex, hexToBytes } from '../../../util/bytes.ts';
import type { Reader, Writer } from '../../app/binary.ts';
import type { DeliveryTx } from '../../app/types.ts';
import type { BlockContext, TxCodec } from '../module.ts';
import { checkEvidence, missedHeights, presenceProof, whyNotConflicting, type CheckContext, type Decision, type SealedHeader } from '../../../slashing/checks.ts';
import { decodeEvidence, type Evidence } from '../../../slashing/evidence.ts';
import { decodeVote } from '../../consensus/codec.ts';
import type { SlashingParams } from '../../../slashing/params.ts';
import { checkpointHeight, producersAt, setAt, slashingOf, type SlashingState } from './state.ts';

export const SLASH_EVIDENCE_TX = 19;
export const SLASH_CHALLENGE_TX = 20;

/** Evidence bytes a tx may carry (two Bttc headers with their extra fit easily). */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

export interface SlashEvidenceTx extends DeliveryTx {
  type: typeof SLASH_EVIDENCE_TX;
  /** Canonical evidence encoding. */
  evidence: Uint8Array;
}

export interface SlashChallengeTx extends DeliveryTx {
  type: typeof SLASH_CHALLENGE_TX;
  id: string;
  /** JSON: {"precommits":["0x…"]} for downtime; {} for double sign (the votes are re-examined). */
  counter: Uint8Array;
}

export const slashEvidenceTxCodec: TxCodec<SlashEvidenceTx> = {
  type: SLASH_EVIDENCE_TX,
  name: 'slash-evidence',
  encode(w: Writer, tx: SlashEvidenceTx): void {
    w.var32(tx.evidence);
  },
  decode(r: Reader): SlashEvidenceTx {
    return { type: SLASH_EVIDENCE_TX, evidence: r.var32('evidence', MAX_EVIDENCE_BYTES) };
  },
};

export const slashChallengeTxCodec: TxCodec<SlashChallengeTx> = {
  type: SLASH_CHALLENGE_TX,
  name: 'slash-challenge',
  encode(w: Writer, tx: SlashChallengeTx): void {
    w.hex(tx.id, 32, 'evidence id');
    w.var32(tx.counter);
  },
  decode(r: Reader): SlashChallengeTx {
    return { type: SLASH_CHALLENGE_TX, id: r.hex(32, 'id'), counter: r.var32('counter', MAX_EVIDENCE_BYTES) };
  },
};

export interface SlashingTxDeps {
  params: SlashingParams;
  recoverSeal?: (rlp: Uint8Array) => SealedHeader;
}

/** The check context at a block: commits are known up to the one the previous block carried. */
export function checkContext(s: SlashingState, chainId: string, height: number, deps: SlashingTxDeps): CheckContext {
  return {
    chainId,
    height: height - 1,
    maxAgeHeights: deps.params.unbondingHeights,
    validatorsAt: (h) => setAt(s, h),
    seen: (id) => s.slashingSeen.has(id),
    signedAt: (h) => {
      const v = s.slashingSigners.get(h);
      return v ? new Set(v) : undefined;
    },
    downtime: deps.params.downtime,
    producersAt: (b) => producersAt(s, b),
    checkpointHeight: (start, end, chain) => checkpointHeight(s, start, end, chain),
    ...(deps.recoverSeal ? { recoverSeal: deps.recoverSeal } : {}),
  };
}

export function decideEvidence(tx: SlashEvidenceTx, ctx: BlockContext, deps: SlashingTxDeps): { evidence: Evidence; decision: Decision } | string {
  let evidence: Evidence;
  try {
    evidence = decodeEvidence(tx.evidence);
  } catch (err) {
    return `malformed: ${(err as Error).message}`;
  }
  return { evidence, decision: checkEvidence(evidence, checkContext(slashingOf(ctx.state), ctx.config.delivery.chainId, ctx.height, deps)) };
}

export function validateEvidenceTx(tx: SlashEvidenceTx, ctx: BlockContext, deps: SlashingTxDeps): string | null {
  const d = decideEvidence(tx, ctx, deps);
  if (typeof d === 'string') return d;
  return d.decision.ok ? null : `${d.decision.code}: ${d.decision.reason}`;
}

/** Why the counter-evidence voids the candidate (null: it does not). */
export function challengeHolds(evidence: Evidence, counter: Uint8Array, ctx: BlockContext, deps: SlashingTxDeps): { voids: true; reason: string } | { voids: false; reason: string } {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(counter));
  } catch {
    return { voids: false, reason: 'counter-evidence is not JSON' };
  }
  if (evidence.offense === 'downtime') {
    const pre = (body as { precommits?: unknown }).precommits;
    if (!Array.isArray(pre) || pre.some((p) => typeof p !== 'string')) return { voids: false, reason: 'counter-evidence.precommits must be an array of 0x vote encodings' };
    const present = presenceProof(evidence, ctx.config.delivery.chainId, pre as string[]);
    if (typeof present === 'string') return { voids: false, reason: present };
    const s = slashingOf(ctx.state);
    const missed = missedHeights(evidence, (h) => (s.slashingSigners.has(h) ? new Set(s.slashingSigners.get(h)) : new Set()), new Set(present));
    if (typeof missed === 'string') return { voids: false, reason: missed };
    if (missed.length <= deps.params.downtime.maxMissed)
      return { voids: true, reason: `presence proven at ${present.length} heights: ${missed.length} missed, within the limit ${deps.params.downtime.maxMissed}` };
    return { voids: false, reason: `still ${missed.length} missed with the proofs, more than ${deps.params.downtime.maxMissed}` };
  }
  if (evidence.offense === 'double-sign') {
    const not = whyNotConflicting(decodeVote(hexToBytes(evidence.voteA)), decodeVote(hexToBytes(evidence.voteB)));
    return not ? { voids: true, reason: not } : { voids: false, reason: 'the two votes do conflict' };
  }
  return { voids: false, reason: `${evidence.offense} has no counter-evidence: both signatures were checked` };
}

export function idOf(tx: SlashChallengeTx): string {
  return bytesToHex(hexToBytes(tx.id));
}
