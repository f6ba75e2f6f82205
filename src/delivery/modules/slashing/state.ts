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
  /** Committed spans' Bttc ranges and producer signers (double-seal evidence is judged against them). */
  slashingSpans: SpanProducers[];
  /** Approved checkpoints' ranges and the Delivery height of approval (equivocation is judged against the set then). */
  slashingCheckpoints: ApprovedRange[];
}

export interface SpanProducers {
  id: number;
  startBlock: number;
  endBlock: number;
  /** Producer signers, 0x lower hex, sorted. */
  producers: string[];
  /** Delivery height that committed the span. */
  height: number;
}

export interface ApprovedRange {
  start: number;
  end: number;
  borChainId: number;
  /** Delivery height that approved a checkpoint for the range. */
  height: number;
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
  keys: ['slashingSigners', 'slashingSets', 'slashingSeen', 'slashingOpen', 'slashingFinal', 'slashingCounts', 'slashingNonce', 'slashingSigned', 'slashingSpans', 'slashingCheckpoints'],
  toJson: (s) => ({
    slashingSigners: [...s.slashingSigners],
    slashingSets: s.slashingSets,
    slashingSeen: [...s.slashingSeen],
    slashingOpen: s.slashingOpen,
    slashingFinal: s.slashingFinal,
    slashingCounts: [...s.slashingCounts],
    slashingNonce: s.slashingNonce,
    slashingSigned: s.slashingSigned,
    slashingSpans: s.slashingSpans,
    slashingCheckpoints: s.slashingCheckpoints,
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
    slashingSpans: (j.slashingSpans as SpanProducers[] | undefined) ?? [],
    slashingCheckpoints: (j.slashingCheckpoints as ApprovedRange[] | undefined) ?? [],
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
    slashingSpans: s.slashingSpans.map((x) => ({ ...x })),
    slashingCheckpoints: s.slashingCheckpoints.map((x) => ({ ...x })),
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

/**
 * Producers of the span covering Bttc block `block`, or why there is no answer: above the last
 * committed span is `future`, below the oldest kept (older than the unbonding period) is `stale`.
 */
export function producersAt(s: SlashingState, block: number): { producers: ReadonlySet<string> } | { code: 'future' | 'stale'; reason: string } {
  const span = s.slashingSpans.find((x) => x.startBlock <= block && block <= x.endBlock);
  if (span) return { producers: new Set(span.producers) };
  const last = s.slashingSpans[s.slashingSpans.length - 1];
  if (!last || block > last.endBlock) return { code: 'future', reason: `no committed span covers Bttc block ${block} yet` };
  return { code: 'stale', reason: `the span covering Bttc block ${block} is older than the unbonding period` };
}

/** Delivery height of the first kept approval of a checkpoint for [start, end] on `borChainId`, or why there is none. */
export function checkpointHeight(s: SlashingState, start: number, end: number, borChainId: number): number | { code: 'future' | 'stale'; reason: string } {
  const hit = s.slashingCheckpoints.find((c) => c.start === start && c.end === end && c.borChainId === borChainId);
  if (hit) return hit.height;
  const maxEnd = s.slashingCheckpoints.reduce((m, c) => (c.borChainId === borChainId && c.end > m ? c.end : m), -1);
  if (start > maxEnd) return { code: 'future', reason: `no checkpoint for Bttc blocks ${start}-${end} has been approved in Delivery yet (the signing set is not known)` };
  return { code: 'stale', reason: `no checkpoint for Bttc blocks ${start}-${end} was approved within the unbonding period` };
}
