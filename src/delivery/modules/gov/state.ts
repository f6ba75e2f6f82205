/**
 * The gov module's slice of the Delivery state: the mirrored proposals and, per proposal, how many
 * ballots its stream holds and whether voting closed in Delivery. Ballots and tallies themselves live
 * in the module's buckets (store.ts).
 */
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';
import type { ParamChange } from './params.ts';

export interface GovProposal {
  id: string;
  proposer: string;
  /** Root-chain blocks. */
  snapshot: number;
  deadline: number;
  /** The ProposalCreated's root-chain block and the Delivery height that mirrored it. */
  rootBlock: number;
  height: number;
  /** Ballots stored for it (its stream's next index). */
  ballots: number;
  /** Ballots included above this height are refused `closed`; null while voting is open in Delivery. */
  closeHeight: number | null;
}

export interface GovState {
  govProposals: Map<string, GovProposal>;
  /** Ballots that name no known proposal or do not parse (the unattributed stream's next index). */
  govUnattributed: number;
  /** Delivery parameter changes from the Governor: per key the one in force and any not yet (params.ts). */
  govParams: ParamChange[];
}

export const GOV_STATE: StateSlot<GovState> = {
  module: 'gov',
  keys: ['govProposals', 'govUnattributed', 'govParams'],
  toJson: (s) => ({ govProposals: [...s.govProposals.values()], govUnattributed: s.govUnattributed, govParams: s.govParams }),
  // Snapshots written before the gov module (or its parameters) existed lack the keys.
  fromJson: (j) => ({
    govProposals: new Map(((j.govProposals as GovProposal[] | undefined) ?? []).map((p) => [p.id, p])),
    govUnattributed: (j.govUnattributed as number | undefined) ?? 0,
    govParams: ((j.govParams as ParamChange[] | undefined) ?? []).map((c) => ({ ...c })),
  }),
  clone: (s) => ({ govProposals: new Map([...s.govProposals].map(([k, v]) => [k, { ...v }])), govUnattributed: s.govUnattributed, govParams: s.govParams.map((c) => ({ ...c })) }),
};

export function govOf(s: DeliveryState): GovState {
  return s.get(GOV_STATE);
}
