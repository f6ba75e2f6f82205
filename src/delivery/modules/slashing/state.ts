/**
 * Slashing's slice of the Delivery state (issue 19). Bounded: commit signers are kept for two
 * downtime windows, validator-set history and seen evidence ids for the unbonding period (older
 * evidence is refused as stale anyway, so forgetting its id cannot let a replay through).
 */
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';
import type { Evidence, Offense } from '../../../slashing/evidence.ts';
import type { OffenseRule } from '../../../slashing/penalty.ts';

export interface Candidate {
  id: string;
  offense: Offense;
  validator: string;
  validatorId: number;
  /** Height the offense is about. */
  height: number;
  openedAt: number;
  closesAt: number;
  /** Kept while open: a challenge is judged against it in the (synchronous) tx checks. */
  evidence: Evidence;
}

export interface FinalEntry extends OffenseRule {
  id: string;
  validatorId: number;
  validator: string;
  /** Finalized offenses of this validator before this one (the escalation step). */
  prior: number;
  finalAt: number;
}

export interface SlashingState {
  /** Height → signers whose precommits the chain carries for it. */
  slashingSigners: Map<number, string[]>;
  /** Validator-set history: each entry holds from `from` until the next entry. */
  slashingSets: { from: number; signers: string[] }[];
  /** Evidence id → the height it is about. */
  slashingSeen: Map<string, number>;
  slashingOpen: Candidate[];
  /** Final slashes not yet in a signed batch. */
  slashingFinal: FinalEntry[];
  /** Finalized offenses per validator signer. */
  slashingCounts: Map<string, number>;
  /** Nonce of the last signed batch (the SlashingManager wants nonce + 1 next). */
  slashingNonce: number;
  /** Recently signed batches, for the submitter (the last SIGNED_KEPT). */
  slashingSigned: SignedBatch[];
}

export interface SignedBatch {
  nonce: number;
  /** abi.encode(nonce, proposer, slashes): what was signed (0x01-prefixed) and what the root chain takes. */
  data: string;
  /** [R, S, V] decimal strings, sorted by signer, as updateSlashedAmounts takes them. */
  sigs: [string, string, string][];
  ids: string[];
  height: number;
}

export const SIGNED_KEPT = 16;

export const SLASHING_STATE: StateSlot<SlashingState> = {
  module: 'slashing',
  keys: ['slashingSigners', 'slashingSets', 'slashingSeen', 'slashingOpen', 'slashingFinal', 'slashingCounts', 'slashingNonce', 'slashingSigned'],
  toJson: (s) => ({
    slashingSigners: [...s.slashingSigners],
    slashingSets: s.slashingSets,
    slashingSeen: [...s.slashingSeen],
    slashingOpen: s.slashingOpen,
    slashingFinal: s.slashingFinal,
    slashingCounts: [...s.slashingCounts],
    slashingNonce: s.slashingNonce,
    slashingSigned: s.slashingSigned,
  }),
  // A snapshot written before this module existed has none of its keys: start empty.
  fromJson: (j) => ({
    slashingSigners: new Map((j.slashingSigners as [number, string[]][] | undefined) ?? []),
    slashingSets: (j.slashingSets as SlashingState['slashingSets'] | undefined) ?? [],
    slashingSeen: new Map((j.slashingSeen as [string, number][] | undefined) ?? []),
    slashingOpen: (j.slashingOpen as Candidate[] | undefined) ?? [],
    slashingFinal: (j.slashingFinal as FinalEntry[] | undefined) ?? [],
    slashingCounts: new Map((j.slashingCounts as [string, number][] | undefined) ?? []),
    slashingNonce: (j.slashingNonce as number | undefined) ?? 0,
    slashingSigned: (j.slashingSigned as SignedBatch[] | undefined) ?? [],
  }),
  clone: (s) => ({
    slashingSigners: new Map(s.slashingSigners),
    slashingSets: s.slashingSets.map((e) => ({ from: e.from, signers: e.signers })),
    slashingSeen: new Map(s.slashingSeen),
    slashingOpen: s.slashingOpen.map((c) => ({ ...c })),
    slashingFinal: s.slashingFinal.map((f) => ({ ...f })),
    slashingCounts: new Map(s.slashingCounts),
    slashingNonce: s.slashingNonce,
    slashingSigned: s.slashingSigned.map((b) => ({ ...b })),
  }),
};

export function slashingOf(s: DeliveryState): SlashingState {
  return s.get(SLASHING_STATE);
}

export function emptySlashingState(): SlashingState {
  return SLASHING_STATE.fromJson({});
}

/** Signers of the set that decided `height`, from the history. */
export function setAt(s: SlashingState, height: number): ReadonlySet<string> | undefined {
  let found: string[] | undefined;
  for (const e of s.slashingSets) {
    if (e.from > height) break;
    found = e.signers;
  }
  return found ? new Set(found) : undefined;
}
