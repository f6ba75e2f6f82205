/** Shapes shared by the checkpoint signature set and its consumers (Delivery, audit, bench). */
import { quorumThreshold } from '../quorum.ts';

export interface CheckpointVote {
  /** Who claims to have signed (lower-case 0x-hex); optional: the recovered signer is used if absent. */
  signer?: string;
  /** 65 bytes r ‖ s ‖ v, v ∈ {0, 1, 27, 28}. */
  signature: Uint8Array;
}

export type VoteRejectReason = 'malformed' | 'invalid signature' | 'signer mismatch' | 'not a current validator' | 'duplicate';

export type VoteOutcome = { ok: true; signer: string } | { ok: false; signer?: string; reason: VoteRejectReason; detail?: string };

/** `count ≥ ⌊n·2/3⌋ + 1` of the current validators (signatures counted, not stake: BTTC's rule). */
export function approvalThreshold(validatorCount: number): number {
  return quorumThreshold(validatorCount);
}
