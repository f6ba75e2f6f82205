/**
 * Consensus messages (Tendermint, "The latest gossip on BFT consensus"). A value is opaque bytes from
 * the application; votes carry its id (keccak256 of the value) or nil.
 */

/** Sign-bytes / step tags. Their order is the step order inside a round (the double-sign guard uses it). */
export const MsgType = {
  Proposal: 1,
  Prevote: 2,
  Precommit: 3,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];
export type VoteType = typeof MsgType.Prevote | typeof MsgType.Precommit;

export const Step = {
  Propose: 1,
  Prevote: 2,
  Precommit: 3,
} as const;
export type Step = (typeof Step)[keyof typeof Step];

export interface Proposal {
  height: number;
  round: number;
  /** Round of the proof-of-lock this value is re-proposed with, −1 when fresh. */
  validRound: number;
  /** 20-byte address of the proposer. */
  proposer: Uint8Array;
  value: Uint8Array;
  /** keccak256(value), filled by the codec. */
  valueId: Uint8Array;
  /** 65 bytes r ‖ s ‖ v. */
  signature: Uint8Array;
}

export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  /** 32-byte value id, or null for nil. */
  valueId: Uint8Array | null;
  /** 20-byte validator address. */
  validator: Uint8Array;
  /**
   * Precommit only: the application's side-transaction votes (BTTC's checkpoint Yes + signature travel
   * here). Covered by the vote signature; empty for prevotes and nil precommits.
   */
  extension: Uint8Array;
  signature: Uint8Array;
}

/** Proof that a value was decided: the proposal and > 2/3 of power precommitting its id in one round. */
export interface Commit {
  height: number;
  round: number;
  proposal: Proposal;
  precommits: Vote[];
}

export type ConsensusMessage = { kind: 'proposal'; proposal: Proposal } | { kind: 'vote'; vote: Vote };

export function stepOfType(t: MsgType): Step {
  return t as Step;
}
