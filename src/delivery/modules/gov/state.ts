/**
 * The gov module's slice of the Delivery state: the mirrored proposals and, per proposal, how many
 * ballots its stream holds and whether voting closed in Delivery. Ballots and tallies themselves live
 * in the module's buckets (store.ts).
 */
import type { DeliveryState } from '../../app/state.ts';
import type { StateSlot } from '../module.ts';

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
}

export const GOV_STATE: StateSlot<GovState> = {
  module: 'gov',
  keys: ['govProposals', 'govUnattributed'],
  toJson: (s) => ({ govProposals: [...s.govProposals.values()], govUnattributed: s.govUnattributed }),
  // Snapshots written before the gov module existed have neither key.
  fromJson: (j) => ({
    govProposals: new Map(((j.govProposals as GovProposal[] | undefined) ?? []).map((p) => [p.id, p])),
    govUnattributed: (j.govUnattributed as number | undefined) ?? 0,
  }),
  clone: (s) => ({ govProposals: new Map([...s.govProposals].map(([k, v]) => [k, { ...v }])), govUnattributed: s.govUnattributed }),
};

export function govOf(s: DeliveryState): GovState {
  return s.get(GOV_STATE);
}
